"""Reading entity forms and showing stored values: the HTML side of field kinds."""
from __future__ import annotations

import dataclasses
import re
from typing import Any

from flask import abort
from werkzeug.datastructures import MultiDict

from .definitions import EntityType, Field, Transition
from .rights import SYSTEM, FieldRights

#: The form's name for confirming an exceptional credit code (see EntityService.validate).
CONFIRM = "_confirm"

TAG_SEPARATORS = re.compile(r"[,,、;;\s]+")


@dataclasses.dataclass(frozen=True)
class TransitionForm:
    """What a workflow button's form asks for: which transition, on which version, with what."""

    transition: Transition
    #: The version the user saw; a stale one makes the service raise Conflict.
    version: int
    #: The values of the fields the transition fills in, as :func:`form_input` reads them.
    values: dict[str, Any]
    reason: str


def transition_form(entity_type: EntityType, name: str, form: MultiDict) -> TransitionForm:
    """Read a transition's form; 404 for a transition the type does not have, 400 when the
    form lost its version (every page of a workflow posts ``version``)."""
    chosen = entity_type.workflow.transition(name) if entity_type.workflow is not None else None
    if chosen is None:
        abort(404)
    try:
        version = int(form.get("version", ""))
    except ValueError:
        abort(400, "表单缺少版本号,请刷新页面后重试。")
    values = {key: value for key, value in form_input(entity_type, form).items() if key in chosen.fields}
    return TransitionForm(chosen, version, values, form.get("reason", ""))


def form_input(entity_type: EntityType, form: MultiDict, rights: FieldRights = SYSTEM) -> dict[str, Any]:
    """The raw values a submitted form gives for the type's fields (not yet validated).

    An unticked multi-choice sends nothing, so it reads as emptied; one the user may not
    write is shown read-only, sends nothing, and is left as it is.
    """
    raw: dict[str, Any] = {}
    if form.getlist(CONFIRM):
        raw[CONFIRM] = form.getlist(CONFIRM)
    for field in entity_type.fields:
        if field.kind == "multi_choice" and (field.name in form or rights.may_write(field)):
            raw[field.name] = [value for value in form.getlist(field.name) if value]
        elif field.kind == "file" or field.name not in form:
            continue  # files come from request.files (see views.attach_files)
        elif field.kind == "tags":
            raw[field.name] = [tag for tag in TAG_SEPARATORS.split(form.get(field.name, "")) if tag]
        elif field.kind == "boolean":
            raw[field.name] = {"true": True, "false": False}.get(form.get(field.name, ""), None)
        else:
            raw[field.name] = form.get(field.name, "")
    return raw


def display(field: Field, value: Any) -> str:
    """A stored value as people read it."""
    if value is None or value == [] or value == "":
        return "—"
    if field.kind == "boolean":
        return "是" if value else "否"
    if field.kind == "file" and isinstance(value, dict):
        return str(value.get("name") or "—")
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    return str(value)


def form_value(field: Field, value: Any) -> str:
    """A stored value as it goes back into an input."""
    if value is None:
        return ""
    if field.kind == "tags" and isinstance(value, list):
        return "、".join(value)
    if field.kind == "boolean":
        return "true" if value else "false"
    return str(value)
