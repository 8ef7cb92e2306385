"""Password hashing (argon2id) and the password policy."""
from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 12
#: argon2 takes a password of any length (bcrypt would cut it at 72 bytes); the cap keeps
#: the strength check (zxcvbn, whose cost grows with the length) quick.
MAX_LENGTH = 128
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
#: Made once at start-up with the same parameters as every real hash: checking a password
#: for a name with no account costs what checking a real one does, so timing does not
#: tell which usernames exist.
_NO_ACCOUNT_HASH = _hasher.hash(secrets.token_urlsafe(32))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; ``None`` (no such account) pays the same hashing cost and fails."""
    try:
        matched = _hasher.verify(password_hash or _NO_ACCOUNT_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@functools.cache
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def policy_errors(password: str, username: str = "") -> list[str]:
    """Why ``password`` is refused, in Chinese; an empty list means it is acceptable."""
    if len(password) > MAX_LENGTH:
        return [f"密码最多 {MAX_LENGTH} 个字符"]
    errors = []
    if len(password) < MIN_LENGTH:
        errors.append(f"密码至少需要 {MIN_LENGTH} 个字符")
    if password.lower() in _common_passwords():
        errors.append("这是常见密码,请换一个")
    elif username and username.lower() in password.lower():
        errors.append("密码不能包含用户名")
    elif len(password) >= MIN_LENGTH and zxcvbn(password, user_inputs=[username], max_length=MAX_LENGTH)["score"] < 3:
        errors.append("密码太容易猜到(如连续数字、键盘序列或重复字符),请加入更多不同的字符")
    return errors
