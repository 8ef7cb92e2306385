"""百会联百村 (matching): 协会商会与村、社区、企业的对接,最优匹配,结对到落地项目。

记录类型见 :mod:`.entities`,打分和最优匹配见 :mod:`.engine`(numpy、SciPy),从记录到
引擎的数据见 :mod:`.programme`,页面见 :mod:`.views`,报表见 :mod:`.reports`。

匹配权重是一种记录类型(``matching_weights``,每个单位一条):修改有版本号(并发修改
答 409)、修改记录和审计,各单位互不影响,不需要另建表和迁移。
"""
from __future__ import annotations

from sqlalchemy import func, select

from core.api import (
    Entity,
    FieldDesigner,
    NavItem,
    PluginMeta,
    VocabularyDeclaration,
    Widget,
    hookimpl,
    service_for,
    session,
)

from .entities import (
    ASSOCIATION_FIELDS,
    DISTRICTS,
    DISTRICTS_VOCABULARY,
    NEEDS,
    NEEDS_VOCABULARY,
    PROGRAMMES,
    TARGET_LABELS,
    TYPES,
)

meta = PluginMeta(
    name="matching",
    title="百会联百村",
    version="0.1.0",
    description="协会商会与村、社区、企业的需求对接、推荐与最优匹配、结对、合作意向和落地项目",
    levels=("city", "district"),
    core=">=0.2,<1",
)


@hookimpl
def quanhui_entity_types():
    return list(TYPES)


@hookimpl
def quanhui_dashboard_widgets(tenant, user, scope):
    """对接协会家数、落地项目个数和投资额(工作台选的范围)。"""
    from .reports import linked_total, project_totals

    with scope.reading(session):
        figures = {"linked": linked_total(session, scope.tenant_ids), **project_totals(session, scope.tenant_ids)}
    return [Widget("百会联百村", "matching/widget.html", figures, order=50, scopes=("own", "subtree"))]


@hookimpl
def quanhui_vocabularies():
    return [
        VocabularyDeclaration(NEEDS_VOCABULARY, "对接需求类别", NEEDS,
                              description="村、社区、企业的需求和协会商会可提供的资源共用这一张表"),
        VocabularyDeclaration(DISTRICTS_VOCABULARY, "对接区县", DISTRICTS,
                              description="对接对象和项目所在的区县(含功能区)"),
    ]


@hookimpl
def quanhui_plugin_enabled(tenant, actor):
    """Add the association's offers, capacity and place as custom fields (low-code), once."""
    designer = FieldDesigner(service_for(tenant, actor))
    for field in ASSOCIATION_FIELDS:
        designer.ensure("association", field)


@hookimpl
def quanhui_validate_entity(tenant, entity_type, data, previous):
    if entity_type.name == "pairing":
        wanted = PROGRAMMES.get(data.get("programme"))
        given = [name for name in PROGRAMMES.values() if data.get(name)]
        if wanted and given != [wanted]:
            return {wanted: f"「{data['programme']}」的结对需要选择一个{TARGET_LABELS[wanted]},且只填这一项"}
    if entity_type.name in ("village", "community", "enterprise"):
        if (data.get("minimum") or 0) > (data.get("maximum") or 0):
            return {"maximum": "最多结对协会数不能小于最少结对协会数"}
    if entity_type.name == "matching_weights":
        if not any(data.get(f) for f in ("need", "chain", "distance", "history")):
            return {"need": "四项权重不能都是 0"}
        if previous is None and session.scalar(
            select(func.count(Entity.id)).where(Entity.tenant_id == tenant.id, Entity.type == "matching_weights",
                                                Entity.deleted_at.is_(None))
        ):
            return {"note": "本单位已有匹配权重,请修改那一条"}
    return None


@hookimpl
def quanhui_nav_items(tenant, user):
    return [
        NavItem("匹配工作台", "matching.workbench", order=40),
        NavItem("结对看板", "matching.board", order=41),
        NavItem("项目台账", "matching.ledger", order=42),
    ]


@hookimpl
def quanhui_blueprints():
    from .views import pages

    return [pages]


@hookimpl
def quanhui_jobs():
    from .views import OPTIMUM

    return [OPTIMUM]


@hookimpl
def quanhui_reports():
    from .reports import REPORTS

    return list(REPORTS)


@hookimpl
def quanhui_demo_data(session, tenant):
    from .demo import fill

    fill(session, tenant)
