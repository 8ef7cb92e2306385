"""The jobs page of a tenant: what runs and ran there, with progress, who and when;
admins cancel a queued or running job and retry a failed or cancelled one (audited), and
see the schedules of the plugins enabled there."""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from .. import audit
from ..auth.permissions import has_permission, require_permission
from ..db import session
from ..web.pagination import Page
from .models import CANCELLED, FAILED, Job
from .runner import cancel, retry
from .schedules import last_run, schedules

bp = Blueprint("jobs", __name__, url_prefix="/<tenant>/jobs")
MANAGE = "jobs.manage"


@bp.get("/")
@require_permission("core.view")
def index(tenant):
    """Admins see every job of the tenant; everyone else the jobs they started."""
    query = select(Job).order_by(Job.created_at.desc(), Job.id.desc())
    manages = has_permission(MANAGE)
    if not manages:
        query = query.where(Job.actor_id == current_user.user.id)
    timetable = [(schedule, last_run(schedule.name)) for plugin, schedule in schedules()
                 if manages and plugin in g.plugins.enabled]
    return render_template("jobs/index.html", page=Page.from_request(query), manages=manages,
                           retryable=(FAILED, CANCELLED), timetable=timetable)


@bp.post("/<int:job_id>/cancel")
@require_permission(MANAGE)
def cancel_job(tenant, job_id):
    job = _job(job_id)
    if not job.finished and not job.cancel_requested:
        cancel(job)
        audit.record(session, "jobs.cancelled", tenant_id=g.tenant.id, target=job.title[:200], kind=job.kind)
        session.commit()
    return redirect(url_for("jobs.index"), 303)


@bp.post("/<int:job_id>/retry")
@require_permission(MANAGE)
def retry_job(tenant, job_id):
    job = _job(job_id)
    if job.state in (FAILED, CANCELLED):
        audit.record(session, "jobs.retried", tenant_id=g.tenant.id, target=job.title[:200], kind=job.kind)
        retry(job)
    return redirect(url_for("jobs.index"), 303)


def _job(job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        abort(404)
    return job
