"""案件的办理规则:读取市级目录、“改用更严厉的措施须说明原因”、作出处理时终止登记。

终止登记和案件的“作出处理”在同一个事务里完成(:func:`decide`):协会商会的状态经
平台的记录服务修改,所以有修改记录、有变化通知(党建覆盖等插件据此把它移出在册范围),
另写一条审计日志。经通用接口作出的处理,由变化通知补上同样的修改(见插件的
``quanhui_entity_changed``),结果一致。
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select

from core.api import Entity, Invalid, audit, service_for

from .entities import CAMPAIGN, ENDING_OUTCOMES, MEASURE, RECTIFYING, SITUATION

ASSOCIATION = "association"


@dataclasses.dataclass(frozen=True)
class Measure:
    id: int
    name: str
    severity: int
    registration: str

    @property
    def ends_registration(self) -> bool:
        return self.registration in ENDING_OUTCOMES


def catalogue(service, type_name: str) -> list[Entity]:
    """The live records of a catalogue as ``service``'s tenant sees them (the city's too)."""
    order = {SITUATION: "position", MEASURE: "severity"}.get(type_name)
    with service.reading(service.type(type_name)):
        rows = list(service.session.scalars(
            select(Entity).where(Entity.type == type_name, Entity.deleted_at.is_(None)).order_by(Entity.id)
        ))
    if order:
        rows.sort(key=lambda row: ((row.data or {}).get(order) or 0, row.id))
    return rows


def current_campaign(service) -> Entity | None:
    """The campaign that started last: the one the board shows and new self-inspections join."""
    campaigns = catalogue(service, CAMPAIGN)
    return max(campaigns, key=lambda row: (row.data.get("start_on", ""), row.id)) if campaigns else None


def measures(service) -> dict[int, Measure]:
    return {
        row.id: Measure(row.id, row.data.get("name", ""), int(row.data.get("severity") or 0),
                        row.data.get("registration", ""))
        for row in catalogue(service, MEASURE)
    }


def harsher_without_reason(tenant, actor, previous_id, chosen_id, reason: str) -> str | None:
    """The refusal when ``chosen_id`` is more severe than the case's last measure and no reason is given."""
    if not previous_id or not chosen_id or previous_id == chosen_id or reason:
        return None
    known = measures(service_for(tenant, actor))
    previous, chosen = known.get(previous_id), known.get(chosen_id)
    if previous is None or chosen is None or chosen.severity <= previous.severity:
        return None
    return f"「{chosen.name}」比上次的处理措施「{previous.name}」更严厉,请在“原因”里说明加重处理的理由"


def end_registration(service, case: Entity) -> Entity | None:
    """If the case's measure ends the registration, set its association's status to 注销 or
    撤销 through ``service`` (revision, change event, audit); the caller commits."""
    measure = measures(service).get(case.data.get("measure"))
    if measure is None or not measure.ends_registration:
        return None
    kind = service.type(ASSOCIATION)
    association = service.get(kind, case.data["association"])
    if association.data.get("status") == measure.registration:
        return None
    try:
        service.update(kind, association, {"status": measure.registration}, association.version)
    except Invalid as refusal:
        problems = ";".join(message for messages in refusal.errors.values() for message in messages)
        raise Invalid({"measure": [
            f"协会商会「{association.data.get('name')}」的名录信息有误,不能改为{measure.registration}:{problems}。"
            "请先在名录里更正"
        ]}) from None
    audit(service.session, "rectification.registration_ended", tenant_id=service.tenant.id,
          target=f"{ASSOCIATION}/{association.id}", case=case.id, measure=measure.name, status=measure.registration)
    return association


def fire(service, case_type, case: Entity, name: str, expected_version: int, *, reason: str = "",
         values: dict | None = None) -> Entity:
    """Fire a case transition; 作出处理 ends the registration in the same transaction."""
    case = service.transition(case_type, case, name, expected_version, reason=reason, values=values)
    if name == "decide":
        end_registration(service, case)
    return case


def overdue_days(data: dict, today: dt.date | None = None) -> int:
    """Days past the deadline of a case still being rectified (0: not overdue)."""
    deadline = data.get("deadline")
    if data.get("stage") != RECTIFYING or not deadline:
        return 0
    return max(0, ((today or dt.date.today()) - dt.date.fromisoformat(str(deadline))).days)
