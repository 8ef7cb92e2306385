"""``quanhui check``: what a production set-up lacks (with no subcommand); subcommands
check the data itself."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.engine import make_url

from .db import session


def production_gaps(app: Flask) -> list[str]:
    """Warnings, in Chinese, about settings a production deployment should not run without."""
    config = app.config
    url = config["QUANHUI_DATABASE_URL"]
    if not url or make_url(url).get_backend_name() == "sqlite":
        return ["数据库是 SQLite：只适合演示和单机小规模使用；生产环境请用 PostgreSQL（设置 QUANHUI_DATABASE_URL）。"]
    gaps = []
    if not config["QUANHUI_SECRET_KEY"]:
        gaps.append("使用 PostgreSQL 却没有设置 QUANHUI_SECRET_KEY：密钥取自本机实例目录，"
                    "多台机器之间的登录和表单令牌互不承认。请给所有机器设置同一个 QUANHUI_SECRET_KEY。")
    if not config["QUANHUI_REDIS_URL"]:
        gaps.append("使用 PostgreSQL 却没有设置 QUANHUI_REDIS_URL：后台任务队列在本机的文件里，"
                    "别的机器上的 worker 收不到任务，登录限流也只按单个进程计数。请设置 QUANHUI_REDIS_URL。")
    if not config["QUANHUI_SECURE_COOKIES"]:
        gaps.append("没有设置 QUANHUI_SECURE_COOKIES=1：在 HTTPS 后面运行时应只通过 HTTPS 发送登录 cookie。")
    return gaps


@click.group("check", invoke_without_command=True)
@click.pass_context
@with_appcontext
def check(ctx: click.Context):
    """检查部署：不带子命令时列出生产环境缺少的设置（有警告时退出码为 1）。"""
    if ctx.invoked_subcommand is not None:
        return
    gaps = production_gaps(current_app)
    for gap in gaps:
        click.echo(f"警告：{gap}")
    if not gaps:
        click.echo("未发现问题：生产环境需要的设置都已具备。")
    ctx.exit(1 if gaps else 0)


@check.command("files")
@with_appcontext
def check_files():
    """列出文件引用指向别处的记录（引用的文件不是为这条记录的这一项上传的，下载不到）。"""
    from .entities.files import misplaced_references

    _report(misplaced_references(session), "没有指向别处的文件引用")


@check.command("duplicates")
@with_appcontext
def check_duplicates():
    """列出不可重复的字段（如统一社会信用代码）里被多条记录同时使用的值。"""
    from .entities import service_for
    from .entities.unique import duplicates
    from .tenancy import Tenant, system_scope

    with system_scope(session):
        tenants = session.scalars(select(Tenant).order_by(Tenant.path)).all()
        types_by_tenant = [(tenant, service_for(tenant).types()) for tenant in tenants]
    _report(duplicates(session, types_by_tenant), "没有被多条记录同时使用的值")


def _report(problems: list[str], none: str) -> None:
    """Print each problem and exit 1, or print ``none`` and exit 0."""
    for line in problems:
        click.echo(line)
    if not problems:
        click.echo(none)
    click.get_current_context().exit(1 if problems else 0)
