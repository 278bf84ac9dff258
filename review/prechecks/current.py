"""The rules in force: the shipped ruleset files, compiled once per process and again only if a file changes."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from review.config import get_settings
from review.errors import Invalid
from review.prechecks.rulesets import load_ruleset_folder
from review.prechecks.scan import CompiledRules


@lru_cache(maxsize=4)
def _compile(folder: Path, _stamp: tuple[tuple[str, int, int], ...]) -> CompiledRules:
    return CompiledRules(load_ruleset_folder(folder))


def rules_in_force(folder: Path | None = None) -> CompiledRules:
    folder = folder or get_settings().rulesets
    if not folder.is_dir():
        raise Invalid(f"the pre-check rulesets folder {folder} does not exist", code="ruleset_invalid")
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.glob("*.yaml")))
    return _compile(folder, stamp)
