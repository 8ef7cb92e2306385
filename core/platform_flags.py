"""Facts about the installation itself (not about any tenant), such as "this is a demo database"."""
from __future__ import annotations

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import Base


class PlatformFlag(Base):
    __tablename__ = "platform_flags"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


def get_flag(session: Session, key: str) -> str | None:
    return session.scalar(select(PlatformFlag.value).where(PlatformFlag.key == key))


def set_flag(session: Session, key: str, value: str) -> None:
    session.merge(PlatformFlag(key=key, value=value))
