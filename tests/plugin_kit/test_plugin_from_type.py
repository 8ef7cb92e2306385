"""``quanhui plugin new NAME --from-type FILE``: a type built in the browser becomes code.

The city exports 重大事项报告 from the record-type builder; the command writes a plugin
package declaring the same type, workflow and reports through ``core.api`` alone, with
tests of its own that pass once it is installed (in a sandbox venv, tests/sandbox_venv.py).
"""
import ast

import pytest
from click.testing import CliRunner

from core.cli import make_cli
from tests.core.test_record_types import BASE, SUPPLEMENT, TYPE, build
from tests.sandbox_venv import Sandbox, check


@pytest.fixture
def exported(app, login_client, tmp_path):
    city = login_client("jinan", "admin")
    build(city)
    assert city.post(f"{BASE}/{TYPE}/transitions", data=SUPPLEMENT).status_code == 303
    path = tmp_path / f"{TYPE}.quanhui-type.json"
    path.write_bytes(city.get(f"{BASE}/{TYPE}/export").get_data())
    return path


def new(*args):
    return CliRunner().invoke(make_cli(), ["plugin", "new", *args])


def test_it_writes_the_type_workflow_and_reports_as_code(exported, tmp_path):
    result = new("major_reports", "--from-type", str(exported), "--dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    root = tmp_path / "quanhui-major-reports"
    files = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert files == {"pyproject.toml", "README.md", "quanhui_major_reports/__init__.py",
                     "tests/test_major_reports.py"}
    code = (root / "quanhui_major_reports" / "__init__.py").read_text(encoding="utf-8")
    ast.parse(code)
    assert "from core." not in code.replace("from core.api import", "")
    assert 'TYPE = "major_report"' in code and 'label="重大事项报告"' in code
    assert 'Field("matter_kind", "事项类别", kind="choice", required=True' in code
    assert 'Transition("step_1", "受理", ("已报送",), "审核中", roles=("admin", "editor"))' in code
    assert ('Transition("step_3", "补充报告", ("审核中",), "审核中", roles=("admin", "editor"), '
            'permission="entities.design", fields=("content",))') in code
    assert 'State("已办结", final=True)' in code
    assert 'name="major_reports.report_1"' in code and "count_by_month(context, TYPE)" in code
    ast.parse((root / "tests" / "test_major_reports.py").read_text(encoding="utf-8"))


def test_a_file_that_is_not_a_type_is_refused_in_chinese(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x"}', encoding="utf-8")
    result = new("major_reports", "--from-type", str(bad), "--dir", str(tmp_path))
    assert result.exit_code != 0 and "不是可用的记录类型定义:记录类型定义有误：label 缺少这一项" in result.output
    missing = new("major_reports", "--from-type", str(tmp_path / "none.json"), "--dir", str(tmp_path))
    assert missing.exit_code != 0 and "读不到记录类型文件" in missing.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]


def test_the_generated_plugin_installs_and_passes_its_own_tests(exported, tmp_path):
    sandbox = Sandbox(tmp_path / "venv")
    work = tmp_path / "work"
    work.mkdir()
    check(sandbox.run(["quanhui", "plugin", "new", "major_reports", "--from-type", str(exported)], cwd=work))
    check(sandbox.run(["pip", "install", "-q", "--no-deps", "--no-build-isolation", "-e", "quanhui-major-reports"],
                      cwd=work))
    tests = check(sandbox.run(["pytest", "-q"], cwd=work / "quanhui-major-reports"))
    assert "5 passed" in tests
