"""Creating users and API tokens, for the admin pages and the CLI alike."""
from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import audit
from ..db import utcnow
from ..plaintext import CONTROL_MESSAGE, has_control
from ..tenancy import Tenant, TenantScope, system_scope, use_scope
from .models import ApiToken, User, new_token, token_digest
from .passwords import hash_password, policy_errors
from .permissions import ASSOCIATION_ROLE, ROLES

MAX_DISPLAY_NAME = 80
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,39}$")


class AccountError(ValueError):
    """Input the account rules refuse; ``errors`` maps each field to its Chinese message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def validate_new_user(
    session: Session, tenant: Tenant, username: str, password: str, role: str, association_id: int | None = None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not USERNAME.match(username):
        errors["username"] = "用户名需 3-40 位,只能用小写字母、数字和 _ . -,并以字母或数字开头"
    else:
        with system_scope(session):
            if session.scalar(select(func.count()).select_from(User).where(User.username == username)):
                errors["username"] = f"用户名 {username} 已被使用"
    if role not in ROLES:
        errors["role"] = f"未知角色 {role}(可选:{'、'.join(ROLES)})"
    elif role == ASSOCIATION_ROLE and not _is_live_association(session, tenant, association_id):
        errors["association_id"] = "协会账号须选择本单位名录中的一家协会商会"
    elif role != ASSOCIATION_ROLE and association_id is not None:
        errors["association_id"] = "只有协会账号才绑定协会商会"
    problems = policy_errors(password, username)
    if problems:
        errors["password"] = ";".join(problems)
    return errors


def create_user(
    session: Session,
    tenant: Tenant,
    username: str,
    password: str,
    role: str,
    *,
    display_name: str = "",
    association_id: int | None = None,
    actor=audit.CURRENT_USER,
) -> User:
    """Create a user at home in ``tenant``; raises :class:`AccountError` and writes nothing on bad input.

    An association account (role ``association``) names the association it acts for.
    """
    username = username.strip().lower()
    display_name = display_name.strip()
    errors = validate_new_user(session, tenant, username, password, role, association_id)
    if len(display_name) > MAX_DISPLAY_NAME:
        errors["display_name"] = f"姓名最多 {MAX_DISPLAY_NAME} 个字"
    elif has_control(display_name):
        errors["display_name"] = CONTROL_MESSAGE
    if errors:
        raise AccountError(errors)
    user = User(
        tenant_id=tenant.id,
        username=username,
        display_name=display_name,
        role=role,
        password_hash=hash_password(password),
        association_id=association_id,
    )
    with use_scope(session, TenantScope.of(tenant)):
        session.add(user)
        session.flush()
    audit.record(session, "user.created", tenant_id=tenant.id, target=username, actor=actor, role=role)
    return user


def _is_live_association(session: Session, tenant: Tenant, association_id: int | None) -> bool:
    from ..entities.models import Entity

    if association_id is None:
        return False
    with system_scope(session):
        return session.scalar(
            select(func.count(Entity.id)).where(
                Entity.id == association_id, Entity.tenant_id == tenant.id,
                Entity.type == "association", Entity.deleted_at.is_(None),
            )
        ) == 1


def create_api_token(session: Session, user: User, name: str, *, actor=audit.CURRENT_USER) -> str:
    """Create a token for ``user`` and return it; only its digest is stored."""
    name = name.strip()
    if not name:
        raise AccountError({"name": "请给令牌起个名字,例如用途或系统名"})
    if len(name) > 80:
        raise AccountError({"name": "令牌名称不能超过 80 个字"})
    token = new_token("qh_")
    with use_scope(session, TenantScope.of(user.tenant_id)):
        session.add(ApiToken(tenant_id=user.tenant_id, user_id=user.id, name=name, token_hash=token_digest(token)))
        session.flush()
    audit.record(session, "token.created", tenant_id=user.tenant_id, target=user.username, actor=actor, name=name)
    return token


def revoke_api_token(session: Session, token_row: ApiToken, actor=audit.CURRENT_USER) -> bool:
    """Revoke ``token_row`` at once (the next call with it gets 401); audited as ``token.revoked``.

    Returns whether anything changed: revoking a revoked token is a no-op.
    """
    if token_row.revoked_at is not None:
        return False
    with use_scope(session, TenantScope.of(token_row.tenant_id)):
        token_row.revoked_at = utcnow()
        session.flush()
    audit.record(
        session, "token.revoked", tenant_id=token_row.tenant_id, target=token_row.user.username, actor=actor,
        name=token_row.name,
    )
    return True
