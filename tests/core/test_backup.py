"""quanhui backup and restore round-trip a demo database with nothing lost."""
import pytest
from sqlalchemy import text

from core.backup import BackupError, backup, fingerprint, restore
from core.cli import make_cli
from core.db import get_db, session
from core.tenancy import system_scope


@pytest.fixture
def quanhui(app):
    runner = app.test_cli_runner()
    cli = make_cli()
    return lambda *args: runner.invoke(cli, list(args))


def engine(app):
    with app.app_context():
        return get_db().engine


def test_a_demo_database_comes_back_exactly_as_it_was_saved(app, quanhui, tmp_path):
    assert quanhui("demo").exit_code == 0
    saved = fingerprint(engine(app))
    assert saved["entities"][0] > 338 and saved["entity_revisions"][0] >= saved["entities"][0]
    target = tmp_path / "quanhui.backup"
    made = quanhui("backup", str(target))
    assert made.exit_code == 0, made.output
    assert "已备份到" in made.output

    with app.app_context(), system_scope(session):  # an accident after the backup
        session.execute(text("DELETE FROM entity_values"))
        session.commit()
    assert fingerprint(engine(app)) != saved

    restored = quanhui("restore", str(target), "--yes")
    assert restored.exit_code == 0, restored.output
    assert fingerprint(engine(app)) == saved


def test_backup_never_overwrites_and_restore_refuses_what_is_not_a_backup(app, tmp_path):
    existing = tmp_path / "taken.backup"
    existing.write_text("keep me")
    with pytest.raises(BackupError, match="已存在"):
        backup(engine(app), existing)
    assert existing.read_text() == "keep me"
    if engine(app).dialect.name == "sqlite":
        with pytest.raises(BackupError, match="不是 SQLite 数据库文件"):
            restore(engine(app), existing)
    with pytest.raises(BackupError, match="找不到备份文件"):
        restore(engine(app), tmp_path / "missing.backup")
