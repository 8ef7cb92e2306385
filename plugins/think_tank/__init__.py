"""智库与会企之声 (think_tank): 研究课题、会企之声建议、行业发展报告和“两代表一委员”建议提案。

记录类型见 :mod:`.entities`,报表见 :mod:`.reports`,建议填报页和相似建议提示见 :mod:`.views`。
每年重点课题数的上限是市级维护的一个词表 ``think_tank_key_topic_cap``(只有一个词条,
即上限数字,默认 2):它沿用核心的词表机制,区县自动继承市级的设置,修改留有审计记录。
"""
from __future__ import annotations

import re

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from core.api import (
    Entity,
    EntityValue,
    NavItem,
    PluginMeta,
    VocabularyDeclaration,
    hookimpl,
    vocabulary_terms,
)
from core.api import (
    session as db_session,
)

from .entities import TYPES

meta = PluginMeta(
    name="think_tank",
    title="智库与会企之声",
    version="0.1.0",
    description="研究课题、会企之声建议的分办答复、行业发展报告与“两代表一委员”建议提案",
    levels=("city", "district"),
    core=">=0.1,<1",
)

CAP_VOCABULARY = "think_tank_key_topic_cap"
DEFAULT_CAP = 2
SUGGESTION_IDS = re.compile(r"^\s*\d{1,12}(\s*[,,、]\s*\d{1,12})*\s*$")


@hookimpl
def quanhui_entity_types():
    return list(TYPES)


@hookimpl
def quanhui_vocabularies():
    return [VocabularyDeclaration(
        CAP_VOCABULARY, "每年重点课题上限", (str(DEFAULT_CAP),),
        description="只填一个正整数:每个单位每年最多可设的重点研究课题数",
    )]


def key_topic_cap(tenant) -> int:
    """The cap on key topics per year as ``tenant`` sees it (the city's setting, inherited)."""
    found = vocabulary_terms(db_session, tenant, CAP_VOCABULARY)
    if found and found[0].strip().isdigit() and int(found[0]) > 0:
        return int(found[0])
    return DEFAULT_CAP


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
        NavItem("研究课题", "entities.index", order=60, args={"type_name": "research_topic"}),
        NavItem("会企之声", "think_tank.inbox", order=61),
        NavItem("行业发展报告", "entities.index", order=62, args={"type_name": "industry_report"}),
        NavItem("建议提案", "entities.index", order=63, args={"type_name": "proposal"}),
    ]


@hookimpl
def quanhui_blueprints():
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
