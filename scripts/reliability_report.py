"""Run the security and reliability tests and write what they showed to docs/reliability.md.

    .venv/bin/python scripts/reliability_report.py          # or: make reliability

The tests run twice, as ``make test`` runs them: on SQLite (browser tests included), then
on PostgreSQL when ``QUANHUI_TEST_DATABASE_URL`` names one or a server answers on
127.0.0.1:5432 (``quanhui_reliability`` there). pytest writes JUnit XML; the figures the tests
record with ``record_property`` (the concurrency run's successes and conflicts, the fuzzers'
counts...) are read from it. Exits non-zero when a test failed, so the page is never
mistaken for a passing run.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "reliability.md"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/quanhui_reliability"


@dataclasses.dataclass(frozen=True)
class Area:
    title: str
    promise: str
    files: tuple[str, ...]


AREAS = (
    Area("隔离矩阵", "每个路由 × 7 类用户 × 本单位/兄弟区县/其他协会的对象,状态码都符合预期;"
         "缺少 CSRF 令牌的状态修改一律被拒;内置插件启用时它们的每个路由同样如此;"
         "每种类型 × 每类用户 × 抽样字段,能看、能填或被拒都符合字段权限",
         ("tests/security/test_route_matrix.py", "tests/security/test_plugin_route_matrix.py",
          "tests/security/test_field_matrix.py")),
    Area("租户范围", "每条 ORM 语句按范围过滤,写入受检查,没有范围即拒绝;协会账号只见本协会",
         ("tests/core/test_scoping.py", "tests/core/test_tenant_access.py", "tests/core/test_association_accounts.py")),
    Area("行级安全", "绕过 ORM、直接经应用的连接执行 SQL,仍只见本租户的行(仅 PostgreSQL)",
         ("tests/core/test_postgres_rls.py",)),
    Area("身份认证", "登录时更换会话、退出即失效、密码策略、可吊销的令牌、安全跳转、审计",
         ("tests/core/test_login.py", "tests/security/test_api_auth.py", "tests/security/test_login_redirect.py",
          "tests/core/test_account_tokens.py")),
    Area("登录洪水", "输错密码按账户和按地址限流，多个进程同时猜也恰好在上限处拒绝；编造的用户名每个地址每分钟只记一条审计，"
         "并付出同样的哈希代价", ("tests/security/test_login_throttle.py",)),
    Area("文件归属", "文件字段只能引用为本记录这一项上传的文件；下载核对归属；接口上传；quanhui check files",
         ("tests/security/test_file_binding.py", "tests/core/test_entity_files.py", "tests/core/test_file_kinds.py")),
    Area("响应头", "每个响应都带 X-Frame-Options 和只允许本站脚本、样式的 Content-Security-Policy；页面在 Chromium 中无违规",
         ("tests/security/test_headers.py", "tests/browser/test_content_security_policy.py")),
    Area("畸形输入", "空字符、超大编号、超大指数、非 ASCII 数字、超深 JSON、控制字符、带小数的整数：一律 4xx，路由模糊测试无 5xx",
         ("tests/security/test_input_fuzz.py", "tests/security/test_malformed_input.py", "tests/core/test_control_characters.py",
          "tests/core/test_integer_fields.py")),
    Area("上传炸弹", "Excel 在解析前按压缩包检查；炸弹在占用内存前被拒绝", ("tests/core/test_workbook_guard.py",)),
    Area("记录类型名", "类型名带上所属单位，兄弟区县之间互不可见；定义文件整体按模式校验",
         ("tests/security/test_record_type_names.py", "tests/security/test_record_type_definitions.py")),
    Area("标记无害(XSS)", "每个文字字段填入的标记在 Chromium 中都不执行(SQLite 一轮)",
         ("tests/browser/test_inert_markup.py",)),
    Area("模糊测试", "每种类型的表单和接口接收生成的输入、schemathesis 遍历 OpenAPI:没有 5xx,没有写了一半的数据",
         ("tests/security/test_entity_fuzz.py", "tests/security/test_openapi_fuzz.py")),
    Area("并发", "20 个线程 × 25 次冲突的修改(真实 HTTP):要么成功要么冲突,没有修改丢失(仅 PostgreSQL)",
         ("tests/security/test_concurrency.py",)),
    Area("故障", "数据库无法访问、被锁、磁盘已满;导入中途被杀;页面和插件钩子出错",
         ("tests/core/test_faults_database.py", "tests/core/test_faults_import.py", "tests/core/test_errors.py",
          "tests/core/test_plugins.py")),
    Area("后台任务", "任务在发起人的租户范围内运行；worker 被杀、取消、重启后数据完好；导入时别人照常保存",
         ("tests/core/test_jobs.py",)),
    Area("备份", "备份后恢复演示库,行数和每张表的校验和完全一致", ("tests/core/test_backup.py",)),
)
#: What the figures the tests record mean.
FIGURES = {
    "threads": "并发线程数",
    "edits_per_thread": "每个线程的修改次数",
    "successes": "成功的修改(= 新增的修订数)",
    "conflicts_409_form": "表单得到 409 冲突",
    "conflicts_412_api": "接口得到 412 冲突",
    "seconds": "用时(秒)",
    "types": "参与的记录类型数",
    "requests": "发出的请求数",
    "saved": "保存成功并原样读回",
    "refused_invalid": "含无效值、被 422 拒绝且无任何写入",
    "edited": "保存后再经接口修改(部分字段)并被接受,版本和修订各加一",
    "edits_refused": "修改被 422 拒绝、版本和数据都不变",
    "refused_valid_by_plugin_rule": "字段都有效、被插件的跨字段或关联规则 422 拒绝且无任何写入",
    "not_round_tripped": "没有一条生成的记录被保存的类型",
    "rows_in_workbook": "工作簿行数",
    "killed_after_rows": "被杀时已处理的行数(导入后记录数不变)",
}


@dataclasses.dataclass
class Case:
    file: str
    name: str
    outcome: str  # passed, failed, skipped
    seconds: float
    detail: str = ""
    properties: dict[str, str] = dataclasses.field(default_factory=dict)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="2", help="pytest-xdist workers (default 2; 0 runs in one process)")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL pass")
    parser.add_argument("--output", type=Path, default=TARGET)
    options = parser.parse_args()

    files = [f for area in AREAS for f in area.files]
    passes = {"SQLite": run(files, None, options.workers, browser=True)}
    pg_url = None if options.no_postgres else postgres_url()
    if pg_url:
        passes["PostgreSQL"] = run(files, pg_url, options.workers, browser=False)
    options.output.write_text(render(passes, pg_url is not None), encoding="utf-8")
    failed = sum(1 for cases in passes.values() for c in cases if c.outcome == "failed")
    print(f"{options.output} 已生成;{failed} 个测试失败")
    return 1 if failed else 0


def postgres_url() -> str | None:
    url = os.environ.get("QUANHUI_TEST_DATABASE_URL")
    if url:
        return url
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
    except OSError:
        return None
    return DEFAULT_PG


def run(files: list[str], pg_url: str | None, workers: str, *, browser: bool) -> list[Case]:
    environment = dict(os.environ)
    environment.pop("QUANHUI_TEST_DATABASE_URL", None)
    if pg_url:
        environment["QUANHUI_TEST_DATABASE_URL"] = pg_url
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "junit.xml"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "junit_family=xunit1",
                   f"--junitxml={report}", *files]
        if workers != "0":
            command += ["-n", workers]
        if not browser:
            command += ["-m", "not browser"]
        print("$", " ".join(command), flush=True)
        subprocess.run(command, cwd=ROOT, env=environment, check=False)
        return read_junit(report)


def read_junit(path: Path) -> list[Case]:
    cases = []
    for element in ElementTree.parse(path).iter("testcase"):
        outcome, detail = "passed", ""
        for kind in ("failure", "error", "skipped"):
            found = element.find(kind)
            if found is not None:
                outcome = "skipped" if kind == "skipped" else "failed"
                detail = (found.get("message") or "").strip()
                break
        properties = {p.get("name"): p.get("value") for p in element.iter("property")}
        cases.append(Case(
            file=element.get("file") or element.get("classname", "").replace(".", "/") + ".py",
            name=element.get("name", ""), outcome=outcome, seconds=float(element.get("time") or 0),
            detail=detail, properties=properties,
        ))
    return cases


def render(passes: dict[str, list[Case]], postgres_ran: bool) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    # This page itself does not count: a rerun over the last one's output is still a clean tree.
    dirty = subprocess.run(["git", "status", "--porcelain", "--", ".", ":!docs/reliability.md"],
                           cwd=ROOT, capture_output=True, text=True).stdout.strip()
    lines = [
        "# 可靠性报告",
        "",
        "本页由 `make reliability`(`scripts/reliability_report.py`)运行下列测试后按结果生成,请勿手工修改,",
        "需要更新时重新运行即可。这些测试对应的威胁模型见 [SECURITY.md](../SECURITY.md)。",
        "",
        f"- 运行时间:{dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')},提交 `{commit}`"
        + (",工作区有未提交的修改" if dirty else ""),
        f"- 运行轮次:{'、'.join(passes)}" + ("" if postgres_ran else "(没有可用的 PostgreSQL,该轮未运行)"),
        "",
        "## 测试了什么",
        "",
        "| 方面 | 必须成立 | " + " | ".join(f"{name}:通过 / 失败 / 跳过" for name in passes) + " |",
        "|---|---|" + "---|" * len(passes),
    ]
    for area in AREAS:
        cells = []
        for cases in passes.values():
            mine = [c for c in cases if c.file in area.files]
            counts = {o: sum(1 for c in mine if c.outcome == o) for o in ("passed", "failed", "skipped")}
            cells.append(f"{counts['passed']} / {counts['failed']} / {counts['skipped']}")
        files = "<br>".join(f"`{f}`" for f in area.files)
        lines.append(f"| **{area.title}**<br>{files} | {area.promise} | " + " | ".join(cells) + " |")
    lines += ["", "## 测试记录的数字", "", "| 测试 | 轮次 | 数字 | 值 |", "|---|---|---|---|"]
    for name, cases in passes.items():
        for case in cases:
            for key, value in case.properties.items():
                lines.append(f"| `{case.file}::{case.name}` | {name} | {FIGURES.get(key, key)} | {value} |")
    lines += ["", "## 最慢的测试", "", "| 测试 | 轮次 | 秒 |", "|---|---|---|"]
    slowest = sorted(((c, n) for n, cs in passes.items() for c in cs if c.outcome == "passed"),
                     key=lambda pair: -pair[0].seconds)[:8]
    for case, name in slowest:
        lines.append(f"| `{case.file}::{case.name}` | {name} | {case.seconds:.1f} |")
    problems = [(n, c) for n, cs in passes.items() for c in cs if c.outcome != "passed"]
    lines += ["", "## 失败和跳过的测试", ""]
    if not problems:
        lines.append("无。")
    else:
        lines += ["| 测试 | 结果 | 原因 |", "|---|---|---|"]
        grouped: dict[tuple, list[str]] = defaultdict(list)
        outcome_names = {"failed": "失败", "skipped": "跳过"}
        for name, case in problems:
            key = (case.file, f"{outcome_names[case.outcome]}({name})", _one_line(case.detail))
            grouped[key].append(f"`{case.name}`")
        for (file, outcome, reason), names in grouped.items():
            shown = "、".join(names) if len(names) <= 3 else f"{len(names)} 个测试"
            lines.append(f"| `{file}`:{shown} | {outcome} | {reason} |")
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")[:240]


if __name__ == "__main__":
    sys.exit(main())
