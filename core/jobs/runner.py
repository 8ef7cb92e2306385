"""Starting, running and reaping jobs.

A job runs in a worker under the scope and actor of whoever started it: the same tenant
scope a request of that user there gets (row-level security live on PostgreSQL), the
actor as ``current_user``, the tenant's plugins as its hook relay. The worker's own
bookkeeping (claiming a job, its heartbeat, its progress, its end) goes through a
session of its own, scoped to the job's tenant, so it never mixes with the job's work.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, current_app, g, has_request_context
from flask_login import AnonymousUserMixin, current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..auth.identity import Principal
from ..auth.models import User
from ..auth.permissions import ASSOCIATION_ROLE
from ..db import get_db, session, utcnow
from ..entities.ownership import restrict_to_association
from ..plugin_state import enabled_names
from ..tenancy import Tenant, TenantScope, set_scope, system_scope
from .models import CANCELLED, DONE, FAILED, QUEUED, RUNNING, Job, JobFile
from .queue import job_queue

logger = logging.getLogger(__name__)

#: Seconds between two progress writes of one job (and so between two cancel checks).
PROGRESS_INTERVAL = 0.25
#: A job of an idempotent kind whose worker died is queued again this many times at most.
MAX_ATTEMPTS = 3
SYSTEM_ACTOR = "系统"
DIED = "任务中断：执行它的后台进程意外停止（可能被重启或强行结束），本次未写入任何数据。请重新开始。"
CRASHED = "任务出错，未写入任何数据。请稍后重试；如果再次出错，请联系管理员。"


class JobCancelled(Exception):
    """Raised inside a job by :meth:`JobContext.progress` once someone asked to cancel it."""


class JobFailed(Exception):
    """Raised by a job to end failed with a message (in Chinese) for its owner."""


@dataclasses.dataclass(frozen=True)
class JobKind:
    """A kind of job a plugin declares (``quanhui_jobs`` hook).

    ``run(job)`` receives a :class:`JobContext` and returns the result (a dict that JSON
    can hold) or None. ``discard(job)``, when given, removes what a failed or cancelled
    run left behind (it runs in the job's scope too). ``idempotent`` kinds are queued
    again when their worker dies; others end failed. ``lease`` is how many seconds
    without a heartbeat make a running job count as dead.
    """

    name: str
    title: str
    run: Callable[[JobContext], dict[str, Any] | None]
    discard: Callable[[JobContext], None] | None = None
    idempotent: bool = False
    lease: int = 60


def job_kinds(app: Flask | None = None) -> dict[str, JobKind]:
    """Every job kind the installed plugins declare, by name."""
    app = app or current_app._get_current_object()
    kinds = app.extensions.get("quanhui.job_kinds")
    if kinds is None:
        kinds = {}
        for outcome in app.extensions["quanhui.plugins"].each("quanhui_jobs"):
            if outcome.failed:
                logger.error("plugin %s could not declare its jobs: %s", outcome.plugin, outcome.error)
                continue
            for kind in outcome.value or ():
                kinds[kind.name] = kind
        app.extensions["quanhui.job_kinds"] = kinds
    return kinds


def start_job(kind: str, *, params: dict[str, Any] | None = None, files: dict[str, tuple[str, bytes]] | None = None,
              title: str | None = None, tenant: Tenant | None = None, actor: User | None | object = ...) -> Job:
    """Queue a job of ``kind`` in ``tenant`` (the request's by default) on behalf of ``actor``
    (the signed-in user by default; None for the system); ``files`` maps a name to
    ``(file name, bytes)`` the job reads with :meth:`JobContext.file`. Commits the session."""
    app = current_app._get_current_object()
    declared = job_kinds(app)[kind]
    tenant = tenant or g.tenant
    if actor is ...:
        actor = current_user.user if has_request_context() and current_user.is_authenticated else None
    job = Job(tenant_id=tenant.id, actor_id=getattr(actor, "id", None),
              actor_name=getattr(actor, "username", None) or SYSTEM_ACTOR, kind=kind,
              title=title or declared.title, params=params or {}, state=QUEUED, lease_seconds=declared.lease,
              idempotent=declared.idempotent, created_at=utcnow())
    session.add(job)
    session.flush()
    for name, (filename, data) in (files or {}).items():
        session.add(JobFile(tenant_id=tenant.id, job_id=job.id, name=name, filename=filename[:255], data=data))
    session.commit()
    job_queue(app).run(job.id)
    return job


def latest_job(kind: str, params: dict[str, Any], *, tenant: Tenant | None = None) -> Job | None:
    """The newest job of ``kind`` started with exactly ``params`` in ``tenant`` (the
    request's by default), in whatever state: a page that shows a job's result finds it here."""
    tenant = tenant or g.tenant
    recent = session.scalars(select(Job).where(Job.tenant_id == tenant.id, Job.kind == kind)
                             .order_by(Job.id.desc()).limit(50).execution_options(populate_existing=True))
    return next((job for job in recent if job.params == params), None)


class JobContext:
    """What a running job sees of itself: its parameters and files, and the way to
    report progress (which is also where a cancel request is noticed)."""

    def __init__(self, job: Job, tenant: Tenant, actor: User | None, books: Session):
        self.id = job.id
        self.kind = job.kind
        self.params = dict(job.params or {})
        self.tenant = tenant
        self.actor = actor
        self._books = books
        self._lock = threading.Lock()
        self._written = 0.0

    def progress(self, done: int, total: int, message: str = "") -> None:
        """Report ``done`` of ``total``; raises :class:`JobCancelled` when asked to stop.
        Cheap to call often: it writes at most every :data:`PROGRESS_INTERVAL` seconds (and when done)."""
        now = time.monotonic()
        if now - self._written < PROGRESS_INTERVAL and done < total:
            return
        self._written = now
        cancelled = self._write(progress=done, total=total, message=message, heartbeat_at=utcnow())
        if cancelled:
            raise JobCancelled()

    def file(self, name: str) -> bytes | None:
        """The bytes of the job's file ``name`` (an upload), or None."""
        with self._lock:
            data = self._books.scalar(select(JobFile.data).where(JobFile.job_id == self.id, JobFile.name == name))
            self._books.commit()
        return data

    def keep(self, name: str, filename: str, data: bytes) -> None:
        """Keep a file the job produced (an error workbook, an export) for its owner."""
        with self._lock:
            self._books.add(JobFile(tenant_id=self.tenant.id, job_id=self.id, name=name, filename=filename[:255], data=data))
            self._books.commit()

    def beat(self) -> None:
        self._write(heartbeat_at=utcnow())

    def _write(self, **values) -> bool:
        """Update the job's row in a short transaction of its own; whether cancel was asked."""
        with self._lock:
            job = self._books.get(Job, self.id, populate_existing=True)
            for key, value in values.items():
                setattr(job, key, value)
            cancelled = job.cancel_requested
            self._books.commit()
        return cancelled


def run_job(app: Flask, job_id: int) -> None:
    """The worker's task: claim a queued job, run it in its owner's scope, record its end."""
    with app.app_context():
        job = _claim(job_id)
        if job is None:
            return
        kind = job_kinds(app).get(job.kind)
        with _job_scope(app, job) as context:
            if kind is None:
                _finish(context, FAILED, message="这种任务已无法执行（提供它的插件可能已卸载）。")
                return
            heart = _Heartbeat(context, max(1.0, job.lease_seconds / 4))
            heart.start()
            try:
                result = kind.run(context)
            except JobCancelled:
                _undo(kind, context)
                _finish(context, CANCELLED, message="已取消，未写入任何数据。")
            except JobFailed as failure:
                _undo(kind, context)
                _finish(context, FAILED, message=str(failure))
            except Exception as error:
                logger.exception("job %s (%s) failed", job.id, job.kind)
                _undo(kind, context)
                _finish(context, FAILED, message=CRASHED, error=f"{type(error).__name__}: {error}"[:2000])
            else:
                _finish(context, DONE, result=result)
            finally:
                heart.stop()


def _claim(job_id: int) -> Job | None:
    with system_scope(session):
        job = session.get(Job, job_id)
        if job is None or job.state != QUEUED:
            session.rollback()
            return None
        if job.cancel_requested:
            job.state, job.finished_at, job.message = CANCELLED, utcnow(), "已取消。"
            session.commit()
            return None
        job.state, job.started_at, job.heartbeat_at = RUNNING, utcnow(), utcnow()
        job.attempts += 1
        session.commit()
    return job


@contextlib.contextmanager
def _job_scope(app: Flask, job: Job) -> Iterator[JobContext]:
    """A request context that stands for the job's owner in the job's tenant, as
    :func:`core.web.scope.enter_tenant` would set it up for a request of theirs."""
    with system_scope(session):
        tenant = session.get(Tenant, job.tenant_id)
        actor = session.get(User, job.actor_id) if job.actor_id is not None else None
    books = get_db().sessionmaker()
    books.info["quanhui.scope"] = TenantScope.of(tenant)
    try:
        with app.test_request_context(f"/{tenant.slug}/"):
            g._login_user = Principal(actor, "") if actor is not None else AnonymousUserMixin()
            g.tenant = tenant
            g.role = actor.role if actor is not None else None
            set_scope(session, TenantScope.of(tenant))
            if actor is not None and actor.role == ASSOCIATION_ROLE:
                restrict_to_association(session, actor.association_id)
            registry = app.extensions["quanhui.plugins"]
            g.plugins = registry.relay(enabled_names(session, registry, tenant))
            yield JobContext(job, tenant, actor, books)
    finally:
        books.close()


def _undo(kind: JobKind, context: JobContext) -> None:
    session.rollback()
    if kind.discard is None:
        return
    try:
        kind.discard(context)
        session.commit()
    except Exception:
        logger.exception("job %s: could not discard what it left", context.id)
        session.rollback()


def _finish(context: JobContext, state: str, **values) -> None:
    context._write(state=state, finished_at=utcnow(), heartbeat_at=utcnow(), **values)


class _Heartbeat(threading.Thread):
    """Beats for a running job while its work runs, so that only a dead worker goes stale."""

    def __init__(self, context: JobContext, every: float):
        super().__init__(name=f"quanhui-heartbeat-{context.id}", daemon=True)
        self.context = context
        self.every = every
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                self.context.beat()
            except Exception:
                logger.warning("job %s: heartbeat not written", self.context.id, exc_info=True)

    def stop(self) -> None:
        self.stopped.set()
        self.join()


def reap(app: Flask) -> list[int]:
    """Running jobs whose heartbeat is older than their lease have lost their worker:
    queue them again when their kind is idempotent, else end them failed, after
    discarding what they left. Runs when a worker starts and every minute; the ids."""
    with app.app_context():
        with system_scope(session):
            now = utcnow()
            running = session.scalars(select(Job).where(Job.state == RUNNING)).all()
            stale = [job for job in running
                     if job.heartbeat_at is None or now - job.heartbeat_at > dt.timedelta(seconds=job.lease_seconds)]
            session.commit()  # only read; a rollback would expire the rows read under this scope
        for job in stale:
            _reap_one(app, job)
        return [job.id for job in stale]


def _reap_one(app: Flask, job: Job) -> None:
    kind = job_kinds(app).get(job.kind)
    with _job_scope(app, job) as context:
        if kind is not None:
            _undo(kind, context)
        if kind is not None and job.idempotent and job.attempts < MAX_ATTEMPTS:
            context._write(state=QUEUED, heartbeat_at=None, message="执行它的后台进程中断，已重新排队。")
            job_queue(app).run(job.id)
            return
        _finish(context, FAILED, message=DIED)
    logger.warning("job %s (%s): worker lost, %s", job.id, job.kind, "re-queued" if job.idempotent else "failed")


def cancel(job: Job) -> None:
    """Ask ``job`` to stop: a queued job ends at once, a running one at its next progress report."""
    if job.state == QUEUED:
        job.state, job.finished_at, job.message = CANCELLED, utcnow(), "已取消。"
    job.cancel_requested = True


def retry(job: Job) -> Job:
    """A new job with the same kind, parameters and files as a finished one; the session is committed."""
    uploads = {f.name: (f.filename, f.data) for f in session.scalars(
        select(JobFile).where(JobFile.job_id == job.id, JobFile.name == "upload"))}
    tenant = session.get(Tenant, job.tenant_id)
    return start_job(job.kind, params=job.params, files=uploads, title=job.title, tenant=tenant)


