"""``quanhui check`` tells what a production set-up lacks; ``QUANHUI_DB_PREPARE=0`` turns
psycopg's prepared statements off (for pgbouncer in transaction mode)."""
from __future__ import annotations

import os

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from core.cli import make_cli
from core.web.app import create_app

POSTGRES = "postgresql+psycopg://quanhui@db.example:5432/quanhui"
UNSET = {"QUANHUI_SECRET_KEY": None, "QUANHUI_REDIS_URL": None, "QUANHUI_SECURE_COOKIES": None}


def check(tmp_path, **environment):
    return CliRunner().invoke(make_cli(), ["check"], env={**UNSET, "QUANHUI_INSTANCE": str(tmp_path), **environment})


def test_postgresql_without_a_shared_secret_key_or_redis_is_warned_about(tmp_path):
    bare = check(tmp_path, QUANHUI_DATABASE_URL=POSTGRES)
    assert bare.exit_code == 1
    assert "没有设置 QUANHUI_SECRET_KEY" in bare.output and "没有设置 QUANHUI_REDIS_URL" in bare.output

    ready = check(tmp_path, QUANHUI_DATABASE_URL=POSTGRES, QUANHUI_SECRET_KEY="shared-by-every-machine",
                  QUANHUI_REDIS_URL="redis://127.0.0.1:6379/9", QUANHUI_SECURE_COOKIES="1")
    assert ready.exit_code == 0 and "未发现问题" in ready.output


def test_sqlite_is_reported_as_not_for_production(tmp_path):
    result = check(tmp_path, QUANHUI_DATABASE_URL=f"sqlite:///{tmp_path / 'q.db'}")
    assert result.exit_code == 1 and "数据库是 SQLite" in result.output


def _postgres_url() -> str | None:
    url = os.environ.get("QUANHUI_TEST_DATABASE_URL")
    return url if url and make_url(url).get_backend_name() == "postgresql" else None


@pytest.mark.postgres
@pytest.mark.skipif(_postgres_url() is None, reason="needs PostgreSQL: set QUANHUI_TEST_DATABASE_URL=postgresql+psycopg://...")
@pytest.mark.parametrize(("setting", "threshold"), [("1", 5), ("0", None)])
def test_prepared_statements_follow_quanhui_db_prepare(setting, threshold, monkeypatch, tmp_path):
    monkeypatch.setenv("QUANHUI_DB_PREPARE", setting)
    monkeypatch.setenv("QUANHUI_INSTANCE", str(tmp_path))
    app = create_app({"QUANHUI_DATABASE_URL": _postgres_url().rsplit("/", 1)[0] + "/postgres"})
    engine = app.extensions["quanhui.db"].engine
    with engine.connect() as connection:
        assert connection.connection.dbapi_connection.prepare_threshold == threshold
    engine.dispose()


def test_serve_says_that_a_worker_must_run_beside_it():
    shown = CliRunner().invoke(make_cli(), ["serve", "--help"])
    assert shown.exit_code == 0 and "quanhui worker" in shown.output and "必须" in shown.output
