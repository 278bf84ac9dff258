"""The rules in force: the shipped ruleset files and the newest version of each imported word list.

Compiling 10 000 terms takes tens of milliseconds, so a compiled set is kept per process, keyed by the
files' names, sizes and times and the imported versions' digests: a changed file or a new import (by
any server sharing the database) is picked up at the next check, and nothing is compiled twice.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from sqlmodel import Session, col, select

from review.config import get_settings
from review.errors import Invalid
from review.models import ImportedRuleset
from review.prechecks.imports import imported_in_force
from review.prechecks.rulesets import load_ruleset_folder
from review.prechecks.scan import CompiledRules

_CACHE: OrderedDict[tuple[object, ...], CompiledRules] = OrderedDict()
_CACHE_SIZE = 8


def rules_in_force(session: Session | None = None, folder: Path | None = None) -> CompiledRules:
    """The rules every draft is checked against; without a session, the shipped files alone."""
    folder = folder or get_settings().rulesets
    if not folder.is_dir():
        raise Invalid(f"the pre-check rulesets folder {folder} does not exist", code="ruleset_invalid")
    files = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.glob("*.yaml")))
    imported: tuple[str, ...] = ()
    if session is not None:
        imported = tuple(session.exec(select(ImportedRuleset.digest).order_by(col(ImportedRuleset.id))).all())
    key = (folder, files, imported)
    rules = _CACHE.get(key)
    if rules is None:
        specs = load_ruleset_folder(folder)
        if imported and session is not None:
            specs += imported_in_force(session)
        rules = CompiledRules(specs)
        _CACHE[key] = rules
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return rules
