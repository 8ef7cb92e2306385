"""Scenario 4, run in a process of its own so its peak memory is its own:
``python -m bench.excel_import --database-url URL --file book.xlsx``.

Reads the workbook once with openpyxl alone (the floor: what reading the file costs),
then imports it into the empty street ``bench-import`` through
:func:`core.entities.excel.import_rows`, all or nothing, with progress; prints one JSON
line: rows, created, read and import seconds, progress calls, peak RSS in MB.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time

from openpyxl import load_workbook

from core.db import session
from core.entities import excel, service_for
from core.tenancy import TenantScope, set_scope, tenant_by_slug

from .app import make_app
from .generate import IMPORT_TENANT


def measure(url: str, path: str) -> dict:
    started = time.perf_counter()
    book = load_workbook(path, read_only=True, data_only=True)
    rows = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True)) - 1
    book.close()
    read = time.perf_counter() - started
    app = make_app(url)
    calls = []
    with app.app_context():
        tenant = tenant_by_slug(session, IMPORT_TENANT)
        set_scope(session, TenantScope.of(tenant))
        service = service_for(tenant)
        association = service.type("association")
        started = time.perf_counter()
        result = excel.import_rows(service, association, path, progress=lambda done, total: calls.append(done))
        seconds = time.perf_counter() - started
    app.extensions["quanhui.db"].engine.dispose()
    return {"rows": rows, "created": result.created, "failed": result.failed, "read_seconds": read,
            "import_seconds": seconds, "progress_calls": len(calls),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.excel_import")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--file", required=True)
    arguments = parser.parse_args(argv)
    print(json.dumps(measure(arguments.database_url, arguments.file)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
