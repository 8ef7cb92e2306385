"""Confirmation before counting: what an association files counts once the staff confirm it.

A type declared with ``needs_confirmation=True`` (instructors, Party organisations,
projects...) keeps a record an association account creates or changes as 待确认: the
record is stored and shown, but reports and roll-ups leave it out until the staff
confirm it (:meth:`EntityService.confirm <core.entities.service.EntityService.confirm>`)
or reject it (``reject``, which deletes it with the reason). The mark travels in the
record's data under :data:`PENDING`, so every revision carries it too: a figure rebuilt
from revisions (a monthly snapshot) counts the record from the revision that confirmed it,
exactly as the figure of the day did.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

#: In stored data: present (True) while the record waits for the staff's confirmation.
PENDING = "_pending"


def is_pending(data: dict[str, Any] | None) -> bool:
    return bool((data or {}).get(PENDING))


def counted(data) -> ColumnElement[bool]:
    """SQL: the record whose JSON ``data`` (``Entity.data`` or a revision's ``after``) counts
    in figures, that is, it does not wait for confirmation."""
    return data[PENDING].as_string().is_(None)
