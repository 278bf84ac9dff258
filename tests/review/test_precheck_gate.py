"""Pre-checks bound to drafts (R24): stored per revision, named in every sign-off, and a blocking finding
stops approval at 复审 and later, and publishing, until a reviewer at 复审 or above overrides it with a
reason — recorded in the trail, which still verifies."""

from __future__ import annotations

import json

import pytest
from sqlmodel import col, select

from review.db import Database
from review.drafts import revise_draft
from review.errors import Conflict, Forbidden, Invalid
from review.models import Event, PrecheckOverride, PrecheckResult, Signoff
from review.prechecks import records
from review.prechecks.current import rules_in_force
from review.prechecks.records import override_findings
from review.prechecks.rulesets import parse_ruleset
from review.prechecks.scan import CompiledRules
from review.publishing import publish
from review.verify import verify_database
from tests.factories import (
    Newsroom,
    act,
    approve_through,
    get_draft,
    newsroom,
    snapshot,
    submitted_draft,
)

TITLE = "关于开展安全生产检查的通知"
SECRET_BODY = "各单位：\n机密★1年\n请于本月底前完成自查，联系攻府办公室。"


@pytest.fixture
def room(db: Database) -> Newsroom:
    return newsroom(db)


def results(db: Database, draft_id: int) -> list[PrecheckResult]:
    with db.read() as session:
        return list(
            session.exec(
                select(PrecheckResult).where(PrecheckResult.draft_id == draft_id).order_by(col(PrecheckResult.id))
            )
        )


def block_keys(db: Database, draft_id: int) -> list[str]:
    return [f["key"] for f in results(db, draft_id)[-1].findings if f["severity"] == "block"]


def override(
    db: Database, actor: object, draft_id: int, keys: list[str], reason: str = "经核实，系公开示例文本。"
) -> None:
    with db.write() as session:
        override_findings(
            session,
            actor=actor,  # type: ignore[arg-type]
            draft_id=draft_id,
            revision=get_draft(db, draft_id).revision,
            keys=keys,
            reason=reason,
        )


def test_every_revision_is_checked_and_offsets_count_title_newline_body(db: Database, room: Newsroom) -> None:
    draft_id = submitted_draft(db, room, title=TITLE, body=SECRET_BODY)
    (first,) = results(db, draft_id)
    assert (first.revision, first.blocking, first.warnings) == (1, 2, 1)
    checked = f"{TITLE}\n{SECRET_BODY}"
    assert [checked[f["start"] : f["end"]] for f in first.findings] == ["机密★", "★1年", "攻府"]
    approve_through(db, room, draft_id, until="proof2")
    with db.write() as session:
        revise_draft(session, actor=room.proof2, draft_id=draft_id, body=SECRET_BODY.replace("攻府", "政府"))
    assert [(r.revision, r.warnings) for r in results(db, draft_id)] == [(1, 1), (2, 0)]


def test_a_blocking_finding_stops_approval_from_fushen_on_and_publishing(db: Database, room: Newsroom) -> None:
    draft_id = submitted_draft(db, room, title=TITLE, body=SECRET_BODY)
    approve_through(db, room, draft_id, until="review2")  # 一校, 初审, 二校 are before the gate
    before = snapshot(db)
    with pytest.raises(Conflict, match="approving 复审") as refused:
        act(db, room.review2, draft_id)
    assert refused.value.code == "precheck_blocked"
    assert "机密★" in str(refused.value)
    assert snapshot(db) == before
    act(db, room.review2, draft_id, "return", comment="请删除密级标志。")  # a return is never blocked
    assert get_draft(db, draft_id).state == "returned"


def test_an_override_needs_a_reviewer_at_fushen_or_above_and_a_reason(db: Database, room: Newsroom) -> None:
    draft_id = submitted_draft(db, room, title=TITLE, body=SECRET_BODY)
    approve_through(db, room, draft_id, until="review2")
    keys = block_keys(db, draft_id)
    for who in (room.author, room.proof1, room.review1, room.publisher, room.auditor):
        with pytest.raises(Forbidden):
            override(db, who, draft_id, keys)
    with pytest.raises(Invalid, match="reason"):
        override(db, room.review2, draft_id, keys, reason="  ")
    with pytest.raises(Invalid, match="not a blocking finding"):
        override(db, room.review2, draft_id, [*keys, "typos.zhengfu@1-3"])
    with pytest.raises(Invalid):
        override(db, room.review2, draft_id, [])
    with db.write() as session, pytest.raises(Conflict, match="not the current"):
        override_findings(session, actor=room.review2, draft_id=draft_id, revision=0, keys=keys, reason="理由")
    override(db, room.review2, draft_id, keys[:1])
    with pytest.raises(Conflict, match="already overridden"):
        override(db, room.review3, draft_id, keys[:1])
    with pytest.raises(Conflict, match="1 blocking"):
        act(db, room.review2, draft_id)
    override(db, room.review3, draft_id, keys[1:], reason="终审同意：示例中的密级标志为教学用。")
    approve_through(db, room, draft_id)
    with db.write() as session:
        publication = publish(session, actor=room.publisher, draft_id=draft_id)
    assert publication.content_hash == get_draft(db, draft_id).content_hash
    with db.read() as session:
        signoff = session.exec(select(Signoff).where(Signoff.step_id == "review3")).one()
        events = session.exec(select(Event).where(Event.kind == "precheck_overridden")).all()
        assert verify_database(session).ok
    assert signoff.precheck is not None
    assert signoff.precheck["overridden"] == sorted(keys)
    assert signoff.precheck["blocking"] == 2
    payloads = [(e.actor, json.loads(e.payload)) for e in events]
    assert [(actor, p["reason"], [o["key"] for o in p["overrides"]]) for actor, p in payloads] == [
        ("ren", "经核实，系公开示例文本。", keys[:1]),
        ("rong", "终审同意：示例中的密级标志为教学用。", keys[1:]),
    ]


def test_a_correction_at_sanxiao_that_adds_a_blocking_finding_stops_until_overridden(
    db: Database, room: Newsroom
) -> None:
    draft_id = submitted_draft(db, room, title=TITLE)
    approve_through(db, room, draft_id, until="proof3")
    with db.write() as session:
        revise_draft(
            session,
            actor=room.proof3,
            draft_id=draft_id,
            body="各单位：\n请于本月底前完成自查。联系人手机13812345678。",
        )
    with pytest.raises(Conflict) as refused:
        act(db, room.proof3, draft_id)  # 三校 comes after 复审: gated too
    assert refused.value.code == "precheck_blocked"
    assert "「13812345678」" in str(refused.value)
    override(db, room.review3, draft_id, block_keys(db, draft_id), reason="系单位公开的值班电话。")
    act(db, room.proof3, draft_id)
    act(db, room.review3, draft_id)
    assert get_draft(db, draft_id).state == "approved"


def test_an_override_binds_one_exact_text(db: Database, room: Newsroom) -> None:
    draft_id = submitted_draft(db, room, title=TITLE, body=SECRET_BODY)
    approve_through(db, room, draft_id, until="review2")
    override(db, room.review2, draft_id, block_keys(db, draft_id))
    act(db, room.review2, draft_id)
    with db.write() as session:
        revise_draft(session, actor=room.proof3, draft_id=draft_id, body=SECRET_BODY + "\n此页无正文。")
    with pytest.raises(Conflict, match="2 blocking"):
        act(db, room.proof3, draft_id)


def test_publishing_re_checks_with_the_rules_in_force_at_release(
    db: Database, room: Newsroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An office adds a rule after 终审 that the approved text breaks: the release is refused until
    a reviewer at 复审 or above overrides, and the publication names the result it was released on."""
    draft_id = submitted_draft(db, room, title=TITLE)
    approve_through(db, room, draft_id)
    extra = parse_ruleset(
        "ruleset: local\nversion: 1\nlabel: {zh: 本地, en: Local}\nrules:\n"
        "  - {id: local.deadline, category: 保密, severity: block, terms: [本月底], source: 本单位规定}\n",
        "local.yaml",
    )
    shipped = rules_in_force()
    monkeypatch.setattr(records, "rules_in_force", lambda _session: CompiledRules([*shipped.rulesets, extra]))
    with db.write() as session, pytest.raises(Conflict) as refused:
        publish(session, actor=room.publisher, draft_id=draft_id)
    assert refused.value.code == "precheck_blocked"
    override(db, room.review3, draft_id, block_keys(db, draft_id), reason="时限已公开，可以发布。")
    with db.write() as session:
        publish(session, actor=room.publisher, draft_id=draft_id)
    with db.read() as session:
        published = session.exec(select(Event).where(Event.kind == "published")).one()
    assert json.loads(published.payload)["precheck"]["overridden"] == block_keys(db, draft_id)


def test_an_override_inserted_behind_the_trail_is_found(db: Database, room: Newsroom) -> None:
    draft_id = submitted_draft(db, room, title=TITLE, body=SECRET_BODY)
    approve_through(db, room, draft_id, until="review2")
    override(db, room.review2, draft_id, block_keys(db, draft_id)[:1])
    with db.write() as session:
        row = session.exec(select(PrecheckOverride)).one()
        session.add(
            PrecheckOverride(
                **{**row.model_dump(exclude={"id"}), "finding_key": block_keys(db, draft_id)[1]},
            )
        )
    with db.read() as session:
        result = verify_database(session)
    assert not result.ok
    assert "inserted behind the trail" in str(result.first_bad)


def test_a_clean_result_inserted_behind_the_trail_is_found(db: Database, room: Newsroom) -> None:
    """Someone with write access stores an empty result for a text with blocking findings, under a new
    fingerprint, so that the gate would read it (review finding): verify names it."""
    draft_id = submitted_draft(db, room, title=TITLE, body=SECRET_BODY)
    (stored,) = results(db, draft_id)
    with db.write() as session:
        session.add(
            PrecheckResult(
                **{**stored.model_dump(exclude={"id"}), "fingerprint": "0" * 64, "findings": [], "blocking": 0}
            )
        )
    with db.read() as session:
        result = verify_database(session)
    assert not result.ok
    assert "inserted behind the trail" in str(result.first_bad)
