"""差错率 and 通读 on the pages and the API: a proofreader counts the errors a correction fixes, the draft
page shows each 校次's rate against the channel's limit and flags an excess to 终审, a read-through is
signed 付印 or 改后付印, and administrators set a channel's medium and limit."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import col, select

from review.db import Database
from review.models import Revision
from tests.factories import Newsroom, approve_through, get_draft, make_user, new_draft, submitted_draft
from tests.web.conftest import Browser, Staff, bearer, text_of
from tests.web.test_pages import decide_form

BODY = "各单位：\n" + "请于本月底前完成安全生产自查并报送结果。" * 50


def test_a_correction_counts_its_errors_and_final_review_is_flagged(
    db: Database, room: Newsroom, browser: Callable[[str], Browser]
) -> None:
    draft_id = submitted_draft(db, room, body=BODY, channel="bulletin")
    approve_through(db, room, draft_id, until="proof3")
    ping = browser("ping")
    form = ping.get(f"/drafts/{draft_id}/edit")
    assert 'name="errors_typo"' in form.text
    assert 'name="errors_unclassified"' not in form.text
    corrected = {"title": get_draft(db, draft_id).title, "body": BODY.replace("本月底", "本月末", 1), "revision": 1}
    refused = ping.post(f"/drafts/{draft_id}/edit", corrected | {"errors_typo": "两"})
    assert refused.status_code == 422
    assert "差错数须为整数" in text_of(refused)
    assert 'value="两"' in refused.text  # what was typed is kept
    saved = ping.post(f"/drafts/{draft_id}/edit", corrected | {"errors_typo": "1", "errors_punctuation": ""})
    assert saved.status_code == 303, saved.text
    with db.read() as session:
        assert session.exec(select(Revision.errors).where(col(Revision.number) == 2)).one() == {"typo": 1}
    page = text_of(ping.get(f"/drafts/{draft_id}"))
    assert "差错率" in page
    assert "错字 1" in page
    assert ping.post(f"/drafts/{draft_id}/decision", decide_form("proof3", 2)).status_code == 303

    rong = browser("rong")
    approve_through(db, room, draft_id, until="review3")
    page = rong.get(f"/drafts/{draft_id}")
    assert "差错率超标" in text_of(page)
    assert "终审须确认知悉后方可同意" in text_of(page)
    assert 'name="check_error_rate"' in page.text
    without = rong.post(f"/drafts/{draft_id}/decision", decide_form("review3", 2))
    assert without.status_code == 422
    signed = rong.post(f"/drafts/{draft_id}/decision", decide_form("review3", 2, check_error_rate="on"))
    assert signed.status_code == 303
    trail = text_of(rong.get(f"/drafts/{draft_id}/trail"))
    assert "改正差错： 错字 1" in trail or "改正差错：错字 1" in trail
    assert "差错率超标已知悉" in trail


def test_the_read_through_offers_fuyin_then_gaihoufuyin_then_the_check(
    db: Database, room: Newsroom, browser: Callable[[str], Browser]
) -> None:
    for name in ("qiao", "qin", "qu"):
        make_user(db, name, "proofreader", qualifications=("proof_mid",))
    draft_id = new_draft(db, room.author, workflow="publishing")
    author = browser("alice")
    assert author.post(f"/drafts/{draft_id}/submit").status_code == 303
    signers = {"proof3": "qiao", "readthrough": "qin"}
    while (state := get_draft(db, draft_id).state) != "readthrough":
        who = browser(signers.get(state) or room.signer(state).username)
        checks = {"check_" + k: "on" for k in ("language", "factual", "policy", "secrecy", "political", "legal")}
        assert who.post(f"/drafts/{draft_id}/decision", decide_form(state, 1) | checks).status_code == 303
    reader = browser("qin")
    page = reader.get(f"/drafts/{draft_id}")
    assert 'value="approve"' in page.text
    assert "付印" in text_of(page)
    assert 'value="approve_with_changes"' not in page.text
    assert 'name="check_read_in_full"' in page.text
    text = get_draft(db, draft_id)
    saved = reader.post(
        f"/drafts/{draft_id}/edit", {"title": text.title, "body": text.body.replace("底", "末"), "revision": 1}
    )
    assert saved.status_code == 303
    page = reader.get(f"/drafts/{draft_id}")
    assert 'value="approve_with_changes"' in page.text
    assert 'value="approve"' not in page.text
    form = decide_form("readthrough", 2, "approve_with_changes", check_read_in_full="on")
    assert reader.post(f"/drafts/{draft_id}/decision", form).status_code == 303
    assert "改后付印" in text_of(reader.get(f"/drafts/{draft_id}"))

    checker = browser("qu")
    page = checker.get(f"/drafts/{draft_id}")
    assert "核红无误，付印" in text_of(page)
    assert 'name="check_hehong"' in page.text
    assert "<ins>末</ins>" in page.text
    assert checker.get(f"/drafts/{draft_id}/edit").status_code == 409  # no correcting while it is checked
    done = checker.post(f"/drafts/{draft_id}/decision", decide_form("readthrough", 2, check_hehong="on"))
    assert done.status_code == 303
    assert get_draft(db, draft_id).state == "approved"


def test_the_api_records_errors_and_administrators_configure_channels(
    client: TestClient, db: Database, staff: Staff
) -> None:
    room = staff.room
    draft_id = submitted_draft(db, room, body=BODY, channel="bulletin")
    body = BODY.replace("本月底", "本月末", 1)
    bad = client.put(
        f"/api/v1/drafts/{draft_id}", json={"body": body, "errors": {"typo": "1"}}, headers=staff["proof1"]
    )
    assert bad.status_code == 422
    unknown = client.put(
        f"/api/v1/drafts/{draft_id}", json={"body": body, "errors": {"typos": 1}}, headers=staff["proof1"]
    )
    assert (unknown.status_code, unknown.json()["code"]) == (422, "invalid_errors")
    saved = client.put(
        f"/api/v1/drafts/{draft_id}", json={"body": body, "errors": {"typo": 1, "fact": 1}}, headers=staff["proof1"]
    )
    assert saved.status_code == 200, saved.text
    rate = saved.json()["error_rate"]
    assert rate["rounds"][0]["counts"] == {"typo": 1, "fact": 1}
    assert (rate["medium"], rate["limit"], rate["verdict"]) == ("journal", 2.0, "pending")

    listed = {c["key"]: c for c in client.get("/api/v1/channels", headers=staff["author"]).json()}
    assert listed["bulletin"] | {"label_zh": "", "label_en": ""} == {
        "key": "bulletin",
        "label_zh": "",
        "label_en": "",
        "medium": "journal",
        "error_limit": None,
        "legal_limit": 2.0,
        "limit": 2.0,
    }
    assert (
        client.patch("/api/v1/channels/bulletin", json={"medium": "book"}, headers=staff["author"]).status_code == 403
    )
    make_user(db, "boss", "admin")
    admin = bearer(db, "boss")
    changed = client.patch("/api/v1/channels/bulletin", json={"medium": "book", "error_limit": 0.5}, headers=admin)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["medium"], changed.json()["limit"], changed.json()["legal_limit"]) == ("book", 0.5, 1.0)
    for loose in (True, "2"):
        assert client.patch("/api/v1/channels/bulletin", json={"error_limit": loose}, headers=admin).status_code == 422
    legal = client.patch("/api/v1/channels/bulletin", json={"error_limit": None}, headers=admin)
    assert legal.json()["limit"] == 1.0
    assert client.patch("/api/v1/channels/bulletin", json={"medium": "radio"}, headers=admin).status_code == 422
    assert (
        client.patch("/api/v1/channels/tv", json={"medium": "web"}, headers=admin).json()["code"] == "unknown_channel"
    )
    after = client.get(f"/api/v1/drafts/{draft_id}", headers=staff["proof1"]).json()["error_rate"]
    assert after["rounds"][0]["errors"] == 3.0  # a book counts a knowledge error twice
