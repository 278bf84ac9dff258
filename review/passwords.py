"""Password hashing (argon2id) and the minimum strength a password must have (21 CFR 11.300)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from review.config import get_settings
from review.errors import Invalid

MIN_LENGTH = 10
MAX_LENGTH = 256
_COMMON = frozenset(
    {
        "password",
        "password1",
        "password123",
        "passw0rd",
        "1234567890",
        "12345678910",
        "0123456789",
        "qwertyuiop",
        "1q2w3e4r5t",
        "abc1234567",
        "iloveyou123",
        "admin12345",
        "welcome123",
        "a123456789",
        "aa12345678",
        "woaini1314",
        "11111111111",
        "qwerty12345",
        "zxcvbnm123",
    }
)


@cache
def _hasher() -> PasswordHasher:
    if get_settings().password_profile == "cheapest":
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)


def check_strength(password: str, *, username: str) -> None:
    """Refuse passwords that are short, common, repetitive or contain the username."""
    if len(password) < MIN_LENGTH:
        raise Invalid(f"the password is too weak: use at least {MIN_LENGTH} characters", code="weak_password")
    if len(password) > MAX_LENGTH:
        raise Invalid(f"the password is longer than {MAX_LENGTH} characters", code="weak_password")
    if password.lower() in _COMMON:
        raise Invalid("the password is too weak: it is one of the most common passwords", code="weak_password")
    if len(set(password)) < 5:
        raise Invalid("the password is too weak: use at least 5 different characters", code="weak_password")
    if username and username.lower() in password.lower():
        raise Invalid("the password is too weak: it contains the username", code="weak_password")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password. With no hash (unknown user) a dummy check runs, so both take the same time."""
    hasher = _hasher()
    try:
        if password_hash is None:
            hasher.verify(_dummy_hash(), password)
            return False
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher().hash("sanshen dummy password for timing")
