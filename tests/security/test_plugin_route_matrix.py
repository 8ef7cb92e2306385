"""The isolation sweep over the bundled plugins' routes, with the plugins switched on.

tests/security/test_route_matrix.py sweeps the app with the bundled plugins off, so their
routes only answer 404 there. Here coverage, rectification, matching and think_tank are
enabled in jinan, lixia and shizhong, each of lixia and shizhong holds the objects the
routes take ids of (a rectification case, a suggestion, a village, associations to cover
and pair), and every route of the four plugins is requested by the same seven actors.

``PLUGIN_ROUTES`` is the table of record, read from each plugin's views: the permission
a view requires (``entities.view``, ``entities.edit``, ``reports.view``, coverage's own
``coverage.cover`` for admins and editors) and then the rule of what it does (a workflow
transition's roles, the association account confined to its own association's records).
Requests target lixia. A route with an object is also asked for shizhong's object under
/lixia/ (``foreign``: 404 once past the permission check; an id sent in a form may be
refused as invalid or skipped instead, as the row says), and where the object belongs
to an association, for another association's object of lixia (``other``: the staff reach
it, lixia's association account gets 404). A plugin route missing from the table fails.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pytest
from sqlalchemy import select

from tests.entity_helpers import association as association_fields
from tests.security.test_route_matrix import (
    ACTORS,
    STATE_CHANGING,
    Ref,
    Route,
    actor_client,
    build_url,
    check_answer,
    request,
    statuses,
    url_map_routes,
)

PLUGINS = ("coverage", "rectification", "matching", "think_tank")
TENANTS = ["jinan", "lixia", "shizhong"]

MEMBER_PAGE = statuses(302, 200, 200, 200, 404, 200, 200)
#: ``reports.view``: the staff's, not association accounts'.
STAFF_PAGE = statuses(302, 200, 200, 200, 404, 200, 403)
#: ``entities.edit``: editors, admins and the association account (on its own association).
EDITOR_PAGE = statuses(302, 403, 200, 200, 404, 200, 200)
#: A staff-only action (a transition with roles admin and editor, ``coverage.cover``) that
#: succeeds and answers 303; the viewer and the association account are refused (403),
#: by the view's permission or by the transition's roles.
STAFF_CHANGE = statuses(302, 403, 303, 303, 404, 303, 403)
#: An object of shizhong named under /lixia/: 404 to whoever passes the view's permission.
FOREIGN_PAGE = statuses(302, 404, 404, 404, 404, 404, 404)
FOREIGN_STAFF = statuses(302, 403, 404, 404, 404, 404, 403)
#: Another association's object in lixia: the staff's as any record, 404 to the association
#: account (also where its own association would be refused the action: the 404 comes first).
OTHER_PAGE = statuses(302, 200, 200, 200, 404, 200, 404)
OTHER_STAFF_CHANGE = statuses(302, 403, 303, 303, 404, 303, 404)
#: A plugin's static files sit under the tenant, behind its sign-in, like its pages.
STATIC = MEMBER_PAGE

LIXIA = {"tenant": "lixia"}
ASSOCIATION = {**LIXIA, "association_id": Ref("association")}
CASE = {**LIXIA, "case_id": Ref("case")}
SUGGESTION = {**LIXIA, "entity_id": Ref("suggestion")}
TODAY = dt.date.today().isoformat()

PLUGIN_ROUTES: dict[tuple[str, str], Route] = {
    # coverage (党建覆盖): the dashboards and lists are reports (``reports.view``); the
    # theme board is every member's (``entities.view``); assigning an instructor or founding
    # a temporary branch needs ``coverage.cover`` (admins and editors). A row names an
    # association: shizhong's is 404 under /lixia/.
    ("coverage.dashboard", "GET"): Route(LIXIA, STAFF_PAGE),
    ("coverage.summary", "GET"): Route(LIXIA, STAFF_PAGE),
    ("coverage.uncovered", "GET"): Route(LIXIA, STAFF_PAGE),
    # A row as it is now is an htmx fragment; a plain request is sent to the list (303).
    ("coverage.row", "GET"): Route(
        ASSOCIATION, statuses(302, 303, 303, 303, 404, 303, 403), foreign=statuses(302, 404, 404, 404, 404, 404, 403)
    ),
    ("coverage.act", "GET"): Route(
        {**ASSOCIATION, "action": "instructor"}, statuses(302, 403, 200, 200, 404, 200, 403), foreign=FOREIGN_STAFF
    ),
    # Founding a temporary branch for the uncovered association: a plain post goes back to the list.
    ("coverage.act", "POST"): Route(
        {**ASSOCIATION, "action": "temporary-branch"}, STAFF_CHANGE,
        data={"name": "巡检临时党支部", "founded_on": TODAY, "secretary": "李丽娟", "member_count": "3", "mark": "none"},
        foreign=FOREIGN_STAFF,
    ),
    ("coverage.instructors", "GET"): Route(LIXIA, STAFF_PAGE),
    ("coverage.brands", "GET"): Route(LIXIA, STAFF_PAGE),
    ("coverage.themes", "GET"): Route(LIXIA, MEMBER_PAGE),
    ("coverage.static", "GET"): Route({**LIXIA, "filename": "coverage.css"}, STATIC),
    # rectification (规范整治): board, list and a case are every member's (the association
    # account sees its own association's cases only); the transitions are the staff's
    # (roles admin and editor); self-inspection needs ``entities.edit``.
    ("rectification.board", "GET"): Route(LIXIA, MEMBER_PAGE),
    ("rectification.cases", "GET"): Route(LIXIA, MEMBER_PAGE),
    ("rectification.case", "GET"): Route(CASE, MEMBER_PAGE, foreign=FOREIGN_PAGE, other=OTHER_PAGE),
    # 开始核查 on a new lead: done by the staff (303 to the case), refused to the viewer and
    # to the association account (403 from the transition's roles; 404 on another's case).
    ("rectification.transition", "POST"): Route(
        {**CASE, "name": "verify"}, STAFF_CHANGE, data={"version": "1"}, foreign=FOREIGN_PAGE,
        other=OTHER_STAFF_CHANGE,
    ),
    ("rectification.self_inspection", "GET"): Route(LIXIA, EDITOR_PAGE),
    # A self-inspection report: the staff name the association, the association account files
    # for its own (the form's association is ignored). Naming shizhong's association is
    # refused as invalid (422) to the staff; the association account still files for its own.
    ("rectification.self_inspection", "POST"): Route(
        LIXIA, statuses(302, 403, 303, 303, 404, 303, 303),
        data={"title": "未按期换届", "found_on": TODAY, "description": "自查发现理事会任期已满未换届。",
              "association": Ref("association")},
        foreign=statuses(302, 403, 422, 422, 404, 422, 303),
    ),
    ("rectification.static", "GET"): Route({**LIXIA, "filename": "rectification/rectification.css"}, STATIC),
    # matching (百会联百村): the workbench, plan, board and ledger are every member's; starting
    # a pairing and confirming planned pairs need ``entities.edit``. The ids (a village and an
    # association) come in the query or the form: shizhong's are 404 (or skipped) in lixia.
    # A village belongs to no association, so the association account, confined to its own
    # association's records, does not see it: ranking for it or pairing with it is 404.
    ("matching.workbench", "GET"): Route(LIXIA, statuses(302, 200, 200, 200, 404, 200, 404), foreign=FOREIGN_PAGE),
    # A pairing of lixia's village with the association, 303 to the new pairing.
    ("matching.start_pairing", "POST"): Route(
        LIXIA, statuses(302, 403, 303, 303, 404, 303, 404),
        data={"programme": "百会联百村", "target": Ref("village"), "association": Ref("association")},
        foreign=statuses(302, 403, 404, 404, 404, 404, 404), other=OTHER_STAFF_CHANGE,
    ),
    ("matching.assign", "GET"): Route(LIXIA, MEMBER_PAGE),
    # Confirming planned pairs: 303 to the board; a pair the actor may not see (shizhong's
    # objects; for the association account, lixia's village too) is skipped, not created.
    ("matching.confirm", "POST"): Route(
        LIXIA, statuses(302, 403, 303, 303, 404, 303, 303),
        data={"programme": "百会联百村", "pair": Ref("pair")},
        foreign=statuses(302, 403, 303, 303, 404, 303, 303),
    ),
    ("matching.board", "GET"): Route(LIXIA, MEMBER_PAGE),
    ("matching.ledger", "GET"): Route(LIXIA, MEMBER_PAGE),
    # think_tank (智库与会企之声): every page is every member's (``entities.view``) but the
    # filing form (``entities.edit``); a suggestion belongs to an association, so the
    # association account reaches only its own; acting on it is a transition of the staff.
    ("think_tank.inbox", "GET"): Route(LIXIA, MEMBER_PAGE),
    ("think_tank.new", "GET"): Route(LIXIA, EDITOR_PAGE),
    ("think_tank.similar", "GET"): Route(LIXIA, MEMBER_PAGE),
    ("think_tank.suggestion", "GET"): Route(SUGGESTION, MEMBER_PAGE, foreign=FOREIGN_PAGE, other=OTHER_PAGE),
    # 分办 to a department: 303 back to the suggestion for the staff.
    ("think_tank.act", "POST"): Route(
        {**SUGGESTION, "name": "assign"}, STAFF_CHANGE, data={"version": "1", "department": "区金融办"},
        foreign=FOREIGN_PAGE, other=OTHER_STAFF_CHANGE,
    ),
    ("think_tank.search", "GET"): Route(LIXIA, MEMBER_PAGE),
    ("think_tank.topics", "GET"): Route(LIXIA, MEMBER_PAGE),
    ("think_tank.library", "GET"): Route(LIXIA, MEMBER_PAGE),
    ("think_tank.proposals", "GET"): Route(LIXIA, MEMBER_PAGE),
    ("think_tank.static", "GET"): Route({**LIXIA, "filename": "think_tank/think_tank.css"}, STATIC),
}
#: Ids a GET route takes in its query string (``?target=`` the village to rank associations for).
QUERIES = {("matching.workbench", "GET"): {"target": Ref("village")}}


def plugin_of(endpoint: str) -> str | None:
    """The plugin whose blueprint (``think_tank`` or a second one like ``think_tank_api``) serves ``endpoint``."""
    blueprint = endpoint.split(".")[0]
    return next((name for name in PLUGINS if blueprint == name or blueprint.startswith(f"{name}_")), None)


def plugin_routes(app) -> list[tuple[str, str]]:
    """Every route of the four plugins in ``app.url_map``, in table order; fails on one the table lacks."""
    found = [key for key in url_map_routes(app) if plugin_of(key[0])]
    missing = [key for key in found if key not in PLUGIN_ROUTES]
    assert not missing, f"plugin routes missing from PLUGIN_ROUTES in {__file__}: {missing}"
    order = list(PLUGIN_ROUTES)
    return sorted(found, key=order.index)


@pytest.fixture
def objects(app, db_session):
    """In lixia and in shizhong: two associations (the first bound to the association
    account), and for each a rectification case and a suggestion; a village to pair with."""
    from core.entities import service_for
    from core.tenancy import TenantScope, tenant_by_slug, use_scope

    found = {}
    for slug in ("lixia", "shizhong"):
        tenant = tenant_by_slug(db_session, slug)
        ids = {}
        with use_scope(db_session, TenantScope.of(tenant)):
            service = service_for(tenant)
            for key in ("association", "other_association"):
                ids[key] = service.create(service.type("association"), association_fields(
                    industry_chain="现代农业", matching_offers=["技术"], matching_capacity=3,
                    matching_district="历下区", matching_town="甲街道")).id
            ids["village"] = service.create(service.type("village"), {
                "name": "东坞村", "district": "历下区", "town": "甲街道", "industry_chains": ["现代农业"],
                "needs": ["技术"], "minimum": 0, "maximum": 3}).id
            for owner, prefix in (("association", ""), ("other_association", "other_")):
                ids[f"{prefix}case"] = service.create(service.type("rectification_case"), {
                    "title": "超范围开展评比表彰", "association": ids[owner], "source": "专项摸排",
                    "found_on": "2024-04-10", "description": "以协会名义开展评比表彰并收费。"}).id
                ids[f"{prefix}suggestion"] = service.create(service.type("suggestion"), {
                    "title": "关于会员企业融资难问题的建议", "association": ids[owner], "category": "融资服务",
                    "submitted_on": "2025-03-02", "content": "会员企业反映贷款难、贷款贵。"}).id
            service.commit()
        ids["pair"] = f"{ids['village']}-{ids['association']}"
        found[slug] = ids
    return found


def other_of(ids: Mapping) -> dict:
    """Lixia's ids with each object swapped for the other association's."""
    return {**ids, "association": ids["other_association"], "case": ids["other_case"],
            "suggestion": ids["other_suggestion"], "pair": f"{ids['village']}-{ids['other_association']}"}


@pytest.mark.enable_plugins(*PLUGINS, tenants=TENANTS)
def test_every_plugin_route_is_in_the_table(app):
    """A plugin route without a table entry fails; so does an entry for a route removed or renamed."""
    found = plugin_routes(app)
    assert {plugin_of(endpoint) for endpoint, _ in found} == set(PLUGINS)
    stale = set(PLUGIN_ROUTES) - set(found)
    assert not stale, f"PLUGIN_ROUTES names routes the app does not have: {sorted(stale)}"


def signed_in_world(objects: Mapping) -> dict:
    """What ``actor_client`` reads: the association the account acts for; anonymous needs no token here."""
    return {**objects, "lixia": {**objects["lixia"], "user_token": None}}


def records(db_session) -> dict[str, list]:
    """Every record of every tenant (id, type, version, deleted) and the records outside
    shizhong that belong to one of its associations."""
    from core.api import Entity, system_scope, tenant_by_slug

    db_session.rollback()
    with system_scope(db_session):
        shizhong = tenant_by_slug(db_session, "shizhong").id
        rows = db_session.execute(
            select(Entity.tenant_id, Entity.id, Entity.type, Entity.version, Entity.deleted_at).order_by(Entity.id)
        ).all()
        shizhong_associations = select(Entity.id).where(Entity.tenant_id == shizhong, Entity.type == "association")
        strays = db_session.scalars(
            select(Entity.id).where(Entity.tenant_id != shizhong, Entity.owner_id.in_(shizhong_associations))
        ).all()
    return {
        "shizhong": [row[1:] for row in rows if row.tenant_id == shizhong], "all": [tuple(row) for row in rows],
        "outside shizhong, of its associations": list(strays),
    }


@pytest.mark.enable_plugins(*PLUGINS, tenants=TENANTS)
@pytest.mark.parametrize("actor", ACTORS)
def test_plugin_route_matrix(app, db_session, make_user, objects, actor):
    """Each actor gets the table's status on every plugin route, and nothing of shizhong's
    changes or gains a record in lixia on the way (a skipped or refused id creates nothing)."""
    client, *_ = actor_client(app, make_user, actor, signed_in_world(objects))
    before = records(db_session)
    problems: list[str] = []
    for endpoint, method in plugin_routes(app):
        route = PLUGIN_ROUTES[(endpoint, method)]
        variants = [("", objects["lixia"], route.expect)]
        if route.foreign is not None:
            variants.append((" (shizhong's objects)", objects["shizhong"], route.foreign))
        if route.other is not None:
            variants.append((" (another lixia association's)", other_of(objects["lixia"]), route.other))
        for note, ids, expected in variants:
            url = build_url(app, endpoint, method, route.args, ids)
            query = {k: ids[v.key] for k, v in QUERIES.get((endpoint, method), {}).items()}
            response = request(client, method, url, route.data, ids, query_string=query)
            check_answer(response, expected[actor], f"{method} {url} [{endpoint}]{note} as {actor}", problems)
    assert not problems, "\n".join(problems)
    after = records(db_session)
    assert after["shizhong"] == before["shizhong"]
    assert after["outside shizhong, of its associations"] == []


@pytest.mark.enable_plugins(*PLUGINS, tenants=TENANTS)
@pytest.mark.parametrize("token", ["missing", "wrong"])
def test_plugin_state_changes_need_the_csrf_token(app, db_session, make_user, objects, token):
    """Every state-changing plugin route refuses lixia's admin without a valid CSRF token
    (400), and no record is created, changed or deleted."""
    client, *_ = actor_client(app, make_user, "lixia-admin", signed_in_world(objects))
    before = records(db_session)["all"]
    checked = []
    for endpoint, method in plugin_routes(app):
        if method not in STATE_CHANGING:
            continue
        route = PLUGIN_ROUTES[(endpoint, method)]
        url = build_url(app, endpoint, method, route.args, objects["lixia"])
        if token == "missing":
            response = request(client, method, url, route.data, objects["lixia"], csrf=False)
        else:
            forged = {"X-CSRFToken": "forged-token"}
            response = request(client, method, url, route.data, objects["lixia"], headers=forged)
        assert response.status_code == 400, f"{method} {url} without a valid CSRF token: {response.status_code}"
        checked.append(endpoint)
    assert {key[0] for key in PLUGIN_ROUTES if key[1] in STATE_CHANGING} == set(checked)
    assert records(db_session)["all"] == before

