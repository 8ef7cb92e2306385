"""Plugins written against plugin API 0.1 keep working on this core, unchanged.

The tutorial's generated plugin (``quanhui plugin new hello``) and examples/leader_review are
kept here exactly as they were at commit 3eb5f65, the 0.1 release of the plugin API
(CHANGELOG.md). Each runs its own tests in a child pytest against the current core; a change
of the core that breaks one of them breaks the API's promise of deprecation before removal.
Each runs from a copy in tmp_path, so building it leaves nothing in the source tree.
"""
import re
import shutil
from pathlib import Path

from tests.sandbox_venv import Sandbox, check

HERE = Path(__file__).parent


def copy_of(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(HERE / name, tmp_path / name))


def test_the_tutorials_plugin_from_api_0_1_installs_and_passes_its_own_tests(tmp_path):
    sandbox = Sandbox(tmp_path / "venv")
    plugin = copy_of("hello_0_1", tmp_path)
    site = tmp_path / "site"
    check(sandbox.run(["pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                       "--target", str(site), str(plugin)], cwd=tmp_path))
    output = check(sandbox.run(f"PYTHONPATH={site} pytest -q", cwd=plugin))
    assert re.search(r"^6 passed", output, re.M), output
    listing = check(sandbox.run(f"export PYTHONPATH={site}; quanhui init && quanhui plugins list", cwd=tmp_path))
    assert "hello  你好 0.1.0  [已加载]  来源:quanhui-hello" in listing


def test_leader_review_from_api_0_1_passes_its_own_tests(tmp_path):
    sandbox = Sandbox(tmp_path / "venv")
    plugin = copy_of("leader_review_0_1", tmp_path)
    loaded_from = check(sandbox.run(
        ["python", "-c", "import quanhui_leader_review as m; print(m.__file__)"], cwd=plugin))
    assert loaded_from.startswith(str(plugin)), "the child pytest must test the 0.1 copy"
    output = check(sandbox.run("pytest -q", cwd=plugin))
    assert re.search(r"^\d+ passed", output, re.M) and " failed" not in output, output
