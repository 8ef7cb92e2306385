"""quanhui plugins offer / withdraw: the city opens a plugin to its districts without using it
itself, and can take the offer back; the districts' data stays."""
import pytest

from tests import noticeboard

pytestmark = pytest.mark.quanhui_plugins(noticeboard)


def test_the_city_offers_a_plugin_without_enabling_it_and_a_district_then_enables_it(cli_runner, login_client):
    refused = cli_runner("plugins", "enable", "noticeboard", "--tenant", "lixia")
    assert refused.exit_code == 1 and "上级尚未开放该插件" in refused.output

    offered = cli_runner("plugins", "offer", "noticeboard", "--tenant", "jinan")
    assert offered.exit_code == 0 and "济南市:noticeboard 已向下级开放" in offered.output
    assert cli_runner("plugins", "enable", "noticeboard", "--tenant", "lixia").exit_code == 0

    listing = cli_runner("plugins", "list").output
    assert "启用于:lixia" in listing
    assert login_client("jinan", "admin").get("/jinan/noticeboard/").status_code == 404
    assert login_client("lixia", "admin").get("/lixia/noticeboard/").status_code == 200


def test_withdrawing_the_offer_takes_the_plugin_out_of_every_district_that_used_it(cli_runner, login_client):
    cli_runner("plugins", "offer", "noticeboard", "--tenant", "jinan")
    cli_runner("plugins", "enable", "noticeboard", "--tenant", "lixia", "--tenant", "shizhong")

    withdrawn = cli_runner("plugins", "withdraw", "noticeboard", "--tenant", "jinan")
    assert withdrawn.exit_code == 0 and "济南市:noticeboard 已收回开放" in withdrawn.output
    assert login_client("lixia", "admin").get("/lixia/noticeboard/").status_code == 404
    assert "启用于:未启用" in cli_runner("plugins", "list").output

    cli_runner("plugins", "offer", "noticeboard", "--tenant", "jinan")
    assert login_client("shizhong", "admin").get("/shizhong/noticeboard/").status_code == 200


def test_offering_an_unknown_plugin_is_refused_with_its_name(cli_runner):
    result = cli_runner("plugins", "offer", "nosuch", "--tenant", "jinan")
    assert result.exit_code == 1 and "没有可切换的插件 nosuch" in result.output
