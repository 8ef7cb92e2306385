"""智库与会企之声 (think_tank): 研究课题、会企之声建议、行业发展报告和“两代表一委员”建议提案。

记录类型见 :mod:`.entities`,报表见 :mod:`.reports`,会企之声收件箱、填报页和相似建议提示见
:mod:`.views`,检索、课题看板、报告库和提案台账见 :mod:`.boards`,全文检索索引见 :mod:`.search`。
每年重点课题数的上限是市级维护的一个词表 ``think_tank_key_topic_cap``(只有一个词条,
即上限数字,默认 2):它沿用核心的词表机制,区县自动继承市级的设置,修改留有审计记录。
"""
from __future__ import annotations

import re
from pathlib import Path

import click
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from core.api import (
    Entity,
    EntityValue,
    JobKind,
    NavItem,
    PluginMeta,
    ReportContext,
    TenantScope,
    VocabularyDeclaration,
    Widget,
    command_tenants,
    current_service,
    hookimpl,
    start_job,
    use_scope,
    vocabulary_terms,
    whole_number,
)
from core.api import (
    session as db_session,
)

from . import search
from .entities import DEPARTMENTS, DEPARTMENTS_VOCABULARY, TYPES

meta = PluginMeta(
    name="think_tank",
    title="智库与会企之声",
    version="0.1.0",
    description="研究课题、会企之声建议的分办答复、行业发展报告与“两代表一委员”建议提案",
    levels=("city", "district"),
    core=">=0.2,<1",
)

CAP_VOCABULARY = "think_tank_key_topic_cap"
DEFAULT_CAP = 2
SUGGESTION_IDS = re.compile(r"^\s*\d{1,12}(\s*[,,、]\s*\d{1,12})*\s*$")


@hookimpl
def quanhui_dashboard_widgets(tenant, user, scope):
    """会企之声建议、行业发展报告和已采纳建议提案的数量(工作台选的范围)。"""
    from .reports import unit_totals

    context = ReportContext(session=db_session, tenant=tenant, tenant_ids=scope.tenant_ids,
                            rollup=len(scope.tenant_ids) > 1, params={}, service=current_service())
    with scope.reading(db_session):
        figures = unit_totals(context)
    return [Widget("智库与会企之声", "think_tank/widget.html", figures, order=60, scopes=("own", "subtree"))]


@hookimpl
def quanhui_entity_types():
    return list(TYPES)


@hookimpl
def quanhui_vocabularies():
    return [
        VocabularyDeclaration(
            CAP_VOCABULARY, "每年重点课题上限", (str(DEFAULT_CAP),),
            description="只填一个正整数:每个单位每年最多可设的重点研究课题数",
        ),
        VocabularyDeclaration(
            DEPARTMENTS_VOCABULARY, "会企之声承办部门", DEPARTMENTS,
            description="分办建议时可选的承办部门(也可以直接填写列表外的部门)",
        ),
    ]


def key_topic_cap(tenant) -> int:
    """The cap on key topics per year as ``tenant`` sees it (the city's setting, inherited)."""
    found = vocabulary_terms(db_session, tenant, CAP_VOCABULARY)
    cap = whole_number(found[0]) if found else None
    return cap if cap else DEFAULT_CAP


def key_topics_in(tenant, year: int) -> int:
    """Live key topics of ``year`` in ``tenant``: one count over the indexed projections."""
    year_value, key_value = aliased(EntityValue), aliased(EntityValue)
    statement = (
        select(func.count(func.distinct(Entity.id)))
        .select_from(Entity)
        .join(year_value, and_(year_value.entity_id == Entity.id, year_value.tenant_id == Entity.tenant_id,
                               year_value.type == "research_topic", year_value.field == "year",
                               year_value.num_value == year))
        .join(key_value, and_(key_value.entity_id == Entity.id, key_value.tenant_id == Entity.tenant_id,
                              key_value.type == "research_topic", key_value.field == "is_key",
                              key_value.num_value == 1))
        .where(Entity.tenant_id == tenant.id, Entity.type == "research_topic", Entity.deleted_at.is_(None))
    )
    return int(db_session.scalar(statement) or 0)


@hookimpl
def quanhui_validate_entity(tenant, entity_type, data, previous):
    if entity_type.name == "research_topic" and data.get("is_key") and data.get("year"):
        year = int(data["year"])
        already_counted = bool(previous and previous.get("is_key") and previous.get("year") == year)
        existing = key_topics_in(tenant, year)
        cap = key_topic_cap(tenant)
        if existing - (1 if already_counted else 0) >= cap:
            return {"is_key": f"{year} 年已有 {existing} 项重点课题,每年最多 {cap} 项;"
                              f"如需增加,请市级管理员在「词表 · 每年重点课题上限」中调整"}
    if (entity_type.name == "industry_report" and data.get("suggestions")
            and not SUGGESTION_IDS.match(str(data["suggestions"]))):
        return {"suggestions": "关联建议编号应为数字,多个编号用逗号分隔,如 12,15"}
    return None


@hookimpl
def quanhui_nav_items(tenant, user):
    return [
        NavItem("研究课题", "think_tank.topics", order=60),
        NavItem("会企之声", "think_tank.inbox", order=61),
        NavItem("行业发展报告", "think_tank.library", order=62),
        NavItem("建议提案", "think_tank.proposals", order=63),
        NavItem("智库检索", "think_tank.search", order=64),
    ]


@hookimpl
def quanhui_blueprints():
    from . import boards  # noqa: F401  (registers its pages on the blueprint)
    from .views import pages

    return [pages]


@hookimpl
def quanhui_reports():
    from .reports import REPORTS

    return list(REPORTS)


@hookimpl
def quanhui_demo_data(session, tenant):
    from .demo import fill

    fill(session, tenant)


@hookimpl
def quanhui_migrations():
    return str(Path(__file__).with_name("migrations"))


@hookimpl
def quanhui_entity_changed(session, tenant, entity_type, entity_id, action, before, after):
    """Keep the search index in step with what was just committed."""
    if search.index_change(session, tenant, entity_type.name, entity_id, action, before, after):
        session.commit()


@hookimpl
def quanhui_cli(cli):
    @cli.group("think-tank")
    def group():
        """智库与会企之声。"""

    @group.command("reindex")
    @click.option("--tenant", "slug", default=None, help="只重建这个单位(租户简称),默认全部单位")
    @click.option("--queue", is_flag=True, help="交给后台任务进程（quanhui worker）执行，每个单位一个任务")
    def reindex(slug, queue):
        """从记录重建全文检索索引(建议、研究课题、行业发展报告、课题征集)。"""
        for tenant in command_tenants(slug):
            with use_scope(db_session, TenantScope.of(tenant)):
                if queue:
                    job = start_job(REINDEX.name, tenant=tenant, actor=None)
                    click.echo(f"{tenant.name}：已排队（任务 {job.id}）")
                    continue
                count = search.rebuild(db_session, tenant)
                db_session.commit()
            click.echo(f"{tenant.name}:已索引 {count} 条记录")


def _reindex(job):
    """One tenant's index rebuilt, as a job: safe to run again, so a lost run is re-queued."""
    count = search.rebuild(db_session, job.tenant)
    db_session.commit()
    return {"indexed": count}


REINDEX = JobKind("think_tank.reindex", "重建智库检索索引", run=_reindex, idempotent=True)


@hookimpl
def quanhui_jobs():
    return [REINDEX]
