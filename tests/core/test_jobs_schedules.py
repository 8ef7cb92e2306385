"""Schedules: the coverage plugin's monthly snapshot fans out into one job per tenant where
the plugin is enabled, with the actor 系统; each due time runs once, and one missed while
no worker ran is caught up."""
from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from core.api import session, system_scope
from core.cli import make_cli
from core.jobs.models import Job
from core.jobs.schedules import ZONE, run_schedules
from core.tenancy import Tenant
from plugins.coverage.models import CoverageSnapshot

pytestmark = pytest.mark.enable_plugins("coverage", tenants=["lixia", "shizhong"])


def jobs_and_snapshots(app):
    with app.app_context(), system_scope(session):
        jobs = session.execute(select(Tenant.slug, Job.kind, Job.state, Job.actor_name, Job.params)
                               .join(Tenant, Tenant.id == Job.tenant_id).order_by(Job.id)).all()
        snapshots = session.execute(select(Tenant.slug, CoverageSnapshot.month)
                                    .join(Tenant, Tenant.id == CoverageSnapshot.tenant_id)
                                    .order_by(CoverageSnapshot.month, Tenant.slug)).all()
    return [tuple(row) for row in jobs], [tuple(row) for row in snapshots]


def test_the_monthly_snapshot_runs_once_per_due_time_in_each_enabled_tenant_as_the_system(app):
    first_of_november = dt.datetime(2026, 11, 1, 0, 7, tzinfo=ZONE)
    assert len(run_schedules(app, now=first_of_november)) == 2
    assert run_schedules(app, now=first_of_november + dt.timedelta(days=3)) == []  # that due time is done

    jobs, snapshots = jobs_and_snapshots(app)
    assert jobs == [(slug, "coverage.snapshot", "done", "系统", {"month": "2026-10"}) for slug in ("lixia", "shizhong")]
    assert snapshots == [("lixia", "2026-10"), ("shizhong", "2026-10")]

    # No worker ran on 1 December; the first one to start on the 3rd catches up.
    assert len(run_schedules(app, now=dt.datetime(2026, 12, 3, 9, 0, tzinfo=ZONE))) == 2
    assert jobs_and_snapshots(app)[1][2:] == [("lixia", "2026-11"), ("shizhong", "2026-11")]


def test_schedules_are_listed_on_the_command_line_and_to_admins(app, login_client):
    listed = CliRunner().invoke(make_cli(), ["jobs", "schedules"],
                                env={"QUANHUI_DATABASE_URL": app.config["QUANHUI_DATABASE_URL"]})
    assert listed.exit_code == 0
    assert "coverage.monthly_snapshot  党建覆盖月度快照  每月 1 日 0:05（北京时间），快照上个月" in listed.output
    assert "尚未执行" in listed.output
    page = login_client("lixia", "admin").get("/lixia/jobs/").get_data(as_text=True)
    assert "定时任务" in page and "党建覆盖月度快照" in page and "每月 1 日 0:05" in page
