"""Users, their roles and qualifications, passwords and API tokens.

Users are never deleted and usernames never reused (R32): `deactivate_user` ends their access while
their sign-offs stay valid. Tokens are random, shown once, and stored as SHA-256 only.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import literal, union_all
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select, update

from review import clock
from review.actors import Actor
from review.content import check_one_line
from review.enums import EventKind, Role
from review.errors import Conflict, Forbidden, Invalid, NotFound
from review.models import ApiToken, Event, User, UserQualification, UserRole, WebSession
from review.passwords import check_strength, hash_password, verify_password
from review.trail import append_event

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
QUALIFICATION = re.compile(r"[a-z][a-z0-9_]{0,63}")
TOKEN_PREFIX = "ssn_"


def clean_username(username: str) -> str:
    if not USERNAME.fullmatch(username):
        raise Invalid(
            f"username {username[:64]!r} is not valid: use 2–64 lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            code="invalid_username",
        )
    return username


def parse_roles(names: Iterable[str]) -> frozenset[Role]:
    roles = set()
    for name in names:
        try:
            roles.add(Role(name))
        except ValueError:
            known = ", ".join(role.value for role in Role)
            raise Invalid(f"unknown role {name!r}; roles are: {known}", code="unknown_role") from None
    return frozenset(roles)


def _clean_qualifications(names: Iterable[str]) -> frozenset[str]:
    for name in names:
        if not QUALIFICATION.fullmatch(name):
            raise Invalid(
                f"qualification {name!r} is not valid: use lowercase letters, digits and '_'",
                code="invalid_qualification",
            )
    return frozenset(names)


def add_user(
    session: Session,
    *,
    username: str,
    full_name: str,
    roles: Iterable[str],
    password: str,
    qualifications: Iterable[str] = (),
    actor: Actor | None,
) -> User:
    require_admin(session, actor)
    at = clock.now()
    username = clean_username(username)
    full_name = full_name.strip()
    if not full_name or len(full_name) > 100:
        raise Invalid("the full name must be 1–100 characters", code="invalid_full_name")
    check_one_line(full_name, "the full name")
    role_set = parse_roles(roles)
    if not role_set:
        raise Invalid("a user needs at least one role", code="no_role")
    quals = _clean_qualifications(qualifications)
    check_strength(password, username=username)
    if session.exec(select(User.id).where(col(User.username) == username)).first() is not None:
        raise Conflict(
            f"username {username!r} is taken (usernames are never reused, even after deactivation)",
            code="username_taken",
        )
    user = User(username=username, full_name=full_name, password_hash=hash_password(password), created_at=at)
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"username {username!r} is taken", code="username_taken") from None
    assert user.id is not None
    session.add_all([UserRole(user_id=user.id, role=role.value) for role in sorted(role_set)])
    session.add_all([UserQualification(user_id=user.id, qualification=q) for q in sorted(quals)])
    append_event(
        session,
        kind=EventKind.USER_CREATED,
        actor=actor,
        at=at,
        payload={
            "username": username,
            "full_name": full_name,
            "roles": sorted(role.value for role in role_set),
            "qualifications": sorted(quals),
        },
    )
    return user


def _find_user(session: Session, username: str, *, lock: bool = False) -> User | None:
    """The user by username; None for a name no user could have (it never reaches the database:
    PostgreSQL refuses text with a NUL, and a pattern check is cheaper than a query)."""
    if not USERNAME.fullmatch(username):
        return None
    statement = select(User).where(col(User.username) == username)
    return session.exec(statement.with_for_update() if lock else statement).first()


def get_user(session: Session, username: str) -> User:
    user = _find_user(session, username)
    if user is None:
        raise NotFound(f"no user {username[:64]!r}", code="user_not_found")
    return user


def deactivate_user(session: Session, *, username: str, actor: Actor | None) -> User:
    require_admin(session, actor)
    if actor is not None and actor.username == username:
        raise Conflict("you cannot deactivate your own account; ask another administrator", code="self_lockout")
    at = clock.now()
    user = _locked_user(session, username)
    if not user.active:
        raise Conflict(f"user {username!r} is already deactivated", code="already_deactivated")
    user.active = False
    user.deactivated_at = at
    session.add(user)
    assert user.id is not None
    revoke_sessions(session, user.id)
    append_event(session, kind=EventKind.USER_DEACTIVATED, actor=actor, at=at, payload={"username": username})
    return user


def reactivate_user(session: Session, *, username: str, actor: Actor | None) -> User:
    """Let a deactivated user log in and sign again (back from leave); recorded like the deactivation."""
    require_admin(session, actor)
    user = _locked_user(session, username)
    if user.active:
        raise Conflict(f"user {username!r} is active", code="already_active")
    user.active = True
    user.deactivated_at = None
    session.add(user)
    append_event(session, kind=EventKind.USER_REACTIVATED, actor=actor, at=clock.now(), payload={"username": username})
    return user


ACCOUNT_EVENTS = (
    EventKind.USER_CREATED,
    EventKind.USER_DEACTIVATED,
    EventKind.USER_REACTIVATED,
    EventKind.USER_ROLES_CHANGED,
    EventKind.USER_QUALIFICATIONS_CHANGED,
    EventKind.PASSWORD_RESET,
    EventKind.TOKEN_CREATED,
    EventKind.TOKEN_REVOKED,
)


def account_history(session: Session, actor: Actor | None, username: str) -> list[Event]:
    """Every recorded change to one account, oldest first: what the administrators' page shows."""
    require_admin(session, actor)
    get_user(session, username)
    events = session.exec(
        select(Event)
        .where(col(Event.draft_id).is_(None), col(Event.kind).in_([kind.value for kind in ACCOUNT_EVENTS]))
        .order_by(col(Event.seq))
    )
    return [event for event in events if json.loads(event.payload).get("username") == username]


def require_admin(session: Session, actor: Actor | None, doing: str = "managing users") -> None:
    """Administration needs the administrator role (管理员). `None` is the server's own terminal (the
    CLI), where whoever can run commands already holds the database and the key."""
    if actor is not None and not refresh_actor(session, actor).has(Role.ADMIN):
        raise Forbidden(f"{doing} needs the administrator role (管理员)", code="not_admin")


def list_users(session: Session, actor: Actor | None) -> list[tuple[User, Actor]]:
    """Every user, active or not, with the roles and qualifications they hold now."""
    require_admin(session, actor)
    users = session.exec(select(User).order_by(col(User.username))).all()
    return [(user, load_actor(session, user)) for user in users]


def load_actor(session: Session, user: User) -> Actor:
    assert user.id is not None
    held = session.execute(
        union_all(
            select(literal("role"), UserRole.role).where(col(UserRole.user_id) == user.id),
            select(literal("qualification"), UserQualification.qualification).where(
                col(UserQualification.user_id) == user.id
            ),
        )
    ).all()
    return Actor(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        roles=frozenset(Role(name) for kind, name in held if kind == "role"),
        qualifications=frozenset(name for kind, name in held if kind == "qualification"),
    )


def refresh_actor(session: Session, actor: Actor) -> Actor:
    """The actor as the database says now, inside the command's transaction.

    The user row is share-locked (PostgreSQL; SQLite's write transaction already excludes other writers),
    so a deactivation or role change committed after log-in is honoured, and none can commit while this
    transaction acts in the user's name. On PostgreSQL the roles are read after the lock is granted: a
    statement that waited for the lock would return the roles of the snapshot it started with, before a
    change that made it wait (role changes lock the user row but do not change it). On SQLite nothing can
    change while the transaction runs, so one statement reads the user with roles and qualifications.
    """
    if session.get_bind().dialect.name == "postgresql":
        user = session.exec(
            select(User)
            .where(col(User.id) == actor.id)
            .with_for_update(read=True)
            .execution_options(populate_existing=True)
        ).first()
        if user is None or not user.active:
            raise Forbidden(f"the account {actor.username!r} is deactivated", code="user_deactivated")
        return load_actor(session, user)
    rows = session.exec(
        select(User, UserRole.role, UserQualification.qualification)
        .outerjoin(UserRole, col(UserRole.user_id) == col(User.id))
        .outerjoin(UserQualification, col(UserQualification.user_id) == col(User.id))
        .where(col(User.id) == actor.id)
        .execution_options(populate_existing=True)
    ).all()
    found = rows[0][0] if rows else None
    if found is None or not found.active:
        raise Forbidden(f"the account {actor.username!r} is deactivated", code="user_deactivated")
    assert found.id is not None
    return Actor(
        id=found.id,
        username=found.username,
        full_name=found.full_name,
        roles=frozenset(Role(role) for _, role, _ in rows if role is not None),
        qualifications=frozenset(name for _, _, name in rows if name is not None),
    )


def authenticate_password(session: Session, *, username: str, password: str) -> Actor | None:
    """The actor for a correct password of an active user, else None (same cost either way)."""
    try:
        return log_in(session, username=username, password=password)
    except Forbidden:
        return None


def log_in(session: Session, *, username: str, password: str) -> Actor:
    """The actor for a correct password; refused as a wrong password, or — only to someone who
    knows the password — as a deactivated account. The cost is the same in every case."""
    user = _find_user(session, username)
    valid = verify_password(user.password_hash if user else None, password)
    if user is None or not valid:
        raise Forbidden("wrong username or password", code="wrong_password")
    if not user.active:
        raise Forbidden(f"the account {username!r} is deactivated; ask an administrator", code="user_deactivated")
    return load_actor(session, user)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session,
    *,
    username: str,
    label: str = "",
    expires_at: datetime | None = None,
    actor: Actor | None,
) -> str:
    """Create a bearer token for an active user; return it. Only its hash is kept."""
    at = clock.now()
    user = get_user(session, username)
    if not user.active:
        raise Conflict(f"user {username!r} is deactivated", code="user_deactivated")
    if expires_at is not None and expires_at <= at:
        raise Invalid("the expiry time is in the past", code="invalid_expiry")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    assert user.id is not None
    row = ApiToken(
        user_id=user.id,
        token_hash=_token_digest(token),
        label=label[:100],
        created_at=at,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    append_event(
        session,
        kind=EventKind.TOKEN_CREATED,
        actor=actor,
        at=at,
        payload={
            "username": username,
            "token_id": row.id,
            "label": row.label,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return token


def authenticate_token(session: Session, token: str) -> Actor | None:
    """The actor a bearer token stands for, if it is known, unrevoked, unexpired and its user active."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    found = session.exec(
        select(ApiToken, User)
        .join(User, col(User.id) == col(ApiToken.user_id))
        .where(col(ApiToken.token_hash) == _token_digest(token))
    ).first()
    if found is None:
        return None
    row, user = found
    at = clock.now()
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= at) or not user.active:
        return None
    return load_actor(session, user)


def revoke_token(
    session: Session, *, actor: Actor | None, token_id: int | None = None, secret: str | None = None
) -> None:
    """Revoke a token, named by its id (an administrator) or by the token itself (its holder)."""
    statement = select(ApiToken).with_for_update()
    if secret is not None:
        statement = statement.where(col(ApiToken.token_hash) == _token_digest(secret))
    elif token_id is not None:
        statement = statement.where(col(ApiToken.id) == token_id)
    else:
        raise Invalid("name the token to revoke", code="no_token")
    row = session.exec(statement).first()
    if row is None:
        raise NotFound("no such token", code="token_not_found")
    if row.revoked_at is not None:
        raise Conflict(f"token {row.id} is already revoked", code="already_revoked")
    row.revoked_at = clock.now()
    session.add(row)
    owner = session.get(User, row.user_id)
    assert owner is not None
    append_event(
        session,
        kind=EventKind.TOKEN_REVOKED,
        actor=actor,
        at=row.revoked_at,
        payload={"username": owner.username, "token_id": row.id},
    )


def list_tokens(session: Session, username: str) -> list[ApiToken]:
    user = get_user(session, username)
    return list(session.exec(select(ApiToken).where(col(ApiToken.user_id) == user.id).order_by(col(ApiToken.id))))


def revoke_sessions(session: Session, user_id: int) -> None:
    """End every open browser session of a user (a password reset, a deactivation)."""
    session.exec(
        update(WebSession)
        .where(col(WebSession.user_id) == user_id, col(WebSession.revoked_at).is_(None))
        .values(revoked_at=clock.now())
    )


def _locked_user(session: Session, username: str) -> User:
    user = _find_user(session, username, lock=True)
    if user is None:
        raise NotFound(f"no user {username[:64]!r}", code="user_not_found")
    return user


def set_roles(session: Session, *, username: str, roles: Iterable[str], actor: Actor | None) -> User:
    """Give a user exactly these roles. Sign-offs already made keep the role recorded in them."""
    require_admin(session, actor)
    role_set = parse_roles(roles)
    if not role_set:
        raise Invalid("a user needs at least one role", code="no_role")
    if actor is not None and actor.username == username and Role.ADMIN not in role_set:
        raise Conflict("you cannot remove your own administrator role; ask another administrator", code="self_lockout")
    user = _locked_user(session, username)
    assert user.id is not None
    before = load_actor(session, user)
    if before.roles == role_set:
        return user
    session.exec(delete(UserRole).where(col(UserRole.user_id) == user.id))
    session.add_all([UserRole(user_id=user.id, role=role.value) for role in sorted(role_set)])
    append_event(
        session,
        kind=EventKind.USER_ROLES_CHANGED,
        actor=actor,
        at=clock.now(),
        payload={"username": username, "roles": sorted(role_set), "previous": sorted(before.roles)},
    )
    return user


def set_qualifications(session: Session, *, username: str, qualifications: Iterable[str], actor: Actor | None) -> User:
    require_admin(session, actor)
    quals = _clean_qualifications(qualifications)
    user = _locked_user(session, username)
    assert user.id is not None
    before = load_actor(session, user)
    if before.qualifications == quals:
        return user
    session.exec(delete(UserQualification).where(col(UserQualification.user_id) == user.id))
    session.add_all([UserQualification(user_id=user.id, qualification=q) for q in sorted(quals)])
    append_event(
        session,
        kind=EventKind.USER_QUALIFICATIONS_CHANGED,
        actor=actor,
        at=clock.now(),
        payload={"username": username, "qualifications": sorted(quals), "previous": sorted(before.qualifications)},
    )
    return user


def reset_password(session: Session, *, username: str, password: str, actor: Actor | None) -> User:
    """Set a new password and end the user's browser sessions and API tokens (a reset usually means
    the old password may be known to someone else); recorded, the password never is."""
    require_admin(session, actor)
    check_strength(password, username=username)
    user = _locked_user(session, username)
    assert user.id is not None
    user.password_hash = hash_password(password)
    session.add(user)
    revoke_sessions(session, user.id)
    session.exec(
        update(ApiToken)
        .where(col(ApiToken.user_id) == user.id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=clock.now())
    )
    append_event(session, kind=EventKind.PASSWORD_RESET, actor=actor, at=clock.now(), payload={"username": username})
    return user
