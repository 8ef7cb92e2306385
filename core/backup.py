"""Backups: a consistent copy of the whole database, and putting one back.

SQLite uses its online backup API (the copy is consistent while the app keeps
serving); PostgreSQL uses pg_dump's custom format and pg_restore. A fingerprint (row
count and a SHA-256 of every table's rows in key order) shows that a restore brought
back exactly what was saved.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine, MetaData, select
from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """A backup or restore that cannot go ahead; the message says why, in Chinese."""


def backup(engine: Engine, target: str | Path) -> None:
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} 已存在,请换一个文件名,以免覆盖已有的备份")
    target.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(_sqlite_path(engine))
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        return
    _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", _libpq_url(engine)], "pg_dump")


def restore(engine: Engine, source: str | Path) -> None:
    """Replace the database's contents with the backup ``source`` (the app should be stopped)."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"找不到备份文件 {source}")
    engine.dispose()
    if engine.dialect.name == "sqlite":
        _check_sqlite_backup(source)
        live = Path(_sqlite_path(engine))
        staging = live.with_suffix(".restoring")
        shutil.copyfile(source, staging)
        for suffix in ("-wal", "-shm"):
            Path(f"{live}{suffix}").unlink(missing_ok=True)
        staging.replace(live)
        return
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
          f"--dbname={_libpq_url(engine)}", str(source)], "pg_restore")


def fingerprint(engine: Engine) -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of its rows in primary-key order."""
    metadata = MetaData()
    metadata.reflect(engine)
    result = {}
    with engine.connect() as connection:  # as the connecting owner role: every tenant's rows
        for table in sorted(metadata.tables.values(), key=lambda t: t.name):
            order = list(table.primary_key.columns) or list(table.columns)
            digest, count = hashlib.sha256(), 0
            for row in connection.execute(select(table).order_by(*order)):
                digest.update(json.dumps([_plain(v) for v in row], default=str, ensure_ascii=False).encode())
                count += 1
            result[table.name] = (count, digest.hexdigest())
    return result


def _plain(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return value


def _check_sqlite_backup(source: Path) -> None:
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as connection:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError:
        raise BackupError(f"{source} 不是 SQLite 数据库文件") from None
    if not {"alembic_version", "tenants"} <= tables:
        raise BackupError(f"{source} 不是泉汇的备份:缺少 alembic_version 或 tenants 表")


def _sqlite_path(engine: Engine) -> str:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("内存数据库无法备份")
    return database


def _libpq_url(engine: Engine) -> str:
    url = make_url(engine.url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _run(command: list[str], tool: str) -> None:
    if shutil.which(tool) is None:
        raise BackupError(f"找不到 {tool},请安装 PostgreSQL 客户端工具")
    finished = subprocess.run(command, capture_output=True, text=True)
    if finished.returncode != 0:
        raise BackupError(f"{tool} 失败:{finished.stderr.strip()[-500:]}")
