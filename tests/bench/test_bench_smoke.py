"""``make bench`` keeps working: generate a tiny province and run every scenario on it.

No timing is asserted here (the figures of a test run on a busy machine mean nothing);
what is checked is that each scenario runs to the end on this database, reports a
figure, and that the platform's roll-up gives the same figures as the naive JSON scan.
"""
import math
import os

from sqlalchemy.engine import make_url

from bench import generate, run

SIZES = ["--tenants", "20", "--associations", "800", "--entities", "1600"]


def bench_url(tmp_path) -> str:
    server = os.environ.get("QUANHUI_TEST_DATABASE_URL")
    if not server:
        return f"sqlite:///{tmp_path / 'bench.db'}"
    url = make_url(server)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return url.set(database=f"{url.database}_bench_{worker}").render_as_string(hide_password=False)


def test_generate_then_run_prints_a_row_for_every_scenario(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QUANHUI_INSTANCE", str(tmp_path / "instance"))
    url = bench_url(tmp_path)
    database = "postgresql" if url.startswith("postgresql") else "sqlite"
    assert generate.main(["--reset", "--database-url", url, *SIZES]) == 0
    assert "association 800" in capsys.readouterr().out

    table = tmp_path / "results.md"
    assert run.main(["--small", "--databases", database, f"--{'postgres' if database == 'postgresql' else 'sqlite'}-url",
                     url, "--import-rows", "40", "--redis-url", "", "--markdown", str(table)]) == 0
    printed = capsys.readouterr().out
    rows = [line for line in table.read_text(encoding="utf-8").splitlines()[2:]]
    ours = [row for row in rows if f"| {database} |" in row]
    scenarios = sorted({row.split("|")[1].strip().split()[0] for row in ours})
    expected = ["1", "2", "4", "5", "6"] + (["3"] if database == "postgresql" else [])
    assert scenarios == sorted(expected)
    for row in ours:
        figure = row.split("|")[3].strip().split()[0].replace(",", "")
        assert math.isfinite(float(figure)), row
    assert "same figures as the scan" in next(row for row in ours if row.split("|")[1].strip().startswith("2 "))
    assert "40 created" in printed and "scenario" in printed.splitlines()[-len(rows) - 1]
