"""quanhui demo --plugin NAME: a plugin installed after the demo was built gets its demo data,
and nothing else is enabled or written again."""
import pytest

from tests import noticeboard

pytestmark = pytest.mark.quanhui_plugins(noticeboard)


def notice_titles(client) -> list[str]:
    return [n["title"] for n in client.get("/api/v1/lixia/noticeboard/notices").json["items"]]


def test_demo_for_one_plugin_enables_only_it_and_fills_its_data_once(cli_runner, login_client):
    first = cli_runner("demo", "--plugin", "noticeboard")
    assert first.exit_code == 0, first.output
    assert cli_runner("demo", "--plugin", "noticeboard").exit_code == 0

    viewer = login_client("lixia", "viewer")
    assert notice_titles(viewer).count("历下区:本月主题党日安排") == 1
    assert viewer.get("/lixia/coverage/").status_code == 404
    assert "启用于:未启用" in cli_runner("plugins", "list").output.split("coverage", 1)[1]


def test_demo_for_an_unknown_plugin_is_refused_and_changes_nothing(cli_runner):
    result = cli_runner("demo", "--plugin", "nosuch")
    assert result.exit_code == 1
    assert "没有可启用的插件：nosuch" in result.output
    assert "启用于:未启用" in cli_runner("plugins", "list").output.split("noticeboard", 1)[1]
    assert "已创建用户 lixia-admin" in cli_runner("users", "create", "lixia-admin", "--tenant", "lixia",
                                           "--password-stdin", input="Quancheng-Lixia-88\n").output
