"""The README's command table and the tutorial's list of generated files say what the code does."""
import re
from pathlib import Path

import click

from core.cli import make_cli
from core.scaffold import new_plugin

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
TUTORIAL = (ROOT / "docs" / "plugins" / "tutorial.md").read_text(encoding="utf-8")


def command_paths(group: click.Group, prefix: str = "quanhui") -> list[str]:
    paths = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            paths += command_paths(command, f"{prefix} {name}")
        else:
            paths.append(f"{prefix} {name}")
    return paths


def test_every_command_of_the_core_has_a_row_in_the_readmes_command_table():
    rows = re.findall(r"^\| `(quanhui [^`]*)`", README, re.M)
    missing = [path for path in command_paths(make_cli()) if not any(row.startswith(path) for row in rows)]
    assert missing == []


def test_the_tutorial_lists_every_file_the_generator_writes(tmp_path):
    made = new_plugin("hello", tmp_path, "你好", None)
    written = sorted(path.relative_to(made.root).as_posix() for path in made.files)
    listed = sorted(re.findall(r"^\| `([^`]+\.[a-z]+)` \|", TUTORIAL, re.M))
    assert listed == written
