"""Field rights: who may read and who may write each field, on every path a record takes.

An association account acts for its own association, but what the regulator decides
(registration status, credit code, category, supervising units) is the staff's to set:
its form shows those read-only, the API refuses a change with 403 naming the field, and
nothing is saved. A field may also be hidden from roles (left out of pages, forms, API
answers and exports), and Excel import refuses a column its user may not fill.
"""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from core.audit import AuditEvent
from core.entities import service_for
from core.entities.definitions import DefinitionError, EntityType, Field
from core.entities.models import CustomField, Entity
from core.entities.service import FieldsForbidden
from core.entities.uscc import make
from core.tenancy import TenantScope, system_scope, use_scope

HX = {"HX-Request": "true"}
#: A note only the tenant's staff read, and a rating only its admins set (custom fields, as an admin designs them).
NOTE = {"name": "staff_note", "label": "内部备注", "kind": "long_text", "read_roles": ["admin", "editor"]}
RATING = {"name": "rating", "label": "评估等级", "kind": "choice", "choices": ["A", "B", "C"],
          "write_roles": ["admin"]}


@pytest.fixture
def revoked(app, db_session, tenant):
    """A lixia association the regulator revoked (撤销), with a staff note and a rating."""
    lixia = tenant("lixia")
    with use_scope(db_session, TenantScope.of(lixia)):
        for definition in (NOTE, RATING):
            db_session.add(CustomField(tenant_id=lixia.id, type="association", name=definition["name"],
                                       definition=definition))
        db_session.commit()
        service = service_for(lixia)
        entity = service.create(service.type("association"), {
            "name": "济南市某某协会", "uscc": make("5", "1", "370102", 7), "category": "行业协会", "status": "撤销",
            "staff_note": "多次未年检，已移交执法", "rating": "C"})
        service.commit()
        return entity.id


def stored(app, entity_id):
    with app.app_context():
        from core.db import session

        with system_scope(session):
            return session.get(Entity, entity_id).data


def test_an_associations_form_shows_what_the_regulator_decides_read_only(login_client, revoked):
    client = login_client("lixia", "association", association_id=revoked)
    html = client.get(f"/lixia/entities/association/{revoked}/edit").get_data(as_text=True)
    for name in ("status", "uscc", "category", "supervisor", "industry_department", "rating"):
        assert f'data-read-only="{name}"' in html, name
        assert f'name="{name}"' not in html, name
    assert "撤销" in html and "您只能查看这一项" in html
    assert 'name="address"' in html and 'name="contact_phone"' in html
    assert "内部备注" not in html and "多次未年检" not in html


def test_an_association_posting_status_normal_through_the_form_is_refused(app, login_client, revoked):
    client = login_client("lixia", "association", association_id=revoked)
    url = f"/lixia/entities/association/{revoked}"
    refused = client.post(url, data={"name": "济南市某某协会", "status": "正常", "version": "1"}, headers=HX)
    assert refused.status_code == 403
    assert "“状态”" in refused.get_data(as_text=True)
    assert stored(app, revoked)["status"] == "撤销"
    saved = client.post(url, data={"name": "济南市某某协会", "address": "历下区泉城路 1 号", "version": "1"}, headers=HX)
    assert saved.status_code == 204
    after = stored(app, revoked)
    assert (after["status"], after["address"], after["rating"]) == ("撤销", "历下区泉城路 1 号", "C")


def test_an_association_posting_status_normal_over_the_api_gets_403_naming_the_field(app, api_client, revoked):
    client = api_client("lixia", "association", association_id=revoked)
    url = f"/api/v1/lixia/entities/association/{revoked}"
    answer = client.get(url)
    assert answer.json["data"]["status"] == "撤销" and "staff_note" not in answer.json["data"]
    refused = client.patch(url, json={"status": "正常"}, headers={"If-Match": answer.headers["ETag"]})
    assert refused.status_code == 403
    assert refused.json["error"]["message"] == "您无权填写或修改“状态”：这一项由管理员、编辑填写"
    assert stored(app, revoked)["status"] == "撤销"
    with app.app_context():
        from core.db import session

        with system_scope(session):
            denials = session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.denied")).all()
    assert any("状态" in (event.detail or {}).get("reason", "") for event in denials)
    # Sending back what it read, unchanged, with a change of its own, is no attack.
    kept = client.patch(url, json={**answer.json["data"], "address": "泉城路 2 号"},
                        headers={"If-Match": answer.headers["ETag"]})
    assert kept.status_code == 200, kept.json
    assert stored(app, revoked)["address"] == "泉城路 2 号"


def test_staff_set_what_they_keep_and_only_admins_set_an_admin_field(app, api_client, revoked):
    url = f"/api/v1/lixia/entities/association/{revoked}"
    editor = api_client("lixia", "editor")
    answer = editor.get(url)
    assert answer.json["data"]["staff_note"] == "多次未年检，已移交执法"
    refused = editor.patch(url, json={"rating": "A"}, headers={"If-Match": answer.headers["ETag"]})
    assert refused.status_code == 403 and "“评估等级”" in refused.json["error"]["message"]
    saved = editor.patch(url, json={"status": "正常"}, headers={"If-Match": answer.headers["ETag"]})
    assert saved.status_code == 200 and saved.json["data"]["status"] == "正常"
    assert "staff_note" not in api_client("lixia", "viewer").get(url).json["data"]


def test_pages_and_exports_leave_out_what_a_role_may_not_read(login_client, revoked):
    viewer = login_client("lixia", "viewer")
    detail = viewer.get(f"/lixia/entities/association/{revoked}").get_data(as_text=True)
    assert "内部备注" not in detail and "多次未年检" not in detail and "评估等级" in detail
    listing = viewer.get("/lixia/entities/association/?col=staff_note&col=rating").get_data(as_text=True)
    assert "多次未年检" not in listing and "内部备注" not in listing
    exported = load_workbook(io.BytesIO(viewer.get("/lixia/entities/association/excel/export.xlsx").data))
    header = [cell.value for cell in exported["协会商会"][1]]
    assert any("评估等级" in str(h) for h in header) and not any("内部备注" in str(h) for h in header)
    editor_export = login_client("lixia", "editor").get("/lixia/entities/association/excel/export.xlsx").data
    assert any("内部备注" in str(cell.value) for cell in load_workbook(io.BytesIO(editor_export))["协会商会"][1])


def test_an_import_follows_the_same_rights(app, login_client, revoked):
    editor = login_client("lixia", "editor")
    template = load_workbook(io.BytesIO(editor.get("/lixia/entities/association/excel/template.xlsx").data))
    assert not any("评估等级" in str(cell.value) for cell in template["协会商会"][1])
    book = Workbook()
    sheet = book.active
    sheet.title = "协会商会"
    sheet.append(["名称", "统一社会信用代码", "类别", "评估等级"])
    sheet.append(["新协会", make("5", "1", "370102", 8), "行业协会", "A"])
    content = io.BytesIO()
    book.save(content)
    answer = editor.post("/lixia/entities/association/excel/import", headers=HX, data={
        "file": (io.BytesIO(content.getvalue()), "新协会.xlsx")}, content_type="multipart/form-data")
    assert answer.status_code == 422
    assert "您无权填写或修改“评估等级”：这一项由管理员填写" in answer.get_data(as_text=True)
    with app.app_context():
        from core.db import session

        with system_scope(session):
            names = [e.data["name"] for e in session.scalars(select(Entity).where(Entity.type == "association"))]
    assert "新协会" not in names


def test_the_service_is_the_one_place_writes_are_checked(app, db_session, tenant, make_user, revoked):
    """Plugins and batch edits change records through the service with an actor: refused alike."""
    account = make_user("lixia", "association", association_id=revoked)
    lixia = tenant("lixia")
    with use_scope(db_session, TenantScope.of(lixia)):
        service = service_for(lixia, actor=account)
        association = service.type("association")
        entity = service.get(association, revoked)
        with pytest.raises(FieldsForbidden) as refused:
            service.update(association, entity, {"status": "正常", "category": "商会"}, entity.version)
        assert set(refused.value.errors) == {"status", "category"}
        service.rollback()


def test_rights_name_roles_of_the_one_registry():
    with pytest.raises(DefinitionError, match="角色可选"):
        Field("x", "某项", write_roles=("clerk",))
    with pytest.raises(DefinitionError, match="角色可选"):
        Field("x", "某项", read_roles="admin")
    assert Field("x", "某项", write_roles=("department",)).write_roles == ("department",)
    with pytest.raises(DefinitionError, match="不能限定查看角色"):
        EntityType("memo", "备忘", fields=(Field("name", "名称", read_roles=("admin",)),))
    assert Field.from_json({"name": "x", "label": "某项", "read_roles": ["admin"]}).read_roles == ("admin",)


def test_an_admin_sets_field_rights_in_the_field_designer(app, login_client, api_client, revoked):
    admin = login_client("lixia", "admin")
    page = admin.get("/lixia/admin/fields/association").get_data(as_text=True)
    assert "谁能看到" in page and "谁能填写" in page and "仅工作人员（管理员、编辑）" in page
    assert '<small class="muted" data-rights="status">管理员、编辑可填</small>' in page
    added = admin.post("/lixia/admin/fields/association", headers=HX, data={
        "name": "inspection", "label": "年检结论", "kind": "text", "read_roles": "staff", "write_roles": "admin"})
    assert added.status_code == 200, added.get_data(as_text=True)
    refused = admin.post("/lixia/admin/fields/association", headers=HX, data={
        "name": "other", "label": "其他", "kind": "text", "read_roles": "everyone"})
    assert "请从列表中选择" in refused.get_data(as_text=True)
    url = f"/api/v1/lixia/entities/association/{revoked}"
    editor = api_client("lixia", "editor")
    answer = editor.get(url)
    assert "inspection" in answer.json["data"]
    assert editor.patch(url, json={"inspection": "合格"}, headers={"If-Match": answer.headers["ETag"]}).status_code == 403
    account = api_client("lixia", "association", association_id=revoked)
    assert "inspection" not in account.get(url).json["data"]
    edit = admin.get("/lixia/admin/fields/association/inspection/edit").get_data(as_text=True)
    assert '<option value="staff" selected>' in edit and '<option value="admin" selected>' in edit


def test_no_one_finds_records_by_what_they_may_not_read(app, db_session, tenant, login_client, api_client, revoked):
    lixia = tenant("lixia")
    with use_scope(db_session, TenantScope.of(lixia)):
        row = db_session.scalar(select(CustomField).where(CustomField.name == "staff_note"))
        row.definition = {**NOTE, "indexed": True}
        db_session.commit()
        service = service_for(lixia)
        service.reproject(service.type("association"))
        service.commit()
    viewer = api_client("lixia", "viewer")
    refused = viewer.get("/api/v1/lixia/entities/association?staff_note=多次未年检，已移交执法")
    assert refused.status_code == 422 and refused.json["error"]["fields"] == {"staff_note": ["没有这个字段"]}
    assert viewer.get("/api/v1/lixia/entities/association?sort=-staff_note").status_code == 422
    assert viewer.get("/api/v1/lixia/entities/association?q=移交执法").json["total"] == 0
    editor = api_client("lixia", "editor")
    assert editor.get("/api/v1/lixia/entities/association?staff_note=多次未年检，已移交执法").json["total"] == 1
    page = login_client("lixia", "viewer").get("/lixia/entities/association/?staff_note=不存在的备注")
    assert "济南市某某协会" in page.get_data(as_text=True)


def test_hiding_a_field_in_the_designer_takes_it_out_of_search(login_client, api_client, revoked):
    admin = login_client("lixia", "admin")
    field = {"name": "inspection", "label": "年检结论", "kind": "text", "indexed": "1"}
    assert admin.post("/lixia/admin/fields/association", headers=HX, data=field).status_code == 200
    url = f"/api/v1/lixia/entities/association/{revoked}"
    staff = api_client("lixia", "admin")
    etag = staff.get(url).headers["ETag"]
    assert staff.patch(url, json={"inspection": "基本合格待复查"}, headers={"If-Match": etag}).status_code == 200
    viewer = api_client("lixia", "viewer")
    assert viewer.get("/api/v1/lixia/entities/association?q=待复查").json["total"] == 1
    changed = admin.post("/lixia/admin/fields/association/inspection", headers=HX,
                         data={**field, "read_roles": "staff"})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert viewer.get("/api/v1/lixia/entities/association?q=待复查").json["total"] == 0


def test_a_field_kept_by_its_own_tier_is_read_only_to_the_city(app, db_session, tenant, api_client, revoked):
    lixia = tenant("lixia")
    with use_scope(db_session, TenantScope.of(lixia)):
        db_session.add(CustomField(tenant_id=lixia.id, type="association", name="grade", definition={
            "name": "grade", "label": "区级评定", "kind": "text", "own_tier_only": True}))
        db_session.commit()
    url = f"/api/v1/lixia/entities/association/{revoked}"
    city = api_client("jinan", "admin")
    answer = city.get(url)
    assert "grade" in answer.json["data"]
    refused = city.patch(url, json={"grade": "优秀"}, headers={"If-Match": answer.headers["ETag"]})
    assert refused.status_code == 403
    assert refused.json["error"]["message"] == "您无权填写或修改“区级评定”：这一项由记录所在单位填写，上级单位只能查看"
    assert city.patch(url, json={"address": "市里改的地址"}, headers={"If-Match": answer.headers["ETag"]}).status_code == 200
    district = api_client("lixia", "editor")
    etag = district.get(url).headers["ETag"]
    assert district.patch(url, json={"grade": "优秀"}, headers={"If-Match": etag}).json["data"]["grade"] == "优秀"
