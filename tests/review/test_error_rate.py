"""差错率 (R21): a proofreader's correction records the errors it fixed; each 校次 and the draft get a rate
per 10 000 characters, weighed by the channel's medium; the last proofread over the limit is flagged to
终审, who must say they saw it; proofread sign-offs bind their round's record."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from review.channels import configure_channel, list_channels
from review.db import Database
from review.drafts import revise_draft, submit_draft
from review.errorrate import MEDIA, Medium, character_count, rate, weighted
from review.errors import Conflict, Forbidden, Invalid
from review.models import Event, Revision
from review.publishing import publish
from review.views import draft_view
from tests.factories import Newsroom, act, approve_through, get_draft, newsroom, snapshot, submitted_draft

BODY = "各单位：\n" + "请于本月底前完成安全生产自查并报送结果。" * 50  # 1 000 characters and a title


@pytest.fixture
def room(db: Database) -> Newsroom:
    return newsroom(db)


def correct(db: Database, room: Newsroom, draft_id: int, old: str, new: str, **errors: int) -> None:
    draft = get_draft(db, draft_id)
    with db.write() as session:
        revise_draft(
            session,
            actor=room.signer(draft.state),
            draft_id=draft_id,
            body=draft.body.replace(old, new, 1),
            errors=errors or None,
        )


def report(db: Database, room: Newsroom, draft_id: int) -> dict:
    with db.read() as session:
        view = draft_view(session, room.review3, draft_id)
    assert view.error_rate is not None
    return view.error_rate.model_dump()


def test_the_annexes_weights_give_the_rules_own_example() -> None:
    """R21: 10 ordinary and 2 knowledge errors in 100 000 characters of a book: (10 + 2×2) ÷ 100 000 = 1.4
    per 10 000, over the book limit of 1; a newspaper counts the same errors 12, within its limit of 3."""
    book, newspaper = MEDIA[Medium.BOOK], MEDIA[Medium.NEWSPAPER]
    counts = {"typo": 10, "fact": 2}
    assert rate(weighted(counts, book), 100_000) == 1.4 > (book.legal_limit or 0)
    assert rate(weighted(counts, newspaper), 100_000) == 1.2 < (newspaper.legal_limit or 0)
    assert weighted({"script": 3}, book) == 1.5
    assert weighted({"numbers": 5}, newspaper) == 0.5
    assert weighted({"numbers": 40}, newspaper) == 1.0  # 0.1 each, at most 1 in all
    assert weighted({"headline": 1}, newspaper) == 2.0
    assert character_count("标题 A", "正文\n第二 行") == 8


def test_a_correction_counts_toward_the_rate_and_the_next_round_sees_it(db: Database, room: Newsroom) -> None:
    draft_id = submitted_draft(db, room, body=BODY, channel="bulletin")  # 内部简报: a journal, 2 per 10 000
    correct(db, room, draft_id, "本月底", "本月末", typo=1, punctuation=1)
    approve_through(db, room, draft_id, until="proof2")
    seen = report(db, room, draft_id)
    proof1 = next(r for r in seen["rounds"] if r["step"] == "proof1")
    assert proof1["counts"] == {"typo": 1, "punctuation": 1}
    assert proof1["corrections"] == 1
    assert proof1["signed"]
    assert seen["characters"] == character_count(get_draft(db, draft_id).title, get_draft(db, draft_id).body)
    assert proof1["rate"] == round(2 * 10_000 / seen["characters"], 2)
    assert (seen["medium"], seen["limit"], seen["verdict"]) == ("journal", 2.0, "pending")
    with db.read() as session:
        signed = session.exec(select(Revision).where(col(Revision.draft_id) == draft_id)).all()[-1]
        recorded = session.exec(select(Event).where(col(Event.kind) == "revised")).all()[-1]
    assert signed.errors == {"typo": 1, "punctuation": 1}
    assert '"errors":{"punctuation":1,"typo":1}' in recorded.payload


def test_a_correction_without_categories_counts_each_changed_place(db: Database, room: Newsroom) -> None:
    draft_id = submitted_draft(db, room, body="第一段有错字甲。\n第二段有错字乙。", channel="bulletin")
    correct(db, room, draft_id, "错字甲", "错字丙")
    draft = get_draft(db, draft_id)
    with db.write() as session:
        revise_draft(
            session, actor=room.proof1, draft_id=draft_id, body=draft.body.replace("段有", "段中有").replace("乙", "丁")
        )
    rounds = report(db, room, draft_id)["rounds"]
    assert rounds[0]["counts"] == {"unclassified": 4}  # one place, then three
    assert rounds[0]["corrections"] == 2


def test_the_last_proofread_over_the_limit_is_flagged_to_final_review(db: Database, room: Newsroom) -> None:
    draft_id = submitted_draft(db, room, body=BODY, channel="bulletin")
    approve_through(db, room, draft_id, until="proof3")
    correct(db, room, draft_id, "本月底", "本月末", typo=1)  # 1 in ~1 000 characters: about 10 per 10 000
    signoff = act(db, room.proof3, draft_id)
    assert signoff.errors is not None
    assert signoff.errors["counts"] == {"typo": 1}
    assert (signoff.errors["verdict"], signoff.errors["final"], signoff.errors["limit"]) == ("over", True, 2.0)
    seen = report(db, room, draft_id)
    assert (seen["verdict"], seen["flagged_to"], seen["final_step"]) == ("over", "review3", "proof3")
    approve_through(db, room, draft_id, until="review3")
    checks = {"political": True, "legal": True, "secrecy": True}
    with pytest.raises(Invalid, match="差错率超标已知悉") as refused:
        act(db, room.review3, draft_id, checklist=checks)
    assert refused.value.code == "missing_checks"
    approved = act(db, room.review3, draft_id, checklist={**checks, "error_rate": True})
    assert approved.checklist["error_rate"] is True
    assert get_draft(db, draft_id).state == "approved"


def test_within_the_limit_and_without_a_legal_limit_nothing_is_flagged(db: Database, room: Newsroom) -> None:
    within = submitted_draft(db, room, body=BODY * 10, channel="bulletin")  # ~10 000 characters
    approve_through(db, room, within, until="proof3")
    correct(db, room, within, "本月底", "本月末", typo=1)
    approve_through(db, room, within, until="review3")
    assert report(db, room, within)["verdict"] == "within"
    web = submitted_draft(db, room, body=BODY, channel="website")
    approve_through(db, room, web, until="proof3")
    correct(db, room, web, "本月底", "本月末", typo=3)
    approve_through(db, room, web)
    assert report(db, room, web)["verdict"] == "no_limit"
    assert get_draft(db, web).state == "approved"


def test_an_office_sets_its_own_limit_on_a_web_channel(db: Database, room: Newsroom) -> None:
    with db.write() as session, pytest.raises(Forbidden, match="configuring channels"):
        configure_channel(session, actor=room.author, key="website", error_limit=1)
    with db.write() as session:
        configure_channel(session, actor=None, key="website", error_limit=5)
        configure_channel(session, actor=None, key="website", error_limit=5)  # unchanged: no second event
    with db.read() as session:
        limits = {channel.key: limit.limit for channel, limit in list_channels(session)}
        events = session.exec(select(Event).where(col(Event.kind) == "channel_changed")).all()
    assert limits == {"bulletin": 2.0, "website": 5.0, "wechat": None}
    assert len(events) == 1
    assert '"previous":{"error_limit":null,"medium":"web"}' in events[0].payload
    draft_id = submitted_draft(db, room, body=BODY, channel="website")
    approve_through(db, room, draft_id, until="proof3")
    correct(db, room, draft_id, "本月底", "本月末", typo=1)
    approve_through(db, room, draft_id, until="review3")
    assert report(db, room, draft_id)["verdict"] == "over"
    with db.write() as session:
        configure_channel(session, actor=None, key="website", medium="book", legal_limit=True)
    assert (report(db, room, draft_id)["medium"], report(db, room, draft_id)["limit"]) == ("book", 1.0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"medium": "radio"}, "unknown medium 'radio'"),
        ({"error_limit": -1.0}, "from 0 to 10000"),
        ({"error_limit": float("nan")}, "from 0 to 10000"),
        ({"error_limit": 2.0, "legal_limit": True}, "not both"),
        ({"key": "tv", "medium": "web"}, "unknown channel 'tv'"),
    ],
)
def test_bad_channel_settings_are_refused(db: Database, change: dict, message: str) -> None:
    before = snapshot(db)
    with db.write() as session, pytest.raises(Invalid, match=message):
        configure_channel(session, actor=None, **{"key": "website", **change})
    assert snapshot(db) == before


@pytest.mark.parametrize(
    ("errors", "message"),
    [
        ({"typos": 1}, "unknown error category 'typos'"),
        ({"unclassified": 1}, "unknown error category"),
        ({"typo": -1}, "whole number from 0"),
        ({"typo": True}, "whole number from 0"),
        ({"typo": 1.5}, "whole number from 0"),
        ({"typo": 10_001}, "whole number from 0"),
    ],
)
def test_bad_error_counts_are_refused(db: Database, room: Newsroom, errors: dict, message: str) -> None:
    draft_id = submitted_draft(db, room)
    before = snapshot(db)
    with db.write() as session, pytest.raises(Invalid, match=message):
        revise_draft(
            session, actor=room.proof1, draft_id=draft_id, body="各单位：\n请于本月末前完成自查。", errors=errors
        )
    assert snapshot(db) == before


def test_errors_belong_to_a_proofreaders_correction_of_the_text(db: Database, room: Newsroom) -> None:
    draft_id = submitted_draft(db, room)
    act(db, room.proof1, draft_id, "return", comment="请补充落款。")
    with db.write() as session, pytest.raises(Invalid, match="not on the author's edits"):
        revise_draft(session, actor=room.author, draft_id=draft_id, body="新的正文。", errors={"typo": 1})
    other = submitted_draft(db, room)
    with db.write() as session, pytest.raises(Invalid, match="text is unchanged"):
        revise_draft(session, actor=room.proof1, draft_id=other, body=get_draft(db, other).body, errors={"typo": 1})


def test_a_return_starts_the_count_again(db: Database, room: Newsroom) -> None:
    draft_id = submitted_draft(db, room, body=BODY, channel="bulletin")
    correct(db, room, draft_id, "本月底", "本月末", typo=2)
    act(db, room.proof1, draft_id, "return", comment="请核实数据。")
    with db.write() as session:
        revise_draft(session, actor=room.author, draft_id=draft_id, body=BODY + "\n市应急管理局")
        submit_draft(session, actor=room.author, draft_id=draft_id)
    assert report(db, room, draft_id)["counts"] == {}


def test_the_verdict_weighs_the_exact_rate_not_the_rounded_one(db: Database, room: Newsroom) -> None:
    """1 error in 4 990 characters is 2.004 per 10 000: shown as 2.0, but over a limit of 2."""
    body = "各" * (4_990 - character_count("关于开展安全生产检查的通知", ""))
    draft_id = submitted_draft(db, room, body=body, channel="bulletin")
    approve_through(db, room, draft_id, until="proof3")
    correct(db, room, draft_id, "各", "备", typo=1)
    approve_through(db, room, draft_id, until="review3")
    seen = report(db, room, draft_id)
    assert seen["characters"] == 4_990
    assert (seen["rounds"][2]["rate"], seen["verdict"], seen["flagged_to"]) == (2.0, "over", "review3")


def test_a_correction_counted_as_zero_falls_back_to_its_changed_places(db: Database, room: Newsroom) -> None:
    draft_id = submitted_draft(db, room, body=BODY, channel="bulletin")
    correct(db, room, draft_id, "本月底", "本月末", typo=0)
    assert report(db, room, draft_id)["rounds"][0]["counts"] == {"unclassified": 1}


def test_publishing_to_a_stricter_channel_needs_final_review_to_have_seen_an_excess(
    db: Database, room: Newsroom
) -> None:
    draft_id = submitted_draft(db, room, body=BODY, channel="website")  # no limit: 终审 is not asked
    approve_through(db, room, draft_id, until="proof3")
    correct(db, room, draft_id, "本月底", "本月末", typo=3)
    approve_through(db, room, draft_id)
    with db.write() as session, pytest.raises(Conflict, match="over its limit") as refused:
        publish(session, actor=room.publisher, draft_id=draft_id, channel="bulletin")
    assert (refused.value.code, refused.value.rule) == ("error_rate_unacknowledged", "R21")
    with db.write() as session:
        assert publish(session, actor=room.publisher, draft_id=draft_id).channel == "website"
