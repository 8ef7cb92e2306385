"""词表: named, ordered lists of terms a tenant maintains and publishes downwards.

The city keeps the 「产业链」 list (the "4+10" chains), the needs a matching plugin
offers (产业发展, 技术, 销售渠道…), the catalogues a rectification plugin uses. A choice
field names a vocabulary (``Field(..., kind="choice", vocabulary="industry_chains")``)
and its choices are the terms as the tenant sees them, so the city edits the list once
and every district's forms, validation, Excel templates and API schema use it at once.

Resolution is deliberately simple: the nearest ancestor-or-self that defines a
vocabulary wins; districts usually define none, so they see the city's list read-only.
Plugins declare their vocabularies with default terms (``quanhui_vocabularies``);
``quanhui init`` creates the missing ones for the root tenant, and until then a field
falls back to the declared defaults.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping

from flask import g, has_app_context
from sqlalchemy import JSON, ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from . import audit
from .db import Base, BigId, UTCDateTime, utcnow
from .tenancy import Tenant, TenantOwned, system_scope

NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TERM_LIMIT = 40
LABEL_LIMIT = 40
MAX_TERMS = 500
CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_CACHE_KEY = "_quanhui_vocabularies"


class VocabularyError(ValueError):
    """Terms or a label refused; ``errors`` maps ``terms`` / ``label`` to a Chinese message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclasses.dataclass(frozen=True)
class VocabularyDeclaration:
    """A vocabulary a plugin uses, with the terms a fresh installation starts with.

    Returned from the ``quanhui_vocabularies`` hook; ``quanhui init`` creates it for the
    root tenant (the city) when it does not exist yet, and the city maintains it from
    then on under 「词表」.
    """

    name: str
    label: str
    terms: tuple[str, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "terms", tuple(self.terms))
        if not NAME.match(self.name):
            raise ValueError(f"词表名 {self.name!r} 不可用:需以小写字母开头,只含小写字母、数字和下划线")
        problems = check(self.terms, self.label)
        if problems:
            raise ValueError(f"词表 {self.name} 的定义不可用:{';'.join(problems.values())}")


class Vocabulary(TenantOwned, Base):
    """One tenant's version of a vocabulary; it applies there and in every tenant below."""

    __tablename__ = "vocabularies"
    __table_args__ = (Index("ix_vocabularies_tenant_name", "tenant_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(LABEL_LIMIT))
    terms: Mapped[list[str]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))


@dataclasses.dataclass(frozen=True)
class Terms:
    """A vocabulary as one tenant sees it: whose it is and its terms, detached from the session."""

    name: str
    label: str
    terms: tuple[str, ...]
    tenant_id: int
    tenant_name: str
    updated_at: dt.datetime | None = None


# reading --------------------------------------------------------------------


def in_effect(session: Session, tenant: Tenant) -> dict[str, Terms]:
    """Every vocabulary ``tenant`` sees, by name: the nearest ancestor-or-self's version.

    One query for the whole chain, cached in ``flask.g`` for the rest of the request's
    database transaction (a commit, or a change through :func:`set_terms`, reads afresh).
    """
    cache = _cache(session)
    if cache is not None and tenant.id in cache:
        return cache[tenant.id]
    chain = (*tenant.ancestor_ids, tenant.id)
    with system_scope(session):
        rows = session.execute(
            select(Vocabulary.name, Vocabulary.label, Vocabulary.terms, Vocabulary.tenant_id, Vocabulary.updated_at,
                   Tenant.name)
            .join(Tenant, Tenant.id == Vocabulary.tenant_id)
            .where(Vocabulary.tenant_id.in_(chain))
            .order_by(Tenant.path)
        ).all()
    found: dict[str, Terms] = {}
    for name, label, terms_, tenant_id, updated_at, tenant_name in rows:  # the nearest comes last and wins
        found[name] = Terms(name, label, tuple(terms_ or ()), tenant_id, tenant_name, updated_at)
    if has_app_context() and session.get_transaction() is not None:
        setattr(g, _CACHE_KEY, (session.get_transaction(), {**(cache or {}), tenant.id: found}))
    return found


def terms(session: Session, tenant: Tenant, name: str) -> tuple[str, ...]:
    """The terms of vocabulary ``name`` as ``tenant`` sees it; ``()`` where no one defines it."""
    found = in_effect(session, tenant).get(name)
    return found.terms if found is not None else ()


def _cache(session: Session) -> dict | None:
    """What this app context read in the session's current transaction, by tenant id."""
    if not has_app_context() or _CACHE_KEY not in g:
        return None
    transaction, by_tenant = getattr(g, _CACHE_KEY)
    current = session.get_transaction()
    return by_tenant if current is not None and current is transaction else None


def forget_cached() -> None:
    """Drop what this request has read, after a change (or a rollback)."""
    if has_app_context():
        g.pop(_CACHE_KEY, None)


# checking and changing ------------------------------------------------------


def parse(text: str) -> list[str]:
    """Terms from a textarea: one per line, trimmed, blank lines dropped."""
    return [line.strip() for line in re.split(r"\r\n|\r|\n", text or "") if line.strip()]


def check(terms_: Iterable[str], label: str | None = None) -> dict[str, str]:
    """What is wrong with ``terms_`` (and ``label``, when given), as Chinese messages."""
    errors: dict[str, str] = {}
    terms_ = list(terms_)
    if not terms_:
        errors["terms"] = "词表至少需要一项,每行一项"
    elif len(terms_) > MAX_TERMS:
        errors["terms"] = f"词表最多 {MAX_TERMS} 项"
    else:
        bad = [t for t in terms_ if not isinstance(t, str)]
        control = [i for i, t in enumerate(terms_, 1) if isinstance(t, str) and CONTROL.search(t)]
        long = [t for t in terms_ if isinstance(t, str) and not 1 <= len(t.strip()) <= TERM_LIMIT]
        repeated = sorted({t for t in terms_ if terms_.count(t) > 1}, key=terms_.index)
        if bad:
            errors["terms"] = "每一项都应是文字"
        elif control:
            errors["terms"] = f"第 {'、'.join(map(str, control))} 项含有无法保存的控制字符,请删除后重试"
        elif long:
            errors["terms"] = f"每项 1-{TERM_LIMIT} 个字,以下各项太长:{'、'.join(t[:20] + '…' for t in long)}"
        elif any(t != t.strip() for t in terms_):
            errors["terms"] = "各项首尾不能有空格"
        elif repeated:
            errors["terms"] = f"以下各项重复:{'、'.join(repeated)}"
    if label is not None:
        if not isinstance(label, str) or not label.strip():
            errors["label"] = "请填写词表名称"
        elif len(label) > LABEL_LIMIT or CONTROL.search(label):
            errors["label"] = f"词表名称最多 {LABEL_LIMIT} 个字,且不能含控制字符"
    return errors


def own(session: Session, tenant: Tenant, name: str) -> Vocabulary | None:
    """``tenant``'s own row for ``name``, if it defines the vocabulary itself."""
    with system_scope(session):
        return session.scalar(select(Vocabulary).where(Vocabulary.tenant_id == tenant.id, Vocabulary.name == name))


def set_terms(
    session: Session, tenant: Tenant, name: str, new_terms: Iterable[str], *, label: str | None = None,
    actor=audit.CURRENT_USER,
) -> Vocabulary:
    """Set ``tenant``'s vocabulary ``name`` to ``new_terms`` (creating it with ``label``).

    Raises :class:`VocabularyError` before writing anything when the terms are empty,
    repeated, too long or hold control characters. Audited as ``vocabulary.changed``
    with the terms before and after. The caller commits.
    """
    new_terms = list(new_terms)
    if not NAME.match(name or ""):
        raise VocabularyError({"": f"词表名 {name!r} 不可用"})
    row = own(session, tenant, name)
    if label is None:
        label = row.label if row is not None else name
    errors = check(new_terms, label)
    if errors:
        raise VocabularyError(errors)
    before = list(row.terms) if row is not None else None
    before_label = row.label if row is not None else None
    if row is not None and before == new_terms and before_label == label:
        return row
    actor_user = audit._current_actor() if actor is audit.CURRENT_USER else actor
    with system_scope(session):
        if row is None:
            row = Vocabulary(tenant_id=tenant.id, name=name, label=label, terms=new_terms)
            session.add(row)
        else:
            row.terms = new_terms
            row.label = label
            row.updated_at = utcnow()
        row.updated_by = getattr(actor_user, "id", None)
        session.flush()
    detail = {"before": before, "after": new_terms}
    added = [t for t in new_terms if t not in (before or ())]
    removed = [t for t in (before or ()) if t not in new_terms]
    if before is not None:
        detail.update(added=added, removed=removed)
    if before_label != label:
        detail["label"] = {"before": before_label, "after": label}
    audit.record(session, "vocabulary.changed", tenant_id=tenant.id, target=name, actor=actor, **detail)
    forget_cached()
    return row


# declarations ---------------------------------------------------------------


def declared(plugins) -> dict[str, VocabularyDeclaration]:
    """The vocabularies the installed plugins declare, by name; the first plugin wins."""
    import logging

    found: dict[str, VocabularyDeclaration] = {}
    load_order = list(plugins.plugins)
    outcomes = sorted(plugins.each("quanhui_vocabularies"), key=lambda o: load_order.index(o.plugin))
    for outcome in outcomes:
        if outcome.failed:
            continue
        for declaration in outcome.value or ():
            if declaration.name in found:
                logging.getLogger(__name__).error(
                    "vocabulary %s of plugin %s ignored: declared before", declaration.name, outcome.plugin
                )
                continue
            found[declaration.name] = declaration
    return found


def create_declared(session: Session, root: Tenant, declarations: Mapping[str, VocabularyDeclaration]) -> list[str]:
    """Create, for ``root``, each declared vocabulary it lacks, with its default terms;
    the names created. Existing ones are left as the city maintains them."""
    with system_scope(session):
        existing = set(session.scalars(select(Vocabulary.name).where(Vocabulary.tenant_id == root.id)))
    created = []
    for name, declaration in declarations.items():
        if name in existing or not declaration.terms:
            continue
        set_terms(session, root, name, declaration.terms, label=declaration.label, actor=None)
        created.append(name)
    return created
