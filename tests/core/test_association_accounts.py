"""Association accounts: a user acting for one association sees and changes only what it owns."""
import types

import pytest
from sqlalchemy import select

from core.api import PluginMeta, hookimpl
from core.auth.accounts import AccountError, create_user
from core.auth.models import User
from core.cli import make_cli
from core.entities import service_for
from core.entities.definitions import EntityType, Field
from core.entities.uscc import make
from core.tenancy import TenantScope, system_scope, use_scope
from core.testing import TEST_PASSWORD

HX = {"HX-Request": "true"}


def self_reports():
    """A plugin type owned by associations, like the rectification campaign's self-reports."""
    module = types.ModuleType("self_report_plugin")
    module.meta = PluginMeta(name="selfcheck", title="自查", version="1.0.0")
    report = EntityType(
        "self_report", "自查报告", owner_field="association", title_field="title",
        fields=(
            Field("title", "标题", required=True, indexed=True, listed=True),
            Field("association", "协会商会", kind="reference", target="association", required=True, indexed=True),
        ),
    )
    module.quanhui_entity_types = hookimpl(lambda: [report])
    return module


pytestmark = [pytest.mark.quanhui_plugins(self_reports()), pytest.mark.enable_plugins("selfcheck", tenants=["lixia"])]


@pytest.fixture
def directory(app, db_session, tenant):
    """Two associations of lixia, one of shizhong, and a self-report of each lixia one."""
    ids = {}
    for slug, names in (("lixia", ("软件协会", "餐饮商会")), ("shizhong", ("物流协会",))):
        place = tenant(slug)
        with use_scope(db_session, TenantScope.of(place)):
            service = service_for(place)
            for serial, name in enumerate(names, start=1):
                ids[name] = service.create(service.type("association"), {
                    "name": name, "uscc": make("5", "1", place.code, serial), "category": "行业协会"}).id
            if slug == "lixia":
                for name in names:
                    service.create(service.type("self_report"), {"title": f"{name}自查", "association": ids[name]})
            service.commit()
    return ids


@pytest.fixture
def software_account(app, db_session, tenant, directory):
    lixia = tenant("lixia")
    create_user(db_session, lixia, "ruanjian", TEST_PASSWORD, "association", association_id=directory["软件协会"])
    db_session.commit()
    client = app.test_client()
    assert client.login("ruanjian").status_code == 303
    return client


def test_an_association_account_sees_only_its_own_association(software_account, directory):
    listing = software_account.get("/lixia/entities/association/").get_data(as_text=True)
    assert "软件协会" in listing and "餐饮商会" not in listing
    assert software_account.get(f"/lixia/entities/association/{directory['软件协会']}").status_code == 200
    assert software_account.get(f"/lixia/entities/association/{directory['餐饮商会']}").status_code == 404
    api = software_account.get("/api/v1/lixia/entities/association").json
    assert [item["data"]["name"] for item in api["items"]] == ["软件协会"]


def test_it_edits_its_own_association_but_creates_none(software_account, directory):
    url = f"/lixia/entities/association/{directory['软件协会']}"
    saved = software_account.post(url, data={"name": "济南市软件协会", "uscc": make("5", "1", "370102", 1),
                                              "category": "行业协会", "status": "正常", "version": "1"}, headers=HX)
    assert saved.status_code == 204
    refused = software_account.post("/lixia/entities/association/", data={"name": "新协会"}, headers=HX)
    assert refused.status_code == 403
    assert "协会账号不能新建协会商会" in refused.get_data(as_text=True)
    other = f"/lixia/entities/association/{directory['餐饮商会']}"
    assert software_account.post(other, data={"name": "改名", "version": "1"}, headers=HX).status_code == 404


def test_it_files_records_for_its_own_association_only(app, db_session, tenant, software_account, directory):
    created = software_account.post(
        "/lixia/entities/self_report/", data={"title": "我们的自查", "association": str(directory["餐饮商会"])}, headers=HX
    )
    assert created.status_code == 204
    listing = software_account.get("/lixia/entities/self_report/").get_data(as_text=True)
    assert "我们的自查" in listing and "软件协会自查" in listing and "餐饮商会自查" not in listing
    with app.app_context(), system_scope(db_session):
        from core.entities.models import Entity

        filed = db_session.scalars(select(Entity).where(Entity.type == "self_report")).all()
        ours = next(e for e in filed if e.data["title"] == "我们的自查")
        assert ours.data["association"] == directory["软件协会"] and ours.owner_id == directory["软件协会"]


def test_staff_still_see_every_association(login_client, directory):
    html = login_client("lixia", "viewer").get("/lixia/entities/self_report/").get_data(as_text=True)
    assert "软件协会自查" in html and "餐饮商会自查" in html


def test_an_association_account_must_name_an_association_of_its_tenant(db_session, tenant, directory):
    lixia = tenant("lixia")
    with pytest.raises(AccountError) as missing:
        create_user(db_session, lixia, "no-assoc", TEST_PASSWORD, "association")
    assert missing.value.errors["association_id"] == "协会账号须选择本单位名录中的一家协会商会"
    with pytest.raises(AccountError):
        create_user(db_session, lixia, "foreign-assoc", TEST_PASSWORD, "association", association_id=directory["物流协会"])
    with pytest.raises(AccountError) as staff:
        create_user(db_session, lixia, "staff", TEST_PASSWORD, "editor", association_id=directory["软件协会"])
    assert staff.value.errors["association_id"] == "只有协会账号才绑定协会商会"


def test_admins_create_association_accounts_on_the_users_page(login_client, directory):
    admin = login_client("lixia", "admin")
    page = admin.get("/lixia/admin/users").get_data(as_text=True)
    assert "所属协会商会" in page and "餐饮商会" in page
    created = admin.post("/lixia/admin/users", data={
        "username": "canyin", "role": "association", "password": "Quancheng-Meishi-2026", "association_id": str(directory["餐饮商会"]),
    }, headers=HX)
    assert created.status_code == 200 and "协会账号 · 餐饮商会" in created.get_data(as_text=True)


def test_the_cli_binds_an_account_by_credit_code(app, quanhui_plugins, directory):
    runner = app.test_cli_runner()
    result = runner.invoke(make_cli(quanhui_plugins), [
        "users", "create", "wuliu", "--tenant", "shizhong", "--role", "association",
        "--association", make("5", "1", "370103", 1).lower(), "--password-stdin",
    ], input="Quancheng-Yunshu-2026\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        from core.db import session

        with system_scope(session):
            assert session.scalar(select(User.association_id).where(User.username == "wuliu")) == directory["物流协会"]


def test_counts_over_projections_are_confined_too(software_account):
    dashboard = software_account.get("/lixia/").get_data(as_text=True)
    assert "正常 <strong>1</strong>" in dashboard  # lixia has two associations; the account sees its own
