"""The `sanshen` command group, its error handling and how an actor is named (CONTRACT §3).

Exit codes: 0 done, 1 refused or failed, 2 bad usage. Errors are one line on stderr; `--debug` (or
SANSHEN_DEBUG=1) shows the traceback instead. Commands that act on drafts name the person acting
with `--as USERNAME` (the password is asked for, or read from SANSHEN_PASSWORD) or `--token TOKEN`
(or SANSHEN_TOKEN).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

import click
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from review.actors import Actor
from review.config import Settings, get_settings
from review.db import Database
from review.errors import SanshenError
from review.migrations import require_current
from review.users import authenticate_password, authenticate_token

F = TypeVar("F", bound=Callable[..., Any])


class Failed(click.ClickException):
    """A refusal or failure: one line on stderr, exit code 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {' '.join(self.message.split())}", err=True)


@dataclass
class App:
    settings: Settings
    debug: bool
    _db: Database | None = field(default=None, repr=False)

    def database(self, *, require_schema: bool = True) -> Database:
        if self._db is None:
            self._db = Database(self.settings.database_url, busy_timeout_ms=self.settings.busy_timeout_ms)
            if require_schema:
                require_current(self._db.engine, self.settings.database_url)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()

    def authenticate(self, username: str | None, token: str | None) -> Actor:
        if username and token:
            # Signing as someone other than the person named would be worse than refusing.
            raise click.UsageError(
                f"--as {username} and a token (--token or SANSHEN_TOKEN) both name who is acting; give one"
            )
        db = self.database()
        if token:
            with db.read() as session:
                actor = authenticate_token(session, token)
            if actor is None:
                fail("the token is not valid: unknown, revoked or expired, or its user is deactivated")
            return actor
        if not username:
            raise click.UsageError(
                "say who is acting: --as USERNAME (asks for the password; or set SANSHEN_PASSWORD) "
                "or --token TOKEN (or set SANSHEN_TOKEN)"
            )
        password = os.environ.get("SANSHEN_PASSWORD") or click.prompt(f"password for {username}", hide_input=True)
        with db.read() as session:
            actor = authenticate_password(session, username=username, password=password)
        if actor is None:
            fail("wrong username or password, or the user is deactivated")
        return actor


def fail(message: str) -> NoReturn:
    raise Failed(message)


class SanshenGroup(click.Group):
    """Turns the engine's refusals and database failures into one-line errors."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (`sanshen … | head`): stop quietly, as Unix tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise click.exceptions.Exit(0) from None
        except Exception as error:
            app = ctx.find_object(App)
            if app is None or app.debug:
                raise
            raise Failed(_describe(error)) from error
        finally:
            app = ctx.find_object(App)
            if app is not None:
                app.close()


def _describe(error: Exception) -> str:
    if isinstance(error, SanshenError):
        return error.message
    if isinstance(error, DBAPIError):
        cause = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        return f"database error: {cause} (run with --debug for the traceback)"
    if isinstance(error, SQLAlchemyError):
        return f"database error: {error} (run with --debug for the traceback)"
    return f"internal error: {type(error).__name__}: {error} (run with --debug for the traceback)"


def acting(command: F) -> F:
    """Adds --as/--token to a command and passes it the authenticated `actor`."""

    @click.option(
        "--as",
        "as_user",
        metavar="USERNAME",
        envvar="SANSHEN_USER",
        help="Who is acting (their password is asked for, or read from SANSHEN_PASSWORD).",
    )
    @click.option("--token", metavar="TOKEN", envvar="SANSHEN_TOKEN", help="Act with an API token instead.")
    @functools.wraps(command)
    def wrapper(*args: Any, as_user: str | None, token: str | None, **kwargs: Any) -> Any:
        app = click.get_current_context().find_object(App)
        assert app is not None
        return command(app, *args, actor=app.authenticate(as_user, token), **kwargs)

    return wrapper  # type: ignore[return-value]


@click.group(cls=SanshenGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, envvar="SANSHEN_DEBUG", help="Show tracebacks instead of one-line errors.")
@click.version_option(package_name="sanshen")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """三审 Sanshen: drafts through 三审三校, signed and on the record."""
    ctx.obj = App(settings=get_settings(), debug=debug)
