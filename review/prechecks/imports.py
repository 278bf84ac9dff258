"""Word lists an administrator imports: one term (or, for a names list, one name) per line, stored as
the next version of a ruleset in the database, recorded in the trail, in force from the next check."""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import ValidationError
from sqlmodel import Session, col, func, select

from review import clock
from review.actors import Actor
from review.config import get_settings
from review.content import check_one_line
from review.enums import EventKind
from review.errors import Invalid
from review.models import ImportedRuleset
from review.prechecks.rulesets import MAX_TERMS, RulesetSpec, RuleSpec, load_ruleset_folder
from review.trail import append_event, iso_utc, lock_chain
from review.users import require_admin

ListKind = Literal["terms", "names"]
MAX_LIST_BYTES = 4 * 1024 * 1024


def parse_word_list(text: str) -> list[str]:
    """Terms, one per line; blank lines and lines starting with # are skipped, duplicates kept once."""
    if len(text.encode()) > MAX_LIST_BYTES:
        raise Invalid(f"a word list is at most {MAX_LIST_BYTES} bytes", code="ruleset_invalid")
    terms = []
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        term = line.strip().lstrip("\ufeff")
        if not term or term.startswith("#"):
            continue
        if len(term) > 64:
            raise Invalid(f"line {number}: a term has at most 64 characters", code="ruleset_invalid")
        check_one_line(term, f"line {number}")
        terms.append(term)
    terms = list(dict.fromkeys(terms))
    if not terms:
        raise Invalid("the word list has no terms: one term per line", code="ruleset_invalid")
    if len(terms) > MAX_TERMS:
        raise Invalid(f"a word list has at most {MAX_TERMS} terms", code="ruleset_invalid")
    return terms


def import_word_list(
    session: Session,
    *,
    actor: Actor | None,
    name: str,
    text: str,
    kind: ListKind = "terms",
    severity: Literal["block", "warn"] | None = None,
    category: str = "词表",
    source: str = "",
) -> ImportedRuleset:
    """Store the list as the next version of ruleset `name`. A names list blocks by default (misspelt
    leaders' names are a 单项否决); a terms list warns by default."""
    require_admin(session, actor, "importing word lists")
    if kind not in ("terms", "names"):
        raise Invalid("a word list is of terms or of names", code="ruleset_invalid")
    terms = parse_word_list(text)
    check_one_line(category, "the category")
    check_one_line(source, "the source")
    lock_chain(session)  # one import at a time: the next version number is read, then written
    prefix = name.replace("-", "_")
    shipped = {spec.ruleset for spec in load_ruleset_folder(get_settings().rulesets)}
    imported = set(session.exec(select(ImportedRuleset.name).distinct()).all())
    if name in shipped:
        raise Invalid(f"{name!r} is a shipped ruleset; give the imported list another name", code="ruleset_invalid")
    clash = sorted(other for other in shipped | imported if other != name and other.replace("-", "_") == prefix)
    if clash:
        raise Invalid(
            f"{name!r} would give its rules the ids of ruleset {clash[0]!r}; choose another name",
            code="ruleset_invalid",
        )
    latest = session.exec(select(func.max(ImportedRuleset.version)).where(col(ImportedRuleset.name) == name)).one()
    version = (latest or 0) + 1
    digest = hashlib.sha256(text.encode()).hexdigest()
    at = clock.now()
    who = actor.username if actor else "sanshen"
    try:
        spec = RulesetSpec(
            ruleset=name,
            version=version,
            label={"zh": name, "en": name},
            rules=(
                RuleSpec(
                    id=f"{name.replace('-', '_')}.list",
                    category=category or "词表",
                    severity=severity or ("block" if kind == "names" else "warn"),
                    source=f"{source or '管理员导入的词表'} ({who}, {iso_utc(at)[:10]}, sha256 {digest[:12]})",
                    **{kind: tuple(terms)},
                ),
            ),
        )
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in error.errors())
        raise Invalid(f"the word list cannot be a ruleset: {problems}", code="ruleset_invalid") from None
    row = ImportedRuleset(
        name=name,
        version=version,
        spec=spec.model_dump(mode="json", by_alias=True),
        digest=spec.digest(),
        terms=len(terms),
        imported_by=actor.id if actor else None,
        imported_at=at,
    )
    session.add(row)
    session.flush()
    append_event(
        session,
        kind=EventKind.RULESET_IMPORTED,
        actor=actor,
        at=at,
        draft_id=None,
        payload={
            "ruleset_id": row.id,
            "name": name,
            "version": version,
            "kind": kind,
            "terms": len(terms),
            "severity": spec.rules[0].severity,
            "digest": row.digest,
            "file_sha256": digest,
        },
    )
    return row


def imported_in_force(session: Session) -> list[RulesetSpec]:
    """The newest version of each imported ruleset."""
    newest = (
        select(ImportedRuleset.name, func.max(ImportedRuleset.version).label("version"))
        .group_by(col(ImportedRuleset.name))
        .subquery()
    )
    rows = session.exec(
        select(ImportedRuleset).join(
            newest, (col(ImportedRuleset.name) == newest.c.name) & (col(ImportedRuleset.version) == newest.c.version)
        )
    ).all()
    return [RulesetSpec.model_validate(row.spec) for row in sorted(rows, key=lambda r: r.name)]
