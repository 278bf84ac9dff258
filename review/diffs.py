"""What changed between two revisions, character by character (Chinese has no spaces between words).

Used to show a reviewer the text's changes since it was last signed on an older revision (核红:
checking the previous round's corrections) and an author what they changed since a return.

Character-level comparison costs time roughly in proportion to the product of the lengths compared
(difflib), so it is bounded: lines are compared first, and characters only inside changed blocks,
while a budget lasts; past it, a changed block shows as whole lines removed and added. A diff is
kept in memory by the two texts' hashes (revisions never change), so a page shown again costs nothing.
"""

from __future__ import annotations

import difflib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session, col, select

from review.models import Draft, Revision, Signoff

CHARACTER_BUDGET = 4_000_000
"""The most character comparisons (sum of len(old) × len(new) over changed blocks) one diff may spend."""

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
    signed_step: tuple[str, str]
    """The (zh, en) label of the step whose signature the older revision carries."""
    signed_by: str
    """The printed name of that signer."""

    @property
    def changed(self) -> bool:
        return any(p.op != "equal" for p in [*self.title, *self.body])


def char_diff(old: str, new: str, budget: int = CHARACTER_BUDGET) -> list[Piece]:
    """Pieces that turn `old` into `new`: equal, deleted and inserted runs of characters."""
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    pieces: list[Piece] = []
    # Without autojunk, n equal lines cost n² comparisons: allowed up to a few thousand lines.
    lines = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=len(old_lines) + len(new_lines) > 4000)
    for tag, a1, a2, b1, b2 in lines.get_opcodes():
        before, after = "".join(old_lines[a1:a2]), "".join(new_lines[b1:b2])
        if tag == "equal":
            pieces.append(Piece("equal", before))
        elif before and after and len(before) * len(after) <= budget:
            budget -= len(before) * len(after)
            pieces += _pieces(difflib.SequenceMatcher(None, before, after, autojunk=False), before, after)
        else:
            if before:
                pieces.append(Piece("delete", before))
            if after:
                pieces.append(Piece("insert", after))
    return _merged(pieces)


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


def _merged(pieces: list[Piece]) -> list[Piece]:
    """Adjacent pieces of the same kind as one (line and character runs meet at block edges)."""
    merged: list[Piece] = []
    for piece in pieces:
        if merged and merged[-1].op == piece.op:
            merged[-1] = Piece(piece.op, merged[-1].text + piece.text)
        else:
            merged.append(piece)
    return merged


_CACHE: OrderedDict[tuple[str, str], tuple[list[Piece], list[Piece]]] = OrderedDict()
_CACHE_SIZE = 32
_CACHE_LOCK = threading.Lock()


def _title_and_body_diff(old: Revision, draft: Draft | Revision) -> tuple[list[Piece], list[Piece]]:
    """Keyed by the two texts' hashes: a revision never changes, so neither does their diff."""
    key = (old.content_hash, draft.content_hash)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    pieces = (char_diff(old.title, draft.title), char_diff(old.body, draft.body))
    with _CACHE_LOCK:
        _CACHE[key] = pieces
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return pieces


def diff_since_last_signature(session: Session, draft: Draft) -> Diff | None:
    """The current text against the newest revision older than it that someone signed.

    After a proofreader's correction that is the revision the previous step signed, so the next
    signer sees the correction; after a return, the returned revision, so the author and the next
    signers see what changed. None when no older revision was signed.
    """
    last = session.exec(
        select(Signoff)
        .where(col(Signoff.draft_id) == draft.id, col(Signoff.revision) < draft.revision)
        .order_by(col(Signoff.id).desc())
    ).first()
    if last is None:
        return None
    old = session.exec(
        select(Revision).where(col(Revision.draft_id) == draft.id, col(Revision.number) == last.revision)
    ).one()
    title, body = _title_and_body_diff(old, draft)
    return Diff(
        from_revision=old.number,
        to_revision=draft.revision,
        title=title,
        body=body,
        signed_step=(last.step_label_zh, last.step_label_en),
        signed_by=last.full_name,
    )


def revision_diff(
    session: Session, draft: Draft, from_number: int, to_number: int, *, step: tuple[str, str], by: str
) -> Diff:
    """Two revisions of a draft compared; `step` and `by` say whose work the newer one is."""
    old, new = (
        session.exec(select(Revision).where(col(Revision.draft_id) == draft.id, col(Revision.number) == number)).one()
        for number in (from_number, to_number)
    )
    title, body = _title_and_body_diff(old, new)
    return Diff(
        from_revision=from_number, to_revision=to_number, title=title, body=body, signed_step=step, signed_by=by
    )
