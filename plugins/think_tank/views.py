"""会企之声的页面:建议收件箱、填报页(输入标题时提示相似的已有建议)和相似建议片段。

相似建议:把标题切成相邻两字的“字对”(中文没有空格,字对是常用的切分),在 SQL 里用
LIKE 从本单位(协会账号只有本协会)的建议标题中找出含有这些字对的候选,再按两组字对
的 Dice 系数排序,只显示足够相似的几条。租户隔离和协会账号的范围由核心的会话保证。
"""
from __future__ import annotations

import datetime as dt
import itertools
import re

from flask import Blueprint, render_template, request
from sqlalchemy import and_, or_, select

from core.api import Entity, EntityValue, current_service, require_permission, session

from .entities import SUGGESTION_CATEGORIES, SUGGESTION_STATES

pages = Blueprint("think_tank", __name__, template_folder="templates")

WORD = re.compile(r"[\u3400-\u9fff0-9A-Za-z]")
#: Pairs nearly every suggestion title has: they say nothing about similarity.
COMMON = frozenset({"关于", "于进", "的建", "建议", "议案", "提案", "问题"})
THRESHOLD = 0.4
CANDIDATES = 300
SHOWN = 5


def bigrams(text: str) -> set[str]:
    chars = WORD.findall((text or "").lower())
    return {a + b for a, b in itertools.pairwise(chars)} - COMMON


def similarity(a: set[str], b: set[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def similar_suggestions(title: str) -> list[dict]:
    """Existing live suggestions whose titles share enough character pairs with ``title``."""
    wanted = bigrams(title[:200])
    if not wanted:
        return []
    pairs = sorted(wanted)[:30]
    rows = session.execute(
        select(Entity.id, EntityValue.text_value, Entity.data)
        .select_from(EntityValue)
        .join(Entity, and_(Entity.id == EntityValue.entity_id, Entity.tenant_id == EntityValue.tenant_id))
        .where(EntityValue.type == "suggestion", EntityValue.field == "title", Entity.deleted_at.is_(None),
               or_(*(EntityValue.text_value.like(f"%{pair}%") for pair in pairs)))
        .order_by(Entity.id.desc())
        .limit(CANDIDATES)
    ).all()
    scored = []
    for entity_id, text, data in rows:
        score = similarity(wanted, bigrams(text))
        if score >= THRESHOLD:
            scored.append({"id": entity_id, "title": text, "stage": (data or {}).get("stage"), "score": score})
    scored.sort(key=lambda row: (-row["score"], -row["id"]))
    return scored[:SHOWN]


@pages.get("/suggestions/similar")
@require_permission("entities.view")
def similar(tenant):
    title = request.args.get("title", "").strip()
    return render_template("think_tank/_similar.html", matches=similar_suggestions(title), title=title)


@pages.get("/suggestions/")
@require_permission("entities.view")
def inbox(tenant):
    """The suggestion inbox: newest first, filtered by state; association names in one query."""
    stage = request.args.get("stage", "")
    statement = select(Entity).where(Entity.type == "suggestion", Entity.deleted_at.is_(None))
    if stage in SUGGESTION_STATES:
        with_stage = select(EntityValue.entity_id).where(
            EntityValue.type == "suggestion", EntityValue.field == "stage", EntityValue.text_value == stage)
        statement = statement.where(Entity.id.in_(with_stage))
    records = list(session.scalars(statement.order_by(Entity.id.desc()).limit(100)))
    owner_ids = {record.data.get("association") for record in records} - {None}
    names = dict(session.execute(
        select(Entity.id, Entity.data).where(Entity.type == "association", Entity.id.in_(owner_ids))
    ).all()) if owner_ids else {}
    return render_template(
        "think_tank/inbox.html", records=records, stage=stage, states=SUGGESTION_STATES,
        names={key: (value or {}).get("name", "") for key, value in names.items()},
        may_file=current_service().may_create(current_service().type("suggestion")),
    )


@pages.get("/suggestions/new")
@require_permission("entities.edit")
def new(tenant):
    """The filing form: it posts to the core's record endpoint; the title field asks for similar ones."""
    service = current_service()
    suggestion = service.type("suggestion")
    associations = []
    own = getattr(getattr(service, "actor", None), "association_id", None)
    if own is None:
        associations = [
            (entity_id, (data or {}).get("name", ""))
            for entity_id, data in session.execute(
                select(Entity.id, Entity.data).where(Entity.type == "association", Entity.deleted_at.is_(None))
                .order_by(Entity.id).limit(500)
            )
        ]
    return render_template(
        "think_tank/new.html", entity_type=suggestion, associations=associations, own_association=own,
        categories=SUGGESTION_CATEGORIES, today=dt.date.today().isoformat(),
    )
