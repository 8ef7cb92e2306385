"""quanhui_validate_entity sees the values before the change typed like the new ones, who is
changing the record, which record, and what is being done to it; hooks written for plugin
API 0.1 (tenant, entity_type, data, previous) keep working."""
import types
from decimal import Decimal

import pytest

from core.api import PluginMeta, State, Transition, Workflow, hookimpl
from core.entities.definitions import EntityType, Field

HX = {"HX-Request": "true"}
SEEN: list[dict] = []


def grants_plugin():
    module = types.ModuleType("grants_plugin")
    module.meta = PluginMeta(name="grants", title="资助", version="1.0.0")
    flow = Workflow(
        field="stage", initial="申请",
        states=(State("申请"), State("已批准", final=True)),
        transitions=(Transition("approve", "批准", sources=("申请",), target="已批准"),),
    )
    grant = EntityType("grant", "资助项目", workflow=flow, fields=(
        Field("name", "名称", required=True, listed=True),
        Field("amount", "金额", kind="money"),
    ))
    module.quanhui_entity_types = hookimpl(lambda: [grant])

    def quanhui_validate_entity(entity_type, data, before, actor, entity_id, action):
        if entity_type.name == "grant":
            SEEN.append({"before": before, "actor": actor.username if actor else None,
                         "entity_id": entity_id, "action": action, "amount": data.get("amount")})

    module.quanhui_validate_entity = hookimpl(quanhui_validate_entity)
    return module


def legacy_plugin():
    module = types.ModuleType("legacy_plugin")
    module.meta = PluginMeta(name="legacy", title="旧插件", version="0.1.0")

    def quanhui_validate_entity(tenant, entity_type, data, previous):
        if entity_type.name == "grant" and previous is not None:
            assert isinstance(previous.get("amount"), str)  # 0.1 gave the stored JSON
        if entity_type.name == "grant" and data.get("name") == "禁止":
            return {"name": "旧插件拒绝了这个名称"}

    module.quanhui_validate_entity = hookimpl(quanhui_validate_entity)
    return module


pytestmark = [
    pytest.mark.quanhui_plugins(grants_plugin(), legacy_plugin()),
    pytest.mark.enable_plugins("grants", "legacy", tenants=["lixia"]),
]


@pytest.fixture(autouse=True)
def fresh_log():
    SEEN.clear()


def test_the_hook_is_told_who_does_what_to_which_record_with_typed_values_before(login_client):
    editor = login_client("lixia", "editor", username="wang-editor")
    created = editor.post("/lixia/entities/grant/", headers=HX, data={"name": "科技创新", "amount": "1200.50"})
    record = int(created.headers["HX-Redirect"].rstrip("/").split("/")[-1])
    assert SEEN[-1] == {"before": None, "actor": "wang-editor", "entity_id": None, "action": "create",
                        "amount": Decimal("1200.50")}

    saved = editor.post(f"/lixia/entities/grant/{record}", headers=HX,
                        data={"version": "1", "name": "科技创新专项", "amount": "1200.50"})
    assert saved.status_code == 204
    update = SEEN[-1]
    assert update["action"] == "update" and update["entity_id"] == record
    assert update["before"]["amount"] == Decimal("1200.50") and update["before"]["name"] == "科技创新"


def test_a_transition_is_named_to_the_hook(login_client):
    admin = login_client("lixia", "admin")
    created = admin.post("/lixia/entities/grant/", headers=HX, data={"name": "人才引进", "amount": "80"})
    record = int(created.headers["HX-Redirect"].rstrip("/").split("/")[-1])
    approved = admin.post(f"/lixia/entities/grant/{record}/transitions/approve", headers=HX, data={"version": "1"})
    assert approved.status_code == 204
    assert SEEN[-1]["action"] == "transition:approve" and SEEN[-1]["before"]["amount"] == Decimal("80")


def test_a_hook_written_for_api_0_1_still_refuses_and_gets_the_stored_json(login_client):
    admin = login_client("lixia", "admin")
    refused = admin.post("/lixia/entities/grant/", headers=HX, data={"name": "禁止", "amount": "1"})
    assert refused.status_code == 422 and "旧插件拒绝了这个名称" in refused.get_data(as_text=True)
    created = admin.post("/lixia/entities/grant/", headers=HX, data={"name": "可以", "amount": "1"})
    record = int(created.headers["HX-Redirect"].rstrip("/").split("/")[-1])
    saved = admin.post(f"/lixia/entities/grant/{record}", headers=HX, data={"version": "1", "name": "可以2", "amount": "2"})
    assert saved.status_code == 204
