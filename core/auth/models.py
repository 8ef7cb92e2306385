"""Users and the credentials that stand for them: login sessions and API tokens; and the
counts that limit and log failed logins."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, BigId, UTCDateTime, utcnow
from ..tenancy import Tenant, TenantOwned


def token_digest(token: str) -> str:
    """Credentials are stored as SHA-256 digests: a leaked table opens no session."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


class User(TenantOwned, Base):
    """A person with one home tenant and one role there (and in the tenants below it)."""

    __tablename__ = "users"
    __table_args__ = (Index("ix_users_tenant_username", "tenant_id", "username"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(80), default="")
    role: Mapped[str] = mapped_column(String(30))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: For the "association" role: the one association (an entity) the account acts for.
    #: No foreign key: entities already refer to users, and records are only ever soft-deleted.
    association_id: Mapped[int | None] = mapped_column(BigId)

    tenant: Mapped[Tenant] = relationship(lazy="joined", innerjoin=True)

    @property
    def label(self) -> str:
        return self.display_name or self.username


class LoginSession(TenantOwned, Base):
    """One browser login. The cookie carries its token; logout revokes the row."""

    __tablename__ = "login_sessions"
    __table_args__ = (Index("ix_login_sessions_tenant_user", "tenant_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ip: Mapped[str] = mapped_column(String(45), default="")

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class ApiToken(TenantOwned, Base):
    """A bearer token for /api/v1; shown once at creation, stored as a digest."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_tenant_user", "tenant_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class LoginCounter(Base):
    """Login attempts under one key (an account name or a client address) in one fixed
    window, for workers without Redis: one row, incremented in place by every worker."""

    __tablename__ = "login_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    #: When the window ends, in seconds since the epoch; past windows are deleted.
    window_end: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class UnknownLoginTally(TenantOwned, Base):
    """Failed logins for names with no account, from one address in one minute: one audit
    event stands for them all and this row counts them, so made-up names cannot flood the log."""

    __tablename__ = "unknown_login_tallies"
    __table_args__ = (UniqueConstraint("tenant_id", "ip", "minute", name="uq_unknown_login_tallies_ip_minute"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ip: Mapped[str] = mapped_column(String(45))
    minute: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(default=0)
    audit_event_id: Mapped[int | None] = mapped_column(BigId, unique=True)
