"""The hook reference in docs/plugins/hooks.md is rendered from core/hookspecs.py and
never drifts from it; every hook documents itself with an example."""
from __future__ import annotations

import importlib.util
import inspect
import types
from pathlib import Path

import pytest

from core import hookspecs

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "render_hook_reference.py"
DOC = ROOT / "docs" / "plugins" / "hooks.md"


@pytest.fixture(scope="module")
def renderer():
    spec = importlib.util.spec_from_file_location("render_hook_reference", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_reference_is_up_to_date(renderer):
    assert DOC.read_text(encoding="utf-8") == renderer.render(), (
        "docs/plugins/hooks.md differs from core/hookspecs.py: run .venv/bin/python scripts/render_hook_reference.py"
    )


def test_check_option(renderer, tmp_path, capsys):
    assert renderer.main(["--check"]) == 0
    stale = tmp_path / "hooks.md"
    stale.write_text(renderer.render().replace("quanhui_nav_items", "quanhui_nav"), encoding="utf-8")
    assert renderer.main(["--check", "--output", str(stale)]) == 1
    assert renderer.main(["--check", "--output", str(tmp_path / "missing.md")]) == 1
    assert renderer.main(["--output", str(stale)]) == 0
    assert renderer.main(["--check", "--output", str(stale)]) == 0


def all_hookspecs():
    return [
        func
        for func in vars(hookspecs).values()
        if inspect.isfunction(func) and func.__module__ == hookspecs.__name__ and hasattr(func, "quanhui_spec")
    ]


def test_walks_every_hookspec_in_source_order(renderer):
    found = renderer.hookspecs_in_source_order(hookspecs)
    assert {f.__name__ for f in found} == {f.__name__ for f in all_hookspecs()} == set(
        hookspecs_registered_with_pluggy()
    )
    lines = [inspect.getsourcelines(f)[1] for f in found]
    assert lines == sorted(lines)
    text = renderer.render()
    positions = [text.index(f"\n## {f.__name__}(") for f in found]
    assert positions == sorted(positions)


def hookspecs_registered_with_pluggy() -> list[str]:
    from core.plugins import PluginRegistry

    return [name for name in dir(PluginRegistry().pm.hook) if name.startswith("quanhui_")]


@pytest.mark.parametrize("spec", all_hookspecs(), ids=lambda f: f.__name__)
def test_every_hookspec_has_a_docstring_with_an_example(spec, renderer):
    doc = inspect.getdoc(spec)
    assert doc, f"{spec.__name__} has no docstring"
    assert "\nExample::\n" in doc, f"{spec.__name__}'s docstring has no Example:: block"
    example = doc.split("\nExample::\n", 1)[1]
    assert f"def {spec.__name__}(" in example, f"{spec.__name__}'s example does not implement the hook"
    assert spec.__name__ in renderer.PER_TENANT | renderer.AT_START_UP


def test_literal_blocks_become_fenced_python(renderer):
    doc = '''Intro with ``code`` and :class:`core.api.Widget`.

    Example::

        @hookimpl
        def quanhui_x(tenant):
            return [1]

    After the block ::

        x = 1
    '''
    assert renderer.rest_to_markdown(doc) == (
        "Intro with `code` and `core.api.Widget`.\n\nExample:\n\n```python\n@hookimpl\ndef quanhui_x(tenant):\n"
        "    return [1]\n```\n\nAfter the block\n\n```python\nx = 1\n```\n"
    )


def test_a_hook_without_a_timing_is_refused(renderer):
    fake = types.ModuleType("fake_hookspecs")
    fake.__doc__ = "Fake."

    def quanhui_new_hook(tenant):
        """New.

        Example::

            pass
        """

    quanhui_new_hook.__module__ = fake.__name__
    quanhui_new_hook.quanhui_spec = {}
    fake.quanhui_new_hook = quanhui_new_hook
    with pytest.raises(renderer.HookReferenceError, match="neither PER_TENANT nor AT_START_UP"):
        renderer.timing("quanhui_new_hook")
    with pytest.raises(renderer.HookReferenceError):
        renderer.render(fake)
