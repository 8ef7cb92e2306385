"""The field designer: tenant admins add fields to any type without code.

A field the city adds applies in every district; a district's own field stays in that
district; retiring a field hides it and keeps its data; every change is audited.
"""

import pytest
from sqlalchemy import func, select

from core.audit import AuditEvent
from core.db import session
from core.entities.models import CustomField, EntityValue
from core.entities.registry import custom_fields
from core.tenancy import system_scope
from tests.entity_helpers import create, service

PHONE_MESSAGE = "请输入手机号(11 位,1 开头)或座机号(如 0531-86123456)"
RETIRE_CONFIRM = "停用后该字段从表单和列表中隐藏,已有数据保留,可随时恢复。"
HTMX = {"HX-Request": "true"}
def field_names(app, slug, type_name="association"):
    with app.app_context():
        return [f.name for f in service(app, slug).type(type_name).fields]


def add(client, slug, **form):
    data = {"kind": "text", **form}
    return client.post(f"/{slug}/admin/fields/association", data=data, headers=HTMX)


def audit_actions(app, target):
    with app.app_context(), system_scope(session):
        return session.scalars(
            select(AuditEvent.action).where(AuditEvent.target == target).order_by(AuditEvent.id)
        ).all()


PRESIDENT_PHONE = {"name": "president_phone", "label": "会长手机号", "kind": "phone", "required": "1"}


def test_a_district_field_is_required_in_that_district_and_absent_next_door(app, login_client):
    lixia = login_client("lixia", "admin")
    response = add(lixia, "lixia", **PRESIDENT_PHONE)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "已添加字段「会长手机号」" in page and 'data-field="president_phone"' in page

    assert create(app, "lixia") == {"president_phone": ["此项必填"]}
    assert create(app, "lixia", president_phone="12345") == {"president_phone": [PHONE_MESSAGE]}
    assert isinstance(create(app, "lixia", president_phone="13905310000"), int)

    assert "president_phone" in field_names(app, "lixia")
    assert "president_phone" not in field_names(app, "shizhong")
    assert isinstance(create(app, "shizhong"), int)
    assert create(app, "shizhong", president_phone="13905310000") == {"president_phone": ["没有这个字段"]}
    shizhong_page = login_client("shizhong", "admin").get("/shizhong/admin/fields/association").get_data(as_text=True)
    assert 'data-field="president_phone"' not in shizhong_page
    assert audit_actions(app, "association.president_phone") == ["field.added"]


def test_a_city_field_applies_in_every_district(app, login_client):
    city = login_client("jinan", "admin")
    assert add(city, "jinan", name="party_secretary", label="党组织书记").status_code == 200

    for slug in ("jinan", "lixia", "shizhong"):
        assert "party_secretary" in field_names(app, slug)
    lixia_page = login_client("lixia", "admin").get("/lixia/admin/fields/association").get_data(as_text=True)
    assert "党组织书记" in lixia_page and "上级添加 · 济南市" in lixia_page
    assert isinstance(create(app, "shizhong", party_secretary="张三"), int)


def test_the_city_cannot_take_a_name_a_district_already_uses(app, login_client):
    lixia = login_client("lixia", "admin")
    assert add(lixia, "lixia", name="secretary", label="秘书长").status_code == 200
    refused = add(login_client("jinan", "admin"), "jinan", name="secretary", label="秘书长姓名")
    assert refused.status_code == 422
    assert "下级单位(历下区)已添加字段名为 secretary 的字段,请换一个" in refused.get_data(as_text=True)
    assert "secretary" not in field_names(app, "shizhong")


def test_name_clashes_and_bad_definitions_are_refused_beside_the_input(app, login_client):
    city = login_client("jinan", "admin")
    assert add(city, "jinan", name="party_secretary", label="党组织书记").status_code == 200
    lixia = login_client("lixia", "admin")
    assert add(lixia, "lixia", name="secretary", label="秘书长").status_code == 200

    cases = [
        ({"name": "uscc", "label": "代码"}, "字段名 uscc 已被系统字段「统一社会信用代码」使用"),
        ({"name": "party_secretary", "label": "书记"}, "字段名 party_secretary 已被上级单位(济南市)添加的字段「党组织书记」使用"),
        ({"name": "secretary", "label": "秘书"}, "本单位已有字段名为 secretary 的字段「秘书长」"),
        ({"name": "Secretary", "label": "秘书"}, "字段名需以小写英文字母开头"),
        ({"name": "version", "label": "版本"}, "version 是系统保留的名称"),
        ({"name": "", "label": "秘书"}, "请填写字段名(英文标识)"),
        ({"name": "level", "label": ""}, "请填写中文名称"),
        ({"name": "level", "label": "名称"}, "中文名称与已有字段「名称」(name)相同"),
        ({"name": "level", "label": "等级", "kind": "choice"}, "单选和多选字段至少需要一个选项"),
        ({"name": "level", "label": "等级", "kind": "choice", "choices": "一级\n二级", "default": "三级"},
         "默认值不合适:请从以下选项中选择:一级、二级"),
        ({"name": "staff", "label": "职工数", "kind": "integer", "default": "很多"}, "默认值不合适:请输入整数"),
        ({"name": "staff", "label": "职工数", "kind": "integer", "minimum": "10", "maximum": "5"}, "最大值不能小于最小值"),
        ({"name": "staff", "label": "职工数", "kind": "integer", "minimum": "0", "default": "-1"}, "默认值不合适:不能小于 0"),
        ({"name": "office_phone", "label": "办公电话", "kind": "phone", "default": "12345"},
         f"默认值不合适:{PHONE_MESSAGE}"),
        ({"name": "parent", "label": "上级协会", "kind": "reference"}, "关联记录需要选择关联的类型"),
        ({"name": "parent", "label": "上级协会", "kind": "reference", "target": "nothing"}, "关联的类型不存在或在本单位未启用"),
        ({"name": "notes", "label": "备注", "kind": "long_text", "indexed": "1"}, "多行文本内容较长,不能用于筛选和排序"),
        ({"name": "level", "label": "等级", "kind": "spreadsheet"}, "请选择字段类型"),
    ]
    for form, message in cases:
        response = add(lixia, "lixia", **form)
        body = response.get_data(as_text=True)
        assert response.status_code == 422, form
        assert response.headers["HX-Retarget"] == "#field-form"
        assert message in body, (form, body[:3000])
        assert 'class="error" data-error=' in body
    with app.app_context(), system_scope(session):
        assert session.scalar(select(func.count(CustomField.id))) == 2


def test_a_default_and_a_minimum_of_zero_survive(app, login_client):
    lixia = login_client("lixia", "admin")
    form = {"name": "staff", "label": "职工数", "kind": "integer", "minimum": "0", "default": "0"}
    assert add(lixia, "lixia", **form).status_code == 200
    form = {"name": "founded", "label": "成立日期", "kind": "date", "default": "2020-01-01"}
    assert add(lixia, "lixia", **form).status_code == 200
    entity_id = create(app, "lixia")
    with app.app_context():
        svc = service(app, "lixia")
        data = svc.get(svc.type("association"), entity_id).data
        assert data["staff"] == 0 and data["founded"] == "2020-01-01"
        assert svc.type("association").field("staff").minimum == 0
    assert create(app, "lixia", staff=-3) == {"staff": ["不能小于 0"]}


def test_retiring_hides_the_field_and_keeps_its_data_and_restoring_brings_it_back(app, login_client):
    lixia = login_client("lixia", "admin")
    assert add(lixia, "lixia", name="secretary", label="秘书长").status_code == 200
    page = lixia.get("/lixia/admin/fields/association").get_data(as_text=True)
    assert RETIRE_CONFIRM in page
    entity_id = create(app, "lixia", secretary="李四")

    retired = lixia.post("/lixia/admin/fields/association/secretary/retire", headers=HTMX)
    assert retired.status_code == 200
    body = retired.get_data(as_text=True)
    assert "已停用的字段" in body and "恢复" in body
    assert "secretary" not in field_names(app, "lixia")
    with app.app_context():
        svc = service(app, "lixia")
        entity = svc.get(svc.type("association"), entity_id)
        assert entity.data["secretary"] == "李四"
        svc.update(svc.type("association"), entity, {"address": "历下区泉城路 1 号"}, entity.version)
        svc.commit()
        assert svc.get(svc.type("association"), entity_id).data["secretary"] == "李四"
    assert create(app, "lixia", secretary="王五") == {"secretary": ["没有这个字段"]}
    refused = add(lixia, "lixia", name="secretary", label="秘书")
    assert "本单位已停用的字段「秘书长」使用了字段名 secretary,可在「已停用」中恢复它" in refused.get_data(as_text=True)

    assert lixia.post("/lixia/admin/fields/association/secretary/restore", headers=HTMX).status_code == 200
    assert "secretary" in field_names(app, "lixia")
    assert audit_actions(app, "association.secretary") == ["field.added", "field.retired", "field.restored"]


def test_editing_keeps_name_and_kind_and_warns_how_many_records_lack_a_newly_required_value(app, login_client):
    lixia = login_client("lixia", "admin")
    assert add(lixia, "lixia", name="secretary", label="秘书长").status_code == 200
    create(app, "lixia")
    create(app, "lixia")
    create(app, "lixia", secretary="李四")

    form_page = lixia.get("/lixia/admin/fields/association/secretary/edit").get_data(as_text=True)
    assert "字段名和类型创建后不能修改" in form_page and 'id="edit-form"' in form_page
    changed = lixia.post(
        "/lixia/admin/fields/association/secretary",
        data={"label": "秘书长姓名", "required": "1", "name": "hijack", "kind": "integer"}, headers=HTMX,
    )
    assert changed.status_code == 200
    body = changed.get_data(as_text=True)
    assert "目前有 2 条记录尚未填写「秘书长姓名」" in body
    with app.app_context():
        field = service(app, "lixia").type("association").field("secretary")
        assert (field.label, field.kind, field.required) == ("秘书长姓名", "text", True)
    assert create(app, "lixia") == {"secretary": ["此项必填"]}

    refused = lixia.post("/lixia/admin/fields/association/secretary", data={"label": ""}, headers=HTMX)
    assert refused.status_code == 422 and refused.headers["HX-Retarget"] == "#edit-form"
    assert "请填写中文名称" in refused.get_data(as_text=True)
    assert audit_actions(app, "association.secretary") == ["field.added", "field.changed"]


def test_switching_indexed_on_backfills_the_projections(app, login_client):
    lixia = login_client("lixia", "admin")
    assert add(lixia, "lixia", name="secretary", label="秘书长").status_code == 200
    first = create(app, "lixia", secretary="李四")
    create(app, "lixia")

    def projected():
        with app.app_context(), system_scope(session):
            return session.execute(
                select(EntityValue.entity_id, EntityValue.text_value).where(EntityValue.field == "secretary")
            ).all()

    assert projected() == []
    changed = lixia.post("/lixia/admin/fields/association/secretary",
                         data={"label": "秘书长", "indexed": "1", "required": "1"}, headers=HTMX)
    body = changed.get_data(as_text=True)
    assert "已为 2 条记录更新筛选索引" in body and "目前有 1 条记录尚未填写「秘书长」" in body
    assert projected() == [(first, "李四")]


def test_a_city_field_switched_to_indexed_is_projected_in_the_districts_too(app, login_client):
    city = login_client("jinan", "admin")
    assert add(city, "jinan", name="party_secretary", label="党组织书记").status_code == 200
    lixia_id = create(app, "lixia", party_secretary="张三")
    city.post("/jinan/admin/fields/association/party_secretary", data={"label": "党组织书记", "indexed": "1"}, headers=HTMX)
    with app.app_context(), system_scope(session):
        rows = session.execute(select(EntityValue.entity_id, EntityValue.text_value)
                               .where(EntityValue.field == "party_secretary")).all()
    assert rows == [(lixia_id, "张三")]


def test_reordering_changes_the_order_the_registry_returns(app, login_client, tenant):
    lixia = login_client("lixia", "admin")
    for name, label in (("alpha", "甲"), ("beta", "乙"), ("gamma", "丙")):
        assert add(lixia, "lixia", name=name, label=label).status_code == 200

    def order():
        with app.app_context():
            return [f.name for f in custom_fields(session, tenant("lixia"), "association")]

    assert order() == ["alpha", "beta", "gamma"]
    moved = lixia.post("/lixia/admin/fields/association/gamma/move", data={"direction": "up"}, headers=HTMX)
    assert moved.status_code == 200
    assert order() == ["alpha", "gamma", "beta"]
    lixia.post("/lixia/admin/fields/association/alpha/move", data={"direction": "down"}, headers=HTMX)
    assert order() == ["gamma", "alpha", "beta"]
    lixia.post("/lixia/admin/fields/association/gamma/move", data={"direction": "up"}, headers=HTMX)
    assert order() == ["gamma", "alpha", "beta"]
    assert field_names(app, "lixia")[-3:] == ["gamma", "alpha", "beta"]


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_only_admins_may_design_fields(app, login_client, role):
    client = login_client("lixia", role)
    assert client.get("/lixia/admin/fields/").status_code == 403
    assert client.get("/lixia/admin/fields/association").status_code == 403
    assert add(client, "lixia", name="secretary", label="秘书长").status_code == 403
    assert "字段设计" not in client.get("/lixia/").get_data(as_text=True)
    with app.app_context(), system_scope(session):
        assert session.scalar(select(func.count(CustomField.id))) == 0


@pytest.mark.parametrize("slug", ["jinan", "lixia"])
def test_the_pages_render_for_the_city_and_a_district(login_client, slug):
    client = login_client(slug, "admin")
    dashboard = client.get(f"/{slug}/").get_data(as_text=True)
    assert f'href="/{slug}/admin/fields/"' in dashboard and "字段设计" in dashboard
    index = client.get(f"/{slug}/admin/fields/")
    assert index.status_code == 200 and "协会商会" in index.get_data(as_text=True)
    page = client.get(f"/{slug}/admin/fields/association")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "系统字段" in body and "统一社会信用代码" in body and "添加字段" in body and "电话" in body
    choice_form = client.get(f"/{slug}/admin/fields/association/new?kind=choice", headers=HTMX).get_data(as_text=True)
    assert 'name="choices"' in choice_form and 'id="field-form"' in choice_form
    assert client.get(f"/{slug}/admin/fields/nothing").status_code == 404
    assert client.get(f"/{slug}/admin/fields/association/uscc/edit").status_code == 404
    assert client.post(f"/{slug}/admin/fields/association/uscc/retire", headers=HTMX).status_code == 404


def test_a_plain_form_post_works_without_htmx(app, login_client):
    lixia = login_client("lixia", "admin")
    response = lixia.post("/lixia/admin/fields/association", data={"name": "secretary", "label": "秘书长", "kind": "text"})
    assert response.status_code == 303 and response.location.endswith("/lixia/admin/fields/association")
    refused = lixia.post("/lixia/admin/fields/association", data={"name": "1x", "label": "", "kind": "text"})
    assert refused.status_code == 422
    assert "请填写中文名称" in refused.get_data(as_text=True)


def test_a_district_sees_the_citys_fields_but_cannot_change_them(app, login_client):
    city = login_client("jinan", "admin")
    form = {"name": "level", "label": "评估等级", "kind": "choice", "choices": "1A\n2A\n3A"}
    assert add(city, "jinan", **form).status_code == 200
    lixia = login_client("lixia", "admin")
    assert add(lixia, "lixia", name="secretary", label="秘书长").status_code == 200

    index = lixia.get("/lixia/admin/fields/").get_data(as_text=True)
    row = index[index.index('id="type-association"'):]
    assert "<td>1</td>\n      <td>1</td>" in row[: row.index("</tr>")]
    for path in ("level/edit", "level/retire", "level/restore", "level/move"):
        method = lixia.get if path.endswith("edit") else lixia.post
        assert method(f"/lixia/admin/fields/association/{path}", headers=HTMX).status_code == 404
    assert "level" in field_names(app, "lixia")

    changed = city.post("/jinan/admin/fields/association/level",
                        data={"label": "评估等级", "choices": "1A\n2A\n3A\n4A\n5A"}, headers=HTMX)
    assert changed.status_code == 200
    assert create(app, "lixia", level="5A") and isinstance(create(app, "lixia", level="5A"), int)
    assert create(app, "lixia", level="6A") == {"level": ["请从以下选项中选择:1A、2A、3A、4A、5A"]}
    refused = city.post("/jinan/admin/fields/association/level", data={"label": "评估等级", "choices": ""}, headers=HTMX)
    assert refused.status_code == 422 and "单选和多选字段至少需要一个选项" in refused.get_data(as_text=True)
