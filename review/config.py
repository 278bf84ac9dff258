"""Settings from the environment (CONTRACT §2). Read once per process; nothing here is state."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent
"""The checkout Sanshen runs from (it is installed editable): `workflows/` and `alembic/` live here."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SANSHEN_", extra="ignore")

    database_url: str = "sqlite:///./sanshen.db"
    home: Path = Path("./.sanshen")
    workflows: Path = PROJECT_DIR / "workflows"
    rulesets: Path = PROJECT_DIR / "rulesets"
    """The pre-check rulesets (YAML) every draft is checked against (docs/prechecks.md)."""

    password_profile: Literal["rfc9106_low_memory", "cheapest"] = "rfc9106_low_memory"
    """argon2 cost. `cheapest` exists only so that test suites do not spend 120 ms per hash."""
    busy_timeout_ms: int = 10_000
    """How long a write waits for SQLite's write lock, or PostgreSQL's row lock, before giving up."""
    max_body_bytes: int = 6 * 1024 * 1024
    """The largest request body read (a 500 000-character Chinese body fits: 9 bytes a character in a
    browser's form encoding, 6 in JSON escapes)."""
    login_token_hours: int = 12
    """How long a token from `POST /api/v1/auth/token` lasts."""
    timezone: str = "Asia/Shanghai"
    """The office's time zone: sign-off sheets show it beside UTC."""
    pdf_font: Path | None = None
    """A CJK font file for PDFs; by default the first installed of Noto Sans CJK, WenQuanYi, AR PL."""


@cache
def get_settings() -> Settings:
    return Settings()
