"""Password policy (OWASP ASVS 5.0) and argon2id hashing.

At least 8 characters, up to 128 allowed, no composition rules, and refusal of
common passwords (the 30,000 most common from the zxcvbn frequency lists).
"""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 128

# argon2id, 19 MiB, t=2, p=1 is OWASP's floor; we use more memory and passes.
_hasher = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=2)


@functools.cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *, username: str = "") -> str | None:
    """Why this password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Password must have at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Password must have at most {MAX_LENGTH} characters."
    lowered = password.lower()
    if lowered in common_passwords():
        return "This password is on a list of commonly used passwords; choose another."
    if username and lowered == username.lower():
        return "Password must not be the same as the user name."
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def dummy_hash() -> str:
    """A hash to verify against for unknown users, so timing does not reveal them."""
    return _hasher.hash("not-a-real-account-password")
