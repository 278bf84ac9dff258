"""The `sanshen` command line (CONTRACT §3): exit codes 0/1/2, one-line errors, a draft taken through."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from review.cli import cli
from review.config import PROJECT_DIR

SANSHEN = str(Path(sys.executable).with_name("sanshen"))
PASSWORD = "correct-horse-battery"
CAST = [
    ("alice", "张三", ["author"]),
    ("pat", "王一校", ["proofreader"]),
    ("peng", "王二校", ["proofreader"]),
    ("ping", "王三校", ["proofreader"]),
    ("rui", "李初审", ["reviewer1"]),
    ("ren", "李复审", ["reviewer2"]),
    ("rong", "李终审", ["reviewer3"]),
    ("pub", "赵发布", ["publisher"]),
    ("aud", "钱审计", ["auditor"]),
]
SIGNERS = [
    ("proof1", "pat", []),
    ("review1", "rui", ["language", "factual"]),
    ("proof2", "peng", []),
    ("review2", "ren", ["factual", "policy", "secrecy"]),
    ("proof3", "ping", []),
    ("review3", "rong", ["political", "legal", "secrecy"]),
]


def run(*args: str, password: str | None = None, stdin: str | None = None) -> Result:
    env = {"SANSHEN_PASSWORD": password} if password else {}
    return CliRunner().invoke(cli, list(args), env=env, input=stdin, catch_exceptions=False)


def sanshen(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SANSHEN, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=60
    )


@pytest.mark.usefixtures("sanshen_env")
def test_a_draft_taken_through_all_six_steps_and_published_at_the_terminal() -> None:
    assert run("init").exit_code == 0
    for username, name, roles in CAST:
        added = run("user", "add", username, "--name", name, *[f"--role={r}" for r in roles], "--password", PASSWORD)
        assert added.exit_code == 0, added.stderr
    token = run("token", "create", "alice").stdout.strip()
    assert token.startswith("ssn_")
    assert "\n" not in token
    created = run(
        "draft",
        "create",
        "--token",
        token,
        "--title",
        "关于开展安全生产检查的通知",
        "--channel",
        "website",
        "--body-file",
        "-",
        stdin="各单位：\n请于本月底前完成自查。\n",
    )
    assert created.exit_code == 0, created.stderr
    assert created.stdout.startswith("draft 1 created at revision 1")
    assert run("draft", "submit", "1", "--token", token).exit_code == 0
    for step, signer, checks in SIGNERS:
        decided = run(
            "decide",
            "1",
            "--as",
            signer,
            "--step",
            step,
            "--decision",
            "approve",
            "--revision",
            "1",
            "--comment",
            "同意。",
            *[f"--check={c}" for c in checks],
            password=PASSWORD,
        )
        assert decided.exit_code == 0, decided.stderr
    published = run("publish", "1", "--as", "pub", password=PASSWORD)
    assert published.exit_code == 0, published.stderr
    shown = json.loads(run("draft", "show", "1", "--json", "--as", "aud", password=PASSWORD).stdout)
    assert shown["state"] == "published"
    assert [(s["id"], s["signoffs"][0]["user"]) for s in shown["steps"]] == [(s, u) for s, u, _ in SIGNERS]
    trail = run("trail", "1", "--as", "aud", password=PASSWORD)
    assert [line.split()[2] for line in trail.stdout.splitlines()] == [
        "created",
        "prechecked",
        "submitted",
        *["decided"] * 6,
        "published",
    ]


@pytest.mark.usefixtures("sanshen_env")
def test_refusals_exit_1_with_one_line_on_stderr_and_no_traceback() -> None:
    cases = [
        (
            ["user", "add", "bo", "--name", "博", "--role", "wizard", "--password", PASSWORD],
            "error: unknown role 'wizard'",
        ),
        (
            ["user", "add", "bo", "--name", "博", "--role", "author", "--password", "short"],
            "error: the password is too",
        ),
        (["user", "deactivate", "ghost"], "error: no user 'ghost'"),
        (["token", "create", "ghost"], "error: no user 'ghost'"),
    ]
    for args, message in cases:
        result = sanshen(*args)
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr.startswith(message)
        assert result.stderr.count("\n") == 1
        assert "Traceback" not in result.stderr


@pytest.mark.usefixtures("sanshen_env")
def test_bad_usage_exits_2() -> None:
    assert sanshen("user", "add", "bo", "--bogus").returncode == 2
    assert sanshen("frobnicate").returncode == 2
    missing_actor = sanshen("draft", "show", "1")
    assert missing_actor.returncode == 2
    assert "say who is acting" in missing_actor.stderr


@pytest.mark.usefixtures("sanshen_env")
def test_debug_shows_the_traceback() -> None:
    result = sanshen("--debug", "user", "deactivate", "ghost")
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert "NotFound: no user 'ghost'" in result.stderr


@pytest.mark.usefixtures("sanshen_env")
def test_a_wrong_password_or_token_is_refused_in_one_line() -> None:
    run("user", "add", "alice", "--name", "张三", "--role", "author", "--password", PASSWORD)
    wrong = sanshen("draft", "list", "--as", "alice", env={"SANSHEN_PASSWORD": "not-the-password"})
    assert (wrong.returncode, wrong.stderr) == (1, "error: wrong username or password, or the user is deactivated\n")
    bogus = sanshen("draft", "list", "--token", "ssn_bogus")
    assert bogus.returncode == 1
    assert bogus.stderr.startswith("error: the token is not valid")


def test_a_database_without_the_schema_asks_for_init(tmp_path: Path) -> None:
    result = sanshen("user", "list", env={"SANSHEN_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"})
    assert result.returncode == 1
    assert result.stderr == "error: the database has no Sanshen schema yet; run `sanshen init`\n"


def test_init_creates_the_schema_and_a_private_key_and_is_idempotent(tmp_path: Path) -> None:
    env = {"SANSHEN_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}", "SANSHEN_HOME": str(tmp_path / "home")}
    first = sanshen("init", env=env)
    assert first.returncode == 0, first.stderr
    assert "workflow sanshen (三审三校): registered as version 1" in first.stdout
    assert "(created)" in first.stdout
    second = sanshen("init", env=env)
    assert second.returncode == 0
    assert "workflow sanshen (三审三校): unchanged" in second.stdout
    assert "(kept)" in second.stdout
    assert stat.S_IMODE((tmp_path / "home").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "home" / "signing-key.pem").stat().st_mode) == 0o600


def test_workflow_check_prints_every_problem_with_its_place(tmp_path: Path) -> None:
    good = sanshen("workflow", "check", str(PROJECT_DIR / "workflows" / "sanshen.yaml"))
    assert good.returncode == 0
    assert "valid workflow '三审三校' with 7 steps" in good.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nlabel: {zh: 甲, en: A}\nsteps:\n  - {id: r, kind: reviw, label: {zh: 甲, en: A}, "
        "roles: [reviewer1]}\n  - {id: r, kind: review, label: {zh: 乙}, roles: [reviewer1]}\n",
        encoding="utf-8",
    )
    result = sanshen("workflow", "check", str(bad))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{bad}:4:19: steps.0.kind: Input should be 'proofread', 'review', 'committee' or 'readthrough'",
        f"{bad}:5:34: steps.1.label.en: Field required",
        f"error: {bad}: 2 problem(s)",
    ]
    malformed = tmp_path / "malformed.yaml"
    malformed.write_text("name: [\n", encoding="utf-8")
    assert sanshen("workflow", "check", str(malformed)).returncode == 1


def test_serve_refuses_a_database_without_the_schema_or_a_home_without_a_key(tmp_path: Path) -> None:
    empty = sanshen("serve", "--port", "1", env={"SANSHEN_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"})
    assert (empty.returncode, empty.stderr) == (
        1,
        "error: the database has no Sanshen schema yet; run `sanshen init`\n",
    )
    env = {"SANSHEN_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}", "SANSHEN_HOME": str(tmp_path / "home")}
    assert sanshen("init", env=env).returncode == 0
    (tmp_path / "home" / "signing-key.pem").unlink()
    keyless = sanshen("serve", "--port", "1", env=env)
    assert keyless.returncode == 1
    assert keyless.stderr.startswith("error: no signing key at ")
    assert keyless.stderr.endswith("; run `sanshen init`\n")


@pytest.mark.usefixtures("sanshen_env")
def test_naming_two_actors_at_once_is_bad_usage() -> None:
    """A token in the environment must not silently override --as: the record would name someone else."""
    run("user", "add", "alice", "--name", "张三", "--role", "author", "--password", PASSWORD)
    token = run("token", "create", "alice").stdout.strip()
    both = sanshen("queue", "--as", "alice", env={"SANSHEN_TOKEN": token, "SANSHEN_PASSWORD": PASSWORD})
    assert both.returncode == 2
    assert "--as alice and a token (--token or SANSHEN_TOKEN) both name who is acting; give one" in both.stderr


@pytest.mark.usefixtures("sanshen_env")
def test_channels_are_configured_and_error_counts_read_at_the_terminal() -> None:
    assert run("init").exit_code == 0
    changed = run("channel", "set", "website", "--error-limit", "5")
    assert changed.exit_code == 0, changed.stderr
    assert "channel website: web, limit 5/10000 (legal limit no limit)" in changed.stdout
    listed = run("channel", "list").stdout
    assert "bulletin     journal    2/10000        (legal limit)" in listed
    assert "website      web        5/10000        (own limit)" in listed
    assert run("channel", "set", "website").exit_code == 2
    assert run("channel", "set", "website", "--medium", "radio").exit_code == 2
    run("user", "add", "alice", "--name", "张三", "--role=author", "--password", PASSWORD)
    run(
        "draft",
        "create",
        "--title",
        "标题",
        "--body",
        "正文",
        "--channel",
        "website",
        "--as",
        "alice",
        password=PASSWORD,
    )
    for bad in ("typo=²", "typo", "typo=-1"):
        refused = run("draft", "edit", "1", "--body", "新正文", "--error", bad, "--as", "alice", password=PASSWORD)
        assert refused.exit_code == 2, (bad, refused.stdout)
        assert "write CATEGORY=N" in refused.stderr
