"""The 审批单 (sign-off sheet) of a draft as a PDF: what was filed, who signed what, on which text.

It is built from the draft's events alone — each checked against its own hash first — not from the
tables a database administrator could change unseen.

For each step of each cycle: the signer's printed name and username, the role they signed in, the
meaning of the signature (终审 同意), the opinion, the checks attested, the revision and its full
SHA-256, and the time in UTC and in the office's time zone. Then the revisions, publications and
retractions, and the chain head the sheet was made at. Chinese is set in an embedded CJK font (a
subset of Noto Sans CJK SC, or another installed CJK font): the sheet reads the same on any machine.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fontTools.ttLib import TTCollection
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import FontFace
from sqlmodel import Session, select

from review import clock
from review.enums import CHECK_LABELS, ERROR_RATE, HEHONG, ROLE_LABELS, Decision, EventKind, Role, StepKind
from review.errorrate import ERROR_CATEGORIES
from review.errors import Conflict, Invalid, NotFound
from review.models import ChainHead, Channel, Draft, Event
from review.trail import draft_events, event_hash, hashed_fields, iso_utc

FONT_CANDIDATES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
)
DECISION_ZH = {"approve": "同意", "approve_with_changes": "改后付印", "return": "退改", "reject": "退稿"}
VERDICT_ZH = {"within": "合格", "over": "超标", "no_limit": "无法定限值"}
OUTCOME_ZH = {"in_progress": "进行中", "approved": "通过", "returned": "退改", "rejected": "退稿"}
STATE_ZH = {
    "draft": "草稿",
    "returned": "已退改",
    "approved": "待发布",
    "published": "已发布",
    "retracted": "已撤稿",
    "rejected": "已退稿",
}
IMPORTANCE_ZH = {"normal": "普通", "important": "重要", "sensitive": "敏感"}


@dataclass(frozen=True)
class CjkFont:
    path: Path
    index: int

    @property
    def bold(self) -> Path:
        """The bold weight beside it (Noto's naming), or the regular one again."""
        bold = self.path.with_name(self.path.name.replace("Regular", "Bold"))
        return bold if bold.is_file() else self.path


@cache
def find_cjk_font(configured: Path | None = None) -> CjkFont:
    """The configured font, or the first installed CJK font; in a collection, its Simplified Chinese face."""
    for path in [configured] if configured else list(FONT_CANDIDATES):
        if path.is_file():
            return CjkFont(path, _simplified_face(path))
    raise Invalid(
        f"no CJK font for the PDF: install one (Debian: apt-get install fonts-noto-cjk) or set SANSHEN_PDF_FONT"
        f"{f' ({configured} does not exist)' if configured else ''}",
        code="no_cjk_font",
    )


def _simplified_face(path: Path) -> int:
    if path.suffix.lower() not in (".ttc", ".otc"):
        return 0
    faces = [face["name"].getDebugName(1) or "" for face in TTCollection(str(path), lazy=True).fonts]
    return next((i for i, name in enumerate(faces) if name.endswith(" SC") and "Mono" not in name), 0)


@dataclass
class _Cycle:
    number: int
    started_revision: int
    steps: list[tuple[str, str, str]]
    """(id, zh label, en label) of each step of the cycle, in order."""
    signoffs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        decisions = [s["decision"] for s in self.signoffs]
        if "reject" in decisions:
            return "rejected"
        if "return" in decisions:
            return "returned"
        if self.signoffs and self.signoffs[-1].get("state") == "approved":
            return "approved"
        return "in_progress"


@dataclass
class _Sheet:
    """A draft as its events record it: nothing here comes from a table the trail does not vouch for."""

    draft_id: int
    facts: dict[str, Any] = field(default_factory=dict)
    state: str = "draft"
    cycles: list[_Cycle] = field(default_factory=list)
    revisions: list[dict[str, Any]] = field(default_factory=list)
    publications: dict[int, dict[str, Any]] = field(default_factory=dict)
    overrides: list[dict[str, Any]] = field(default_factory=list)
    first_seq: int = 0
    last_seq: int = 0


def _load(session: Session, draft_id: int) -> _Sheet:
    if not 1 <= draft_id <= 2**31 - 1 or session.get(Draft, draft_id) is None:
        raise NotFound(f"draft {draft_id} does not exist", code="draft_not_found")
    sheet = _Sheet(draft_id)
    for event in draft_events(session, draft_id):
        try:
            if event_hash(event.prev_hash, hashed_fields(event)) != event.hash:
                raise ValueError("hash")
            payload = json.loads(event.payload)
            _apply(sheet, event, payload)
        except (ValueError, TypeError, KeyError, RecursionError) as error:
            raise Conflict(
                f"the trail of draft {draft_id} does not verify at event {event.seq} ({error!r}); "
                "run `sanshen audit verify`",
                code="trail_broken",
            ) from None
        sheet.first_seq = sheet.first_seq or event.seq
        sheet.last_seq = event.seq
    return sheet


def _apply(sheet: _Sheet, event: Event, payload: dict[str, Any]) -> None:
    """Fold one event into the sheet."""
    kind, at = event.kind, event.at
    if kind == EventKind.CREATED:
        sheet.facts = {**payload, "author": event.actor, "author_name": payload.get("name", event.actor)}
        sheet.revisions.append(
            {
                "number": 1,
                "hash": payload["content_hash"],
                "user": event.actor,
                "name": payload.get("name", event.actor),
                "step": None,
                "at": at,
            }
        )
    elif kind == EventKind.RETAGGED:
        sheet.facts["tags"] = payload["tags"]
    elif kind == EventKind.REVISED:
        sheet.facts.update(title=payload["title"], revision=payload["revision"], content_hash=payload["content_hash"])
        sheet.revisions.append(
            {
                "number": payload["revision"],
                "hash": payload["content_hash"],
                "user": event.actor,
                "name": payload.get("name", event.actor),
                "step": payload.get("step"),
                "errors": payload.get("errors"),
                "at": at,
            }
        )
    elif kind == EventKind.SUBMITTED:
        labels = payload.get("labels", {})
        steps = [(step, *labels.get(step, [step, step])) for step in payload["steps"]]
        sheet.cycles.append(_Cycle(payload["cycle"], payload["revision"], steps))
        sheet.state = payload["active_step"]
    elif kind in (EventKind.DECIDED, EventKind.RETURNED, EventKind.REJECTED):
        cycle = next(c for c in sheet.cycles if c.number == payload["cycle"])
        cycle.signoffs.append(payload)
        sheet.state = payload["state"]
    elif kind == EventKind.PUBLISHED:
        sheet.publications[payload["publication_id"]] = {**payload, "by": event.actor, "at": at, "retraction": None}
        sheet.state = "published"
    elif kind == EventKind.RETRACTED:
        for publication_id in payload["publications"]:
            sheet.publications[publication_id]["retraction"] = {**payload, "by": event.actor, "at": at}
        sheet.state = "retracted"
    elif kind == EventKind.PRECHECK_OVERRIDDEN:
        sheet.overrides.append({**payload, "by": event.actor, "at": at})


def _state_zh(sheet: _Sheet) -> str:
    """草稿, 已发布 …, or 待复审 while the draft waits at a step."""
    if sheet.state in STATE_ZH:
        return STATE_ZH[sheet.state]
    steps = {step: zh for cycle in sheet.cycles for step, zh, _ in cycle.steps}
    return f"待{steps[sheet.state]}" if sheet.state in steps else sheet.state


class _Pdf(FPDF):
    def __init__(self, font: CjkFont, footer_text: str) -> None:
        super().__init__(format="A4")
        self.footer_text = footer_text
        self.add_font("cjk", fname=str(font.path), collection_font_number=font.index)
        self.add_font("cjk", style="B", fname=str(font.bold), collection_font_number=font.index)
        self.set_auto_page_break(auto=True, margin=16)
        self.set_margins(14, 14, 14)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("cjk", size=7)
        self.set_text_color(110)
        self.cell(0, 5, f"{self.footer_text}    第 {self.page_no()} / {{nb}} 页", align="C")
        self.set_text_color(0)


def write_dossier(session: Session, path: Path, draft_ids: Iterable[int], *, font: CjkFont, timezone: str) -> int:
    """Write the sign-off sheets of the drafts to `path`; return how many."""
    zone = ZoneInfo(timezone)
    head = session.get(ChainHead, 1)
    assert head is not None
    made = clock.now()
    footer = f"Sanshen 审批单 · 生成于 {iso_utc(made)} · 留痕链至第 {head.seq} 条 {head.hash[:16]}…"
    pdf = _Pdf(font, footer)
    channels = {c.key: c.label_zh for c in session.exec(select(Channel))}
    count = 0
    for draft_id in draft_ids:
        _render(pdf, _load(session, draft_id), zone, channels)
        count += 1
    if count == 0:
        raise Invalid("no draft to put in the sign-off sheet", code="no_drafts")
    pdf.output(str(path))
    return count


def _times(moment: datetime, zone: ZoneInfo) -> str:
    """UTC, and the same moment in the office's zone: `2026-11-23T02:57:48Z (2026-11-23 10:57:48 +08:00)`."""
    local = moment.astimezone(zone)
    offset = local.strftime("%z")
    return f"{iso_utc(moment)[:19]}Z ({local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]})"


def _heading(pdf: FPDF, text: str) -> None:
    """A section heading, kept with the first lines of its section (never alone at a page's foot)."""
    if pdf.will_page_break(40):
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font("cjk", size=11)
    pdf.set_fill_color(232, 236, 242)
    pdf.cell(0, 7, text, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def _facts(pdf: FPDF, rows: list[tuple[str, str]]) -> None:
    pdf.set_font("cjk", size=9)
    with pdf.table(
        col_widths=(32, 150),
        first_row_as_headings=False,
        wrapmode=WrapMode.CHAR,
        line_height=5.2,
        text_align=("LEFT", "LEFT"),
    ) as table:
        for label, value in rows:
            row = table.row()
            row.cell(label, style=FontFace(fill_color=(246, 246, 246)))
            row.cell(value)


def _render(pdf: FPDF, sheet: _Sheet, zone: ZoneInfo, channels: dict[str, str]) -> None:
    facts = sheet.facts
    pdf.add_page()
    pdf.set_font("cjk", size=18)
    pdf.cell(0, 10, "审 批 单", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", size=9)
    pdf.set_text_color(90)
    pdf.cell(
        0,
        5,
        f"Sign-off sheet · 据留痕第 {sheet.first_seq}–{sheet.last_seq} 条 (from the trail's events)",
        align="C",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_text_color(0)
    _heading(pdf, "稿件 Draft")
    channel = facts["channel"]
    _facts(
        pdf,
        [
            ("标题 Title", facts["title"]),
            ("稿件编号 Draft", str(sheet.draft_id)),
            ("渠道 Channel", f"{channels.get(channel, channel)} ({channel})"),
            ("流程 Workflow", f"{facts['workflow']} 第 {facts['workflow_version']} 版"),
            ("作者 Author", f"{facts['author_name']} ({facts['author']})"),
            (
                "级别 Importance",
                f"{IMPORTANCE_ZH.get(facts['importance'], facts['importance'])} ({facts['importance']})",
            ),
            ("标签 Tags", "、".join(facts.get("tags", [])) or "—"),
            ("状态 State", f"{_state_zh(sheet)} ({sheet.state})"),
            ("当前修订 Revision", f"第 {facts['revision']} 版  SHA-256 {facts['content_hash']}"),
        ],
    )
    for cycle in sheet.cycles:
        _heading(
            pdf,
            f"第 {cycle.number} 轮审核 Cycle {cycle.number} · {OUTCOME_ZH[cycle.outcome]} · "
            f"自第 {cycle.started_revision} 版起",
        )
        _signatures(pdf, cycle, zone)
    _error_rate(pdf, sheet)
    _heading(pdf, "修订 Revisions")
    pdf.set_font("cjk", size=8)
    with pdf.table(col_widths=(12, 36, 36, 98), wrapmode=WrapMode.CHAR, line_height=4.6, text_align="LEFT") as table:
        table.row(["版 Rev", "修订人 By", "时间 UTC", "内容 SHA-256 / 说明"])
        for revision in sheet.revisions:
            kind = (
                f"{revision['step']} 校对改正：差错 {_counts_zh(revision.get('errors') or {})}"
                if revision["step"]
                else ("新建" if revision["number"] == 1 else "作者修改")
            )
            table.row(
                [
                    str(revision["number"]),
                    f"{revision['name']} ({revision['user']})",
                    iso_utc(revision["at"])[:19] + "Z",
                    f"{revision['hash']}\n{kind}",
                ]
            )
    _heading(pdf, "预检放行 Pre-check overrides (R24)")
    pdf.set_font("cjk", size=8)
    if not sheet.overrides:
        pdf.cell(0, 6, "无 None", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        with pdf.table(
            col_widths=(12, 36, 36, 48, 50), wrapmode=WrapMode.CHAR, line_height=4.6, text_align="LEFT"
        ) as table:
            table.row(["版 Rev", "放行人 By", "时间 UTC", "问题 Finding", "理由 Reason"])
            for given in sheet.overrides:
                role = ROLE_LABELS.get(Role(given["role"]), (given["role"], ""))[0]
                table.row(
                    [
                        str(given["revision"]),
                        f"{given.get('name', '')} ({given['by']}) · {role}",
                        iso_utc(given["at"])[:19] + "Z",
                        "\n".join(f"「{o['text']}」 {o['rule']}" for o in given["overrides"]),
                        given["reason"],
                    ]
                )
    _heading(pdf, "发布与撤稿 Publication and retraction")
    if not sheet.publications:
        pdf.set_font("cjk", size=9)
        pdf.cell(0, 6, "未发布 Not published", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for publication in sheet.publications.values():
        target = publication["channel"]
        rows = [
            (
                "发布 Published",
                f"{channels.get(target, target)} ({target}) · {publication.get('name', '')} ({publication['by']})",
            ),
            ("时间 Time", _times(publication["at"], zone)),
            ("发布文本 Text sent", f"第 {publication['revision']} 版  SHA-256 {publication['content_hash']}"),
        ]
        if (retraction := publication["retraction"]) is not None:
            rows += [
                (
                    "撤稿 Retracted",
                    f"{retraction.get('name', '')} ({retraction['by']}) · {_times(retraction['at'], zone)}",
                ),
                ("撤稿原因 Reason", retraction["reason"]),
            ]
        _facts(pdf, rows)


def _decision_zh(signoff: dict[str, Any]) -> str:
    """同意, 退改 …; a read-through's approval is 付印, or, after 改后付印, the check of its corrections."""
    decision = str(signoff["decision"])
    if signoff.get("step_kind") == StepKind.READTHROUGH and decision == Decision.APPROVE:
        return "核红无误，付印" if signoff.get("checklist", {}).get(HEHONG) else "付印"
    return DECISION_ZH.get(decision, decision)


def _counts_zh(counts: dict[str, int]) -> str:
    named = [f"{ERROR_CATEGORIES.get(k, (k, k))[0]} {n}" for k, n in counts.items() if n]
    return "、".join(named) or "无"


def _limit_zh(limit: float | None) -> str:
    return "无限值" if limit is None else f"限 {limit:g}/万"


def _error_rate(pdf: FPDF, sheet: _Sheet) -> None:
    """The last cycle's verdict: the last proofread's rate against the limit, and 终审's acknowledgement (R21)."""
    if not sheet.cycles:
        return
    cycle = sheet.cycles[-1]
    final = next((s for s in cycle.signoffs if (s.get("errors") or {}).get("final")), None)
    if final is None:
        return
    found = final["errors"]
    verdict = VERDICT_ZH.get(found["verdict"], found["verdict"])
    rows = [
        (
            "末校次 Last proofread",
            f"{final['step_label']['zh']}：差错 {_counts_zh(found['counts'])}，计 {found['errors']:g} 个，"
            f"{found['characters']} 字，差错率 {found['rate']:g}/万",
        ),
        ("结论 Verdict", f"{verdict}（{_limit_zh(found['limit'])}，{found['medium']}）"),
    ]
    if found["verdict"] == "over":
        seen = [
            s
            for s in cycle.signoffs
            if s.get("step_kind") == StepKind.REVIEW and s.get("checklist", {}).get(ERROR_RATE)
        ]
        rows.append(
            (
                "终审知悉 Acknowledged",
                "、".join(f"{s['step_label']['zh']} {s['name']} ({s['user']})" for s in seen) or "尚未 not yet",
            )
        )
    _heading(pdf, "差错率 Error rate (R21)")
    _facts(pdf, rows)


def _attested_in_order(checklist: dict[str, bool]) -> list[str]:
    """The checks attested, in the order of 六关 (the payload's keys are sorted alphabetically)."""
    known = [key for key in CHECK_LABELS if checklist.get(key)]
    return known + sorted(key for key, value in checklist.items() if value and key not in CHECK_LABELS)


def _signatures(pdf: FPDF, cycle: _Cycle, zone: ZoneInfo) -> None:
    """A row per signature, then a full-width row with the exact text it binds and its times."""
    pdf.set_font("cjk", size=8)
    detail = FontFace(color=(70, 70, 70), size_pt=7)
    ended = cycle.outcome in ("returned", "rejected")
    with pdf.table(
        col_widths=(20, 36, 24, 70, 32), wrapmode=WrapMode.CHAR, line_height=4.6, text_align="LEFT"
    ) as table:
        table.row(["环节 Step", "签署人 Signer", "签署 Meaning", "审稿意见 Opinion", "核查 Checks"])
        for step, label_zh, _label_en in cycle.steps:
            mine = [s for s in cycle.signoffs if s["step"] == step]
            if not mine:
                table.row([f"{label_zh}\n{step}", "—", "未进行\nnot reached" if ended else "未签\nnot signed", "", ""])
            for signoff in mine:
                role = ROLE_LABELS.get(Role(signoff["role"]), (signoff["role"], ""))[0]
                attested = _attested_in_order(signoff["checklist"])
                checks = "、".join(CHECK_LABELS.get(k, (k, k))[0] for k in attested) or "—"
                meaning = f"{signoff['step_label']['zh']} {_decision_zh(signoff)}"
                table.row(
                    [
                        f"{signoff['step_label']['zh']}\n{step}",
                        f"{signoff['name']}\n{signoff['user']} · {role}",
                        f"{meaning}\n{signoff['decision']}",
                        signoff["comment"],
                        checks,
                    ]
                )
                signed_at = datetime.fromisoformat(signoff["at"].replace("Z", "+00:00"))
                row = table.row()
                checked = signoff.get("precheck")
                precheck = (
                    f"    预检 #{checked['id']}: 阻断 {checked['blocking']}（已放行 {len(checked['overridden'])}）"
                    f"、提示 {checked['warnings']}"
                    if checked
                    else ""
                )
                found = signoff.get("errors")
                errors = (
                    f"    差错 {_counts_zh(found['counts'])}，差错率 {found['rate']:g}/万"
                    f"（{_limit_zh(found['limit'])}，{VERDICT_ZH.get(found['verdict'], found['verdict'])}）"
                    if found
                    else ""
                )
                row.cell(
                    f"第 {signoff['revision']} 版 SHA-256 {signoff['content_hash']}    签署于 "
                    f"{_times(signed_at, zone)}{precheck}{errors}",
                    colspan=5,
                    style=detail,
                )
