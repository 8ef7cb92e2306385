"""党建覆盖 (coverage):协会商会的党组织、党建工作指导员,组织覆盖和工作覆盖及其月度走势。

口径(见 docs/guide/coverage.md):在册协会 = 状态不是注销、撤销;组织覆盖 = 有自己的
党委、党总支、党支部,或在联合党支部里;工作覆盖 = 有任何党组织(含临时党支部),或有
派驻期覆盖当天的党建工作指导员。页面见 :mod:`.views`,报表见 :mod:`.reports`。
"""
from __future__ import annotations

import re
from pathlib import Path

import click

from core.api import (
    Entity,
    JobKind,
    NavItem,
    Permission,
    PluginMeta,
    Schedule,
    TenantScope,
    VocabularyDeclaration,
    Widget,
    command_tenants,
    current_service,
    hookimpl,
    session,
    start_job,
    use_scope,
)

from . import entities
from .entities import JOINT, SIX_SYNCS_VOCABULARY, STANDARD_ITEMS_VOCABULARY
from .figures import coverage
from .reports import REPORTS
from .snapshots import parse_month
from .views import ACT, THEME_MONTH, pages, themes_statement, total_of

meta = PluginMeta(
    name="coverage",
    title="党建覆盖",
    version="0.1.0",
    description="党组织和党建工作指导员台账,组织覆盖、工作覆盖及其月度走势,市级汇总",
    levels=("city", "district"),
    core=">=0.1,<1",
)

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

STANDARD_ITEMS = (
    "组织设置规范", "班子配备齐全", "党员管理规范", "组织生活正常", "活动阵地落实",
    "工作制度健全", "党建经费保障", "档案资料完整", "发挥作用明显",
)
#: 原文没有列出“六个同步”的具体内容,这里是演示用的初始词条,由市级在「词表」里维护。
SIX_SYNCS = (
    "同步登记党员信息", "同步推进党组织组建", "同步选派党建指导员",
    "同步开展党的工作", "同步纳入年检年报", "同步开展评估考核",
)


@hookimpl
def quanhui_entity_types():
    return list(entities.TYPES)


@hookimpl
def quanhui_vocabularies():
    return [
        VocabularyDeclaration(STANDARD_ITEMS_VOCABULARY, "党组织规范化建设事项", STANDARD_ITEMS,
                              description="党组织规范化建设的检查事项"),
        VocabularyDeclaration(SIX_SYNCS_VOCABULARY, "六个同步", SIX_SYNCS,
                              description="与协会商会成立、变更、年检等同步落实的党建要求"),
    ]


@hookimpl
def quanhui_reports():
    return list(REPORTS)


@hookimpl
def quanhui_blueprints():
    return [pages]


@hookimpl
def quanhui_permissions():
    return [Permission(ACT, "为未覆盖的协会派驻指导员、成立临时党支部", roles=("admin", "editor"))]


@hookimpl
def quanhui_migrations():
    return str(Path(__file__).with_name("migrations"))


@hookimpl
def quanhui_nav_items(tenant, user):
    return [
        NavItem("党建覆盖", "coverage.dashboard", order=29, permission="reports.view"),
        NavItem("党组织", "entities.index", order=30, args={"type_name": "party_org"}),
        NavItem("党建指导员", "entities.index", order=31, args={"type_name": "instructor"}),
        NavItem("主题党日", "coverage.themes", order=32),
    ]


@hookimpl
def quanhui_dashboard_widgets(tenant, user, scope):
    """两个覆盖(工作台选的范围:本级,或全市/本级及下级合起来),和本月的主题党日参考主题(含市级发布的)。"""
    with scope.reading(session):
        figures = total_of(coverage(session, scope.tenant_ids), tenant)
    service = current_service()
    month = parse_month(None)
    with service.reading(service.type("coverage_theme")):
        themes = [row.data for row in session.execute(
            themes_statement(tenant).where(THEME_MONTH == month).order_by(Entity.tenant_id, Entity.id))]
    return [
        Widget("党建两个覆盖", "coverage/widget.html", {"figures": figures}, order=20, scopes=("own", "subtree")),
        Widget("本月主题党日", "coverage/themes_widget.html", {"themes": themes, "month": month}, order=21),
    ]


@hookimpl
def quanhui_validate_entity(tenant, entity_type, data, previous):
    if entity_type.name == "coverage_theme" and data.get("month") and not MONTH.match(data["month"]):
        return {"month": "月份应写成 YYYY-MM,例如 2026-07"}
    if entity_type.name == "instructor":
        start, end = data.get("start_on"), data.get("end_on")
        if start and end and end < start:
            return {"end_on": "派驻结束日期不能早于起始日期"}
    if entity_type.name == "party_org_member" and data.get("party_org"):
        org = session.get(Entity, data["party_org"])
        if org is not None and (org.data or {}).get("kind") != JOINT:
            return {"party_org": "只有联合党支部可以覆盖多家协会;请选择一个联合党支部"}
        if org is not None and (org.data or {}).get("association") == data.get("association"):
            return {"association": "这家协会是该联合党支部的牵头协会,不必重复登记"}
    return None


@hookimpl
def quanhui_demo_data(session, tenant):
    from .demo import fill

    fill(session, tenant)


#: The job that recounts one tenant's coverage for a month (the schedule and ``--queue`` start it).
SNAPSHOT = "coverage.snapshot"


@hookimpl
def quanhui_jobs():
    from .snapshots import snapshot_job

    return [JobKind(SNAPSHOT, "党建覆盖月度快照", run=snapshot_job, idempotent=True)]


@hookimpl
def quanhui_schedules():
    from .snapshots import previous_month

    return [Schedule("coverage.monthly_snapshot", "党建覆盖月度快照", job=SNAPSHOT,
                     cron={"minute": "5", "hour": "0", "day": "1"}, when="每月 1 日 0:05（北京时间），快照上个月",
                     params=lambda due: {"month": previous_month(due)})]


@hookimpl
def quanhui_cli(cli):
    from .snapshots import MonthError, parse_month, take_snapshot

    @cli.group("coverage")
    def group():
        """党建覆盖。"""

    @group.command("snapshot")
    @click.option("--month", default=None, help="YYYY-MM,默认本月;过去的月份按修改记录重算")
    @click.option("--tenant", "slug", default=None, help="只算这个单位(租户简称),默认全部单位")
    @click.option("--queue", is_flag=True, help="交给后台任务进程（quanhui worker）计算，每个单位一个任务")
    def snapshot(month, slug, queue):
        """计算并保存某月的两个覆盖(每个单位一行;可重复执行,结果覆盖旧值)。"""
        try:
            month = parse_month(month)
        except MonthError as error:
            raise click.UsageError(str(error)) from None
        for tenant in command_tenants(slug):
            with use_scope(session, TenantScope.of(tenant)):
                if queue:
                    job = start_job(SNAPSHOT, params={"month": month}, tenant=tenant, actor=None)
                    click.echo(f"{tenant.name} {month}：已排队（任务 {job.id}）")
                    continue
                saved = take_snapshot(session, tenant, month)
                session.commit()
                rate = f"{saved.org_covered / saved.active:.1%}" if saved.active else "—"
                click.echo(f"{tenant.name} {month}:在册 {saved.active},组织覆盖 {saved.org_covered}({rate}),"
                           f"工作覆盖 {saved.work_covered}")
