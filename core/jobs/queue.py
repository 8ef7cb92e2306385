"""The queue that hands job ids to workers: Huey, in its own SQLite file under the
instance folder by default, in Redis when ``QUANHUI_REDIS_URL`` is set (what several
machines must share).

The queue carries only ids; :mod:`core.jobs.runner` reads everything else from the
``jobs`` table. With ``QUANHUI_JOBS_IMMEDIATE`` (tests without a worker) a job runs
inside the call that starts it.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.api import TaskWrapper

RUN_TASK = "quanhui.run_job"
REAP_TASK = "quanhui.reap_jobs"
SCHEDULE_TASK = "quanhui.run_schedules"
EXTENSION = "quanhui.huey"


@dataclasses.dataclass(frozen=True)
class JobQueue:
    huey: Huey
    #: Calling it with a job id puts the id on the queue.
    run: TaskWrapper


def job_queue(app: Flask) -> JobQueue:
    """The app's queue, with the tasks it knows: run a job by id; every minute, reap dead
    jobs and fan out the schedules that are due."""
    queue = app.extensions.get(EXTENSION)
    if queue is None:
        from .runner import reap, run_job
        from .schedules import run_schedules

        huey = _make_huey(app)
        run = huey.task(name=RUN_TASK)(lambda job_id: run_job(app, job_id))
        huey.periodic_task(crontab(minute="*"), name=REAP_TASK)(lambda: reap(app))
        huey.periodic_task(crontab(minute="*"), name=SCHEDULE_TASK)(lambda: run_schedules(app))
        queue = app.extensions[EXTENSION] = JobQueue(huey, run)
    return queue


def _make_huey(app: Flask) -> Huey:
    if app.config.get("QUANHUI_JOBS_IMMEDIATE"):
        return Huey("quanhui", immediate=True, results=False)
    url = app.config.get("QUANHUI_REDIS_URL")
    if url:
        return RedisHuey("quanhui", url=url, results=False)
    return SqliteHuey("quanhui", filename=queue_file(app), results=False)


def queue_file(app: Flask) -> str:
    return app.config.get("QUANHUI_QUEUE_FILE") or str(Path(app.instance_path) / "jobs-queue.db")
