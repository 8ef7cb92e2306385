"""Published record types: the city keeps a catalogue, every district reads it, read-only.

The specification is a catalogue of situations the city maintains and a district's
cases that point into it: the district lists the city's entries beside its own, opens
them, picks them in its forms, and can change none of them; a sibling's entries stay
out of sight, and an association account reads the catalogue too. A type the city
alone keeps (``kept_by``) cannot be added to or changed in a district at all.
"""
from __future__ import annotations

import types

import pytest

from sqlalchemy import select

from core.api import PluginMeta, hookimpl
from core.audit import AuditEvent
from core.db import session
from core.entities.definitions import EntityType, Field
from core.entities.models import Entity
from core.entities.service import Invalid, NotFound
from core.tenancy import ScopeError, system_scope
from tests.entity_helpers import create, service

SITUATION = EntityType(
    "catalogue_situation", "整治情形",
    fields=(Field("name", "情形", required=True, indexed=True, listed=True),),
    published=True,
)
MEASURE = EntityType(
    "catalogue_measure", "处理措施",
    fields=(Field("name", "措施", required=True, indexed=True, listed=True),),
    published=True, kept_by=("city",),
)
CASE = EntityType(
    "catalogue_case", "案件",
    fields=(
        Field("name", "案件名称", required=True, indexed=True, listed=True),
        Field("situation", "情形", kind="reference", target="catalogue_situation", indexed=True),
        Field("association", "协会商会", kind="reference", target="association"),
    ),
    owner_field="association",
)


def catalogue_plugin():
    module = types.ModuleType("catalogue_plugin")
    module.meta = PluginMeta(name="catalogue", title="目录", version="1.0.0", levels=("city", "district"))
    module.quanhui_entity_types = hookimpl(lambda: [SITUATION, MEASURE, CASE])
    return module


pytestmark = [
    pytest.mark.quanhui_plugins(catalogue_plugin()),
    pytest.mark.enable_plugins("catalogue", tenants=["jinan", "lixia", "shizhong"]),
]


def add(app, slug: str, type_name: str, **data) -> int:
    with app.app_context():
        svc = service(app, slug)
        entity = svc.create(svc.type(type_name), data)
        svc.commit()
        return entity.id


@pytest.fixture
def catalogue(app):
    """The city's entry, lixia's own entry, and shizhong's own entry."""
    return {
        "city": add(app, "jinan", "catalogue_situation", name="出借证书印章"),
        "lixia": add(app, "lixia", "catalogue_situation", name="历下自定情形"),
        "shizhong": add(app, "shizhong", "catalogue_situation", name="市中自定情形"),
    }


def test_a_district_lists_the_citys_entries_beside_its_own_with_their_source(login_client, catalogue):
    page = login_client("lixia", "viewer").get("/lixia/entities/catalogue_situation/").get_data(as_text=True)
    assert "出借证书印章" in page and "历下自定情形" in page
    assert "市中自定情形" not in page
    assert "来源" in page and "济南市" in page and "历下区" in page


def test_the_city_keeps_its_own_and_reads_the_districts_entries_with_their_unit(login_client, catalogue):
    city = login_client("jinan", "viewer")
    own = city.get("/jinan/entities/catalogue_situation/", query_string={"scope": "own"}).get_data(as_text=True)
    assert "出借证书印章" in own
    assert "历下自定情形" not in own and "市中自定情形" not in own
    assert "<th>来源</th>" not in own and "<th>所属单位</th>" not in own
    whole = city.get("/jinan/entities/catalogue_situation/").get_data(as_text=True)
    assert "出借证书印章" in whole and "历下自定情形" in whole and "市中自定情形" in whole
    assert "<th>所属单位</th>" in whole


def test_a_district_opens_the_citys_entry_read_only(login_client, catalogue):
    page = login_client("lixia", "admin").get(f"/lixia/entities/catalogue_situation/{catalogue['city']}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "出借证书印章" in text
    assert "上级单位发布,只读" in text
    assert f"/lixia/entities/catalogue_situation/{catalogue['city']}/edit" not in text
    assert "删除" not in text


def test_a_district_cannot_change_or_delete_the_citys_entry(login_client, app, catalogue):
    admin = login_client("lixia", "admin")
    url = f"/lixia/entities/catalogue_situation/{catalogue['city']}"
    assert admin.get(f"{url}/edit").status_code == 404
    assert admin.post(url, data={"name": "改掉", "version": "1"}).status_code == 404
    assert admin.post(f"{url}/delete", data={"version": "1"}).status_code == 404
    with app.app_context():
        svc = service(app, "jinan")
        entry = svc.get(svc.type("catalogue_situation"), catalogue["city"])
        assert (entry.data["name"], entry.version, entry.deleted_at) == ("出借证书印章", 1, None)


def test_a_sibling_districts_entry_stays_404(login_client, catalogue):
    admin = login_client("lixia", "admin")
    assert admin.get(f"/lixia/entities/catalogue_situation/{catalogue['shizhong']}").status_code == 404


def test_the_api_reads_the_citys_entry_and_refuses_to_patch_it(api_client, catalogue):
    client = api_client("lixia", "admin")
    url = f"/api/v1/lixia/entities/catalogue_situation/{catalogue['city']}"
    assert client.get(url).get_json()["data"]["name"] == "出借证书印章"
    names = [item["data"]["name"] for item in client.get("/api/v1/lixia/entities/catalogue_situation").get_json()["items"]]
    assert sorted(names) == ["出借证书印章", "历下自定情形"]
    assert client.patch(url, json={"name": "改掉"}, headers={"If-Match": '"1"'}).status_code == 404


def test_a_district_record_may_point_at_the_citys_entry_and_shows_its_title(login_client, app, catalogue):
    editor = login_client("lixia", "editor")
    form = editor.get("/lixia/entities/catalogue_case/new").get_data(as_text=True)
    assert "出借证书印章" in form and "市中自定情形" not in form
    answer = editor.post("/lixia/entities/catalogue_case/", data={"name": "某商会出借印章", "situation": str(catalogue["city"])})
    assert answer.status_code == 303, answer.get_data(as_text=True)
    page = editor.get(answer.headers["Location"]).get_data(as_text=True)
    assert "出借证书印章" in page


def test_a_record_may_not_point_at_a_siblings_entry(app, catalogue):
    with app.app_context():
        svc = service(app, "lixia")
        with pytest.raises(Invalid) as refusal:
            svc.create(svc.type("catalogue_case"), {"name": "越界", "situation": catalogue["shizhong"]})
        assert refusal.value.errors == {"situation": ["关联的记录不存在或已删除"]}


def test_the_write_scope_stays_the_districts_own_while_reading(app, catalogue):
    with app.app_context():
        svc = service(app, "lixia")
        situation = svc.type("catalogue_situation")
        with svc.reading(situation):
            entry = svc.get(situation, catalogue["city"], readonly=True)
            with pytest.raises(NotFound):
                svc.get(situation, catalogue["city"])
            entry.data = {"name": "改掉"}
            with pytest.raises(ScopeError):
                svc.session.flush()
            svc.rollback()


def test_an_association_account_reads_the_catalogue_but_not_other_cases(login_client, app, catalogue):
    own = create(app, "lixia")
    other = create(app, "lixia")
    mine = add(app, "lixia", "catalogue_case", name="本会自查", association=own)
    theirs = add(app, "lixia", "catalogue_case", name="他会案件", association=other)
    account = login_client("lixia", "association", association_id=own)
    listing = account.get("/lixia/entities/catalogue_situation/").get_data(as_text=True)
    assert "出借证书印章" in listing
    searched = account.get("/lixia/entities/catalogue_situation/?q=出借").get_data(as_text=True)
    assert "出借证书印章" in searched  # the search runs on the projections, which it reads too
    assert account.get(f"/lixia/entities/catalogue_situation/{catalogue['city']}").status_code == 200
    assert account.get(f"/lixia/entities/catalogue_case/{mine}").status_code == 200
    assert account.get(f"/lixia/entities/catalogue_case/{theirs}").status_code == 404


def test_a_type_the_city_keeps_offers_no_new_button_in_a_district_and_refuses_with_an_audit(login_client, app, api_client):
    add(app, "jinan", "catalogue_measure", name="约谈提醒")
    admin = login_client("lixia", "admin")
    listing = admin.get("/lixia/entities/catalogue_measure/").get_data(as_text=True)
    assert "约谈提醒" in listing and "/lixia/entities/catalogue_measure/new" not in listing
    refused = admin.get("/lixia/entities/catalogue_measure/new")
    assert refused.status_code == 403 and "处理措施由市级维护,历下区只能查看和选用" in refused.get_data(as_text=True)
    assert admin.post("/lixia/entities/catalogue_measure/", data={"name": "区里自加"}).status_code == 403
    assert api_client("lixia", "editor").post("/api/v1/lixia/entities/catalogue_measure", json={"name": "区里自加"}).status_code == 403
    with app.app_context():
        svc = service(app, "lixia")
        names = [e.data["name"] for e in svc.session.scalars(select(Entity).where(Entity.type == "catalogue_measure"))]
        with system_scope(session):
            denials = session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.denied")).all()
    assert names == []  # lixia has none of its own; the city's is not in lixia's scope
    assert any("处理措施由市级维护" in str(event.detail) for event in denials)


def test_the_city_keeps_its_catalogue_through_the_ordinary_pages(login_client):
    admin = login_client("jinan", "admin")
    assert "/jinan/entities/catalogue_measure/new" in admin.get("/jinan/entities/catalogue_measure/").get_data(as_text=True)
    assert admin.post("/jinan/entities/catalogue_measure/", data={"name": "警告"}).status_code == 303


def test_the_city_admin_refused_in_a_district_gets_the_403_page(login_client):
    city = login_client("jinan", "admin")
    refused = city.post("/lixia/entities/catalogue_measure/", data={"name": "代区里加"})
    assert refused.status_code == 403 and "处理措施由市级维护" in refused.get_data(as_text=True)
