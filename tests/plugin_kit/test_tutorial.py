"""docs/plugins/tutorial.md works as written: its bash blocks, run in order in one shell,
in an empty folder, with a sandbox venv's python, pip, pytest and quanhui on PATH."""
import re
from pathlib import Path

from tests.sandbox_venv import Sandbox, check

TUTORIAL = Path(__file__).parents[2] / "docs" / "plugins" / "tutorial.md"


def test_the_tutorials_commands_run_as_written(tmp_path):
    blocks = re.findall(r"```bash\n(.*?)```", TUTORIAL.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 4
    sandbox = Sandbox(tmp_path / "venv")
    work = tmp_path / "work"
    work.mkdir()
    output = check(sandbox.run("set -euo pipefail\n" + "\n".join(blocks), cwd=work, timeout=600))
    assert "已生成插件 hello" in output
    assert re.search(r"^7 passed", output, re.M)
    assert "hello  你好 0.1.0  [已加载]  来源:quanhui-hello" in output
    assert "历下区:hello 已启用" in output
    assert "启用于:jinan, lixia" in output
