"""``quanhui plugin new``: a third party's first plugin, from nothing to enabled in one district.

The package it writes passes its own tests as generated, installs with pip (into a
sandbox venv layered on this one, see tests/sandbox_venv.py), shows in ``quanhui plugins
list`` and is enabled for lixia alone: shizhong's page answers 404.
"""
import textwrap

import pytest
from click.testing import CliRunner

from core.cli import make_cli
from tests.sandbox_venv import Sandbox, check


def plugin_block(listed: str, name: str) -> list[str]:
    """The lines ``quanhui plugins list`` prints for one plugin: its head and indented details."""
    lines = listed.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{name}  "))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith(" ")), len(lines))
    return lines[start:end]


def new(*args):
    return CliRunner().invoke(make_cli(), ["plugin", "new", *args])


def test_it_writes_a_package_with_entry_point_hooks_templates_static_and_tests(tmp_path):
    result = new("hello_world", "--dir", str(tmp_path), "--title", "你好世界")
    assert result.exit_code == 0, result.output
    root = tmp_path / "quanhui-hello-world"
    assert f"已生成插件 hello_world:{root}" in result.output
    files = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert files == {
        "pyproject.toml", "README.md", "tests/test_hello_world.py",
        "quanhui_hello_world/__init__.py",
        "quanhui_hello_world/templates/hello_world/index.html",
        "quanhui_hello_world/static/hello_world/hello_world.css",
    }
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    assert '[project.entry-points.quanhui]\nhello_world = "quanhui_hello_world"' in pyproject
    assert 'dependencies = ["quanhui>=0.1,<1"]' in pyproject
    code = (root / "quanhui_hello_world" / "__init__.py").read_text(encoding="utf-8")
    assert 'name="hello_world"' in code and 'title="你好世界"' in code
    assert "from core.api import" in code and "from core." not in code.replace("from core.api import", "")


@pytest.mark.parametrize(("name", "message"), [
    ("Hello", "须以小写字母开头,只含小写字母、数字和下划线"),
    ("x", "共 2 到 40 个字符"),
    ("hello-world", "只含小写字母、数字和下划线"),
    ("admin", "是平台保留的网址段"),
])
def test_a_bad_name_is_refused_in_chinese(tmp_path, name, message):
    result = new(name, "--dir", str(tmp_path))
    assert result.exit_code != 0 and message in result.output
    assert list(tmp_path.iterdir()) == []


def test_it_never_overwrites_an_existing_folder(tmp_path):
    (tmp_path / "quanhui-hello").mkdir()
    (tmp_path / "quanhui-hello" / "mine.txt").write_text("自己的文件")
    result = new("hello", "--dir", str(tmp_path))
    assert result.exit_code != 0 and "已存在,不会覆盖" in result.output
    assert [p.name for p in (tmp_path / "quanhui-hello").iterdir()] == ["mine.txt"]


def test_the_generated_plugin_installs_passes_its_tests_and_is_enabled_for_one_district(tmp_path):
    sandbox = Sandbox(tmp_path / "venv")
    work = tmp_path / "work"
    work.mkdir()
    check(sandbox.run(["quanhui", "plugin", "new", "hello", "--title", "你好"], cwd=work))
    check(sandbox.run(["pip", "install", "-q", "--no-deps", "--no-build-isolation", "-e", "quanhui-hello"], cwd=work))
    # Its own tests pass without edits, run the way its author runs them.
    tests = check(sandbox.run(["pytest", "-q"], cwd=work / "quanhui-hello"))
    assert "7 passed" in tests
    # Installed means found through the entry point, listed, not enabled anywhere.
    check(sandbox.run(["quanhui", "init"], cwd=work))
    listed = check(sandbox.run(["quanhui", "plugins", "list"], cwd=work))
    assert "hello  你好 0.1.0  [已加载]  来源:quanhui-hello" in listed
    assert "    启用于:未启用" in plugin_block(listed, "hello")
    check(sandbox.run(["quanhui", "plugins", "enable", "hello", "--tenant", "jinan", "--offer"], cwd=work))
    assert "历下区:hello 已启用" in check(sandbox.run(["quanhui", "plugins", "enable", "hello", "--tenant", "lixia"], cwd=work))
    listed = check(sandbox.run(["quanhui", "plugins", "list"], cwd=work))
    assert "    启用于:jinan, lixia" in plugin_block(listed, "hello")
    check(sandbox.run(["quanhui", "users", "create", "lixia-kit", "--tenant", "lixia", "--password-stdin"],
                      cwd=work, input="Quancheng-Lixia-88\n"))
    check(sandbox.run(["quanhui", "users", "create", "shizhong-kit", "--tenant", "shizhong", "--password-stdin"],
                      cwd=work, input="Quancheng-Lixia-88\n"))
    probe = textwrap.dedent("""
        from core.testing import QuanhuiClient
        from core.web.app import create_app

        app = create_app()
        app.test_client_class = QuanhuiClient
        for slug in ("lixia", "shizhong"):
            client = app.test_client()
            assert client.login(f"{slug}-kit", "Quancheng-Lixia-88").status_code in (204, 303)
            print(slug, client.get(f"/{slug}/hello/").status_code)
    """)
    assert check(sandbox.run(["python", "-c", probe], cwd=work)).split() == ["lixia", "200", "shizhong", "404"]
