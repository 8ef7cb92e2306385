"""``quanhui worker`` and ``quanhui jobs list``."""
from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from ..db import session
from ..tenancy import Tenant, system_scope
from .models import STATE_LABELS, Job
from .queue import job_queue
from .runner import reap
from .schedules import last_run, run_schedules, schedules


@click.command("worker")
@click.option("--workers", default=1, show_default=True, type=int, help="同时执行的任务数")
@with_appcontext
def worker(workers: int):
    """运行后台任务进程（导入、导出、定时任务等都由它执行；网站运行时必须至少有一个）。"""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = current_app._get_current_object()
    reaped = reap(app)
    if reaped:
        click.echo(f"已处理 {len(reaped)} 个中断的任务")
    caught_up = run_schedules(app)
    if caught_up:
        click.echo(f"补做了错过的定时任务：{len(caught_up)} 个")
    consumer = job_queue(app).huey.create_consumer(workers=workers, periodic=True, max_delay=0.5)
    click.echo("泉汇后台任务进程已启动")
    consumer.run()


@click.group("jobs")
def jobs_group():
    """后台任务：列出任务和定时任务。"""


@jobs_group.command("list")
@click.option("--tenant", "slug", default=None, help="只列出这个租户（slug）的任务")
@click.option("--limit", default=50, show_default=True, type=int)
@with_appcontext
def jobs_list(slug: str | None, limit: int):
    """列出最近的后台任务：编号、租户、内容、状态、进度、发起人、时间。"""
    with system_scope(session):
        statement = select(Job, Tenant.slug).join(Tenant, Tenant.id == Job.tenant_id)
        if slug:
            statement = statement.where(Tenant.slug == slug)
        rows = session.execute(statement.order_by(Job.id.desc()).limit(limit)).all()
    if not rows:
        click.echo("没有任务")
    for job, tenant_slug in rows:
        progress = f"{job.progress}/{job.total}" if job.total else "-"
        click.echo(f"{job.id}  {tenant_slug}  {job.kind}  {STATE_LABELS.get(job.state, job.state)}  {progress}  "
                   f"{job.actor_name}  {job.created_at:%Y-%m-%d %H:%M}  {job.title}")


@jobs_group.command("schedules")
@with_appcontext
def jobs_schedules():
    """列出插件声明的定时任务：名称、何时执行（北京时间）、上次执行。"""
    declared = schedules()
    if not declared:
        click.echo("没有定时任务")
    for plugin, schedule in declared:
        last = last_run(schedule.name)
        shown = f"{last:%Y-%m-%d %H:%M}" if last else "尚未执行"
        click.echo(f"{schedule.name}  {schedule.title}  {schedule.when}  插件：{plugin}  上次：{shown}")
