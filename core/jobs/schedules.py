"""Schedules: plugins declare them (``quanhui_schedules`` hook); each due time fans out
into one job per tenant where the plugin is enabled, with the actor 系统, under that
tenant's scope. Times are Asia/Shanghai.

Every worker checks the schedules when it starts and every minute. The last due time
that was fanned out is kept per schedule in ``platform_flags``; a worker takes a due time
with one conditional UPDATE, so of several workers exactly one fans it out, and a due
time missed while no worker ran is caught up (once) when one starts again.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from huey import crontab
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..db import session, utcnow
from ..platform_flags import PlatformFlag
from ..plugin_state import enabled_in
from ..tenancy import Tenant, TenantScope, system_scope, use_scope

logger = logging.getLogger(__name__)
ZONE = ZoneInfo("Asia/Shanghai")
#: How far back a missed due time is still caught up.
LOOKBACK = dt.timedelta(days=32)


@dataclasses.dataclass(frozen=True)
class Schedule:
    """A job run by itself at the times ``cron`` names (Asia/Shanghai), one per tenant.

    ``cron`` holds Huey crontab fields (``minute``, ``hour``, ``day``, ``month``,
    ``day_of_week``); ``when`` says the same for people; ``params(due)`` gives the job's
    parameters for a due time (a timezone-aware Asia/Shanghai datetime).
    """

    name: str
    title: str
    job: str
    cron: dict[str, str]
    when: str
    params: Callable[[dt.datetime], dict[str, Any]] = lambda due: {}


def schedules(app: Flask | None = None) -> list[tuple[str, Schedule]]:
    """Every declared schedule, with the name of the plugin that declares it."""
    app = app or current_app._get_current_object()
    found = []
    for outcome in app.extensions["quanhui.plugins"].each("quanhui_schedules"):
        if outcome.failed:
            logger.error("plugin %s could not declare its schedules: %s", outcome.plugin, outcome.error)
            continue
        found.extend((outcome.plugin, schedule) for schedule in outcome.value or ())
    return found


def latest_due(schedule: Schedule, now: dt.datetime) -> dt.datetime | None:
    """The last due time at or before ``now`` (within :data:`LOOKBACK`), in Asia/Shanghai."""
    matches = crontab(**schedule.cron)
    moment = now.astimezone(ZONE).replace(second=0, microsecond=0)
    earliest = moment - LOOKBACK
    while moment > earliest:
        if matches(moment.replace(tzinfo=None)):
            return moment
        moment -= dt.timedelta(minutes=1)
    return None


def last_run(name: str) -> dt.datetime | None:
    with system_scope(session):
        value = session.scalar(select(PlatformFlag.value).where(PlatformFlag.key == _key(name)))
    return dt.datetime.fromisoformat(value).astimezone(ZONE) if value else None


def run_schedules(app: Flask, now: dt.datetime | None = None) -> list[int]:
    """Fan out every schedule whose latest due time has not run yet; the new jobs' ids."""
    from .runner import start_job

    started = []
    with app.app_context():
        now = now or utcnow()
        registry = app.extensions["quanhui.plugins"]
        for plugin, schedule in schedules(app):
            due = latest_due(schedule, now)
            if due is None or not _take(schedule.name, due):
                continue
            with system_scope(session):
                tenants = session.scalars(select(Tenant).order_by(Tenant.position, Tenant.id)).all()
                enabled = enabled_in(session, registry, plugin, [tenant.id for tenant in tenants])
            for tenant in tenants:
                if tenant.id in enabled:
                    with use_scope(session, TenantScope.of(tenant)):
                        job = start_job(schedule.job, params=schedule.params(due), tenant=tenant, actor=None,
                                        title=f"{schedule.title}（定时）")
                    started.append(job.id)
            logger.info("schedule %s due %s: %d jobs", schedule.name, due.isoformat(), len(started))
    return started


def _take(name: str, due: dt.datetime) -> bool:
    """Record ``due`` as the schedule's last run unless it (or a later one) is already: whether
    this caller took it. One conditional UPDATE, so two workers never both take one due time."""
    stamp = due.astimezone(dt.UTC).isoformat()
    with system_scope(session):
        if session.get(PlatformFlag, _key(name)) is None:
            try:
                session.add(PlatformFlag(key=_key(name), value=stamp))
                session.commit()
                return True
            except IntegrityError:
                session.rollback()
        taken = session.execute(
            update(PlatformFlag).where(PlatformFlag.key == _key(name), PlatformFlag.value < stamp).values(value=stamp)
        ).rowcount
        session.commit()
    return taken == 1


def _key(name: str) -> str:
    return f"schedule:{name}"[:60]
