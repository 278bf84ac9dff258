"""Errors that name a meaning, not a transport status.

`web/` maps them to 404/403/409/422 in one place and the CLI to exit code 1. Each carries a stable
`code` that clients and the UI's translations can key on, and a human message.
"""

from __future__ import annotations


class SanshenError(Exception):
    """Base of every refusal the engine gives; the message is meant for the person who acted."""

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None, rule: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.rule = rule

    def __str__(self) -> str:
        return self.message


class NotFound(SanshenError):
    code = "not_found"


class Forbidden(SanshenError):
    """The actor may not do this: a missing role, or a separation-of-duties rule (R3, R4, R16 …)."""

    code = "forbidden"


class Conflict(SanshenError):
    """The request is well formed but clashes with the current state: wrong step, stale revision …"""

    code = "conflict"


class Invalid(SanshenError):
    """The input itself is wrong, whatever the state: an empty opinion, an unknown channel …"""

    code = "invalid"
