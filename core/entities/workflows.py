"""Workflows: a record's state moves only by firing a named transition.

A type declares its :class:`~core.entities.definitions.Workflow` (states, transitions,
the initial state, the choice field that keeps the state). The state is set to the
initial one when a record is created, a plain update may not change it, and
:meth:`EntityService.transition <core.entities.service.EntityService.transition>`
fires a transition through :func:`fire`, which checks, in this order:

1. the version the caller read (:class:`~core.entities.service.Conflict`);
2. that the transition exists (:class:`~core.entities.service.NotFound`) and starts
   from the current state (:class:`~core.entities.service.Invalid`, naming the state);
3. that the actor may fire it: role and permission
   (:class:`~core.entities.service.Forbidden`);
4. the reason, if the transition needs one (``{"reason": ["请填写原因"]}``);
5. the values of the transition's fields and the whole new record, through the normal
   validation, ``quanhui_validate_entity`` hooks included (they see ``previous``);
6. the transition's guard, whose message is the refusal.

Then the record takes the target state and the values, its version goes up, a revision
``transition:<name>`` keeps before, after and the reason, the audit log gets
``entity.transition``, and after the commit the plugins hear of it
(``quanhui_entity_changed`` with ``action="transition:<name>"``).

A service without an actor (the command line, a plugin reacting to a change) acts for
the system: the role check does not apply to it; everything else does.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from flask import current_app, has_app_context

from .. import audit
from .definitions import EntityType, Transition, Workflow
from .fields import clean_input
from .ownership import owner_of

if TYPE_CHECKING:
    from .models import Entity, EntityRevision
    from .service import EntityService

logger = logging.getLogger(__name__)

REASON_LIMIT = 2000
REASON_REQUIRED = "请填写原因"
STATE_BY_TRANSITION_ONLY = "状态只能通过流程操作改变"


@dataclasses.dataclass(frozen=True)
class TransitionContext:
    """What a guard knows besides the new data."""

    tenant: Any
    entity_type: EntityType
    entity: Entity
    transition: Transition
    #: The stored data before the transition.
    previous: dict[str, Any]
    reason: str
    #: The user firing it (None: the system).
    actor: Any
    session: Any

    @property
    def source(self) -> str | None:
        return self.previous.get(self.entity_type.workflow.field)


@dataclasses.dataclass(frozen=True)
class HistoryEntry:
    """One fired transition, for the detail page: from where to where, who, why."""

    revision: EntityRevision
    transition: Transition | None
    label: str
    source: str | None
    target: str | None
    reason: str


# who may fire -----------------------------------------------------------


def may_fire(transition: Transition, actor) -> bool:
    """Whether ``actor`` may fire ``transition``: its role is among the transition's roles
    and, if the transition names a permission, the role holds it. No actor: the system."""
    if actor is None:
        return True
    role = getattr(actor, "role", None)
    if role not in transition.roles:
        return False
    if transition.permission is None:
        return True
    if not has_app_context():
        return False
    table = current_app.extensions.get("quanhui.permissions")
    try:
        return table is not None and table.allows(role, transition.permission)
    except KeyError:
        logger.error("transition %s names the unknown permission %s", transition.name, transition.permission)
        return False


def available_transitions(entity_type: EntityType, entity: Entity, actor) -> list[Transition]:
    """The transitions ``actor`` may fire on ``entity`` now: those that start from its
    state and whose roles and permission the actor has (guards are not run)."""
    workflow = entity_type.workflow
    if workflow is None or entity.deleted_at is not None:
        return []
    state = (entity.data or {}).get(workflow.field)
    return [t for t in workflow.transitions if state in t.sources and may_fire(t, actor)]


# the state field outside transitions -----------------------------------


def initial_state(entity_type: EntityType, raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` for a new record with the state set to the initial one; a different state is
    refused (a record always starts at the beginning of its workflow)."""
    workflow = entity_type.workflow
    if workflow is None:
        return raw
    given = clean_input(entity_type, {workflow.field: raw[workflow.field]}).get(workflow.field) if workflow.field in raw else None
    if given is not None and given != workflow.initial:
        from .service import Invalid

        raise Invalid({workflow.field: [f"新记录的{_field_label(entity_type)}总是「{_label(workflow, workflow.initial)}」,之后通过流程操作改变"]})
    return {**raw, workflow.field: workflow.initial}


def refuse_state_change(entity_type: EntityType, raw: dict[str, Any], previous: dict[str, Any]) -> None:
    """A plain update may name the state field only with its current value."""
    workflow = entity_type.workflow
    if workflow is None or workflow.field not in raw:
        return
    given = clean_input(entity_type, {workflow.field: raw[workflow.field]}).get(workflow.field)
    if given != previous.get(workflow.field):
        from .service import Invalid

        raise Invalid({workflow.field: [STATE_BY_TRANSITION_ONLY]})


# firing -----------------------------------------------------------------


def fire(
    service: EntityService,
    entity_type: EntityType,
    entity: Entity,
    name: str,
    expected_version: int,
    *,
    reason: str = "",
    values: dict[str, Any] | None = None,
) -> Entity:
    """Fire transition ``name`` on ``entity``; see the module docstring for the checks."""
    from .service import Conflict, Forbidden, Invalid, NotFound

    if entity.version != expected_version:
        raise Conflict(entity)
    workflow = entity_type.workflow
    transition = workflow.transition(name) if workflow is not None else None
    if transition is None:
        raise NotFound(f"{entity_type.label}没有名为 {name} 的流程操作")
    previous = dict(entity.data or {})
    current = previous.get(workflow.field)
    if current not in transition.sources:
        allowed = "、".join(f"「{_label(workflow, s)}」" for s in transition.sources)
        raise Invalid({workflow.field: [
            f"当前状态为「{_label(workflow, current)}」,不能执行「{transition.label}」(只能从{allowed}执行)"
        ]})
    if not may_fire(transition, service.actor):
        raise Forbidden(f"您的角色不能执行「{transition.label}」")
    reason = reason.strip() if isinstance(reason, str) else ""
    errors: dict[str, list[str]] = {}
    if transition.needs_reason and not reason:
        errors["reason"] = [REASON_REQUIRED]
    elif len(reason) > REASON_LIMIT:
        errors["reason"] = [f"原因最多 {REASON_LIMIT} 个字"]
    values = dict(values or {})
    for key in values:
        if key not in transition.fields:
            errors.setdefault(key, []).append(f"「{transition.label}」不填写这一项")
    for key in transition.fields:
        if clean_input(entity_type, {key: values.get(key)}).get(key) is None:
            errors.setdefault(key, []).append("此项必填")
    # The hooks of quanhui_validate_entity see the new state and the previous data.
    given = {key: value for key, value in values.items() if key in transition.fields}
    try:
        data = service.validate(entity_type, {**given, workflow.field: transition.target}, previous,
                                entity_id=entity.id, action=f"transition:{transition.name}")
    except Invalid as refusal:
        for key, messages in refusal.errors.items():
            errors.setdefault(key, []).extend(m for m in messages if m not in errors.get(key, []))
    if errors:
        raise Invalid(errors)
    if transition.guard is not None:
        context = TransitionContext(
            tenant=service.tenant, entity_type=entity_type, entity=entity, transition=transition,
            previous=previous, reason=reason, actor=service.actor, session=service.session,
        )
        message = transition.guard(data, context)
        if message:
            raise Invalid({workflow.field: [str(message)]})
    entity.data = data
    entity.owner_id = owner_of(entity_type, entity.id, data)
    service._save(entity_type, entity, f"transition:{name}", previous, data, reason=reason)
    detail = {"type": entity_type.name, "id": entity.id, "transition": name, "from": current,
              "to": transition.target, "version": entity.version}
    if reason:
        detail["reason"] = reason
    audit_actor = {} if service.actor is None else {"actor": service.actor}
    audit.record(service.session, "entity.transition", tenant_id=entity.tenant_id,
                 target=f"{entity_type.name}/{entity.id}", **audit_actor, **detail)
    return entity


# showing ----------------------------------------------------------------


def history(entity_type: EntityType, revisions: list[EntityRevision]) -> list[HistoryEntry]:
    """The fired transitions among ``revisions``, oldest first."""
    workflow = entity_type.workflow
    entries = []
    for revision in revisions:
        if not revision.action.startswith("transition:"):
            continue
        name = revision.action.split(":", 1)[1]
        transition = workflow.transition(name) if workflow is not None else None
        field = workflow.field if workflow is not None else None
        entries.append(HistoryEntry(
            revision=revision, transition=transition, label=transition.label if transition else name,
            source=(revision.before or {}).get(field) if field else None,
            target=(revision.after or {}).get(field) if field else None,
            reason=revision.reason or "",
        ))
    return entries


def state_label(workflow: Workflow | None, name: str | None) -> str:
    return _label(workflow, name) if workflow is not None else (name or "—")


def _label(workflow: Workflow, name: str | None) -> str:
    state = workflow.state(name)
    return state.label if state is not None else (name or "未设置")


def _field_label(entity_type: EntityType) -> str:
    field = entity_type.field(entity_type.workflow.field)
    return field.label if field is not None else entity_type.workflow.label
