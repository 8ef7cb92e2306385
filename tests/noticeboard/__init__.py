"""公告栏 (noticeboard): the test plugin that implements every hook of core/hookspecs.py.

It keeps notices in a table of its own, so the tests can show that disabling a plugin
keeps its rows and enabling it again brings them back.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask import Blueprint, abort, render_template, request
from jinja2_fragments.flask import render_block
from sqlalchemy import Index, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from core.api import (
    Base,
    BigId,
    NavItem,
    Permission,
    PluginMeta,
    TenantOwned,
    TenantScope,
    UTCDateTime,
    Widget,
    current_tenant,
    hookimpl,
    invalid_form,
    require_permission,
    session,
    tenant_by_slug,
    use_scope,
    utcnow,
)

meta = PluginMeta(
    name="noticeboard",
    title="公告栏",
    version="1.0.0",
    description="发布和查看本单位的通知公告(测试用插件,实现了全部钩子)",
    core=">=0.1,<1",
)

MIGRATIONS = Path(__file__).with_name("migrations")
lifecycle_calls: list[tuple[str, str]] = []


class Notice(TenantOwned, Base):
    __tablename__ = "noticeboard_notices"
    __table_args__ = (Index("ix_noticeboard_notices_tenant_posted", "tenant_id", "posted_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    posted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


pages = Blueprint("noticeboard", __name__, template_folder="templates", static_folder="static")
api = Blueprint("noticeboard_api", __name__)


def _notices() -> list[Notice]:
    return list(session.scalars(select(Notice).order_by(Notice.posted_at.desc(), Notice.id.desc())))


@pages.get("/")
def index(tenant):
    return render_template("noticeboard/index.html", notices=_notices(), error="")


@pages.post("/")
@require_permission("noticeboard.post")
def post(tenant):
    title = request.form.get("title", "").strip()
    if not title or len(title) > 100:
        body = render_block("noticeboard/index.html", "notice_form", error="标题不能为空,且不超过 100 个字")
        return invalid_form(body, "#notice-form")
    session.add(Notice(title=title))
    session.commit()
    return render_block("noticeboard/index.html", "notice_panel", notices=_notices(), error="")


@pages.get("/<int:notice_id>")
def detail(tenant, notice_id):
    notice = session.get(Notice, notice_id)
    if notice is None:
        abort(404)
    return render_template("noticeboard/detail.html", notice=notice)


@api.get("/notices")
def api_notices(tenant):
    return {"items": [{"id": n.id, "title": n.title} for n in _notices()]}


@api.get("/notices/<int:notice_id>")
def api_notice(tenant, notice_id):
    notice = session.get(Notice, notice_id)
    if notice is None:
        abort(404)
    return {"id": notice.id, "title": notice.title, "tenant": current_tenant().slug}


@hookimpl
def quanhui_blueprints():
    return [pages]


@hookimpl
def quanhui_api_blueprints():
    return [api]


@hookimpl
def quanhui_nav_items(tenant, user):
    return [NavItem("公告栏", "noticeboard.index", order=50)]


@hookimpl
def quanhui_dashboard_widgets(tenant, user):
    count = session.scalar(select(func.count(Notice.id)))
    return [Widget("公告", "noticeboard/widget.html", {"count": count}, order=50)]


@hookimpl
def quanhui_permissions():
    return [Permission("noticeboard.post", "发布公告", roles=("admin", "editor"))]


@hookimpl
def quanhui_plugin_enabled(session, tenant, actor):
    lifecycle_calls.append(("enabled", tenant.slug))
    if session.scalar(select(func.count(Notice.id)).where(Notice.tenant_id == tenant.id)) == 0:
        session.add(Notice(tenant_id=tenant.id, title="欢迎使用公告栏"))


@hookimpl
def quanhui_plugin_disabled(session, tenant, actor):
    lifecycle_calls.append(("disabled", tenant.slug))


@hookimpl
def quanhui_cli(cli):
    @cli.command("noticeboard-count")
    @click.option("--tenant", "slug", required=True)
    def count(slug):
        """数一数某个租户的公告。"""
        tenant = tenant_by_slug(session, slug)
        with use_scope(session, TenantScope.of(tenant)):
            click.echo(session.scalar(select(func.count(Notice.id))))


@hookimpl
def quanhui_demo_data(session, tenant):
    session.add(Notice(title=f"{tenant.name}:本月主题党日安排"))


@hookimpl
def quanhui_migrations():
    return str(MIGRATIONS)
