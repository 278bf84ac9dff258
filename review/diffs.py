"""What changed between two revisions, character by character (Chinese has no spaces between words).

Used to show a reviewer the diff since the last signed step (核红: checking the previous round's
corrections) and an author what a return asked them to change.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session, col, select

from review.models import Draft, Revision, Signoff

MAX_CHARACTER_DIFF = 40_000
"""Above this many characters on a side, lines are compared first and characters only inside changed lines."""

Op = Literal["equal", "insert", "delete"]


@dataclass(frozen=True)
class Piece:
    op: Op
    text: str


@dataclass(frozen=True)
class Diff:
    from_revision: int
    to_revision: int
    title: list[Piece]
    body: list[Piece]
    signed_by: str | None
    """Whose signature the older revision carries (the baseline), for the heading."""

    @property
    def changed(self) -> bool:
        return any(p.op != "equal" for p in [*self.title, *self.body])


def char_diff(old: str, new: str) -> list[Piece]:
    if len(old) > MAX_CHARACTER_DIFF or len(new) > MAX_CHARACTER_DIFF:
        return _line_then_char_diff(old, new)
    return _pieces(difflib.SequenceMatcher(None, old, new, autojunk=False), old, new)


def _pieces(matcher: difflib.SequenceMatcher[str], old: str, new: str) -> list[Piece]:
    pieces: list[Piece] = []
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            pieces.append(Piece("equal", old[a1:a2]))
            continue
        if a2 > a1:
            pieces.append(Piece("delete", old[a1:a2]))
        if b2 > b1:
            pieces.append(Piece("insert", new[b1:b2]))
    return pieces


def _line_then_char_diff(old: str, new: str) -> list[Piece]:
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    pieces: list[Piece] = []
    for tag, a1, a2, b1, b2 in difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes():
        before, after = "".join(old_lines[a1:a2]), "".join(new_lines[b1:b2])
        if tag == "equal":
            pieces.append(Piece("equal", before))
        elif len(before) <= MAX_CHARACTER_DIFF and len(after) <= MAX_CHARACTER_DIFF:
            pieces += _pieces(difflib.SequenceMatcher(None, before, after, autojunk=False), before, after)
        else:
            pieces += [Piece("delete", before), Piece("insert", after)]
    return pieces


def diff_since_last_signature(session: Session, draft: Draft) -> Diff | None:
    """The current text against the revision the most recent signature on this draft was made on.

    None when nothing was signed yet, or nothing changed since.
    """
    last = session.exec(
        select(Signoff).where(col(Signoff.draft_id) == draft.id).order_by(col(Signoff.id).desc())
    ).first()
    if last is None or last.revision == draft.revision:
        return None
    old = session.exec(
        select(Revision).where(col(Revision.draft_id) == draft.id, col(Revision.number) == last.revision)
    ).one()
    return Diff(
        from_revision=old.number,
        to_revision=draft.revision,
        title=char_diff(old.title, draft.title),
        body=char_diff(old.body, draft.body),
        signed_by=f"{last.step_label_zh} · {last.full_name}",
    )
