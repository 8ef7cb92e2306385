"""The isolation matrix of a list's scope: who sees whose records with ``?scope=`` and ``?tenant=``.

A street (泉城路街道) is added below 历下区 so that a district has a child. For every
actor and every scope parameter the test names the units whose records the list holds,
over the JSON API and the HTML list alike: the city's subtree is the whole tree; a
district's subtree is itself and its own children, never a sibling or the city; a unit
outside the caller's subtree answers 404. On PostgreSQL the same lists run under
row-level security, which would drop any row outside the scope's read ids.
"""
from __future__ import annotations

import pytest

from core.db import session
from core.tenancy import Tenant, system_scope, tenant_by_slug
from tests.entity_helpers import create

#: (actor's tenant, URL tenant, query) -> the units whose records appear; 404 when refused.
MATRIX = [
    ("jinan", "jinan", {}, {"jinan"}),
    ("jinan", "jinan", {"scope": "own"}, {"jinan"}),
    ("jinan", "jinan", {"scope": "subtree"}, {"jinan", "lixia", "quancheng", "shizhong"}),
    ("jinan", "jinan", {"tenant": "lixia"}, {"lixia"}),
    ("jinan", "jinan", {"tenant": "quancheng"}, {"quancheng"}),
    ("jinan", "lixia", {"scope": "subtree"}, {"lixia", "quancheng"}),
    ("lixia", "lixia", {}, {"lixia"}),
    ("lixia", "lixia", {"scope": "subtree"}, {"lixia", "quancheng"}),
    ("lixia", "lixia", {"tenant": "quancheng"}, {"quancheng"}),
    ("lixia", "lixia", {"tenant": "shizhong"}, 404),
    ("lixia", "lixia", {"tenant": "jinan"}, 404),
    ("lixia", "lixia", {"tenant": "nowhere"}, 404),
    ("lixia", "jinan", {"scope": "subtree"}, 404),
    ("shizhong", "shizhong", {"scope": "subtree"}, {"shizhong"}),
    ("shizhong", "shizhong", {"tenant": "lixia"}, 404),
    ("shizhong", "shizhong", {"tenant": "quancheng"}, 404),
    ("quancheng", "quancheng", {"scope": "subtree"}, {"quancheng"}),
    ("quancheng", "lixia", {"scope": "subtree"}, 404),
]


@pytest.fixture
def tree(app):
    """A street below 历下区, and one association in each unit named after it."""
    with app.app_context(), system_scope(session):
        lixia = tenant_by_slug(session, "lixia")
        street = Tenant(code="370102001", slug="quancheng", name="泉城路街道", level="street", parent_id=lixia.id,
                        path="", position=999)
        session.add(street)
        session.flush()
        street.path = f"{lixia.path}{street.id}/"
        session.commit()
    for slug in ("jinan", "lixia", "quancheng", "shizhong"):
        assert isinstance(create(app, slug, name=f"{slug}协会"), int)


@pytest.mark.parametrize(("actor", "where", "query", "expected"), MATRIX)
def test_the_api_lists_exactly_the_subtree_it_may_read(api_client, tree, actor, where, query, expected):
    answer = api_client(actor, "viewer").get(f"/api/v1/{where}/entities/association",
                                             query_string={**query, "per_page": 200})
    if expected == 404:
        assert answer.status_code == 404
        return
    assert answer.status_code == 200
    assert {item["data"]["name"].removesuffix("协会") for item in answer.get_json()["items"]} == expected


@pytest.mark.parametrize(("actor", "where", "query", "expected"),
                         [row for row in MATRIX if row[2]])
def test_the_html_list_shows_exactly_the_subtree_it_may_read(login_client, tree, actor, where, query, expected):
    answer = login_client(actor, "viewer").get(f"/{where}/entities/association/", query_string=query)
    if expected == 404:
        assert answer.status_code == 404
        return
    page = answer.get_data(as_text=True)
    shown = {slug for slug in ("jinan", "lixia", "quancheng", "shizhong") if f">{slug}协会</a>" in page}
    assert shown == expected
