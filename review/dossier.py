"""The 审批单 (sign-off sheet) of a draft as a PDF: what was filed, who signed what, on which text.

For each step of each cycle: the signer's printed name and username, the role they signed in, the
meaning of the signature (终审 同意), the opinion, the checks attested, the revision and its full
SHA-256, and the time in UTC and in the office's time zone. Then the revisions, publications and
retractions, and the chain head the sheet was made at. Chinese is set in an embedded CJK font (a
subset of Noto Sans CJK SC, or another installed CJK font): the sheet reads the same on any machine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from fontTools.ttLib import TTCollection
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import FontFace
from sqlmodel import Session, col, select

from review import clock
from review.enums import CHECK_LABELS, ROLE_LABELS, Role
from review.errors import Invalid, NotFound
from review.models import (
    ChainHead,
    Channel,
    Draft,
    Publication,
    Revision,
    Signoff,
    StepState,
    User,
    WorkflowRun,
    WorkflowVersion,
)
from review.trail import iso_utc

FONT_CANDIDATES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
)
DECISION_ZH = {"approve": "同意", "return": "退改", "reject": "退稿"}
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


@dataclass(frozen=True)
class _Sheet:
    draft: Draft
    author: User
    channel: Channel
    workflow: WorkflowVersion
    runs: list[WorkflowRun]
    steps: dict[int, list[StepState]]
    signoffs: dict[int, list[Signoff]]
    revisions: list[Revision]
    publications: list[Publication]
    names: dict[int, User]


def _load(session: Session, draft_id: int) -> _Sheet:
    draft = session.get(Draft, draft_id) if 1 <= draft_id <= 2**31 - 1 else None
    if draft is None:
        raise NotFound(f"draft {draft_id} does not exist", code="draft_not_found")
    runs = list(
        session.exec(select(WorkflowRun).where(col(WorkflowRun.draft_id) == draft_id).order_by(col(WorkflowRun.cycle)))
    )
    run_ids = [r.id for r in runs]
    steps: dict[int, list[StepState]] = {}
    for state in session.exec(
        select(StepState).where(col(StepState.run_id).in_(run_ids)).order_by(col(StepState.position))
    ):
        steps.setdefault(state.run_id, []).append(state)
    signoffs: dict[int, list[Signoff]] = {}
    for signoff in session.exec(select(Signoff).where(col(Signoff.draft_id) == draft_id).order_by(col(Signoff.id))):
        signoffs.setdefault(signoff.run_id, []).append(signoff)
    revisions = list(
        session.exec(select(Revision).where(col(Revision.draft_id) == draft_id).order_by(col(Revision.number)))
    )
    publications = list(
        session.exec(select(Publication).where(col(Publication.draft_id) == draft_id).order_by(col(Publication.id)))
    )
    user_ids = (
        {draft.author_id}
        | {r.author_id for r in revisions}
        | {p.published_by for p in publications}
        | {p.retracted_by for p in publications if p.retracted_by}
    )
    names = {u.id or 0: u for u in session.exec(select(User).where(col(User.id).in_(user_ids)))}
    channel = session.get(Channel, draft.channel)
    workflow = session.get(WorkflowVersion, draft.workflow_version_id)
    assert channel is not None
    assert workflow is not None
    return _Sheet(
        draft, names[draft.author_id], channel, workflow, runs, steps, signoffs, revisions, publications, names
    )


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
    count = 0
    for draft_id in draft_ids:
        _render(pdf, _load(session, draft_id), zone)
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


def _render(pdf: FPDF, sheet: _Sheet, zone: ZoneInfo) -> None:
    draft = sheet.draft
    pdf.add_page()
    pdf.set_font("cjk", size=18)
    pdf.cell(0, 10, "审 批 单", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", size=9)
    pdf.set_text_color(90)
    pdf.cell(0, 5, "Sign-off sheet · 三审三校", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    _heading(pdf, "稿件 Draft")
    _facts(
        pdf,
        [
            ("标题 Title", draft.title),
            ("稿件编号 Draft", str(draft.id)),
            ("渠道 Channel", f"{sheet.channel.label_zh} ({sheet.channel.key})"),
            ("流程 Workflow", f"{sheet.workflow.name} ({sheet.workflow.key}) 第 {sheet.workflow.version} 版"),
            ("作者 Author", f"{sheet.author.full_name} ({sheet.author.username})"),
            ("级别 Importance", f"{IMPORTANCE_ZH.get(draft.importance, draft.importance)} ({draft.importance})"),
            ("标签 Tags", "、".join(draft.tags) or "—"),
            ("状态 State", f"{STATE_ZH.get(draft.state, draft.state)} ({draft.state})"),
            ("当前修订 Revision", f"第 {draft.revision} 版  SHA-256 {draft.content_hash}"),
        ],
    )
    for run in sheet.runs:
        _heading(
            pdf,
            f"第 {run.cycle} 轮审核 Cycle {run.cycle} · {OUTCOME_ZH.get(run.outcome, run.outcome)} · "
            f"自第 {run.started_revision} 版起",
        )
        _signatures(pdf, sheet.steps.get(run.id or 0, []), sheet.signoffs.get(run.id or 0, []), zone)
    _heading(pdf, "修订 Revisions")
    pdf.set_font("cjk", size=8)
    with pdf.table(col_widths=(12, 36, 36, 98), wrapmode=WrapMode.CHAR, line_height=4.6, text_align="LEFT") as table:
        table.row(["版 Rev", "修订人 By", "时间 UTC", "内容 SHA-256 / 说明"])
        for revision in sheet.revisions:
            who = sheet.names[revision.author_id]
            kind = (
                f"{revision.step_id} 校对改正" if revision.step_id else ("新建" if revision.number == 1 else "作者修改")
            )
            table.row(
                [
                    str(revision.number),
                    f"{who.full_name} ({who.username})",
                    iso_utc(revision.created_at)[:19] + "Z",
                    f"{revision.content_hash}\n{kind}",
                ]
            )
    _heading(pdf, "发布与撤稿 Publication and retraction")
    if not sheet.publications:
        pdf.set_font("cjk", size=9)
        pdf.cell(0, 6, "未发布 Not published", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for publication in sheet.publications:
        publisher = sheet.names[publication.published_by]
        rows = [
            (
                "发布 Published",
                f"{sheet.channel.label_zh if publication.channel == draft.channel else publication.channel}"
                f" · {publisher.full_name} ({publisher.username})",
            ),
            ("时间 Time", _times(publication.published_at, zone)),
            ("发布文本 Text sent", f"第 {publication.revision} 版  SHA-256 {publication.content_hash}"),
        ]
        if publication.retracted_at and publication.retracted_by:
            retractor = sheet.names[publication.retracted_by]
            rows += [
                (
                    "撤稿 Retracted",
                    f"{retractor.full_name} ({retractor.username}) · {_times(publication.retracted_at, zone)}",
                ),
                ("撤稿原因 Reason", publication.retract_reason or ""),
            ]
        _facts(pdf, rows)


def _signatures(pdf: FPDF, steps: list[StepState], signoffs: list[Signoff], zone: ZoneInfo) -> None:
    """A row per signature, then a full-width row with the exact text it binds and its times."""
    pdf.set_font("cjk", size=8)
    detail = FontFace(color=(70, 70, 70), size_pt=7)
    with pdf.table(
        col_widths=(20, 36, 24, 70, 32), wrapmode=WrapMode.CHAR, line_height=4.6, text_align="LEFT"
    ) as table:
        table.row(["环节 Step", "签署人 Signer", "签署 Meaning", "审稿意见 Opinion", "核查 Checks"])
        for state in steps:
            mine = [s for s in signoffs if s.step_id == state.step_id]
            if not mine:
                status = {"skipped": "未进行 skipped", "pending": "未签 not signed"}.get(state.status, state.status)
                table.row([state.step_id, "—", status, "", ""])
            for signoff in mine:
                role = ROLE_LABELS.get(Role(signoff.role), (signoff.role, ""))[0]
                checks = "、".join(CHECK_LABELS.get(k, (k, k))[0] for k, v in signoff.checklist.items() if v) or "—"
                meaning = f"{signoff.step_label_zh} {DECISION_ZH.get(signoff.decision, signoff.decision)}"
                table.row(
                    [
                        f"{signoff.step_label_zh}\n{signoff.step_id}",
                        f"{signoff.full_name}\n{signoff.username} · {role}",
                        f"{meaning}\n{signoff.decision}",
                        signoff.comment,
                        checks,
                    ]
                )
                row = table.row()
                row.cell(
                    f"第 {signoff.revision} 版 SHA-256 {signoff.content_hash}    签署于 {_times(signoff.at, zone)}",
                    colspan=5,
                    style=detail,
                )
