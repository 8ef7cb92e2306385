"""An Excel import killed half-way (SIGKILL: a crash, the OOM killer, a pulled plug)
leaves nothing behind: the import writes in one transaction and commits only at the end."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select, text

from core.db import session
from core.directory import ASSOCIATION
from core.entities import excel
from core.entities.models import Entity, EntityRevision, EntityValue
from core.tenancy import SYSTEM, use_scope
from tests.entity_helpers import association, create

ROWS = 2000
QUANHUI = Path(sys.executable).with_name("quanhui")


def _counts(app) -> tuple[int, int, int]:
    with app.app_context(), use_scope(session, SYSTEM):
        return tuple(session.scalar(select(func.count()).select_from(model)) for model in (Entity, EntityRevision, EntityValue))


def test_an_import_killed_midway_imports_nothing_and_the_database_stays_sound(app, tmp_path, record_property):
    workbook = tmp_path / "名录.xlsx"
    excel.write_export(ASSOCIATION, [association(address="历下区泉城路") for _ in range(ROWS)], workbook)
    before = _counts(app)
    environment = {**os.environ, "QUANHUI_DATABASE_URL": app.config["QUANHUI_DATABASE_URL"],
                   "QUANHUI_SECRET_KEY": "import-killed", "QUANHUI_INSTANCE": str(tmp_path)}
    process = subprocess.Popen(
        [str(QUANHUI), "import", "association", str(workbook), "--tenant", "lixia"],
        env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    progress = process.stderr.readline()  # the first "已处理 n/2000 行" line: rows are being written
    process.send_signal(signal.SIGKILL)
    out, err = process.communicate(timeout=30)
    assert "已处理" in progress, progress + err
    assert process.returncode == -signal.SIGKILL
    assert "已导入" not in out

    assert _counts(app) == before
    with app.app_context():
        if session.get_bind().dialect.name == "sqlite":
            assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    assert isinstance(create(app, "lixia"), int)  # and it takes writes again at once
    record_property("rows_in_workbook", ROWS)
    record_property("killed_after_rows", int(progress.split()[1].split("/")[0]))
