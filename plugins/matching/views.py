"""百会联百村的页面:匹配工作台、最优匹配方案、结对看板、项目台账。

推荐每次按本单位当前的记录和权重现算(几百家协会、几百个对象,毫秒级);全局最优方案
要解线性规划,在后台任务里算,每个工作载体、每个记录状态算一次;
结对、意向、项目的增改都走核心的记录服务,所以有校验、修改记录、审计和 409。
"""
from __future__ import annotations

import datetime as dt
import types

import numpy as np
from flask import Blueprint, abort, render_template, request, url_for
from jinja2_fragments.flask import render_block
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from core.api import (
    Entity,
    EntityValue,
    Invalid,
    JobKind,
    current_service,
    current_tenant,
    data_version,
    is_htmx,
    latest_job,
    redirect_to,
    require_permission,
    session,
    start_job,
    whole_number,
)

from . import engine
from .entities import PAIRING_STATES, PROGRAMMES, TARGET_LABELS
from .programme import as_decimal, load, weights_for
from .reports import project_totals

pages = Blueprint("matching", __name__, template_folder="templates")
SHOWN = 10
BOARD_LIMIT = 50


def _programme() -> str:
    programme = request.values.get("programme") or "百会联百村"
    if programme not in PROGRAMMES:
        abort(404)
    return programme


def _explanation(parts: list[dict]) -> str:
    return ";".join(f"{p['label']} {p['value']:.0%} × 权重 {p['weight']} = {p['points']:.1f} 分" for p in parts)


@pages.get("/")
@require_permission("entities.view")
def workbench(tenant):
    """Pick a target (or an association); see its best matches, each with how its score is made."""
    programme = _programme()
    tenant_ = current_tenant()
    loaded = load(tenant_, PROGRAMMES[programme])
    weights, weights_record = weights_for(tenant_)
    a_ids, t_ids = loaded.problem.associations.ids.tolist(), loaded.problem.targets.ids.tolist()
    chosen = request.args.get("target", type=int)
    chosen_association = request.args.get("association", type=int)
    ranked = []
    if chosen is not None:
        if chosen not in t_ids:
            abort(404)
        t = t_ids.index(chosen)
        row = engine.scores(loaded.problem, weights, slice(t, t + 1))[0]
        ranked = [_match(loaded, weights, t, a, float(row[a])) for a in _best(row)]
    elif chosen_association is not None:
        if chosen_association not in a_ids:
            abort(404)
        a = a_ids.index(chosen_association)
        column = engine.score_matrix(loaded.problem, weights)[:, a]
        ranked = [_match(loaded, weights, t, a, float(column[t])) for t in _best(column)]
    return render_template(
        "matching/workbench.html", programme=programme, programmes=PROGRAMMES, targets=loaded.target_names,
        target_type=PROGRAMMES[programme], target_label=TARGET_LABELS[PROGRAMMES[programme]],
        associations=loaded.association_names, chosen=chosen, chosen_association=chosen_association,
        ranked=ranked, weights=weights, weights_record=weights_record,
        factor_labels=engine.FACTOR_LABELS, factors=engine.FACTORS,
    )


def _best(scores: np.ndarray) -> list[int]:
    """The indexes of the :data:`SHOWN` highest scores, ties to the lower index."""
    return np.lexsort((np.arange(len(scores)), -scores))[:SHOWN].tolist()


def _match(loaded, weights, t: int, a: int, score: float) -> dict:
    association_id = int(loaded.problem.associations.ids[a])
    target_id = int(loaded.problem.targets.ids[t])
    parts = engine.explain(loaded.problem, weights, t, a)
    return {
        "association_id": association_id, "association": loaded.association_names[association_id],
        "target_id": target_id, "target": loaded.target_names[target_id], "score": score, "parts": parts,
        "capacity": int(loaded.problem.associations.high[a]), "active": (t, a) in loaded.active,
    }


def _name(record) -> str:
    return (record.data or {}).get("name", "") if record is not None else ""


def _create_pairing(programme: str, association_id: int, target_id: int, score: float, explanation: str):
    service = current_service()
    pairing = service.type("pairing")
    association = session.get(Entity, association_id)
    target = session.get(Entity, target_id)
    return service.create(pairing, {
        "title": f"{_name(association)} — {_name(target)}"[:200], "programme": programme,
        "association": association_id, PROGRAMMES[programme]: target_id,
        "score": str(as_decimal(score)), "explanation": explanation, "started_on": dt.date.today().isoformat(),
    })


@pages.post("/pairings")
@require_permission("entities.edit")
def start_pairing(tenant):
    """Start a pairing from the workbench: the pairing is recommended (推荐) with its reasons."""
    programme = _programme()
    association_id = request.form.get("association", type=int)
    target_id = request.form.get("target", type=int)
    if association_id is None or target_id is None:
        abort(400)
    loaded = load(current_tenant(), PROGRAMMES[programme])
    a_ids, t_ids = loaded.problem.associations.ids.tolist(), loaded.problem.targets.ids.tolist()
    if association_id not in a_ids or target_id not in t_ids:
        abort(404)
    t, a = t_ids.index(target_id), a_ids.index(association_id)
    weights, _ = weights_for(current_tenant())
    refusal = ("这家协会与该对象已有进行中的结对" if (t, a) in loaded.active
               else "这家协会的可结对数已用完,可在名录里调整「可结对数」" if loaded.problem.associations.high[a] <= 0
               else "该对象的结对数已达上限(最多结对协会数)" if loaded.problem.targets.high[t] <= 0
               else None)
    if refusal:
        return render_template("matching/_started.html", error=refusal), 409
    parts = engine.explain(loaded.problem, weights, t, a)
    service = current_service()
    try:
        record = _create_pairing(programme, association_id, target_id, sum(p["points"] for p in parts),
                                 _explanation(parts))
    except Invalid as refusal:
        service.rollback()
        message = ";".join(m for messages in refusal.errors.values() for m in messages)
        return render_template("matching/_started.html", error=message), 422
    service.commit()
    if not is_htmx():
        return redirect_to(url_for("entities.detail", type_name="pairing", entity_id=record.id))
    return render_template("matching/_started.html", record=record)


def _plan(programme: str):
    tenant_ = current_tenant()
    loaded = load(tenant_, PROGRAMMES[programme])
    weights, _ = weights_for(tenant_)
    matrix = engine.score_matrix(loaded.problem, weights)
    allowed = np.ones(matrix.shape, dtype=bool)
    for t, a in loaded.active:
        allowed[t, a] = False
    bounds = (loaded.problem.associations.high, loaded.problem.targets.low, loaded.problem.targets.high)
    try:
        best, short = engine.optimal(matrix, *bounds, allowed=allowed), []
    except engine.Infeasible as refusal:
        best, short = None, refusal.targets
    first = engine.greedy(matrix, *bounds, allowed=allowed)
    return loaded, matrix, best, short, first


@pages.get("/assign")
@require_permission("entities.view")
def assign(tenant):
    """The programme-wide optimal assignment beside what a greedy pass would give.

    The solve runs in a job (``matching.optimum``), one per programme and state of the
    tenant's records: the page starts it when there is none yet (or the last one failed,
    on a full load) and polls it until the answer is there."""
    programme = _programme()
    params = {"programme": programme, "version": data_version(current_tenant())}
    job = latest_job(OPTIMUM.name, params)
    if job is None or (job.state in ("failed", "cancelled") and not is_htmx()):
        start_job(OPTIMUM.name, params=params, title=f"最优匹配方案：{programme}")
        job = latest_job(OPTIMUM.name, params)
    context = {"programme": programme, "programmes": PROGRAMMES, "candidates": engine.CANDIDATES, "job": job}
    if job.state == "done":
        result = job.result
        context.update(result, best=types.SimpleNamespace(**result["best"]) if result["best"] else None,
                       first=types.SimpleNamespace(**result["first"]))
    if is_htmx():
        return render_block("matching/assign.html", "plan", **context)
    return render_template("matching/assign.html", **context)


def _optimum(job) -> dict:
    """The job: solve the programme's optimum and a greedy pass, as the page shows them."""
    loaded, matrix, best, short, first = _plan(job.params["programme"])
    a_ids, t_ids = loaded.problem.associations.ids, loaded.problem.targets.ids
    proposal = [
        {"target_id": int(t_ids[t]), "target": loaded.target_names[int(t_ids[t])],
         "association_id": int(a_ids[a]), "association": loaded.association_names[int(a_ids[a])],
         "score": float(matrix[t, a])}
        for t, a in (best.pairs if best else [])
    ]
    return {
        "best": {"pairs": _pairs(best), "total": float(best.total), "rounds": best.rounds, "added": best.added}
        if best else None,
        "first": {"pairs": _pairs(first), "total": float(first.total)},
        "proposal": proposal, "short": [loaded.target_names[int(t_ids[t])] for t in short],
        "greedy_short": [loaded.target_names[int(t_ids[t])] for t in first.short],
    }


def _pairs(assignment) -> list[list[int]]:
    return [[int(t), int(a)] for t, a in assignment.pairs]


OPTIMUM = JobKind("matching.optimum", "最优匹配方案", run=_optimum, idempotent=True)


@pages.post("/assign")
@require_permission("entities.edit")
def confirm(tenant):
    """Confirm the reviewed pairs (the ticked ones): each becomes a pairing in 推荐.

    A ticked pair that is no longer possible (already paired meanwhile, gone, or beyond a
    capacity or a maximum) is skipped and counted, so a second click never pairs twice."""
    programme = _programme()
    tenant_ = current_tenant()
    loaded = load(tenant_, PROGRAMMES[programme])
    weights, _ = weights_for(tenant_)
    a_ids, t_ids = loaded.problem.associations.ids.tolist(), loaded.problem.targets.ids.tolist()
    service = current_service()
    created = skipped = 0
    for value in dict.fromkeys(request.form.getlist("pair")):
        target, _, association = value.partition("-")
        target_id, association_id = whole_number(target), whole_number(association)
        if target_id not in t_ids or association_id not in a_ids:
            skipped += 1
            continue
        t, a = t_ids.index(target_id), a_ids.index(association_id)
        capacity, room = loaded.problem.associations.high, loaded.problem.targets.high
        if (t, a) in loaded.active or capacity[a] <= 0 or room[t] <= 0:
            skipped += 1
            continue
        capacity[a] -= 1
        room[t] -= 1
        parts = engine.explain(loaded.problem, weights, t, a)
        _create_pairing(programme, association_id, target_id, sum(p["points"] for p in parts),
                        _explanation(parts))
        loaded.active.add((t, a))
        created += 1
    service.commit()
    return redirect_to(url_for("matching.board", programme=programme, created=created, skipped=skipped))


@pages.get("/board")
@require_permission("entities.view")
def board(tenant):
    """Pairings by state: a count per state and the latest of each."""
    programme = request.args.get("programme") or ""
    if programme and programme not in PROGRAMMES:
        abort(404)
    stage = _value_alias("stage")
    query = select(Entity, stage.text_value).join(stage, _joined(stage, "stage")).where(
        Entity.type == "pairing", Entity.deleted_at.is_(None))
    if programme:
        chosen = _value_alias("programme")
        query = query.join(chosen, _joined(chosen, "programme")).where(chosen.text_value == programme)
    counts = _stage_counts(programme)
    columns = {
        state: [record for record, _ in session.execute(
            query.where(stage.text_value == state).order_by(Entity.id.desc()).limit(BOARD_LIMIT))]
        for state in PAIRING_STATES
    }
    return render_template("matching/board.html", columns=columns, counts=counts, programme=programme,
                           programmes=PROGRAMMES, created=request.args.get("created", type=int),
                           skipped=request.args.get("skipped", 0, type=int), limit=BOARD_LIMIT)


def _value_alias(field: str):
    return aliased(EntityValue, name=f"v_{field}")


def _joined(value, field: str):
    return and_(value.entity_id == Entity.id, value.tenant_id == Entity.tenant_id, value.type == "pairing",
                value.field == field)


def _stage_counts(programme: str) -> dict[str, int]:
    stage = _value_alias("stage")
    query = select(stage.text_value, func.count(func.distinct(Entity.id))).join(stage, _joined(stage, "stage")).where(
        Entity.type == "pairing", Entity.deleted_at.is_(None))
    if programme:
        chosen = _value_alias("programme")
        query = query.join(chosen, _joined(chosen, "programme")).where(chosen.text_value == programme)
    return dict(session.execute(query.group_by(stage.text_value)).all())


@pages.get("/ledger")
@require_permission("entities.view")
def ledger(tenant):
    """Landed projects, newest signing first, with the count and the exact sum of their amounts."""
    page = max(1, request.args.get("page", 1, type=int))
    signed = aliased(EntityValue, name="p_signed_on")
    query = (select(Entity).outerjoin(signed, and_(signed.entity_id == Entity.id, signed.tenant_id == Entity.tenant_id,
                                                   signed.type == "project", signed.field == "signed_on"))
             .where(Entity.type == "project", Entity.deleted_at.is_(None))
             .order_by(signed.date_value.desc(), Entity.id.desc()))
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages_count = max(1, -(-total // BOARD_LIMIT))
    page = min(page, pages_count)
    records = list(session.scalars(query.limit(BOARD_LIMIT).offset((page - 1) * BOARD_LIMIT)))
    owners = {r.data.get("association") for r in records} - {None}
    names = dict(session.execute(select(Entity.id, Entity.data).where(Entity.id.in_(owners))).all()) if owners else {}
    return render_template(
        "matching/ledger.html", records=records, totals=project_totals(session, (current_tenant().id,)),
        names={k: (v or {}).get("name", "") for k, v in names.items()}, page=page, pages=pages_count, count=total,
    )

