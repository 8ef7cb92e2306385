"""Other long work as jobs: the think-tank reindex queued from the command line runs as a
job of the tenant, with the actor 系统."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from core.api import session, system_scope
from core.cli import make_cli
from core.jobs.models import Job


@pytest.mark.enable_plugins("think_tank", tenants=["lixia"])
def test_the_think_tank_reindex_runs_as_a_job_when_queued(app):
    result = CliRunner().invoke(make_cli(), ["think-tank", "reindex", "--tenant", "lixia", "--queue"],
                                env={"QUANHUI_DATABASE_URL": app.config["QUANHUI_DATABASE_URL"],
                                     "QUANHUI_JOBS_IMMEDIATE": "1"})
    assert result.exit_code == 0, result.output
    assert "历下区：已排队（任务 1）" in result.output
    with app.app_context(), system_scope(session):
        job = session.scalar(select(Job))
    assert (job.kind, job.state, job.actor_name, job.idempotent) == ("think_tank.reindex", "done", "系统", True)
    assert job.result == {"indexed": 0}


@pytest.mark.enable_plugins("matching", tenants=["lixia"])
def test_the_matching_optimum_is_solved_by_a_job_once_per_state_of_the_records(app, login_client):
    from tests.entity_helpers import create

    staff = login_client("lixia", "editor")
    assert 'data-testid="optimal-total"' in staff.get("/lixia/matching/assign").get_data(as_text=True)
    assert 'data-testid="optimal-total"' in staff.get("/lixia/matching/assign").get_data(as_text=True)
    create(app, "lixia")  # the records change: the next visit solves again
    assert 'data-testid="optimal-total"' in staff.get("/lixia/matching/assign").get_data(as_text=True)
    with app.app_context(), system_scope(session):
        jobs = session.scalars(select(Job).order_by(Job.id)).all()
    assert [(job.kind, job.state, job.actor_name) for job in jobs] == [("matching.optimum", "done", "lixia-editor")] * 2
    assert jobs[0].params["version"] < jobs[1].params["version"]


def test_a_long_list_is_exported_by_a_job_and_downloaded_from_its_page(app, login_client):
    import io

    from openpyxl import load_workbook

    from tests.entity_helpers import create

    app.config["QUANHUI_EXPORT_INLINE_ROWS"] = 2
    for number in range(3):
        create(app, "lixia", name=f"历下区导出测试协会{number}")
    create(app, "shizhong")
    client = login_client("lixia", "viewer")
    started = client.get("/lixia/entities/association/excel/export.xlsx")
    assert started.status_code == 303
    page = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "导出完成：共 3 条。" in page
    assert client.get("/lixia/entities/association/excel/export.xlsx").headers["Location"] == started.headers["Location"]

    download = client.get(started.headers["Location"] + ".xlsx")
    sheet = load_workbook(io.BytesIO(download.data))["协会商会"]
    assert sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True)) == [
        f"历下区导出测试协会{number}" for number in range(3)]
    assert login_client("lixia", "editor").get(started.headers["Location"]).status_code == 404  # another's export


@pytest.mark.enable_plugins("coverage", tenants=["lixia"])
def test_a_coverage_recount_is_queued_as_a_job_per_tenant_from_the_command_line(app):
    result = CliRunner().invoke(make_cli(), ["coverage", "snapshot", "--month", "2026-10", "--tenant", "lixia", "--queue"],
                                env={"QUANHUI_DATABASE_URL": app.config["QUANHUI_DATABASE_URL"],
                                     "QUANHUI_JOBS_IMMEDIATE": "1"})
    assert result.exit_code == 0, result.output
    assert "历下区 2026-10：已排队（任务 1）" in result.output
    with app.app_context(), system_scope(session):
        job = session.scalar(select(Job))
    assert (job.kind, job.state, job.actor_name, job.result["month"]) == ("coverage.snapshot", "done", "系统", "2026-10")
