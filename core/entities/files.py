"""Files kept with records: the ``file`` field kind's storage.

An uploaded file is stored in ``entity_files`` (the tenant's own, under row-level
security) in the same transaction as the record that names it; the record keeps
``{"file": id, "name": ..., "size": ..., "type": ...}``. Only a short list of harmless
kinds is accepted, checked by extension and, where cheap, by the first bytes.

Each file is bound to the record and field it was uploaded for (``entity_id``,
``field``). A form that uploads and saves in one request stores the file unbound
first; the service binds it when it saves the record that names it. A record's file
field may name only a file bound to it, or one its user stored in the same request, so
ids, which are sequential, open nothing; a download checks the binding against its URL.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterator
from typing import Any

from flask import current_app
from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, cast, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..db import Base, BigId, UTCDateTime, utcnow
from ..tenancy import Tenant, TenantOwned, system_scope
from .models import Entity

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
#: Bidirectional-text controls, which make "txt.exe" read as "exe.txt"; dropped from names.
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
NAME_LIMIT = 200


class FileRefused(ValueError):
    """An upload that is not kept; the message says why, in Chinese."""


#: In ``session.info``: the ids of the files stored in this request and not yet bound,
#: with the user who stored each.
UNBOUND_KEY = "quanhui.unbound_files"


class EntityFile(TenantOwned, Base):
    __tablename__ = "entity_files"
    __table_args__ = (
        Index("ix_entity_files_tenant_sha256", "tenant_id", "sha256"),
        Index("ix_entity_files_entity", "entity_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigId)
    content_type: Mapped[str] = mapped_column(String(120))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    #: The record and field the file was uploaded for; None only until that record is saved.
    entity_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("entities.id", ondelete="CASCADE"))
    field: Mapped[str | None] = mapped_column(String(40))

    def bound_to(self, entity_id: int | None, field: str) -> bool:
        return entity_id is not None and self.entity_id == entity_id and self.field == field

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
    name = BIDI_CONTROLS.sub("", (filename or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = UNSAFE_NAME.sub("_", name).strip(" ._") if name else ""
    stem, ext = os.path.splitext(name)
    if len(name) > NAME_LIMIT:
        name = stem[: NAME_LIMIT - len(ext)] + ext
    return name


def store(session: Session, tenant_id: int, upload, *, actor_id: int | None = None,
          bind: tuple[int, str] | None = None, accept: tuple[str, ...] = ()) -> dict[str, Any]:
    """Keep ``upload`` (a werkzeug FileStorage) for ``tenant_id``; returns the record's JSON.

    ``bind`` is the (record id, field) the file belongs to; without it the file waits,
    for this request only, for the record that names it (see :func:`bind_unbound`).
    ``accept`` narrows the extensions taken (a field's ``accept``).
    Raises :class:`FileRefused` for a file too large or of a kind not accepted.
    """
    name = clean_name(upload.filename)
    ext = os.path.splitext(name)[1].lower()
    if ext not in ALLOWED:
        raise FileRefused(f"不支持这种文件类型:{ext or '(无扩展名)'}。可以上传 PDF、PNG/JPEG 图片、Word/Excel/PowerPoint(docx、xlsx、pptx)、zip 和 txt 文件")
    if accept and ext not in accept:
        raise FileRefused(f"这里只能上传 {'、'.join(kind.lstrip('.').upper() for kind in accept)} 文件")
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
        entity_id=bind[0] if bind else None, field=bind[1] if bind else None,
    )
    session.add(row)
    session.flush()
    if bind is None:
        session.info.setdefault(UNBOUND_KEY, {})[row.id] = actor_id
    return row.as_json()


def stored_unbound(session: Session, stored: EntityFile, actor_id: int | None) -> bool:
    """Whether ``actor_id`` stored ``stored`` in this request and no record has taken it yet."""
    return stored.entity_id is None and session.info.get(UNBOUND_KEY, {}).get(stored.id, False) == actor_id


def bind_unbound(session: Session, entity_id: int, file_fields: dict[str, Any]) -> None:
    """Bind the files of ``file_fields`` (field name -> stored value) that this request
    stored unbound to record ``entity_id``."""
    waiting = session.info.get(UNBOUND_KEY)
    if not waiting:
        return
    for field, value in file_fields.items():
        file_id = value.get("file") if isinstance(value, dict) else None
        if file_id in waiting:
            del waiting[file_id]
            session.execute(update(EntityFile).where(EntityFile.id == file_id, EntityFile.entity_id.is_(None))
                            .values(entity_id=entity_id, field=field))


def find(session: Session, tenant_id: int, file_id: Any) -> EntityFile | None:
    if not isinstance(file_id, int) or isinstance(file_id, bool):
        return None
    return session.scalar(select(EntityFile).where(EntityFile.id == file_id, EntityFile.tenant_id == tenant_id))


def download_type(content_type: str) -> str:
    return content_type if content_type in CONTENT_TYPES else "application/octet-stream"


def references(data: dict[str, Any] | None) -> Iterator[tuple[str, int]]:
    """(field, file id) for each file a record's stored data names, retired fields included."""
    for field, value in (data or {}).items():
        file_id = value.get("file") if isinstance(value, dict) else None
        if isinstance(file_id, int) and not isinstance(file_id, bool):
            yield field, file_id


def misplaced_references(session: Session) -> list[str]:
    """Every record field, of every tenant, deleted records included, that names a file not
    bound to it (named by id before files were bound, or a file since gone): one line each.
    Such a reference downloads nothing; ``quanhui check files`` lists them."""
    with system_scope(session):
        bound = {file_id: (tenant_id, entity_id, field) for file_id, tenant_id, entity_id, field in session.execute(
            select(EntityFile.id, EntityFile.tenant_id, EntityFile.entity_id, EntityFile.field))}
        slugs = dict(session.execute(select(Tenant.id, Tenant.slug)).all())
        naming = select(Entity.id, Entity.tenant_id, Entity.type, Entity.data).where(
            cast(Entity.data, Text).like('%"file"%')).order_by(Entity.id)
        lines = []
        for entity_id, tenant_id, type_name, data in session.execute(naming):
            for field, file_id in references(data):
                owner = bound.get(file_id)
                if owner is None or owner[0] != tenant_id:
                    problem = "不存在"
                elif owner[1:] != (entity_id, field):
                    problem = f"属于记录 {owner[1]} 的 {owner[2]}" if owner[1] is not None else "未归属任何记录"
                else:
                    continue
                lines.append(f"{slugs.get(tenant_id, tenant_id)} {type_name} {entity_id} 的 {field}：文件 {file_id} {problem}")
    return lines
