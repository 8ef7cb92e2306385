"""The audit log: who did what, where, and when. Rows are written, never changed.

Events that accompany a data change are added to the same transaction, so the log and
the data agree; events with nothing else to commit (a failed login, a denial) are
committed on their own with :func:`record_now`.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import has_request_context, request
from sqlalchemy import JSON, Index, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import Base, BigId, UTCDateTime, utcnow
from .tenancy import ScopedSession, TenantOwned, system_scope


class AuditEvent(TenantOwned, Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_tenant_at", "tenant_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The user's id and name as they were; no foreign key, so the log outlives the user.
    actor_id: Mapped[int | None] = mapped_column(BigId)
    actor: Mapped[str] = mapped_column(String(80), default="")
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str] = mapped_column(String(45), default="")


#: The default actor: whoever is signed in to the current request.
CURRENT_USER = object()
#: The actor of a change the ``quanhui`` command line makes, named so in the log even
#: where a request context happens to be active (tests run commands inside one).
COMMAND_LINE = object()
COMMAND_LINE_NAME = "命令行"


def record(
    session: Session, action: str, *, tenant_id: int, target: str = "", actor=CURRENT_USER, **detail
) -> AuditEvent:
    """Add an event to the session's transaction; it commits with the change it describes.

    ``actor`` is a user, ``None`` for nobody (a failed login, the command line),
    :data:`COMMAND_LINE`, or by default the signed-in user.
    """
    if actor is CURRENT_USER:
        actor = _current_actor()
    if actor is COMMAND_LINE:
        name = COMMAND_LINE_NAME
    elif actor is not None:
        name = actor.username
    else:
        name = "" if has_request_context() else COMMAND_LINE_NAME
    event_row = AuditEvent(
        tenant_id=tenant_id,
        action=action,
        target=target,
        actor_id=getattr(actor, "id", None),
        actor=name,
        detail=detail,
        ip=(request.remote_addr or "") if has_request_context() else "",
    )
    with system_scope(session):
        session.add(event_row)
        session.flush()
    return event_row


def record_now(session: Session, action: str, **kwargs) -> AuditEvent:
    """Record and commit at once, for events that nothing else will commit."""
    event_row = record(session, action, **kwargs)
    session.commit()
    return event_row


def _current_actor():
    if not has_request_context():
        return None
    from flask_login import current_user

    return current_user.user if getattr(current_user, "is_authenticated", False) else None


@event.listens_for(ScopedSession, "before_flush")
def _refuse_audit_changes(session: Session, _context, _instances) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise PermissionError("审计日志只能追加,不能修改或删除")
