"""Record types built without code: what an admin builds is a type like any plugin's.

The city builds 重大事项报告 (five fields, a three-state workflow, a count by month),
publishes it, and each district files its own reports; the city's report rolls them
up. A district's own type stays in that district. Definitions are versioned, checked
with Chinese messages, never shadow a plugin's type, and travel as files.
"""
from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from core.audit import AuditEvent
from core.db import session
from core.entities.models import Entity
from core.entities.record_types import RecordTypeVersion
from core.tenancy import system_scope

IDENT = "major_report"
#: The city (济南市, tenant 1) stores the type with its owner in the name.
TYPE = "t1__major_report"
BASE = "/jinan/admin/types"
FIELDS = (
    {"name": "matter_kind", "label": "事项类别", "kind": "choice", "choices": "重大活动\n重要人事\n其他",
     "required": "1", "indexed": "1", "listed": "1"},
    {"name": "reported_on", "label": "报告日期", "kind": "date", "required": "1", "indexed": "1"},
    {"name": "content", "label": "报告内容", "kind": "long_text", "required": "1"},
    {"name": "participants", "label": "参加人数", "kind": "integer", "indexed": "1", "minimum": "0"},
)
STATES = {"states": "已报送\n审核中\n已办结", "final": "已办结"}
ACCEPT = {"label": "受理", "sources": ["已报送"], "target": "审核中", "roles": ["admin", "editor"]}
CLOSE = {"label": "办结", "sources": ["审核中"], "target": "已办结", "roles": ["admin"]}
MONTHLY = {"title": "重大事项按月统计", "group_by": "month", "measure": "count", "chart": "line"}
RECORD = {"title": "关于召开年度会员大会的报告", "matter_kind": "重大活动", "reported_on": "2026-11-20",
          "content": "拟于12月召开会员大会。", "participants": 120}


def build(client, base=BASE, name=IDENT, label="重大事项报告", publish=True):
    """The whole type, as the builder's forms post it; every step answers 303. Returns
    the stored name (the builder's URL after the type was created)."""
    created = client.post(f"{base}/", data={"name": name, "label": label, "title_label": "报告标题"})
    assert created.status_code == 303, created.get_data(as_text=True)[:2000]
    name = created.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    steps = [
        *((f"{base}/{name}/fields", field) for field in FIELDS),
        (f"{base}/{name}/states", STATES),
        (f"{base}/{name}/transitions", ACCEPT),
        (f"{base}/{name}/transitions", CLOSE),
        (f"{base}/{name}/reports", MONTHLY),
    ]
    if publish:
        steps.append((f"{base}/{name}/publish", {"on": "1"}))
    for url, data in steps:
        response = client.post(url, data=data)
        assert response.status_code == 303, (url, response.get_data(as_text=True)[:2000])
    return name


def errors_of(response) -> dict[str, str]:
    """The messages the page shows beside each input (data-error) of a refused form."""
    import re

    return dict(re.findall(r'data-error="([a-z_]+)">([^<]+)<', response.get_data(as_text=True)))


@pytest.fixture
def built(app, login_client):
    city = login_client("jinan", "admin")
    assert build(city) == TYPE
    return city


def file_one(client, slug, **values):
    response = client.post(f"/api/v1/{slug}/entities/{TYPE}", json={**RECORD, **values})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


def test_the_city_builds_a_type_and_a_district_files_and_moves_one_through_the_workflow(built, api_client):
    lixia = api_client("lixia", "editor")
    record = file_one(lixia, "lixia")
    assert record["data"]["state"] == "已报送"
    accepted = lixia.post(f"/api/v1/lixia/entities/{TYPE}/{record['id']}/transitions/step_1",
                          json={}, headers={"If-Match": f'"{record["version"]}"'})
    assert accepted.status_code == 200, accepted.get_data(as_text=True)
    assert accepted.json["data"]["state"] == "审核中"
    # Closing is the admin's: the editor is refused.
    refused = lixia.post(f"/api/v1/lixia/entities/{TYPE}/{record['id']}/transitions/step_2",
                         json={}, headers={"If-Match": f'"{accepted.json["version"]}"'})
    assert refused.status_code == 403


def test_a_refused_record_names_each_field_in_chinese(built, api_client):
    response = api_client("lixia", "editor").post(
        f"/api/v1/lixia/entities/{TYPE}", json={"title": "缺项的报告", "participants": -3})
    assert response.status_code == 422
    fields = response.json["error"]["fields"]
    assert fields["matter_kind"] == ["此项必填"] and fields["reported_on"] == ["此项必填"]
    assert "participants" in fields


def test_the_city_report_counts_the_districts_records_by_month(built, api_client):
    file_one(api_client("lixia", "editor"), "lixia")
    file_one(api_client("shizhong", "editor"), "shizhong")
    city = api_client("jinan", "viewer").get(f"/api/v1/jinan/reports/{TYPE}.report_1")
    assert city.status_code == 200, city.get_data(as_text=True)
    assert city.json["rollup"] is True
    assert [row["count"] for row in city.json["rows"]] == [2]
    assert city.json["rows"][0]["month"][:4].isdigit()
    lixia = api_client("lixia", "viewer").get(f"/api/v1/lixia/reports/{TYPE}.report_1")
    assert [row["count"] for row in lixia.json["rows"]] == [1]


def test_a_district_never_sees_a_sibling_districts_records(built, api_client, login_client):
    record = file_one(api_client("lixia", "editor"), "lixia")
    shizhong = api_client("shizhong", "admin")
    assert shizhong.get(f"/api/v1/shizhong/entities/{TYPE}").json["total"] == 0
    assert shizhong.get(f"/api/v1/shizhong/entities/{TYPE}/{record['id']}").status_code == 404
    page = login_client("shizhong", "editor").get(f"/shizhong/entities/{TYPE}/").get_data(as_text=True)
    assert "关于召开年度会员大会的报告" not in page


def test_a_district_type_is_absent_in_other_districts(app, login_client, api_client):
    lixia = login_client("lixia", "admin")
    joint = build(lixia, base="/lixia/admin/types", name="joint_meeting", label="联席会议", publish=False)
    assert joint == "t2__joint_meeting"
    assert lixia.get(f"/lixia/entities/{joint}/").status_code == 200
    shizhong = login_client("shizhong", "admin")
    assert shizhong.get(f"/shizhong/entities/{joint}/").status_code == 404
    assert shizhong.get(f"/shizhong/admin/types/{joint}").status_code == 404
    assert api_client("jinan", "admin").get(f"/api/v1/jinan/entities/{joint}").status_code == 404
    assert "联席会议" not in shizhong.get("/shizhong/").get_data(as_text=True)
    # A district has no one below it to publish to.
    assert lixia.post(f"/lixia/admin/types/{joint}/publish", data={"on": "1"}).status_code == 409


def test_an_unpublished_city_type_stays_in_the_city(app, login_client):
    city = login_client("jinan", "admin")
    build(city, publish=False)
    assert city.get(f"/jinan/entities/{TYPE}/").status_code == 200
    assert login_client("lixia", "admin").get(f"/lixia/entities/{TYPE}/").status_code == 404


def test_the_type_appears_in_the_navigation_pages_and_api_documents(built, login_client, client):
    lixia = login_client("lixia", "editor")
    dashboard = lixia.get("/lixia/").get_data(as_text=True)
    assert "重大事项报告" in dashboard and f"/lixia/entities/{TYPE}/" in dashboard
    for url in (f"/lixia/entities/{TYPE}/", f"/lixia/entities/{TYPE}/new", f"/lixia/entities/{TYPE}/recycle"):
        assert lixia.get(url).status_code == 200, url
    assert lixia.get(f"/lixia/entities/{TYPE}/excel/export.xlsx").status_code == 200
    assert lixia.get(f"/lixia/entities/{TYPE}/excel/template.xlsx").status_code == 200
    document = client.get("/api/openapi.json").json
    assert f"/api/v1/{{tenant}}/entities/{TYPE}" in document["paths"]
    assert "T1_MajorReport" in document["components"]["schemas"]
    tenant_document = lixia.get("/api/v1/lixia/openapi.json").json
    assert "T1_MajorReport" in tenant_document["components"]["schemas"]
    reports = lixia.get("/lixia/reports/").get_data(as_text=True)
    assert "重大事项按月统计" in reports


def test_every_change_is_a_version_and_retiring_keeps_the_data(built, app, api_client):
    record = file_one(api_client("lixia", "editor"), "lixia")
    city = built
    assert city.post(f"{BASE}/{TYPE}/fields/participants/retire").status_code == 303
    assert city.post(f"{BASE}/{TYPE}/states", data={"states": "已报送\n已办结"}).status_code == 303
    with app.app_context(), system_scope(session):
        summaries = session.scalars(select(RecordTypeVersion.summary).order_by(RecordTypeVersion.version)).all()
        audited = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.target == TYPE))
    assert summaries[0] == "新建类型「重大事项报告」"
    assert "停用字段「参加人数」(数据保留)" in summaries
    assert summaries[-1] == "设置流程状态:已报送、已办结"
    assert len(summaries) == 12 and audited == 12
    lixia = api_client("lixia", "admin")
    kept = lixia.get(f"/api/v1/lixia/entities/{TYPE}/{record['id']}").json
    assert "participants" not in kept["data"]
    with app.app_context(), system_scope(session):
        assert session.get(Entity, record["id"]).data["participants"] == 120
    # 审核中 is retired: nothing enters it any more, so 受理 is gone.
    assert lixia.post(f"/api/v1/lixia/entities/{TYPE}/{record['id']}/transitions/step_1", json={},
                      headers={"If-Match": f'"{kept["version"]}"'}).status_code == 404
    versions = city.get(f"{BASE}/{TYPE}/versions").get_data(as_text=True)
    assert "停用字段「参加人数」(数据保留)" in versions
    assert city.post(f"{BASE}/{TYPE}/fields/participants/restore").status_code == 303
    assert lixia.get(f"/api/v1/lixia/entities/{TYPE}/{record['id']}").json["data"]["participants"] == 120


def field_names(client) -> list[str]:
    """The builder's field table, top to bottom."""
    import re

    page = client.get(f"{BASE}/{TYPE}").get_data(as_text=True)
    table = page.split('id="type-fields"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr data-field="([a-z_]+)"', table)


def test_a_field_is_edited_and_moved_with_a_version_and_an_audit_entry(built, app, api_client):
    city = built
    page = city.get(f"{BASE}/{TYPE}/fields/participants")
    assert page.status_code == 200 and 'value="参加人数"' in page.get_data(as_text=True)
    changed = city.post(f"{BASE}/{TYPE}/fields/participants", data={
        "label": "参会人数", "help": "含列席人员", "required": "1", "indexed": "1", "listed": "1",
        "minimum": "1", "maximum": "5000", "kind": "text", "name": "renamed"})
    assert changed.status_code == 303
    assert city.post(f"{BASE}/{TYPE}/fields/participants/up").status_code == 303
    assert field_names(city) == ["title", "matter_kind", "reported_on", "participants", "content"]
    with app.app_context(), system_scope(session):
        summaries = session.scalars(select(RecordTypeVersion.summary).order_by(RecordTypeVersion.version)).all()
        events = session.scalars(select(AuditEvent.detail).where(AuditEvent.target == TYPE,
                                                                 AuditEvent.action == "record_type.changed")).all()
    assert summaries[-2:] == ["修改字段「参会人数」", "上移字段「参会人数」"]
    assert {"修改字段「参会人数」", "上移字段「参会人数」"} <= {event["summary"] for event in events}
    # Name and kind stay: the district's form now asks for a whole number of at least 1.
    refused = api_client("lixia", "editor").post(f"/api/v1/lixia/entities/{TYPE}", json={**RECORD, "participants": 0})
    assert refused.status_code == 422 and "participants" in refused.get_data(as_text=True)
    assert city.post(f"{BASE}/{TYPE}/fields/title/up").status_code == 303
    assert field_names(city)[0] == "title", "the first field has nowhere to go up"


def test_an_edit_that_would_break_records_or_reports_is_refused(built, api_client, login_client):
    city = built
    file_one(api_client("lixia", "editor"), "lixia", matter_kind="重要人事")
    in_use = city.post(f"{BASE}/{TYPE}/fields/matter_kind", data={
        "label": "事项类别", "choices": "重大活动\n其他", "required": "1", "indexed": "1"})
    assert in_use.status_code == 422
    assert "记录仍在使用要删除的选项(「重要人事」1 条)" in errors_of(in_use)["choices"]
    unused = city.post(f"{BASE}/{TYPE}/fields/matter_kind", data={
        "label": "事项类别", "choices": "重大活动\n重要人事", "required": "1", "indexed": "1"})
    assert unused.status_code == 303
    assert city.post(f"{BASE}/{TYPE}/reports", data={"title": "按类别", "group_by": "matter_kind"}).status_code == 303
    unindexed = city.post(f"{BASE}/{TYPE}/fields/matter_kind", data={
        "label": "事项类别", "choices": "重大活动\n重要人事", "required": "1"})
    assert unindexed.status_code == 422 and "只能按单位、填报月份、状态或可筛选的单选字段分组" in unindexed.get_data(as_text=True)
    title = city.post(f"{BASE}/{TYPE}/fields/title", data={"label": "报告标题"})
    assert errors_of(title) == {"required": "标题字段必须必填"}
    clash = city.post(f"{BASE}/{TYPE}/fields/content", data={"label": "报告日期", "required": "1"})
    assert "中文名称与已有字段「报告日期」(reported_on)相同" in errors_of(clash)["label"]
    assert city.get(f"{BASE}/{TYPE}/fields/nope").status_code == 404
    assert login_client("lixia", "admin").get(f"/lixia/admin/types/{TYPE}/fields/title").status_code == 404


#: A move that asks for a field and, besides the role, a permission only admins hold.
SUPPLEMENT = {"label": "补充报告", "sources": ["审核中"], "target": "审核中", "roles": ["admin", "editor"],
              "fields": ["content"], "permission": "entities.design"}


def test_a_transition_asks_for_fields_and_a_permission(built, api_client):
    city = built
    assert city.post(f"{BASE}/{TYPE}/transitions", data=SUPPLEMENT).status_code == 303
    page = city.get(f"{BASE}/{TYPE}").get_data(as_text=True)
    assert "需填写:报告内容" in page and "且需权限「设计字段」" in page
    editor = api_client("lixia", "editor")
    record = file_one(editor, "lixia")
    accepted = editor.post(f"/api/v1/lixia/entities/{TYPE}/{record['id']}/transitions/step_1", json={},
                           headers={"If-Match": f'"{record["version"]}"'}).json
    # The editor's role may fire it, but the role lacks the permission.
    assert editor.post(f"/api/v1/lixia/entities/{TYPE}/{record['id']}/transitions/step_3", json={},
                       headers={"If-Match": f'"{accepted["version"]}"'}).status_code == 403
    admin = api_client("lixia", "admin")
    empty = admin.post(f"/api/v1/lixia/entities/{TYPE}/{record['id']}/transitions/step_3", json={},
                       headers={"If-Match": f'"{accepted["version"]}"'})
    assert empty.status_code == 422 and "content" in empty.get_data(as_text=True)
    filled = admin.post(f"/api/v1/lixia/entities/{TYPE}/{record['id']}/transitions/step_3",
                        json={"values": {"content": "已补充会议议程。"}}, headers={"If-Match": f'"{accepted["version"]}"'})
    assert filled.status_code == 200, filled.get_data(as_text=True)
    assert filled.json["data"]["content"] == "已补充会议议程。"
    # A field a move asks for cannot be retired from under it.
    retire = city.post(f"{BASE}/{TYPE}/fields/content/retire")
    assert retire.status_code == 409 and "要填写的字段 content 不存在或已停用" in retire.get_data(as_text=True)


def test_transition_fields_and_permission_are_checked(built):
    refused = built.post(f"{BASE}/{TYPE}/transitions", data={**SUPPLEMENT, "fields": ["nope"], "permission": "x.y"})
    assert refused.status_code == 422
    assert errors_of(refused) == {"fields": "要填写的字段需是本类型正在使用的字段", "permission": "请选择平台已有的权限"}


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"name": "association", "label": "协会"}, "name", "已被插件「directory」的记录类型使用，不能覆盖"),
    ({"name": "think_tank", "label": "智库"}, "name", "是平台或插件保留的名称"),
    ({"name": "recycle", "label": "回收"}, "name", "是平台或插件保留的名称"),
    ({"name": "Major", "label": "大写"}, "name", "需以小写英文字母开头"),
    ({"name": "major_report2", "label": ""}, "label", "请填写类型名称"),
])
def test_bad_names_are_refused_in_chinese(app, login_client, form, field, message):
    response = login_client("jinan", "admin").post(f"{BASE}/", data=form)
    assert response.status_code == 422
    assert message in errors_of(response)[field]


def test_a_name_taken_by_another_tenant_is_refused(built, login_client):
    response = login_client("lixia", "admin").post("/lixia/admin/types/", data={"name": IDENT, "label": "同名"})
    assert response.status_code == 422
    assert "已被使用" in errors_of(response)["name"]


def test_builder_forms_refuse_with_messages_beside_the_inputs(built):
    city = built
    field = city.post(f"{BASE}/{TYPE}/fields", data={"name": "state", "label": "状态二", "kind": "text"})
    assert field.status_code == 422 and "state" in field.get_data(as_text=True)
    transition = city.post(f"{BASE}/{TYPE}/transitions", data={"label": "", "target": "不存在"})
    assert transition.status_code == 422
    assert errors_of(transition) == {"label": "请填写操作名称(最多 40 个字),例如 受理",
                                     "target": "请选择执行后的状态", "sources": "请选择可以从哪些状态执行",
                                     "roles": "请选择谁可以执行"}
    report = city.post(f"{BASE}/{TYPE}/reports", data={"title": "求和", "measure": "sum", "field": "content"})
    assert report.status_code == 422
    assert "求和的字段需为可筛选的整数、小数或金额字段" in report.get_data(as_text=True)
    basics = city.post(f"{BASE}/{TYPE}/basics", data={"label": "重大事项报告", "colour": "red"})
    assert basics.status_code == 422 and "颜色需为 #RRGGBB 形式" in basics.get_data(as_text=True)


def test_only_admins_reach_the_builder(built, login_client):
    assert login_client("lixia", "editor").get("/lixia/admin/types/").status_code == 403
    lixia_admin = login_client("lixia", "admin")
    index = lixia_admin.get("/lixia/admin/types/").get_data(as_text=True)
    assert "上级发布的类型" in index and "重大事项报告" in index
    # The city's type is changed only in the city.
    assert lixia_admin.get(f"/lixia/admin/types/{TYPE}").status_code == 404


def test_the_exported_file_imports_into_a_fresh_instance_as_the_same_type(built, app, tmp_path, quanhui_databases):
    from core.web.app import create_app
    from core.testing import QuanhuiClient

    assert built.post(f"{BASE}/{TYPE}/transitions", data=SUPPLEMENT).status_code == 303
    exported = built.get(f"{BASE}/{TYPE}/export")
    assert exported.status_code == 200
    assert f'filename="{IDENT}.quanhui-type.json"' in exported.headers["Content-Disposition"]
    definition = json.loads(exported.get_data(as_text=True))
    assert definition["transitions"][-1]["fields"] == ["content"]
    assert definition["transitions"][-1]["permission"] == "entities.design"

    other = create_app({"TESTING": True, "QUANHUI_DATABASE_URL": quanhui_databases.fresh(()),
                        "QUANHUI_SECRET_KEY": "another-city"})
    other.test_client_class = QuanhuiClient
    try:
        admin = _admin_client(other)
        upload = {"file": (io.BytesIO(exported.get_data()), f"{TYPE}.quanhui-type.json")}
        response = admin.post("/jinan/admin/types/import", data=upload, content_type="multipart/form-data")
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        again = admin.get(f"/jinan/admin/types/{TYPE}/export")
        assert json.loads(again.get_data(as_text=True)) == definition
        twice = admin.post("/jinan/admin/types/import", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(exported.get_data()), "again.json")})
        assert twice.status_code == 422 and "已被使用" in twice.get_data(as_text=True)
        unknown = {**definition, "name": "other_report",
                   "transitions": [*definition["transitions"][:-1], {**SUPPLEMENT, "name": "step_3", "permission": "gone.right"}]}
        refused = admin.post("/jinan/admin/types/import", content_type="multipart/form-data",
                             data={"file": (io.BytesIO(json.dumps(unknown).encode()), "unknown.json")})
        assert refused.status_code == 422 and "流程操作用到的权限 gone.right 在本平台不存在" in refused.get_data(as_text=True)
        bad = admin.post("/jinan/admin/types/import", content_type="multipart/form-data",
                         data={"file": (io.BytesIO(b"not json"), "x.json")})
        assert bad.status_code == 422 and "不是 UTF-8 编码的 JSON" in bad.get_data(as_text=True)
    finally:
        other.extensions["quanhui.db"].engine.dispose()


def _admin_client(app):
    from core.auth.accounts import create_user
    from core.tenancy import TenantScope, tenant_by_slug, use_scope
    from core.testing import TEST_PASSWORD

    with app.app_context():
        city = tenant_by_slug(session, "jinan")
        with use_scope(session, TenantScope.of(city)):
            create_user(session, city, "other-admin", TEST_PASSWORD, role="admin", display_name="另一城市管理员")
            session.commit()
    client = app.test_client()
    client.login("other-admin")
    return client


def test_the_types_are_built_once_per_tenant_until_a_definition_changes(built, app, tenant):
    from core.entities.registry import EntityRegistry

    registry: EntityRegistry = app.extensions["quanhui.entities"]
    lixia = tenant("lixia")
    with app.app_context():
        first = registry.built(session, lixia)
        assert registry.built(session, lixia) is first
        assert list(first.types) == [TYPE] and list(first.reports) == [f"{TYPE}.report_1"]
    assert built.post(f"{BASE}/{TYPE}/basics", data={"label": "重大事项请示报告"}).status_code == 303
    with app.app_context():
        again = registry.built(session, lixia)
        assert again is not first and again.types[TYPE].label == "重大事项请示报告"


def test_a_stored_type_named_like_a_plugin_type_never_shadows_it(app, tenant):
    """The builder refuses such a name; a row that has one anyway (a plugin installed later)
    is left out, and the plugin's type is the one in use."""
    from core.entities import service_for
    from core.entities.record_types import Definition, RecordType
    from core.entities.definitions import Field
    from core.tenancy import TenantScope, use_scope

    city = tenant("jinan")
    with app.app_context(), use_scope(session, TenantScope.of(city)):
        definition = Definition("association", "冒名的类型", fields=(Field("title", "标题"),), title_field="title")
        session.add(RecordType(tenant_id=city.id, name="association", label="冒名的类型",
                               definition=definition.to_json(), published=True, version=1))
        session.flush()
        session.add(RecordTypeVersion(tenant_id=city.id, record_type_id=session.scalar(select(RecordType.id)),
                                      version=1, definition=definition.to_json(), published=True, summary="直接写入"))
        session.commit()
        service = service_for(city)
        assert service.type("association").label == "协会商会"
        assert [t.label for t in service.types()].count("冒名的类型") == 0


def test_the_command_line_exports_and_imports_the_same_file_as_the_web(built, app, tmp_path):
    from core.cli import make_cli
    from core.entities.record_types import RecordType
    from core.tenancy import Tenant

    runner, cli = app.test_cli_runner(), make_cli()
    path = tmp_path / "major.json"
    exported = runner.invoke(cli, ["types", "export", TYPE, "--tenant", "jinan", "-o", str(path)])
    assert exported.exit_code == 0, exported.output
    web = built.get(f"{BASE}/{TYPE}/export").get_data(as_text=True)
    assert path.read_text(encoding="utf-8") == web + "\n"
    printed = runner.invoke(cli, ["types", "export", TYPE, "--tenant", "jinan"])
    assert json.loads(printed.output) == json.loads(web)
    # The city's type is the city's: a district exports only what it built.
    foreign = runner.invoke(cli, ["types", "export", TYPE, "--tenant", "lixia"])
    assert foreign.exit_code == 1 and f"历下区没有自己搭建的记录类型 {TYPE}" in foreign.output

    taken = runner.invoke(cli, ["types", "import", str(path), "--tenant", "lixia"])
    assert taken.exit_code == 1 and "类型标识 major_report 已被使用" in taken.output
    copy = tmp_path / "copy.json"
    copy.write_text(json.dumps({**json.loads(web), "name": "lixia_report", "label": "历下重大事项"}), encoding="utf-8")
    imported = runner.invoke(cli, ["types", "import", str(copy), "--tenant", "lixia"])
    assert imported.exit_code == 0, imported.output
    assert "已导入记录类型「历下重大事项」(t2__lixia_report),尚未发布" in imported.output
    with app.app_context(), system_scope(session):
        row = session.scalar(select(RecordType).where(RecordType.name == "t2__lixia_report"))
        event = session.scalar(select(AuditEvent).where(AuditEvent.target == "t2__lixia_report"))
        lixia = session.scalar(select(Tenant).where(Tenant.slug == "lixia"))
        version = session.scalar(select(RecordTypeVersion).where(RecordTypeVersion.record_type_id == row.id))
        assert (row.tenant_id, row.published) == (lixia.id, False)
        # No one signed in: the log and the version say the change came from the command line.
        assert (event.action, event.actor, event.actor_id) == ("record_type.created", "命令行", None)
        assert version.by_name == "命令行"
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\xff not json")
    refused = runner.invoke(cli, ["types", "import", str(garbage), "--tenant", "lixia"])
    assert refused.exit_code == 1 and "文件不是 UTF-8 编码的 JSON" in refused.output
