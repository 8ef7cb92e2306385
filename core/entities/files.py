"""Files kept with records: the ``file`` field kind's storage.

An uploaded file is stored in ``entity_files`` (the tenant's own, under row-level
security) in the same transaction as the record that names it; the record keeps
``{"file": id, "name": ..., "size": ..., "type": ...}``. Only a short list of harmless
kinds is accepted, checked by extension and, where cheap, by the first bytes.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from typing import Any

from flask import current_app
from sqlalchemy import ForeignKey, Index, LargeBinary, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..db import Base, BigId, UTCDateTime, utcnow
from ..tenancy import TenantOwned

MAX_FILE_BYTES = 20 * 1024 * 1024
ZIP = (b"PK\x03\x04", b"PK\x05\x06")
#: Extension -> (content type, accepted leading bytes; None: text, no NUL byte).
ALLOWED: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ZIP),
    ".zip": ("application/zip", ZIP),
    ".txt": ("text/plain", None),
}
CONTENT_TYPES = frozenset(content_type for content_type, _ in ALLOWED.values())
UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f"*:<>?|\\/]+')
NAME_LIMIT = 200


class FileRefused(ValueError):
    """An upload that is not kept; the message says why, in Chinese."""


class EntityFile(TenantOwned, Base):
    __tablename__ = "entity_files"
    __table_args__ = (Index("ix_entity_files_tenant_sha256", "tenant_id", "sha256"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigId)
    content_type: Mapped[str] = mapped_column(String(120))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))

    def as_json(self) -> dict[str, Any]:
        """What a record stores for this file."""
        return {"file": self.id, "name": self.name, "size": self.size, "type": self.content_type}


def max_bytes() -> int:
    return int(current_app.config.get("QUANHUI_MAX_FILE_BYTES") or MAX_FILE_BYTES)


def size_text(size: int) -> str:
    """1536 -> "1.5 KB"; 20971520 -> "20 MB"."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} 字节"


def clean_name(filename: str | None) -> str:
    """The original name without directories, control or reserved characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = UNSAFE_NAME.sub("_", name).strip(" ._") if name else ""
    stem, ext = os.path.splitext(name)
    if len(name) > NAME_LIMIT:
        name = stem[: NAME_LIMIT - len(ext)] + ext
    return name


def store(session: Session, tenant_id: int, upload, *, actor_id: int | None = None) -> dict[str, Any]:
    """Keep ``upload`` (a werkzeug FileStorage) for ``tenant_id``; returns the record's JSON.

    Raises :class:`FileRefused` for a file too large or of a kind not accepted.
    """
    name = clean_name(upload.filename)
    ext = os.path.splitext(name)[1].lower()
    if ext not in ALLOWED:
        raise FileRefused(f"不支持这种文件类型:{ext or '(无扩展名)'}。可以上传 PDF、PNG/JPEG 图片、Word/Excel/PowerPoint(docx、xlsx、pptx)、zip 和 txt 文件")
    limit = max_bytes()
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise FileRefused(f"文件超过 {size_text(limit)}")
    if not data:
        raise FileRefused("文件是空的,请重新选择")
    content_type, magic = ALLOWED[ext]
    if magic is None:
        if b"\x00" in data[:8192]:
            raise FileRefused(f"文件内容与扩展名 {ext} 不符")
    elif not data.startswith(magic):
        raise FileRefused(f"文件内容与扩展名 {ext} 不符")
    row = EntityFile(
        tenant_id=tenant_id, sha256=hashlib.sha256(data).hexdigest(), name=name, size=len(data),
        content_type=content_type, data=data, created_by=actor_id,
    )
    session.add(row)
    session.flush()
    return row.as_json()


def find(session: Session, tenant_id: int, file_id: Any) -> EntityFile | None:
    if not isinstance(file_id, int) or isinstance(file_id, bool):
        return None
    return session.scalar(select(EntityFile).where(EntityFile.id == file_id, EntityFile.tenant_id == tenant_id))


def download_type(content_type: str) -> str:
    return content_type if content_type in CONTENT_TYPES else "application/octet-stream"
