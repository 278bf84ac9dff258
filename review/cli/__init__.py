"""`sanshen`: the command line. Each module adds one area's commands to the group in `base`."""

from __future__ import annotations

from review.cli import audit, backup, channels, demo, drafts, prechecks, serve, setup, users, workflows
from review.cli.base import cli

__all__ = [
    "audit",
    "backup",
    "channels",
    "cli",
    "demo",
    "drafts",
    "main",
    "prechecks",
    "serve",
    "setup",
    "users",
    "workflows",
]


def main() -> None:
    cli()
