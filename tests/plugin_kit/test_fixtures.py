"""The fixtures core.testing gives plugin authors behave as docs/plugins/index.md says."""
import pytest

from tests import noticeboard


@pytest.mark.quanhui_plugins(noticeboard)
def test_cli_runner_runs_a_plugins_own_command_on_the_test_database(cli_runner):
    result = cli_runner("noticeboard-count", "--tenant", "lixia")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "0"


def test_cli_runner_reports_a_failing_command_with_its_exit_code_and_message(cli_runner):
    result = cli_runner("export", "association", "/nonexistent/dir/out.xlsx", "--tenant", "nowhere")
    assert result.exit_code != 0
    assert "nowhere" in result.output


def test_a_browser_session_and_an_api_token_of_the_same_role_get_two_users(login_client, api_client):
    page = login_client("lixia", "editor").get("/lixia/entities/association/")
    api = api_client("lixia", "editor").get("/api/v1/lixia/entities/association")
    assert page.status_code == 200 and api.status_code == 200


def test_a_user_can_be_named_and_an_api_client_can_act_for_one_association(make_user, api_client):
    assert make_user("lixia", "viewer", username="wang-clerk").username == "wang-clerk"
    admin = api_client("lixia", "admin")
    ids = [admin.post("/api/v1/lixia/entities/association", json=row).get_json()["id"] for row in (
        {"name": "历下区软件行业协会", "uscc": "513701020000010116", "category": "行业协会"},
        {"name": "历下区餐饮商会", "uscc": "5137010200000102XX", "category": "商会"},
    )]
    account = api_client("lixia", "association", association_id=ids[0], username="software-assoc")
    assert account.get(f"/api/v1/lixia/entities/association/{ids[0]}").status_code == 200
    assert account.get(f"/api/v1/lixia/entities/association/{ids[1]}").status_code == 404
