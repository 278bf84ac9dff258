"""The diff a signer is shown: per character for Chinese, bounded in work, against the right baseline."""

from __future__ import annotations

import random

from review.db import Database
from review.diffs import CHARACTER_BUDGET, Piece, char_diff, diff_since_last_signature
from review.drafts import revise_draft
from tests.factories import act, approve_through, get_draft, newsroom, submitted_draft


def joined(pieces: list[Piece], *keep: str) -> str:
    return "".join(p.text for p in pieces if p.op in keep)


def test_chinese_is_compared_character_by_character() -> None:
    old, new = "各区县人民政府：\n请确保居民供暖。", "各区县人民政府：\n请于11月15日起确保居民供暖。"
    pieces = char_diff(old, new)
    assert pieces == [
        Piece("equal", "各区县人民政府：\n请"),
        Piece("insert", "于11月15日起"),
        Piece("equal", "确保居民供暖。"),
    ]
    assert joined(pieces, "equal", "delete") == old
    assert joined(pieces, "equal", "insert") == new


def test_a_block_too_large_to_compare_by_character_shows_as_whole_lines() -> None:
    rng = random.Random(7)
    side = int(CHARACTER_BUDGET**0.5) + 10  # one block past the budget
    old = "开头\n" + "".join(rng.choice("甲乙丙丁") for _ in range(side)) + "\n结尾"
    new = "开头\n" + "".join(rng.choice("甲乙丙丁") for _ in range(side)) + "\n结尾"
    pieces = char_diff(old, new)
    assert [p.op for p in pieces] == ["equal", "delete", "insert", "equal"]
    assert joined(pieces, "equal", "delete") == old
    assert joined(pieces, "equal", "insert") == new
    small = char_diff(old, new, budget=10**12)  # with budget enough, the same texts are compared finely
    assert len(small) > 4
    assert joined(small, "equal", "insert") == new


def test_the_baseline_is_the_newest_older_revision_someone_signed(db: Database) -> None:
    room = newsroom(db)
    draft_id = submitted_draft(db, room)
    approve_through(db, room, draft_id, until="proof2")
    with db.read() as session:
        assert diff_since_last_signature(session, get_draft(db, draft_id)) is None  # nothing changed since
    with db.write() as session:
        revise_draft(session, actor=room.proof2, draft_id=draft_id, body="各单位：\n请于本月底前完成自查自纠。")
    act(db, room.proof2, draft_id, revision=2)
    with db.read() as session:
        diff = diff_since_last_signature(session, get_draft(db, draft_id))
    assert diff is not None
    assert (diff.from_revision, diff.to_revision, diff.signed_step) == (1, 2, ("初审", "First review"))
    assert joined(diff.body, "insert") == "自纠"
