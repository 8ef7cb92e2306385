"""The plugin API is documented name by name: every name ``core.api`` exports has a row in
the API table of docs/plugins/index.md, every hook a section in docs/plugins/hooks.md, and
the API's version is the core's and has its entry in CHANGELOG.md."""
from __future__ import annotations

import inspect
import re
from pathlib import Path

import core
import core.api
from core import hookspecs

ROOT = Path(__file__).resolve().parents[2]
INDEX = ROOT / "docs" / "plugins" / "index.md"
HOOKS = ROOT / "docs" / "plugins" / "hooks.md"
CHANGELOG = ROOT / "CHANGELOG.md"


def documented_api_names() -> set[str]:
    """The names in backticks in the first column of the table under 「`core.api` 提供什么」."""
    section = INDEX.read_text(encoding="utf-8").split("## `core.api` 提供什么", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)", line.split("|")[1]))
    return names


def test_every_exported_name_has_a_row_in_the_api_table():
    missing = sorted(set(core.api.__all__) - documented_api_names())
    assert not missing, f"docs/plugins/index.md's API table lacks: {', '.join(missing)}"


def test_the_api_table_names_nothing_that_is_not_exported():
    stale = sorted(documented_api_names() - set(core.api.__all__))
    assert not stale, f"docs/plugins/index.md's API table names what core.api does not export: {', '.join(stale)}"


def test_every_hook_has_its_section_in_the_hook_reference():
    headings = set(re.findall(r"^## `?(quanhui_[a-z_]+)", HOOKS.read_text(encoding="utf-8"), re.M))
    hooks = {name for name, func in vars(hookspecs).items() if inspect.isfunction(func) and hasattr(func, "quanhui_spec")}
    assert hooks and hooks <= headings, f"hooks without a section in hooks.md: {sorted(hooks - headings)}"


def test_the_api_version_is_the_cores_and_has_a_changelog_entry():
    assert core.__version__.startswith(core.api.API_VERSION + ".")
    assert re.search(rf"^## {re.escape(core.api.API_VERSION)}\b", CHANGELOG.read_text(encoding="utf-8"), re.M)
