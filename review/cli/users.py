"""`sanshen user …` and `sanshen token …`: run by an administrator at the server's terminal."""

from __future__ import annotations

from datetime import timedelta

import click
from sqlmodel import col, select

from review import clock
from review.cli.base import App, cli
from review.enums import Role
from review.models import User, UserQualification, UserRole
from review.users import add_user, create_token, deactivate_user, list_tokens, reactivate_user, revoke_token


@cli.group()
def user() -> None:
    """Users: add, deactivate, list. Users are never deleted and usernames never reused."""


@user.command("add")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name, as printed on sign-offs (e.g. 张三).")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    metavar="ROLE",
    help=f"A role; repeat for several. One of: {', '.join(r.value for r in Role)}.",
)
@click.option(
    "--qualification",
    "qualifications",
    multiple=True,
    metavar="NAME",
    help="A qualification a step may require, e.g. senior_editor or head; repeatable.",
)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="At least 10 characters; asked for when not given.",
)
@click.pass_obj
def user_add(
    app: App,
    username: str,
    full_name: str,
    roles: tuple[str, ...],
    qualifications: tuple[str, ...],
    password: str,
) -> None:
    """Create a user with one or more roles."""
    with app.database().write() as session:
        created = add_user(
            session,
            username=username,
            full_name=full_name,
            roles=roles,
            password=password,
            qualifications=qualifications,
            actor=None,
        )
    click.echo(f"user {created.username} ({created.full_name}) created with roles: {', '.join(sorted(set(roles)))}")


@user.command("deactivate")
@click.argument("username")
@click.pass_obj
def user_deactivate(app: App, username: str) -> None:
    """End a user's access. Their sign-offs stay valid; the username is never given to anyone else."""
    with app.database().write() as session:
        deactivate_user(session, username=username, actor=None)
    click.echo(f"user {username} deactivated")


@user.command("reactivate")
@click.argument("username")
@click.pass_obj
def user_reactivate(app: App, username: str) -> None:
    """Let a deactivated user log in and sign again (back from leave), with the roles they held."""
    with app.database().write() as session:
        reactivate_user(session, username=username, actor=None)
    click.echo(f"user {username} reactivated")


@user.command("list")
@click.pass_obj
def user_list(app: App) -> None:
    """Every user with their roles and qualifications."""
    with app.database().read() as session:
        users = session.exec(select(User).order_by(col(User.username))).all()
        roles: dict[int, list[str]] = {}
        for user_id, role in session.exec(select(UserRole.user_id, UserRole.role)):
            roles.setdefault(user_id, []).append(role)
        quals: dict[int, list[str]] = {}
        for user_id, qualification in session.exec(select(UserQualification.user_id, UserQualification.qualification)):
            quals.setdefault(user_id, []).append(qualification)
    for row in users:
        assert row.id is not None
        status = "" if row.active else "  [deactivated]"
        extra = f"  qualifications: {', '.join(sorted(quals[row.id]))}" if row.id in quals else ""
        click.echo(f"{row.username:<16} {row.full_name:<12} {', '.join(sorted(roles.get(row.id, [])))}{extra}{status}")


@cli.group()
def token() -> None:
    """API tokens for the HTTP API and for scripts (`--token`)."""


@token.command("create")
@click.argument("username")
@click.option("--label", default="", help="What the token is for, e.g. the script that uses it.")
@click.option(
    "--expires-in-days",
    type=click.IntRange(min=1, max=3650),
    default=None,
    help="Expire the token after this many days (default: no expiry).",
)
@click.pass_obj
def token_create(app: App, username: str, label: str, expires_in_days: int | None) -> None:
    """Print one new API token, alone on stdout. It is shown only this once."""
    expires_at = clock.now() + timedelta(days=expires_in_days) if expires_in_days else None
    with app.database().write() as session:
        secret = create_token(session, username=username, label=label, expires_at=expires_at, actor=None)
    click.echo(secret)


@token.command("list")
@click.argument("username")
@click.pass_obj
def token_list(app: App, username: str) -> None:
    """A user's tokens: id, label, created, expiry, whether revoked. The tokens themselves are not stored."""
    with app.database().read() as session:
        rows = list_tokens(session, username)
    now = clock.now()
    for row in rows:
        if row.revoked_at:
            status = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}"
        elif row.expires_at and row.expires_at <= now:
            status = "expired"
        else:
            status = "active"
        expiry = f"expires {row.expires_at:%Y-%m-%d %H:%M}" if row.expires_at else "no expiry"
        click.echo(f"{row.id:>5}  {status:<24} created {row.created_at:%Y-%m-%d %H:%M}  {expiry}  {row.label}")


@token.command("revoke")
@click.argument("token_id", type=int)
@click.pass_obj
def token_revoke(app: App, token_id: int) -> None:
    """Revoke a token by its id (see `sanshen token list USERNAME`)."""
    with app.database().write() as session:
        revoke_token(session, actor=None, token_id=token_id)
    click.echo(f"token {token_id} revoked")
