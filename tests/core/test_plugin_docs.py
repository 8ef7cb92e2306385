"""The examples of docs/plugins/entities.md work as written, as one plugin."""
import re
import types
from pathlib import Path

import pytest

from core.api import PluginMeta
from core.entities import service_for
from core.entities.uscc import make
from core.tenancy import TenantScope, use_scope

DOC = Path(__file__).parents[2] / "docs" / "plugins" / "entities.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def documented_plugin():
    module = types.ModuleType("documented_plugin")
    module.meta = PluginMeta(name="selfcheck", title="自查", version="1.0.0")
    for block in BLOCKS:
        if "current_service()" not in block:  # the service example runs inside a request
            exec(compile(block, str(DOC), "exec"), module.__dict__)
    return module


@pytest.mark.quanhui_plugins(documented_plugin())
@pytest.mark.enable_plugins("selfcheck", tenants=["lixia"])
def test_the_documented_type_and_its_field_on_the_directory_work(app, db_session, tenant, login_client):
    lixia = tenant("lixia")
    with use_scope(db_session, TenantScope.of(lixia)):
        service = service_for(lixia)
        association = service.create(service.type("association"), {
            "name": "历下区软件协会", "uscc": make("5", "1", "370102", 7), "category": "行业协会"})
        service.create(service.type("self_report"), {
            "title": "关于出借印章的自查", "association": association.id, "situation": "出借证书印章"})
        association_id = association.id
        service.commit()
    viewer = login_client("lixia", "viewer")
    listed = viewer.get("/api/v1/lixia/entities/self_report?situation=出借证书印章").json
    assert [item["data"]["title"] for item in listed["items"]] == ["关于出借印章的自查"]
    directory_entry = viewer.get(f"/api/v1/lixia/entities/association/{association_id}").json
    assert "pairing_capacity" in directory_entry["data"]  # the field the plugin added when enabled
