"""An Excel import posted through ``quanhui serve`` (its default settings) with one
``quanhui worker``: ``python -m bench.served_import --rows 100000 [--database-url URL]``.

Builds a fresh instance (``quanhui init``, two users, a token) in a temporary folder,
starts the server and the worker, uploads a workbook of ``--rows`` associations through
the page as a user would, and polls the job's page until the result is there. Meanwhile
another thread asks, in turn, for the list page, saves a record over the API and logs in.
Prints one JSON line: rows, seconds from upload to the result on the page, the worker's
peak RSS in MB, and the p50 (ms) of the list page, a record save and a login during the import.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import types
from pathlib import Path

import requests

from core.directory import ASSOCIATION
from core.entities import excel

from .generate import association_rows

QUANHUI = str(Path(sys.executable).with_name("quanhui"))
PASSWORD = "Bench-served-import-2026"
TENANT = "lixia"
LIXIA = types.SimpleNamespace(id=3, name="历下区", code="370102")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.served_import", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="default: SQLite in the temporary instance folder")
    parser.add_argument("--redis-url", default=None)
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="quanhui-served-import-") as folder:
        print(json.dumps(measure(Path(folder), arguments.rows, arguments.database_url, arguments.redis_url),
                         ensure_ascii=False))
    return 0


def measure(folder: Path, rows: int, database_url: str | None, redis_url: str | None) -> dict:
    environment = {**os.environ, "QUANHUI_INSTANCE": str(folder), "QUANHUI_SECRET_KEY": "bench-served-import"}
    if database_url:
        environment["QUANHUI_DATABASE_URL"] = database_url
    if redis_url:
        environment["QUANHUI_REDIS_URL"] = redis_url
    run = lambda *command, stdin=None: subprocess.run([QUANHUI, *command], env=environment, input=stdin,  # noqa: E731
                                                      check=True, capture_output=True, text=True)
    run("init")
    for name, role in (("bench-importer", "editor"), ("bench-other", "editor")):
        run("users", "create", name, "--tenant", TENANT, "--role", role, "--password-stdin", stdin=PASSWORD + "\n")
    token = run("tokens", "create", "--user", "bench-other", "--name", "bench").stdout.split()[-1]
    book = folder / "associations.xlsx"
    excel.write_export(ASSOCIATION, association_rows(random.Random(7), LIXIA, rows), book)

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with _process([QUANHUI, "serve", "--port", str(port)], environment), \
            _process([QUANHUI, "worker"], environment) as worker:
        _wait_for(f"{base}/healthz")
        importer = _signed_in(base, "bench-importer")
        page = importer.get(f"{base}/{TENANT}/entities/association/excel/").text
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        started = time.perf_counter()
        with open(book, "rb") as upload:
            posted = importer.post(f"{base}/{TENANT}/entities/association/excel/import", data={"mode": "all"},
                                   files={"file": ("associations.xlsx", upload)},
                                   headers={"X-CSRFToken": csrf, "HX-Request": "true"})
        job_url = base + re.search(r'hx-get="([^"]+/excel/jobs/\d+)"', posted.text).group(1)
        others = _Others(base, token)
        others.start()
        while "hx-trigger" in (answer := importer.get(job_url, headers={"HX-Request": "true"}).text):
            time.sleep(0.5)
        seconds = time.perf_counter() - started
        others.stop()
        peak = _peak_rss_mb(worker.pid)
    created = re.search(r"已新增 (\d+) 条", answer)
    return {"rows": rows, "created": int(created.group(1)) if created else 0, "seconds": round(seconds, 1),
            "worker_peak_rss_mb": peak, **others.p50()}


class _Others(threading.Thread):
    """Another user at work during the import: list page, a record save, a login, in turn."""

    def __init__(self, base: str, token: str):
        super().__init__(daemon=True)
        self.base, self.token = base, token
        self.times: dict[str, list[float]] = {"list_p50_ms": [], "save_p50_ms": [], "login_p50_ms": []}
        self.stopped = threading.Event()

    def run(self) -> None:
        reader = _signed_in(self.base, "bench-other")
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {self.token}"
        number = 0
        while not self.stopped.is_set():
            number += 1
            self._time("list_p50_ms", lambda: reader.get(f"{self.base}/{TENANT}/entities/association/"))
            record = {"name": f"历下区同期保存协会{number}", "uscc": _code(number), "category": "行业协会", "status": "正常"}
            self._time("save_p50_ms", lambda: api.post(f"{self.base}/api/v1/{TENANT}/entities/association", json=record))
            self._time("login_p50_ms", lambda: _signed_in(self.base, "bench-other"))
            self.stopped.wait(0.5)

    def _time(self, key: str, call) -> None:
        started = time.perf_counter()
        call()
        self.times[key].append((time.perf_counter() - started) * 1000)

    def stop(self) -> None:
        self.stopped.set()
        self.join()

    def p50(self) -> dict:
        return {key: round(statistics.median(values), 1) if values else None for key, values in self.times.items()}


def _code(number: int) -> str:
    from core.entities.uscc import make

    return make("5", "1", "370102", 90_000_000 + number)


def _signed_in(base: str, username: str) -> requests.Session:
    client = requests.Session()
    form = client.get(f"{base}/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    client.post(f"{base}/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf})
    return client


@contextlib.contextmanager
def _process(command: list[str], environment: dict):
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def _peak_rss_mb(pid: int) -> float:
    """VmHWM of the worker process and its children (Huey's consumer runs in the one process)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str) -> None:
    for _ in range(300):
        with contextlib.suppress(requests.ConnectionError):
            if requests.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


if __name__ == "__main__":
    sys.exit(main())
