"""Alembic migrations: the core's revisions here, each plugin's on its own branch.

``upgrade`` applies every branch of every installed plugin (``heads``), so
``quanhui db upgrade`` brings the core and all plugins' tables up to date together.
"""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect

from ..plugins import PluginRegistry

HERE = Path(__file__).parent


def alembic_config(registry: PluginRegistry, connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    locations = [str(HERE / "versions")]
    for outcome in registry.each("quanhui_migrations"):
        if outcome.value and not outcome.failed:
            locations.append(str(outcome.value))
    config.set_main_option("version_locations", " ".join(locations))
    config.set_main_option("path_separator", "space")
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, registry: PluginRegistry, target: str = "heads") -> None:
    from ..reports.rollup_cache import forget_all

    with engine.begin() as connection:
        command.upgrade(alembic_config(registry, connection), target)
        if inspect(connection).has_table("report_rollup_rows"):
            forget_all(connection)  # no change counter saw what the migrations did


def current_heads(engine: Engine, registry: PluginRegistry) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())
