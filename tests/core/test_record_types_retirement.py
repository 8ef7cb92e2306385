"""Taking a built type out of use: 停用 keeps every record readable and takes no new ones,
启用 undoes it; deleting is for a type that never had a record, after a confirmation page.
Both are versions of the definition (or, for a deletion, its last word) and audit entries.
"""
from __future__ import annotations

import io

from sqlalchemy import func, select

from core.audit import AuditEvent
from core.db import session
from core.entities.models import Entity
from core.entities.record_types import RecordType, RecordTypeVersion
from core.tenancy import system_scope
from tests.core.test_record_types import BASE, TYPE, build, built, file_one  # noqa: F401 (built: a fixture)

RETIRED = "停用类型「重大事项报告」(不能再新建记录,已有记录保留可查)"
REFUSED = "重大事项报告已停用,不能新建记录;已有的记录仍可查看"


def audited(app, name: str) -> list[tuple[str, str]]:
    with app.app_context(), system_scope(session):
        return [(event.action, event.actor) for event in session.scalars(
            select(AuditEvent).where(AuditEvent.target == name).order_by(AuditEvent.id))]


def test_a_retired_type_leaves_the_navigation_and_takes_no_new_records_but_keeps_them_readable(
        built, app, api_client, login_client):
    editor = api_client("lixia", "editor")
    record = file_one(editor, "lixia")
    assert built.post(f"{BASE}/{TYPE}/retire", data={"on": "1"}).status_code == 303
    assert "已停用:导航中不再显示,不能新建记录" in built.get(f"{BASE}/{TYPE}").get_data(as_text=True)

    lixia = login_client("lixia", "admin")
    assert f"/lixia/entities/{TYPE}/" not in lixia.get("/lixia/").get_data(as_text=True)
    listing = lixia.get(f"/lixia/entities/{TYPE}/").get_data(as_text=True)
    assert "重大事项报告已停用:不能新建记录,已有的记录仍可查看。" in listing
    assert "关于召开年度会员大会的报告" in listing and f"/lixia/entities/{TYPE}/new" not in listing
    assert "关于召开年度会员大会的报告" in lixia.get(f"/lixia/entities/{TYPE}/{record['id']}").get_data(as_text=True)
    assert editor.get(f"/api/v1/lixia/entities/{TYPE}/{record['id']}").status_code == 200

    page = lixia.get(f"/lixia/entities/{TYPE}/new")
    assert page.status_code == 403 and REFUSED in page.get_data(as_text=True)
    refused = editor.post(f"/api/v1/lixia/entities/{TYPE}", json={"title": "停用后再报"})
    assert refused.status_code == 403 and refused.json["error"]["message"] == REFUSED
    excel_page = lixia.get(f"/lixia/entities/{TYPE}/excel/").get_data(as_text=True)
    assert REFUSED in excel_page and 'id="import-form"' not in excel_page
    template = lixia.get(f"/lixia/entities/{TYPE}/excel/template.xlsx").data
    upload = {"file": (io.BytesIO(template), "重大事项.xlsx"), "import_id": "a" * 24}
    imported = lixia.post(f"/lixia/entities/{TYPE}/excel/import", data=upload, content_type="multipart/form-data")
    assert imported.status_code == 422 and REFUSED in imported.get_data(as_text=True)
    assert editor.get(f"/api/v1/lixia/entities/{TYPE}").json["total"] == 1


def test_retiring_and_enabling_again_are_versions_and_audit_entries(built, app, api_client):
    assert built.post(f"{BASE}/{TYPE}/retire", data={"on": "1"}).status_code == 303
    assert "已停用" in built.get(f"{BASE}/").get_data(as_text=True)
    assert built.post(f"{BASE}/{TYPE}/retire", data={"on": "0"}).status_code == 303
    versions = built.get(f"{BASE}/{TYPE}/versions").get_data(as_text=True)
    assert RETIRED in versions and "启用类型「重大事项报告」" in versions
    assert audited(app, TYPE)[-2:] == [("record_type.retired", "jinan-admin"), ("record_type.restored", "jinan-admin")]
    assert file_one(api_client("lixia", "editor"), "lixia")["data"]["state"] == "已报送"


def test_the_exported_file_of_a_retired_type_leaves_its_use_here_out(built):
    assert built.post(f"{BASE}/{TYPE}/retire", data={"on": "1"}).status_code == 303
    assert "retired" not in built.get(f"{BASE}/{TYPE}/export").json


def test_a_type_with_records_is_not_deleted_and_the_page_says_why(built, app, api_client):
    file_one(api_client("lixia", "editor"), "lixia")
    page = built.get(f"{BASE}/{TYPE}/delete").get_data(as_text=True)
    assert "「重大事项报告」已发布到下级单位,下级单位在使用(已填报 1 条记录),不能删除" in page
    assert "确定删除" not in page
    refused = built.post(f"{BASE}/{TYPE}/delete", data={"confirm": "1"})
    assert refused.status_code == 409 and "下级单位在使用" in refused.get_data(as_text=True)
    assert built.get(f"{BASE}/{TYPE}").status_code == 200


def test_a_record_in_the_recycle_bin_still_counts(app, login_client):
    city = login_client("jinan", "admin")
    build(city, publish=False)
    assert city.post(f"/jinan/entities/{TYPE}/", data={
        "title": "试填", "matter_kind": "其他", "reported_on": "2026-11-20", "content": "试填的报告"}).status_code == 303
    with app.app_context(), system_scope(session):
        record = session.scalar(select(Entity).where(Entity.type == TYPE))
        entity_id, version = record.id, record.version
    assert city.post(f"/jinan/entities/{TYPE}/{entity_id}/delete", data={"version": version}).status_code == 303
    page = city.get(f"{BASE}/{TYPE}/delete").get_data(as_text=True)
    assert "「重大事项报告」已有 1 条记录(含回收站中的),不能删除;不再使用可以「停用」,已有记录会保留。" in page


def test_a_published_type_a_district_extended_is_not_deleted(built, login_client):
    lixia = login_client("lixia", "admin")
    assert lixia.post(f"/lixia/admin/fields/{TYPE}", data={"name": "supervisor", "label": "分管领导"}).status_code == 303
    page = built.get(f"{BASE}/{TYPE}/delete").get_data(as_text=True)
    assert "「重大事项报告」已发布到下级单位,下级单位在使用(已为它添加了自己的字段),不能删除" in page


def test_an_unused_type_is_deleted_after_confirming_and_only_the_audit_log_remembers_it(built, app, login_client):
    lixia = login_client("lixia", "admin")
    assert lixia.get(f"/lixia/admin/types/{TYPE}/delete").status_code == 404
    assert lixia.post(f"/lixia/admin/types/{TYPE}/delete", data={"confirm": "1"}).status_code == 404

    unconfirmed = built.post(f"{BASE}/{TYPE}/delete")
    assert unconfirmed.status_code == 303 and unconfirmed.headers["Location"].endswith(f"{BASE}/{TYPE}/delete")
    question = built.get(f"{BASE}/{TYPE}/delete").get_data(as_text=True)
    assert "这个类型从未有过记录" in question and "确定删除" in question
    assert built.get(f"{BASE}/{TYPE}").status_code == 200

    deleted = built.post(f"{BASE}/{TYPE}/delete", data={"confirm": "1"})
    assert deleted.status_code == 303
    index = built.get(deleted.headers["Location"]).get_data(as_text=True)
    assert "删除类型「重大事项报告」(第 10 版,从未有过记录)" in index
    assert built.get(f"{BASE}/{TYPE}").status_code == 404
    assert lixia.get(f"/lixia/entities/{TYPE}/").status_code == 404
    assert "重大事项报告" not in lixia.get("/lixia/").get_data(as_text=True)
    with app.app_context(), system_scope(session):
        assert session.scalar(select(func.count()).select_from(RecordType)) == 0
        assert session.scalar(select(func.count()).select_from(RecordTypeVersion)) == 0
    assert audited(app, TYPE)[-1] == ("record_type.deleted", "jinan-admin")
    # The name is free again.
    build(built, publish=False)


def test_another_worker_sees_a_deletion_that_left_the_newest_version(built, app, login_client, tenant):
    """Each worker caches the built types until the definitions change; a deletion of a type
    whose versions are not the newest must still read as a change."""
    from core.entities.registry import EntityRegistry

    other = EntityRegistry(app.extensions["quanhui.plugins"])
    lixia = tenant("lixia")
    joint = build(built, name="joint_meeting", label="联席会议")
    with app.app_context():
        assert set(other.built(session, lixia).types) == {TYPE, joint}
    assert built.post(f"{BASE}/{TYPE}/delete", data={"confirm": "1"}).status_code == 303
    with app.app_context():
        assert set(other.built(session, lixia).types) == {joint}
