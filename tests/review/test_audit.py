"""Signed exports and their verification offline; checkpoints and verification at the terminal; the 审批单."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from review.actors import Actor
from review.config import PROJECT_DIR
from review.db import Database
from review.drafts import submit_draft
from review.keys import public_key_pem
from review.users import get_user, load_actor
from review.verify import verify_export
from tests.factories import (
    act,
    approve_through,
    bypass_append_only,
    new_draft,
    newsroom,
    published_draft,
    submitted_draft,
)
from tests.review.test_cli import sanshen

STANDALONE = PROJECT_DIR / "docs" / "verify-export.py"


@pytest.fixture
def newsroom_trail(db: Database, sanshen_env: dict[str, str]) -> int:
    """A published draft, a returned one; the home has its signing key. Returns the published draft."""
    room = newsroom(db)
    draft_id = published_draft(db, room, tags=["specialist"])
    act(db, room.proof1, submitted_draft(db, room), "return", comment="请补充落款。")
    return draft_id


def load_actor_named(db: Database, username: str) -> Actor:
    with db.read() as session:
        return load_actor(session, get_user(session, username))


def openssl_verifies(path: Path, home: Path) -> bool:
    key = path.parent / "key.pem"
    key.write_text(public_key_pem(home))
    script = (
        f"base64 -d '{path}.sig' > '{path}.bin' && "
        f"openssl pkeyutl -verify -pubin -inkey '{key}' -rawin -in '{path}' -sigfile '{path}.bin'"
    )
    return subprocess.run(["bash", "-c", script], capture_output=True).returncode == 0


def test_a_jsonl_export_verifies_offline_three_ways(
    newsroom_trail: int, sanshen_env: dict[str, str], tmp_path: Path
) -> None:
    home = Path(sanshen_env["SANSHEN_HOME"])
    export = tmp_path / "trail.jsonl"
    written = sanshen("audit", "export", "-o", str(export))
    assert written.returncode == 0, written.stderr
    assert export.with_name("trail.jsonl.sig").read_text().endswith("\n")
    lines = export.read_text(encoding="utf-8").splitlines()
    manifest = json.loads(lines[-1])["manifest"]
    assert manifest["events"] == len(lines) - 1
    assert manifest["last_seq"] == manifest["chain_head"]["seq"] == json.loads(lines[-2])["seq"]
    assert written.stdout.startswith(f"{export}: {len(lines) - 1} events")
    checked = sanshen("audit", "verify", str(export)).stdout
    assert f"{len(lines) - 1} events intact; signature valid; exported at " in checked
    assert f"the trail then at event {manifest['last_seq']}" in checked
    assert subprocess.run([sys.executable, str(STANDALONE), str(export)], capture_output=True).returncode == 0
    assert openssl_verifies(export, home)

    record = json.loads(lines[5])
    record["actor"] = "mallory"
    export.write_text(
        "\n".join([*lines[:5], json.dumps(record, ensure_ascii=False), *lines[6:]]) + "\n", encoding="utf-8"
    )
    changed = sanshen("audit", "verify", str(export))
    assert changed.returncode == 1
    assert changed.stderr.startswith(f"error: {export}: the signature: trail.jsonl.sig does not hold: ")
    export.with_name("trail.jsonl.sig").unlink()
    refused = sanshen("audit", "verify", str(export))
    assert (refused.returncode, refused.stderr) == (
        1,
        f"error: {export}: the signature: trail.jsonl.sig is missing; check the chain alone with --unsigned\n",
    )
    unsigned = sanshen("audit", "verify", "--unsigned", str(export))
    assert unsigned.returncode == 1
    assert f"line 6, event {record['seq']}: its content does not match its hash" in unsigned.stderr
    standalone = subprocess.run([sys.executable, str(STANDALONE), str(export)], capture_output=True, text=True)
    assert standalone.returncode == 1
    assert "line 6" in standalone.stderr
    assert not openssl_verifies(export, home) if export.with_name("trail.jsonl.sig").exists() else True


def test_a_draft_export_has_gaps_and_still_proves_each_line(newsroom_trail: int, db: Database, tmp_path: Path) -> None:
    author, proofreader = (load_actor_named(db, name) for name in ("alice", "pat"))
    first, second = new_draft(db, author), new_draft(db, author)
    for draft_id in (first, second):
        with db.write() as session:
            submit_draft(session, actor=author, draft_id=draft_id)
    act(db, proofreader, first)
    export = tmp_path / "draft.jsonl"
    assert sanshen("audit", "export", "--draft", str(first), "-o", str(export)).returncode == 0
    *records, manifest = (json.loads(line) for line in export.read_text(encoding="utf-8").splitlines())
    assert [record["kind"] for record in records] == ["created", "prechecked", "submitted", "decided"]
    assert manifest["manifest"]["filter"]["draft"] == first
    checked = sanshen("audit", "verify", str(export))
    assert checked.returncode == 0
    assert f"filtered by draft={first}; 2 gap(s) between events, as a filtered export has" in checked.stdout


def test_a_csv_export_is_signed_and_has_one_row_per_event(
    newsroom_trail: int, tmp_path: Path, sanshen_env: dict[str, str]
) -> None:
    export = tmp_path / "trail.csv"
    assert sanshen("audit", "export", "--format", "csv", "--since", "2000-01-01", "-o", str(export)).returncode == 0
    rows = list(csv.reader(export.open(encoding="utf-8", newline="")))
    assert rows[0] == ["seq", "at", "actor", "kind", "draft_id", "payload", "prev_hash", "hash"]
    assert [int(r[0]) for r in rows[1:]] == list(range(1, len(rows)))
    assert openssl_verifies(export, Path(sanshen_env["SANSHEN_HOME"]))


@pytest.mark.usefixtures("cjk_font")
def test_the_sign_off_sheet_reads_in_chinese_with_every_signature(newsroom_trail: int, tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.pdf"
    written = sanshen("audit", "export", "--format", "pdf", "--draft", str(newsroom_trail), "-o", str(sheet))
    assert written.returncode == 0, written.stderr
    # pypdf puts NULs between the glyphs of this font; poppler's pdftotext reads it cleanly.
    # Table cells wrap, so lines are joined before looking for a phrase.
    words = "".join(page.extract_text() for page in PdfReader(sheet).pages).replace("\x00", "").replace("\n", "")
    for expected in (
        "审 批 单",
        "关于开展安全生产检查的通知",
        "门户网站",
        "三审三校",
        "一校 同意",
        "初审 同意",
        "专门委员会审核",
        "终审 同意",
        "政治关、法律关、保密关",
        "rong 全名",
        "发布文本",
    ):
        assert expected in words, expected
    assert words.count("SHA-256") >= 9
    assert words.count("同意") >= 8  # six steps and the committee's two members


def test_verify_at_the_terminal_names_the_first_bad_record(
    newsroom_trail: int, db: Database, sanshen_env: dict[str, str]
) -> None:
    assert sanshen("audit", "checkpoint").returncode == 0
    good = sanshen("audit", "verify")
    assert good.returncode == 0
    assert "checkpoint(s) hold" in good.stdout
    with db.write() as session:
        connection = session.connection()
        bypass_append_only(connection)
        connection.execute(text("UPDATE signoffs SET comment = '不同意' WHERE id = 2"))
    bad = sanshen("audit", "verify")
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: the trail: sign-off 2: it differs from what event ")
    assert bad.stderr.endswith("recorded: it was changed\n")


def test_export_refuses_bad_arguments_clearly(newsroom_trail: int, tmp_path: Path) -> None:
    assert sanshen("audit", "export", "--since", "yesterday", "-o", str(tmp_path / "x")).returncode == 2
    order = sanshen("audit", "export", "--since", "2026-02-01", "--until", "2026-01-01", "-o", str(tmp_path / "x"))
    assert order.returncode == 2
    nowhere = sanshen("audit", "export", "-o", str(tmp_path / "missing" / "x.jsonl"))
    assert (nowhere.returncode, nowhere.stderr) == (
        1,
        f"error: cannot write {tmp_path}/missing/x.jsonl: {tmp_path}/missing is not a directory\n",
    )
    unknown = sanshen("audit", "export", "--format", "pdf", "--draft", "999", "-o", str(tmp_path / "x.pdf"))
    assert (unknown.returncode, unknown.stderr) == (1, "error: draft 999 does not exist\n")
    assert not (tmp_path / "x.pdf").exists()
    assert not list(tmp_path.glob(".*partial"))


def _crafted_export(tmp_path: Path, lines: list[bytes]) -> Path:
    path = tmp_path / "crafted.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


GOOD = (
    b'{"actor":null,"at":"2026-11-23T00:00:00.000000Z","draft_id":null,"hash":"'
    + hashlib.sha256(
        (
            "0" * 64 + '{"actor":null,"at":"2026-11-23T00:00:00.000000Z","draft_id":null,"kind":"user_added",'
            '"payload":{},"seq":1}'
        ).encode()
    )
    .hexdigest()
    .encode()
    + b'","kind":"user_added","payload":{},"prev_hash":"'
    + b"0" * 64
    + b'","seq":1}'
)
MANIFEST = (
    b'{"manifest":{"chain_head":{"hash":"x","seq":1},"events":1,"exported_at":"2026-11-23T00:00:00Z",'
    b'"filter":{"draft":null,"since":null,"until":null},"format":"sanshen-export/1","last_seq":1}}'
)


def test_a_well_formed_unsigned_file_passes_both_checkers(tmp_path: Path) -> None:
    path = _crafted_export(tmp_path, [GOOD, MANIFEST])
    assert verify_export(path, public_key=None, unsigned=True).ok
    assert subprocess.run([sys.executable, str(STANDALONE), str(path)], capture_output=True).returncode == 0


@pytest.mark.parametrize(
    ("lines", "named"),
    [
        ([b"\xff\xfe not utf-8", MANIFEST], "line 1"),
        ([b"[" * 100_000 + b"]" * 100_000, MANIFEST], "line 1"),
        ([b'{"seq": NaN}', MANIFEST], "line 1"),
        ([b"12", MANIFEST], "line 1"),
        ([b'{"manifest": 1}'], "the end of the file"),
        ([GOOD.replace(b'"seq":1}', b'"seq":"1"}'), MANIFEST], "line 1"),
        ([GOOD.replace(b'"seq":1}', b'"seq":true}'), MANIFEST], "line 1"),
        ([GOOD.replace(b'"seq":1}', b'"seq":' + b"9" * 5000 + b"}"), MANIFEST], "line 1"),
        ([GOOD.replace(b'"at":"2026', b'"at":{"y":"2026').replace(b'Z","draft', b'Z"},"draft'), MANIFEST], "line 1"),
        ([GOOD, MANIFEST, GOOD], "line 3"),
        ([GOOD], "the end of the file"),
        ([GOOD, MANIFEST.replace(b'"events":1', b'"events":2')], "the manifest"),
        ([GOOD, MANIFEST.replace(b'"filter":{"draft":null,"since":null,"until":null}', b'"filter":7')], "the manifest"),
        ([GOOD, MANIFEST.replace(b'"chain_head":{"hash":"x","seq":1}', b'"chain_head":7')], "the manifest"),
        ([GOOD, MANIFEST.replace(b'"seq":1}', b'"seq":2}')], "the manifest"),
    ],
)
def test_crafted_exports_are_refused_with_a_reason_never_a_crash(
    tmp_path: Path, lines: list[bytes], named: str
) -> None:
    path = _crafted_export(tmp_path, lines)
    result = verify_export(path, public_key=None, unsigned=True)
    assert not result.ok
    assert result.first_bad is not None
    assert str(result.first_bad["record"]).startswith(named), result.first_bad
    standalone = subprocess.run([sys.executable, str(STANDALONE), str(path)], capture_output=True, text=True)
    assert standalone.returncode == 1
    assert "Traceback" not in standalone.stderr
    assert standalone.stderr.startswith(f"{path}: ")


@pytest.mark.usefixtures("cjk_font")
def test_the_sheet_shows_what_the_trail_recorded_not_what_the_tables_now_say(
    newsroom_trail: int, db: Database, tmp_path: Path
) -> None:
    with db.write() as session:
        connection = session.connection()
        bypass_append_only(connection)
        connection.execute(
            text("UPDATE signoffs SET comment = '改过的意见', full_name = '冒名' WHERE draft_id = :d"),
            {"d": newsroom_trail},
        )
    sheet = tmp_path / "sheet.pdf"
    as_pdf = ("audit", "export", "--format", "pdf", "--draft", str(newsroom_trail), "-o")
    assert sanshen(*as_pdf, str(sheet)).returncode == 0
    words = "".join(page.extract_text() for page in PdfReader(sheet).pages).replace("\x00", "")
    assert "改过的意见" not in words
    assert "冒名" not in words
    assert "同意。" in words
    with db.write() as session:
        connection = session.connection()
        bypass_append_only(connection)
        connection.execute(
            text(
                "UPDATE events SET payload = replace(payload, '同意。', '不同意') "
                "WHERE draft_id = :d AND kind = 'decided'"
            ),
            {"d": newsroom_trail},
        )
    refused = sanshen(*as_pdf, str(tmp_path / "b.pdf"))
    assert refused.returncode == 1
    assert f"error: the trail of draft {newsroom_trail} does not verify at event " in refused.stderr
    assert not (tmp_path / "b.pdf").exists()


def test_a_malformed_checkpoint_is_named_not_a_crash(newsroom_trail: int, sanshen_env: dict[str, str]) -> None:
    folder = Path(sanshen_env["SANSHEN_HOME"]) / "checkpoints"
    folder.mkdir(exist_ok=True)
    broken = folder / "checkpoint-000000000001-x.json"
    for content in ("{", '{"checkpoint": 7}', '{"checkpoint": {"format": "sanshen-checkpoint/1", "seq": "x"}}', "[]"):
        broken.write_text(content)
        result = sanshen("audit", "verify")
        assert result.returncode == 1
        assert result.stderr.startswith(f"error: {broken} is not a readable checkpoint"), result.stderr


@pytest.mark.usefixtures("sanshen_env")
def test_the_sheet_lists_pre_check_overrides_and_each_signatures_pre_check(db: Database, tmp_path: Path) -> None:
    room = newsroom(db)
    draft_id = submitted_draft(db, room, body="各单位：\n机密★1年\n请于本月底前完成自查。")
    approve_through(db, room, draft_id, until="review2")
    password = {"SANSHEN_PASSWORD": "correct-horse-battery"}
    listed = sanshen("findings", str(draft_id), "--as", "ren", env=password)
    assert listed.returncode == 0, listed.stderr
    assert "block body 2:1 「机密★」 secrecy.mark" in listed.stdout
    assert "2 blocking (2 not overridden)" in listed.stderr
    keys = re.findall(r"\[([a-z_.]+@\d+-\d+)\]", listed.stdout)
    as_author = sanshen(
        "override",
        str(draft_id),
        "--revision",
        "1",
        "--finding",
        keys[0],
        "--reason",
        "x",
        "--as",
        "alice",
        env=password,
    )
    assert as_author.returncode == 1
    assert as_author.stderr.startswith("error: ")
    finding_args = [arg for key in keys for arg in ("--finding", key)]
    given = sanshen(
        "override",
        str(draft_id),
        "--revision",
        "1",
        *finding_args,
        "--reason",
        "保密办已核",
        "--as",
        "ren",
        env=password,
    )
    assert given.returncode == 0, given.stderr
    approve_through(db, room, draft_id)
    sheet = tmp_path / "sheet.pdf"
    assert sanshen("audit", "export", "--format", "pdf", "--draft", str(draft_id), "-o", str(sheet)).returncode == 0
    words = "".join(page.extract_text() for page in PdfReader(sheet).pages).replace("\x00", "").replace("\n", "")
    for expected in ("预检放行", "保密办已核", "secrecy.mark", "「机密★」", "阻断 2（已放行 2）"):
        assert expected in words, expected
    trail = sanshen("trail", str(draft_id), "--as", "aud", env=password)
    assert "precheck_overridden" in trail.stdout, trail.stderr
    assert "「机密★」 secrecy.mark" in trail.stdout
