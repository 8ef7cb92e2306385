"""全文检索:建议的标题和内容,研究课题、行业发展报告、课题征集的标题和正文。

中文没有空格,按词切分靠不住,所以按“三字组”(trigram)建索引:任何连续三个字都能
命中。索引是插件自己的表 ``think_tank_search``(每条记录一行,带 ``tenant_id``),
在 SQLite 上配一张 FTS5 外部内容表(``tokenize='trigram'``,由触发器同步),在
PostgreSQL 上是 pg_trgm 的 GIN 三字组索引。一两个字的检索词比三字组短,用不上索引,
改为在同一张表上做 LIKE。

隔离:查询总是把索引行连回核心的记录表 ``entities``,经由平台的会话执行,所以租户
范围、协会账号只看本协会、已删除的不出现,这些规则和列表页完全一样。

索引在记录提交后(``quanhui_entity_changed``)更新;``quanhui think-tank reindex``
从记录重建。
"""
from __future__ import annotations

import dataclasses
import re

from markupsafe import Markup, escape
from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    Text,
    and_,
    case,
    column,
    delete,
    insert,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.api import Base, BigId, Entity, TenantOwned

#: Type -> (title field, body field) of what is searched.
SEARCHED = {
    "suggestion": ("title", "content"),
    "research_topic": ("title", "summary"),
    "industry_report": ("title", "abstract"),
    "research_call": ("title", "content"),
}
TRIGRAM = 3
MAX_TERMS = 8
MAX_TERM_LENGTH = 50
TITLE_LENGTH = 400
SNIPPET_RADIUS = 40
FTS = table("think_tank_search_fts", column("rowid"))


class SearchEntry(TenantOwned, Base):
    """One searchable record: its text as last committed."""

    __tablename__ = "think_tank_search"
    __table_args__ = (Index("ix_think_tank_search_tenant_type", "tenant_id", "type", "entity_id"),)

    entity_id: Mapped[int] = mapped_column(BigId, ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH), default="")
    body: Mapped[str] = mapped_column(Text, default="")


def _texts(type_name: str, data: dict | None) -> tuple[str, str]:
    title_field, body_field = SEARCHED[type_name]
    data = data or {}
    return str(data.get(title_field) or "")[:TITLE_LENGTH], str(data.get(body_field) or "")


def index_change(session: Session, tenant, type_name: str, entity_id: int, action: str, before, after) -> bool:
    """Bring one record's index row up to date; returns whether anything was written.

    A transition that left the text alone (分办, 答复…) writes nothing.
    """
    if type_name not in SEARCHED:
        return False
    if action.startswith("transition:") and _texts(type_name, before) == _texts(type_name, after):
        return False
    session.execute(delete(SearchEntry).where(SearchEntry.tenant_id == tenant.id, SearchEntry.entity_id == entity_id))
    if after is not None and action != "delete":
        title, body = _texts(type_name, after)
        session.add(SearchEntry(tenant_id=tenant.id, entity_id=entity_id, type=type_name, title=title, body=body))
    return True


def rebuild(session: Session, tenant) -> int:
    """Replace ``tenant``'s index rows with its live records' text; returns how many."""
    session.execute(delete(SearchEntry).where(SearchEntry.tenant_id == tenant.id))
    live = select(Entity.id, Entity.type, Entity.data).where(
        Entity.tenant_id == tenant.id, Entity.type.in_(SEARCHED), Entity.deleted_at.is_(None))
    rows = []
    for entity_id, type_name, data in session.execute(live):
        title, body = _texts(type_name, data)
        rows.append({"tenant_id": tenant.id, "entity_id": entity_id, "type": type_name, "title": title, "body": body})
    for start in range(0, len(rows), 500):
        session.execute(insert(SearchEntry), rows[start:start + 500])
    return len(rows)


def terms_of(query: str) -> list[str]:
    """The distinct words of ``query`` (split on spaces and punctuation), at most :data:`MAX_TERMS`."""
    words = re.split(r"[\s,,。;;、]+", (query or "").strip())
    return list(dict.fromkeys(word[:MAX_TERM_LENGTH] for word in words if word))[:MAX_TERMS]


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _term_condition(session: Session, term: str):
    """Where ``term`` occurs in the title or the body: FTS5 MATCH on SQLite when the term
    is a trigram or longer, otherwise (and on PostgreSQL, where pg_trgm serves LIKE) LIKE."""
    if session.get_bind().dialect.name == "sqlite" and len(term) >= TRIGRAM:
        phrase = '"' + term.replace('"', '""') + '"'
        matching = select(FTS.c.rowid).where(literal_column(FTS.name).op("MATCH")(phrase))
        return SearchEntry.entity_id.in_(matching.scalar_subquery())
    pattern = _like(term)
    return or_(SearchEntry.title.ilike(pattern, escape="\\"), SearchEntry.body.ilike(pattern, escape="\\"))


def search_statement(session: Session, terms: list[str], types: list[str], tenant_id: int, shared: tuple[str, ...] = ()):
    """Live records of ``types`` holding every term; title hits first, then the newest.

    Records of ``tenant_id``, and of the ``shared`` (published) types those of any tenant
    the session may read: run it inside ``EntityService.reading`` for the ancestors' calls.
    """
    in_title = and_(*(SearchEntry.title.ilike(_like(term), escape="\\") for term in terms))
    return (
        select(SearchEntry.entity_id, SearchEntry.type, SearchEntry.title, SearchEntry.body, Entity.data)
        .join(Entity, and_(Entity.id == SearchEntry.entity_id, Entity.tenant_id == SearchEntry.tenant_id))
        .where(SearchEntry.type.in_(types), Entity.deleted_at.is_(None),
               or_(SearchEntry.tenant_id == tenant_id, SearchEntry.type.in_(shared)),
               *(_term_condition(session, term) for term in terms))
        .order_by(case((in_title, 0), else_=1), SearchEntry.entity_id.desc())
    )


@dataclasses.dataclass
class Hit:
    entity_id: int
    type: str
    title: Markup
    snippet: Markup
    data: dict


def highlight(text: str, terms: list[str]) -> Markup:
    """``text`` escaped, each occurrence of a term wrapped in ``<mark>``."""
    if not terms:
        return escape(text)
    pattern = re.compile("|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    out, last = Markup(), 0
    for found in pattern.finditer(text):
        out += escape(text[last:found.start()]) + Markup("<mark>") + escape(found.group()) + Markup("</mark>")
        last = found.end()
    return out + escape(text[last:])


def snippet(body: str, terms: list[str]) -> Markup:
    """A short excerpt of ``body`` around the first term found in it (its start if none)."""
    lowered = body.lower()
    positions = [p for p in (lowered.find(term.lower()) for term in terms) if p >= 0]
    first = min(positions) if positions else 0
    start, end = max(0, first - SNIPPET_RADIUS), min(len(body), first + SNIPPET_RADIUS * 2)
    excerpt = ("…" if start else "") + body[start:end] + ("…" if end < len(body) else "")
    return highlight(excerpt, terms)


def hits(rows, terms: list[str]) -> list[Hit]:
    return [Hit(entity_id, type_name, highlight(title, terms), snippet(body or "", terms), data or {})
            for entity_id, type_name, title, body, data in rows]
