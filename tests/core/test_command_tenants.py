"""``core.api.command_tenants``: a plugin command's ``--tenant SLUG`` names one tenant, or
leaving it out runs the command for every tenant; an unknown slug stops the command."""
import types

import click
import pytest

from core.api import PluginMeta, command_tenants, hookimpl
from core.cli import make_cli

JINAN_TREE = ["济南市", "历下区", "市中区", "槐荫区", "天桥区", "历城区", "长清区", "章丘区", "济阳区", "莱芜区",
              "钢城区", "平阴县", "商河县"]


def roll_call_plugin():
    """A plugin whose ``quanhui roll-call [--tenant SLUG]`` prints the name of each tenant it runs for."""
    module = types.ModuleType("roll_call_plugin")
    module.meta = PluginMeta(name="roll_call", title="点名", version="1.0.0")

    @hookimpl
    def quanhui_cli(cli):
        @cli.command("roll-call")
        @click.option("--tenant", "slug", default=None)
        def roll_call(slug):
            for tenant in command_tenants(slug):
                click.echo(tenant.name)

    module.quanhui_cli = quanhui_cli
    return module


@pytest.fixture
def roll_call(app):
    runner, cli = app.test_cli_runner(), make_cli((roll_call_plugin(),))
    return lambda *args: runner.invoke(cli, ["roll-call", *args])


def test_without_a_tenant_the_command_runs_for_every_tenant_in_tree_order(roll_call):
    result = roll_call()
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == JINAN_TREE


def test_a_tenant_slug_runs_the_command_for_that_tenant_only(roll_call):
    result = roll_call("--tenant", "lixia")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["历下区"]


def test_an_unknown_slug_stops_the_command_with_a_chinese_usage_error(roll_call):
    result = roll_call("--tenant", "nowhere")
    assert result.exit_code == 2
    assert "Error: 没有简称为 nowhere 的单位" in result.output
    assert not any(name in result.output for name in JINAN_TREE)  # it ran for no tenant
