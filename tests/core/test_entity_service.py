"""The one path every record change takes: validation, versions, revisions, projections, events."""
import datetime
import types

import pytest
from alembic import command
from sqlalchemy import select

from core.api import PluginMeta, hookimpl
from core.entities import service_for
from core.entities.definitions import EntityType, Field
from core.entities.models import EntityRevision, EntityValue
from core.entities.query import search
from core.entities.service import Conflict, Invalid
from core.migrations import alembic_config, upgrade
from core.tenancy import TenantScope, use_scope

VALID = {"name": "济南市软件行业协会", "uscc": "51420000MJH200395N", "category": "行业协会", "tags": ["党建示范", "联合会会员"]}


def projections(db_session, entity_id):
    rows = db_session.scalars(select(EntityValue).where(EntityValue.entity_id == entity_id))
    return sorted((v.field, v.text_value or (v.num_value and int(v.num_value)) or v.date_value) for v in rows)


def test_a_record_is_stored_with_defaults_a_revision_and_its_projections(lixia_service, db_session):
    association = lixia_service.type("association")
    entity = lixia_service.create(association, {**VALID, "member_count": "120", "registered_on": "2015-06-01"})
    lixia_service.commit()
    assert entity.data["status"] == "正常" and entity.data["member_count"] == 120
    assert [(r.action, r.version, r.before) for r in lixia_service.revisions(entity)] == [("create", 1, None)]
    assert ("tags", "党建示范") in projections(db_session, entity.id)
    assert ("member_count", 120) in projections(db_session, entity.id)
    assert ("registered_on", datetime.date(2015, 6, 1)) in projections(db_session, entity.id)


def test_every_fault_is_reported_at_once_in_chinese(lixia_service):
    association = lixia_service.type("association")
    with pytest.raises(Invalid) as refused:
        lixia_service.create(association, {"uscc": "1234", "category": "协会", "member_count": -1, "nickname": "x",
                                           "contact_phone": "12345", "registered_on": "2015-13-01"})
    errors = refused.value.errors
    assert errors["name"] == ["此项必填"]
    assert errors["uscc"] == ["统一社会信用代码应为 18 位,当前为 4 位"]
    assert errors["category"] == ["请从以下选项中选择:行业协会、商会、异地商会、其他"]
    assert errors["member_count"] == ["应在 0 到 100000 之间"]
    assert errors["nickname"] == ["没有这个字段"]
    assert errors["contact_phone"][0].startswith("请输入手机号")
    assert errors["registered_on"] == ["请输入日期,格式如 2024-05-01"]


def test_an_update_bumps_the_version_and_a_stale_one_is_a_conflict(lixia_service):
    association = lixia_service.type("association")
    entity = lixia_service.create(association, VALID)
    lixia_service.update(association, entity, {"member_count": 80}, expected_version=1)
    lixia_service.commit()
    assert entity.version == 2
    revision = lixia_service.revisions(entity)[-1]
    assert revision.before.get("member_count") is None and revision.after["member_count"] == 80
    with pytest.raises(Conflict) as conflict:
        lixia_service.update(association, entity, {"member_count": 1}, expected_version=1)
    assert conflict.value.current.version == 2


def test_saving_unchanged_data_writes_no_revision(lixia_service):
    association = lixia_service.type("association")
    entity = lixia_service.create(association, VALID)
    lixia_service.update(association, entity, {"name": VALID["name"]}, expected_version=1)
    assert entity.version == 1 and len(lixia_service.revisions(entity)) == 1


def test_delete_drops_projections_and_restore_brings_them_back(lixia_service, db_session):
    association = lixia_service.type("association")
    entity = lixia_service.create(association, VALID)
    lixia_service.delete(association, entity)
    assert projections(db_session, entity.id) == []
    lixia_service.restore(association, entity)
    assert ("name", VALID["name"]) in projections(db_session, entity.id)
    assert [r.action for r in lixia_service.revisions(entity)] == ["create", "delete", "restore"]


def found(service, entity_type, words: str) -> list[int]:
    return [entity.id for entity in search(service.session, entity_type, tenant=service.tenant, q=words).items]


def test_the_search_finds_any_indexed_text_whatever_its_case_and_follows_edits(lixia_service):
    association = lixia_service.type("association")
    entity = lixia_service.create(association, {**VALID, "name": "济南市Software协会"})
    assert found(lixia_service, association, "software 党建示范") == [entity.id]
    assert found(lixia_service, association, "SOFTWARE") == [entity.id]
    assert found(lixia_service, association, "示范联合会") == []  # two values never make one match
    lixia_service.update(association, entity, {**entity.data, "tags": ["科技"]}, entity.version)
    assert found(lixia_service, association, "党建示范") == []
    lixia_service.delete(association, entity)
    assert found(lixia_service, association, "software") == []


def test_records_saved_before_the_search_texts_existed_are_found_after_the_upgrade(app, lixia_service):
    association = lixia_service.type("association")
    entity = lixia_service.create(association, {**VALID, "name": "济南市Software协会"})
    lixia_service.commit()
    engine = app.extensions["quanhui.db"].engine
    with engine.begin() as connection:
        command.downgrade(alembic_config(app.extensions["quanhui.plugins"], connection), "0009_rollup_cache")
    upgrade(engine, app.extensions["quanhui.plugins"])
    assert found(lixia_service, association, "software 联合会会员") == [entity.id]


def watching_plugin(seen):
    module = types.ModuleType("watching_plugin")
    module.meta = PluginMeta(name="watching", title="观察", version="1.0.0")
    project = EntityType("watching_project", "项目", fields=(
        Field("name", "名称", required=True, indexed=True),
        Field("association", "协会", kind="reference", target="association", indexed=True),
        Field("amount", "投资额", kind="money"),
    ))
    module.quanhui_entity_types = hookimpl(lambda: [project])

    def quanhui_validate_entity(tenant, entity_type, data, previous):
        if entity_type.name == "watching_project" and data.get("name") == "禁止":
            return {"name": "这个名称不能用"}

    def quanhui_entity_changed(session, tenant, entity_type, entity_id, action, before, after):
        seen.append((tenant.slug, entity_type.name, action))

    module.quanhui_validate_entity = hookimpl(quanhui_validate_entity)
    module.quanhui_entity_changed = hookimpl(quanhui_entity_changed)
    return module


SEEN: list = []


@pytest.mark.quanhui_plugins(watching_plugin(SEEN))
@pytest.mark.enable_plugins("watching", tenants=["lixia"])
def test_plugins_validate_records_and_hear_of_changes_only_after_commit(app, db_session, tenant):
    SEEN.clear()
    lixia = tenant("lixia")
    with use_scope(db_session, TenantScope.of(lixia)):
        service = service_for(lixia)
        project = service.type("watching_project")
        with pytest.raises(Invalid) as refused:
            service.create(project, {"name": "禁止"})
        assert refused.value.errors == {"name": ["这个名称不能用"]}
        with pytest.raises(Invalid) as dangling:
            service.create(project, {"name": "落地项目", "association": 999999})
        assert dangling.value.errors == {"association": ["关联的记录不存在或已删除"]}
        association = service.create(service.type("association"), VALID)
        service.create(project, {"name": "落地项目", "association": association.id, "amount": "1200000.50"})
        assert SEEN == []
        service.commit()
    assert SEEN == [("lixia", "association", "create"), ("lixia", "watching_project", "create")]


@pytest.mark.quanhui_plugins(watching_plugin(SEEN))
@pytest.mark.enable_plugins("watching", tenants=["lixia"])
def test_a_plugins_type_exists_only_where_the_plugin_is_enabled(app, db_session, tenant):
    for slug, expected in (("lixia", True), ("shizhong", False)):
        place = tenant(slug)
        with use_scope(db_session, TenantScope.of(place)):
            assert (service_for(place).type("watching_project") is not None) is expected


def test_money_keeps_fen_and_refuses_a_third_decimal(lixia_service):
    schema_type = EntityType("budget", "经费", fields=(Field("name", "名称"), Field("amount", "金额", kind="money")))
    lixia_service.validate(schema_type, {"name": "党建经费", "amount": "22000000.00"})
    with pytest.raises(Invalid) as refused:
        lixia_service.validate(schema_type, {"name": "党建经费", "amount": "1.005"})
    assert refused.value.errors == {"amount": ["金额最多保留两位小数(分)"]}


def test_revisions_are_tenant_owned_rows(lixia_service, db_session, tenant):
    entity = lixia_service.create(lixia_service.type("association"), VALID)
    lixia_service.commit()
    shizhong = tenant("shizhong")
    with use_scope(db_session, TenantScope.of(shizhong)):
        assert db_session.scalars(select(EntityRevision).where(EntityRevision.entity_id == entity.id)).all() == []


def test_text_that_no_database_can_store_is_refused(lixia_service):
    association = lixia_service.type("association")
    with pytest.raises(Invalid) as refused:
        lixia_service.create(association, {**VALID, "name": "协会\x00名称", "tags": ["a\ud800"]})
    assert refused.value.errors["name"] == ["含有控制字符（如换行、制表符或看不见的字符），请删除后重试"]
    assert "tags" in refused.value.errors


def test_a_record_takes_at_most_twenty_tags(lixia_service):
    with pytest.raises(Invalid) as refused:
        lixia_service.create(lixia_service.type("association"), {**VALID, "tags": [f"标签{n}" for n in range(21)]})
    assert refused.value.errors["tags"] == ["最多 20 个标签"]


def test_an_admin_may_confirm_a_real_code_whose_check_character_is_wrong(app, db_session, tenant, make_user):
    from core.audit import AuditEvent
    from core.tenancy import system_scope

    lixia = tenant("lixia")
    pilot = "51420000MJH2003664"  # real in DOMAIN.md's sense: only its check character is off
    for role, allowed in (("editor", False), ("admin", True)):
        with use_scope(db_session, TenantScope.of(lixia)):
            service = service_for(lixia, actor=make_user("lixia", role))
            association = service.type("association")
            with pytest.raises(Invalid) as refused:
                service.create(association, {**VALID, "uscc": pilot})
            assert refused.value.errors["uscc"] == ["校验位应为 N,实际为 4"]
            if not allowed:
                with pytest.raises(Invalid) as denied:
                    service.create(association, {**VALID, "uscc": pilot, "_confirm": ["uscc"]})
                assert denied.value.errors["uscc"] == ["您没有确认例外代码的权限,请联系管理员"]
                continue
            entity = service.create(association, {**VALID, "uscc": pilot, "_confirm": ["uscc"]})
            assert entity.data["uscc"] == pilot and entity.data["_confirmed"] == {"uscc": pilot}
            service.update(association, entity, {"member_count": 30}, expected_version=1)  # still accepted
            with pytest.raises(Invalid):  # a different wrong code needs its own confirmation
                service.update(association, entity, {"uscc": "51420000MJH2003654"}, expected_version=2)
            service.commit()
    with system_scope(db_session):
        assert db_session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "entity.code_confirmed")) == {"code": pilot}


def usurper():
    module = types.ModuleType("usurper_plugin")
    module.meta = PluginMeta(name="usurper", title="冒名", version="1.0.0")
    fake = EntityType("association", "冒名的协会", fields=(Field("name", "名称"),))
    module.quanhui_entity_types = hookimpl(lambda: [fake])
    return module


@pytest.mark.quanhui_plugins(usurper())
def test_a_later_plugin_cannot_take_over_a_type_name(app):
    association = app.extensions["quanhui.entities"].types["association"]
    assert association.plugin == "directory" and association.label == "协会商会"
