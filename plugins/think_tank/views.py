"""会企之声的页面:建议收件箱(在行旁的办理面板里分办、答复、采纳)、填报页(输入标题时
提示相似的已有建议)和相似建议片段。

相似建议:把标题切成相邻两字的“字对”(中文没有空格,字对是常用的切分),在 SQL 里用
LIKE 从本单位(协会账号只有本协会)的建议标题中找出含有这些字对的候选,再按两组字对
的 Dice 系数排序,只显示足够相似的几条。租户隔离和协会账号的范围由核心的会话保证。

办理面板里的每个按钮都是核心的流程操作(``EntityService.transition``):谁能做、
从哪个状态能做、要填什么、版本冲突,都和记录详情页上的按钮一样。
"""
from __future__ import annotations

import datetime as dt
import itertools
import re
from urllib.parse import parse_qsl, urlsplit

from flask import Blueprint, abort, render_template, request, url_for
from jinja2_fragments.flask import render_block
from sqlalchemy import and_, func, or_, select
from werkzeug.datastructures import MultiDict

from core.api import (
    Conflict,
    Entity,
    EntityValue,
    Invalid,
    NotFound,
    current_service,
    current_tenant,
    is_htmx,
    redirect_to,
    require_permission,
    session,
    transition_form,
    vocabulary_terms,
)

from .entities import DEPARTMENTS, DEPARTMENTS_VOCABULARY, SUGGESTION_CATEGORIES, SUGGESTION_STATES

pages = Blueprint("think_tank", __name__, template_folder="templates", static_folder="static")

WORD = re.compile(r"[\u3400-\u9fff0-9A-Za-z]")
#: Pairs nearly every suggestion title has: they say nothing about similarity.
COMMON = frozenset({"关于", "于进", "的建", "建议", "议案", "提案", "问题"})
THRESHOLD = 0.4
CANDIDATES = 300
SHOWN = 5
PER_PAGE = 20
INBOX_SORTS = {"-id": "最新提交在前", "id": "最早提交在前", "-submitted_on": "提交日期从近到远",
               "submitted_on": "提交日期从远到近"}


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


# the inbox ------------------------------------------------------------------


def _with_value(field: str, value: str):
    """Ids of the suggestions whose indexed ``field`` is ``value``."""
    return select(EntityValue.entity_id).where(
        EntityValue.type == "suggestion", EntityValue.field == field, EntityValue.text_value == value)


def _inbox_arguments(args=None) -> dict:
    """The inbox's filters from ``args`` (by default the request's query string)."""
    args = request.args if args is None else args
    stage = args.get("stage", "")
    category = args.get("category", "")
    sort = args.get("sort", "-id")
    try:
        number = max(1, int(args.get("page", "1")))
    except ValueError:
        number = 1
    return {"stage": stage if stage in SUGGESTION_STATES else "",
            "category": category if category in SUGGESTION_CATEGORIES else "",
            "sort": sort if sort in INBOX_SORTS else "-id", "page": number}


def _inbox_page(arguments: dict) -> dict:
    """One page of the inbox (a count and a select), the state counts (one grouped
    select) and the association names (one select)."""
    statement = select(Entity).where(Entity.type == "suggestion", Entity.deleted_at.is_(None))
    if arguments["stage"]:
        statement = statement.where(Entity.id.in_(_with_value("stage", arguments["stage"])))
    if arguments["category"]:
        statement = statement.where(Entity.id.in_(_with_value("category", arguments["category"])))
    if arguments["sort"].lstrip("-") == "submitted_on":
        submitted = select(EntityValue.entity_id, EntityValue.date_value).where(
            EntityValue.type == "suggestion", EntityValue.field == "submitted_on").subquery()
        statement = statement.outerjoin(submitted, submitted.c.entity_id == Entity.id)
        key = submitted.c.date_value.desc() if arguments["sort"].startswith("-") else submitted.c.date_value.asc()
        statement = statement.order_by(key, Entity.id.desc())
    else:
        statement = statement.order_by(Entity.id.desc() if arguments["sort"] == "-id" else Entity.id.asc())
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    pages_count = max(1, -(-total // PER_PAGE))
    number = min(arguments["page"], pages_count)
    records = list(session.scalars(statement.limit(PER_PAGE).offset((number - 1) * PER_PAGE)))
    return {"records": records, "total": total, "number": number, "pages": pages_count,
            "counts": _state_counts(), "names": _association_names(records)}


def _state_counts() -> dict[str, int]:
    """Live suggestions per state: one grouped select over the state's projection."""
    return dict(session.execute(
        select(EntityValue.text_value, func.count(EntityValue.entity_id))
        .where(EntityValue.type == "suggestion", EntityValue.field == "stage")
        .group_by(EntityValue.text_value)
    ).all())


def _association_names(records) -> dict[int, str]:
    owner_ids = {record.data.get("association") for record in records} - {None}
    if not owner_ids:
        return {}
    rows = session.execute(select(Entity.id, Entity.data).where(Entity.type == "association", Entity.id.in_(owner_ids)))
    return {key: (value or {}).get("name", "") for key, value in rows}


def _panel_context(record: Entity, **workflow) -> dict:
    """The side panel of one suggestion: its text, file, history and the actions the user may take."""
    service = current_service()
    kind = service.type("suggestion")
    revisions = service.revisions(record)
    return {
        "record": record, "kind": kind, "names": _association_names([record]),
        "transitions": service.available_transitions(kind, record),
        "history": [r for r in revisions if r.action.startswith("transition:")],
        "departments": vocabulary_terms(session, current_tenant(), DEPARTMENTS_VOCABULARY) or DEPARTMENTS,
        "active": None, "errors": {}, "input": {}, "message": "", "failed": False, **workflow,
    }


def _inbox_context(arguments: dict, opened: Entity | None = None, **workflow) -> dict:
    service = current_service()
    return {
        **_inbox_page(arguments), "arguments": arguments, "states": SUGGESTION_STATES,
        "categories": SUGGESTION_CATEGORIES, "sorts": INBOX_SORTS,
        "may_file": service.may_create(service.type("suggestion")),
        "panel": _panel_context(opened, **workflow) if opened is not None else None,
    }


@pages.get("/suggestions/")
@require_permission("entities.view")
def inbox(tenant):
    """The suggestion inbox: filtered by state and category, sorted, paged; htmx gets the table."""
    context = _inbox_context(_inbox_arguments())
    if is_htmx() and request.headers.get("HX-Target") == "inbox-table":
        return render_block("think_tank/inbox.html", "table", **context)
    return render_template("think_tank/inbox.html", **context)


def _suggestion(entity_id: int) -> Entity:
    service = current_service()
    try:
        return service.get(service.type("suggestion"), entity_id)
    except NotFound:
        abort(404)


@pages.get("/suggestions/<int:entity_id>")
@require_permission("entities.view")
def suggestion(tenant, entity_id):
    """One suggestion's panel: beside the inbox for htmx, or the inbox with the panel open."""
    record = _suggestion(entity_id)
    if is_htmx():
        return render_block("think_tank/inbox.html", "panel", panel=_panel_context(record))
    return render_template("think_tank/inbox.html", **_inbox_context(_inbox_arguments(), record))


@pages.post("/suggestions/<int:entity_id>/act/<name>")
@require_permission("entities.view")
def act(tenant, entity_id, name):
    """Fire a workflow transition from the panel: 分办, 开始办理, 答复, 采纳, 不予采纳.

    htmx gets the panel again (with the refusal and the user's input on 422, the current
    state on 409) and, out of band, the changed row and the state counts; a plain form
    post goes back to the page. A refused role is the core's 403, audited there.
    """
    service = current_service()
    kind = service.type("suggestion")
    record = _suggestion(entity_id)
    asked = transition_form(kind, name, request.form)
    chosen, expected, values, reason = asked.transition, asked.version, asked.values, asked.reason
    try:
        service.transition(kind, record, name, expected, reason=reason, values=values)
    except Conflict:
        service.rollback()
        current = _suggestion(entity_id)
        message = (f"这条建议在您打开之后已被他人办理(现为「{current.data.get('stage')}」),"
                   f"「{chosen.label}」没有执行。请看清当前状态后再操作。")
        return _panel_answer(current, 409, message=message, failed=True)
    except Invalid as refusal:
        service.rollback()
        return _panel_answer(_suggestion(entity_id), 422, active=name, errors=refusal.errors,
                             input={**values, "reason": reason}, message=f"「{chosen.label}」没有执行:", failed=True)
    service.commit()
    if not is_htmx():
        return redirect_to(url_for("think_tank.suggestion", entity_id=entity_id))
    record = _suggestion(entity_id)
    message = f"已{chosen.label}:现为「{record.data.get('stage')}」。"
    return _panel_answer(record, 200, message=message)


def _panel_answer(record: Entity, status: int, **workflow):
    if not is_htmx():
        return render_template("think_tank/inbox.html", **_inbox_context(_inbox_arguments(), record, **workflow)), status
    panel = render_block("think_tank/inbox.html", "panel", panel=_panel_context(record, **workflow))
    row = render_block("think_tank/inbox.html", "row", record=record, names=_association_names([record]), oob=True)
    shown = MultiDict(parse_qsl(urlsplit(request.headers.get("HX-Current-URL", "")).query))  # the inbox's filters
    tabs = render_block("think_tank/inbox.html", "tabs", counts=_state_counts(), states=SUGGESTION_STATES,
                        arguments=_inbox_arguments(shown), oob=True)
    return f"{panel}<template>{row}</template>{tabs}", status  # a <tr> survives parsing only inside a template


@pages.get("/suggestions/new")
@require_permission("entities.edit")
def new(tenant):
    """The filing form: it posts to the core's record endpoint; the title field asks for similar ones."""
    service = current_service()
    kind = service.type("suggestion")
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
        "think_tank/new.html", entity_type=kind, associations=associations, own_association=own,
        categories=SUGGESTION_CATEGORIES, today=dt.date.today().isoformat(),
    )
