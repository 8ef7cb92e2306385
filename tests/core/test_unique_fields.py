"""Unique fields: the association's credit code is held by one live record in the whole tree.

Refused on the form (inline too), over the API (422 naming the field) and in Excel import
(row and column); the message names the other record's tenant only where the user may see
it; the database's unique keys make exactly one of two concurrent creates win; restoring a
record whose code was reused meanwhile is refused with 409.
"""
import io
import threading

import pytest
from alembic import command
from sqlalchemy import select, update

from core.auth.accounts import create_api_token
from core.cli import make_cli
from core.db import session
from core.entities import excel, service_for
from core.entities.definitions import DefinitionError, Field
from core.entities.models import Entity, EntityUniqueKey, EntityValue
from core.entities.uscc import make
from core.migrations import alembic_config, upgrade
from core.tenancy import TenantScope, set_scope, system_scope, tenant_by_slug

from .test_entity_excel import HEADER, workbook
from .test_entity_pages import HX, VALID, create, entity_id

CODE = VALID["uscc"]


def live_with_code(app, code: str = CODE) -> int:
    with app.app_context(), system_scope(session):
        rows = session.scalars(select(Entity).where(Entity.type == "association", Entity.deleted_at.is_(None))).all()
        return sum(1 for row in rows if row.data.get("uscc") == code)


def test_a_field_declares_its_uniqueness_in_the_tenant_or_the_tree():
    assert Field("code", "编号", unique="tenant").unique == "tenant"
    with pytest.raises(DefinitionError, match="唯一范围"):
        Field("code", "编号", unique="city")
    with pytest.raises(DefinitionError, match="不能设为不可重复"):
        Field("tags", "标签", kind="tags", unique="tree")


def test_a_code_already_held_in_the_tenant_is_refused_on_the_form_and_inline(app, login_client):
    client = login_client("lixia", "editor")
    assert create(client).status_code == 204
    again = create(client, name="另一个协会")
    assert again.status_code == 422
    assert "统一社会信用代码已被本单位的另一条记录使用，不能重复" in again.get_data(as_text=True)
    inline = client.post("/lixia/entities/association/check/uscc", data={"uscc": CODE.lower()}, headers=HX)
    assert "已被本单位的另一条记录使用" in inline.get_data(as_text=True)
    assert live_with_code(app) == 1


def test_editing_a_record_keeps_its_own_code(login_client):
    client = login_client("lixia", "editor")
    target = entity_id(create(client))
    saved = client.post(f"/lixia/entities/association/{target}", data={**VALID, "member_count": "5", "version": "1"},
                        headers=HX)
    assert saved.status_code == 204
    inline = client.post("/lixia/entities/association/check/uscc", data={"uscc": CODE, "entity_id": str(target)},
                         headers=HX)
    assert "不能重复" not in inline.get_data(as_text=True)


def test_a_sibling_district_learns_only_that_the_code_is_taken(app, login_client):
    assert create(login_client("lixia", "editor")).status_code == 204
    sibling = login_client("shizhong", "editor")
    inline = sibling.post("/shizhong/entities/association/check/uscc", data={"uscc": CODE}, headers=HX)
    text = inline.get_data(as_text=True)
    assert "已被其他单位的记录使用，不能重复登记" in text and "历下区" not in text
    refused = create(sibling, "shizhong")
    assert refused.status_code == 422 and "历下区" not in refused.get_data(as_text=True)
    city = login_client("jinan", "admin")
    told = city.post("/jinan/entities/association/check/uscc", data={"uscc": CODE}, headers=HX)
    assert "已被历下区的一条记录使用" in told.get_data(as_text=True)
    assert live_with_code(app) == 1


def test_the_api_answers_422_naming_the_field(app, login_client, make_user):
    assert create(login_client("lixia", "editor")).status_code == 204
    with app.app_context():
        token = create_api_token(session, make_user("lixia", "editor", username="lixia-api"), "数据对接", actor=None)
        session.commit()
    answer = app.test_client().post("/api/v1/lixia/entities/association", json={**VALID, "name": "重复的协会"},
                                    headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 422
    assert "不能重复" in " ".join(answer.get_json()["error"]["fields"]["uscc"])
    assert live_with_code(app) == 1


def import_codes(app, slug, codes):
    rows = [[f"导入的第{n}协会", code, "行业协会", "正常", None, None, None, None] for n, code in enumerate(codes)]
    with app.app_context():
        tenant = tenant_by_slug(session, slug)
        set_scope(session, TenantScope.of(tenant))
        service = service_for(tenant)
        return excel.import_rows(service, service.type("association"), io.BytesIO(workbook(rows, header=HEADER)))


def test_excel_import_names_the_row_and_column_of_a_taken_or_repeated_code(app, login_client):
    assert create(login_client("lixia", "editor")).status_code == 204
    other = make("5", "1", "370102", 77)
    result = import_codes(app, "lixia", [other, CODE, other])
    assert result.created == 0
    assert [str(e) for e in result.errors] == [
        "第 3 行「统一社会信用代码」:统一社会信用代码已被本单位的另一条记录使用，不能重复",
        "第 4 行「统一社会信用代码」:统一社会信用代码与本次导入的另一行重复",
    ]
    assert import_codes(app, "lixia", [other]).created == 1
    assert live_with_code(app, other) == 1


def test_restoring_a_record_whose_code_was_reused_answers_409(app, login_client):
    client = login_client("lixia", "editor")
    first = entity_id(create(client))
    assert client.post(f"/lixia/entities/association/{first}/delete", data={"version": "1"}, headers=HX).status_code == 204
    assert create(client, name="接手这个代码的协会").status_code == 204
    refused = client.post(f"/lixia/entities/association/{first}/restore", headers=HX)
    assert refused.status_code == 409
    assert "不能恢复" in refused.get_data(as_text=True) and "已被本单位的另一条记录使用" in refused.get_data(as_text=True)
    assert live_with_code(app) == 1


def test_two_concurrent_creates_of_one_code_exactly_one_wins(app, make_user):
    """Both requests pass the check before either writes: the unique keys decide."""
    racers = [make_user(slug, "editor", username=f"{slug}-racer") for slug in ("lixia", "shizhong")]
    with app.app_context():
        tokens = [create_api_token(session, racer, "并发", actor=None) for racer in racers]
        session.commit()
    for round_ in range(5):
        code = make("5", "1", "370102", 500 + round_)
        start = threading.Barrier(2)
        statuses = []

        def post(slug, token):
            client = app.test_client()
            start.wait()
            answer = client.post(f"/api/v1/{slug}/entities/association", json={**VALID, "uscc": code},
                                 headers={"Authorization": f"Bearer {token}"})
            statuses.append(answer.status_code)

        threads = [threading.Thread(target=post, args=(slug, token)) for slug, token in zip(("lixia", "shizhong"), tokens)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(statuses)[0] == 201 and statuses.count(201) == 1, statuses
        assert live_with_code(app, code) == 1


def plant_code(app, target: int, code: str) -> None:
    """Give record ``target`` ``code`` behind the service's back, as data saved before codes were unique."""
    with app.app_context(), system_scope(session):
        entity = session.get(Entity, target)
        entity.data = {**entity.data, "uscc": code}
        session.execute(update(EntityValue).where(EntityValue.entity_id == target, EntityValue.field == "uscc")
                        .values(text_value=code))
        session.commit()


def test_the_upgrade_skips_duplicated_codes_and_check_duplicates_lists_them(app, login_client):
    lixia, shizhong = login_client("lixia", "editor"), login_client("shizhong", "editor")
    first = entity_id(create(lixia))
    second = entity_id(create(shizhong, "shizhong", uscc=make("5", "1", "370103", 8)))
    third = entity_id(create(lixia, uscc=make("5", "1", "370102", 9), name="第三个协会"))
    engine, registry = app.extensions["quanhui.db"].engine, app.extensions["quanhui.plugins"]
    with engine.begin() as connection:
        command.downgrade(alembic_config(registry, connection), "0014_login_throttle")
    plant_code(app, second, CODE)
    upgrade(engine, registry)  # does not fail on the duplicate

    with app.app_context(), system_scope(session):
        keyed = set(session.scalars(select(EntityUniqueKey.entity_id)))
    assert keyed == {third}

    runner, cli = app.test_cli_runner(), make_cli()
    found = runner.invoke(cli, ["check", "duplicates"])
    assert found.exit_code == 1
    assert found.output.splitlines() == [f"协会商会「统一社会信用代码」 {CODE}：lixia 的记录 {first}、shizhong 的记录 {second}"]

    # Once the duplicate is gone, the code is the remaining record's and protected again.
    assert shizhong.post(f"/shizhong/entities/association/{second}/delete", headers=HX).status_code == 204
    clean = runner.invoke(cli, ["check", "duplicates"])
    assert clean.exit_code == 0 and clean.output.strip() == "没有被多条记录同时使用的值"
    refused = create(shizhong, "shizhong", name="后来的协会")
    assert refused.status_code == 422 and "已被其他单位的记录使用" in refused.get_data(as_text=True)
    assert live_with_code(app) == 1


def test_an_admin_makes_a_field_unique_in_the_field_designer_and_old_repeats_are_left_for_check(app, login_client):
    from tests.entity_helpers import create as create_in

    admin = login_client("lixia", "admin")
    form = admin.get("/lixia/admin/fields/association").get_data(as_text=True)
    assert "本单位内不能重复" in form and "全市不能重复" in form
    added = admin.post("/lixia/admin/fields/association",
                       data={"name": "member_no", "label": "会员证号", "kind": "text"}, headers=HX)
    assert added.status_code == 200
    first = create_in(app, "lixia", member_no="HY-001")
    second = create_in(app, "lixia", member_no="HY-001")
    create_in(app, "lixia", member_no="HY-002")
    assert isinstance(second, int)  # not unique yet

    changed = admin.post("/lixia/admin/fields/association/member_no",
                         data={"label": "会员证号", "unique": "tenant"}, headers=HX)
    assert changed.status_code == 200
    assert create_in(app, "lixia", member_no="HY-002") == {"member_no": ["会员证号已被本单位的另一条记录使用，不能重复"]}
    assert isinstance(create_in(app, "shizhong"), int)
    found = app.test_cli_runner().invoke(make_cli(), ["check", "duplicates"])
    assert found.output.splitlines() == [f"协会商会「会员证号」 HY-001：lixia 的记录 {first}、lixia 的记录 {second}"]

    refused = admin.post("/lixia/admin/fields/association",
                         data={"name": "topics", "label": "议题", "kind": "tags", "unique": "tree"}, headers=HX)
    assert "这种类型的字段不能设为不可重复" in refused.get_data(as_text=True)


def test_a_field_added_in_the_record_type_builder_can_be_unique_in_the_whole_tree(app, login_client):
    city = login_client("jinan", "admin")
    made = city.post("/jinan/admin/types/", data={"name": "permit", "label": "许可证", "title_label": "许可事项"})
    assert made.status_code == 303
    permit = made.headers["Location"].rstrip("/").split("/")[-1]  # stored under a name that carries its owner
    added = city.post(f"/jinan/admin/types/{permit}/fields",
                      data={"name": "permit_no", "label": "许可证号", "kind": "text", "unique": "tree"})
    assert added.status_code == 303
    assert "全市不能重复" in city.get(f"/jinan/admin/types/{permit}/fields/permit_no").get_data(as_text=True)
    first = city.post(f"/jinan/entities/{permit}/", data={"title": "餐饮许可", "permit_no": "JN-7"}, headers=HX)
    assert first.status_code == 204
    again = city.post(f"/jinan/entities/{permit}/", data={"title": "另一个许可", "permit_no": "JN-7"}, headers=HX)
    assert again.status_code == 422 and "许可证号已被本单位的另一条记录使用，不能重复" in again.get_data(as_text=True)
