"""Browser sessions: opened at log-in, found by the cookie's token, ended by log-out, expiry, a
password reset or deactivation. Only the token's SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, select, update

from review import clock
from review.actors import Actor
from review.models import User, WebSession
from review.users import load_actor


@dataclass(frozen=True)
class OpenSession:
    actor: Actor
    csrf_token: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def open_session(session: Session, *, actor: Actor, hours: int) -> tuple[str, str]:
    """Start a session for an authenticated actor; return the cookie's token and the CSRF token."""
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        WebSession(
            token_hash=_digest(secret),
            user_id=actor.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    return secret, csrf


def find_session(session: Session, secret: str) -> OpenSession | None:
    """The session a cookie stands for, if it is open, unexpired, and its user still active."""
    if not secret or len(secret) > 100:
        return None
    found = session.exec(
        select(WebSession, User)
        .join(User, col(User.id) == col(WebSession.user_id))
        .where(col(WebSession.token_hash) == _digest(secret))
    ).first()
    if found is None:
        return None
    row, user = found
    if row.revoked_at is not None or row.expires_at <= clock.now() or not user.active:
        return None
    return OpenSession(load_actor(session, user), row.csrf_token)


def close_session(session: Session, secret: str) -> None:
    session.exec(
        update(WebSession)
        .where(col(WebSession.token_hash) == _digest(secret), col(WebSession.revoked_at).is_(None))
        .values(revoked_at=clock.now())
    )
