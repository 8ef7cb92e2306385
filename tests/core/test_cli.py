"""The quanhui command line, run against the test app's database."""
import pytest
from sqlalchemy import func, select

from core.auth.models import User
from core.cli import DEMO_PASSWORD, make_cli
from core.db import session
from core.tenancy import Tenant, system_scope
from tenants import DEFAULT_TREE

NOTICEBOARD = pytest.mark.quanhui_plugins("tests.noticeboard")


@pytest.fixture
def quanhui(app, quanhui_plugins):
    """``quanhui("init", ...)`` runs the CLI on the test app and returns click's result."""
    runner = app.test_cli_runner()
    cli = make_cli(quanhui_plugins)

    def run(*args, input=None):
        return runner.invoke(cli, list(args), input=input)

    return run


def tenants(app):
    with app.app_context():
        return {t.slug: (t.id, t.name, t.code) for t in session.scalars(select(Tenant))}


def write_tree(tmp_path, text):
    path = tmp_path / "tree.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_init_is_idempotent(app, quanhui):
    before = tenants(app)
    result = quanhui("init")
    assert result.exit_code == 0, result.output
    assert "13 个节点" in result.output and "新增" not in result.output
    assert tenants(app) == before


def test_a_malformed_tree_file_names_file_line_and_fault_and_changes_nothing(app, quanhui, tmp_path):
    text = DEFAULT_TREE.read_text(encoding="utf-8").replace('slug = "lixia"', 'slug = "LiXia!"')
    path = write_tree(tmp_path, text)
    line = text.splitlines().index('slug = "LiXia!"') + 1
    before = tenants(app)
    result = quanhui("init", "--tree", str(path))
    assert result.exit_code == 1
    assert f"{path}:{line}:" in result.output and "LiXia!" in result.output
    assert tenants(app) == before


def test_init_applies_renames_and_new_nodes_and_keeps_ids(app, quanhui, tmp_path):
    text = DEFAULT_TREE.read_text(encoding="utf-8").replace('name = "历下区"', 'name = "历下新区"')
    text += '\n[[tenant]]\ncode = "370176"\nname = "济南高新区"\nslug = "gaoxin"\nlevel = "zone"\nparent = "jinan"\n'
    before = tenants(app)
    result = quanhui("init", "--tree", str(write_tree(tmp_path, text)))
    assert result.exit_code == 0, result.output
    assert "新增:gaoxin" in result.output and "更新:lixia" in result.output
    after = tenants(app)
    assert after["lixia"] == (before["lixia"][0], "历下新区", "370102")
    assert after["gaoxin"][1:] == ("济南高新区", "370176")
    with app.app_context():
        gaoxin = session.scalar(select(Tenant).where(Tenant.slug == "gaoxin"))
        assert gaoxin.path == f"/{before['jinan'][0]}/{gaoxin.id}/"


def test_init_never_deletes_a_tenant_that_has_data(app, quanhui, make_user, tmp_path):
    make_user("shizhong", "admin")
    lines = DEFAULT_TREE.read_text(encoding="utf-8").split("\n[[tenant]]\n")
    kept = [part for part in lines if 'slug = "shizhong"' not in part and 'slug = "shanghe"' not in part]
    result = quanhui("init", "--tree", str(write_tree(tmp_path, "\n[[tenant]]\n".join(kept))))
    assert result.exit_code == 0, result.output
    assert "删除:shanghe" in result.output
    assert "保留(文件中已没有,但仍有数据):shizhong" in result.output
    assert set(tenants(app)) == {slug for slug in tenants(app)} and "shizhong" in tenants(app)
    assert "shanghe" not in tenants(app)


def test_demo_builds_an_admin_for_every_tenant_and_can_run_again(app, quanhui, client):
    first = quanhui("demo")
    assert first.exit_code == 0, first.output
    second = quanhui("demo")
    assert second.exit_code == 0, second.output
    with app.app_context(), system_scope(session):
        names = set(session.scalars(select(User.username)))
    assert names == {f"{slug}-admin" for slug in tenants(app)}
    assert client.login("lixia-admin", DEMO_PASSWORD).location == "/lixia/"


def test_demo_refuses_a_database_with_real_users(quanhui, make_user):
    make_user("jinan", "admin", username="real-person")
    result = quanhui("demo")
    assert result.exit_code == 1
    assert "demo 只能用于新的或演示用的数据库" in result.output


@NOTICEBOARD
def test_demo_enables_every_plugin_and_fills_its_demo_data(app, quanhui, login_client):
    assert quanhui("demo").exit_code == 0
    titles = [n["title"] for n in login_client("lixia", "viewer").get("/api/v1/lixia/noticeboard/notices").json["items"]]
    assert "历下区:本月主题党日安排" in titles


def test_users_create_applies_the_password_policy(app, quanhui, client):
    weak = quanhui("users", "create", "zhang.wei", "--tenant", "lixia", "--role", "editor", "--password-stdin", input="12345678\n")
    assert weak.exit_code == 1
    assert "密码至少需要 12 个字符" in weak.output
    common = quanhui("users", "create", "zhang.wei", "--tenant", "lixia", "--password-stdin", input="1qaz2wsx3edc\n")
    assert "常见密码" in common.output
    good = quanhui(
        "users", "create", "Zhang.Wei", "--tenant", "lixia", "--role", "editor", "--name", "张伟",
        "--password-stdin", input="Quancheng-Lixia-88\n",
    )
    assert good.exit_code == 0, good.output
    assert client.login("zhang.wei", "Quancheng-Lixia-88").location == "/lixia/"
    again = quanhui("users", "create", "zhang.wei", "--tenant", "lixia", "--password-stdin", input="Quancheng-Lixia-88\n")
    assert "已被使用" in again.output


def test_users_create_refuses_a_password_longer_than_it_keeps_and_takes_one_past_72(quanhui, client):
    """argon2 hashes every character (bcrypt would drop those past 72 bytes); past 128 the CLI says so."""
    long = quanhui("users", "create", "li.na", "--tenant", "lixia", "--password-stdin", input="Zq7-泉" * 40 + "\n")
    assert long.exit_code == 1
    assert "密码最多 128 个字符" in long.output
    password = "Quancheng-Lixia-" + "zq7Xr9wP" * 8
    assert quanhui("users", "create", "li.na", "--tenant", "lixia", "--password-stdin", input=password + "\n").exit_code == 0
    assert client.login("li.na", password).status_code == 303


def test_users_create_names_an_unknown_tenant(quanhui):
    result = quanhui("users", "create", "someone", "--tenant", "atlantis", "--password-stdin", input="x\n")
    assert result.exit_code == 1 and "没有租户 atlantis" in result.output


def test_tokens_create_prints_a_bearer_token_for_the_api(quanhui, make_user, client):
    make_user("lixia", "viewer")
    result = quanhui("tokens", "create", "--user", "lixia-viewer", "--name", "区县数据对接")
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    response = client.get("/api/v1/lixia/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json["tenant"]["slug"] == "lixia"
    assert client.get("/api/v1/shizhong/", headers={"Authorization": f"Bearer {token}"}).status_code == 404


@NOTICEBOARD
def test_plugins_enable_disable_and_list(quanhui):
    refused = quanhui("plugins", "enable", "noticeboard", "--tenant", "lixia")
    assert refused.exit_code == 1 and "上级尚未开放该插件" in refused.output
    assert quanhui("plugins", "enable", "noticeboard", "--tenant", "jinan", "--offer").exit_code == 0
    assert quanhui("plugins", "enable", "noticeboard", "--tenant", "lixia", "--tenant", "shizhong").exit_code == 0
    assert quanhui("plugins", "disable", "noticeboard", "--tenant", "shizhong").exit_code == 0
    listing = quanhui("plugins", "list").output
    assert "noticeboard  公告栏 1.0.0  [已加载]" in listing
    assert "启用于:jinan, lixia" in listing
    assert "quanhui_blueprints" in listing and "quanhui_plugin_enabled" in listing
    assert quanhui("noticeboard-count", "--tenant", "lixia").output.strip() == "1"


def test_db_upgrade_is_a_no_op_on_a_current_database(quanhui):
    result = quanhui("db", "upgrade")
    assert result.exit_code == 0 and "数据库已是最新结构" in result.output


def test_user_counts_are_unchanged_by_a_refused_user(app, quanhui):
    quanhui("users", "create", "x", "--tenant", "lixia", "--password-stdin", input="short\n")
    with app.app_context(), system_scope(session):
        assert session.scalar(select(func.count(User.id))) == 0
