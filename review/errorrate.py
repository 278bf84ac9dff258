"""差错率 (R21): errors found per 10 000 characters, per 校次 and for the draft, against the channel's limit.

A proofreader's correction (a revision made inside a proofread or read-through step, R18) records the
errors it fixed by category. A correction saved without categories counts each changed place as one
unclassified error, so no correction goes uncounted. The weights are the annexes' (R21): a book counts
a knowledge, logic or grammar error twice and a mixed-script or letter-case error half; newspapers and
journals count each error once, a headline error twice and a use-of-numbers error 0.1, at most 1 in all.

The rate of a round is its weighted errors ÷ the characters of the text (title and body, whitespace not
counted) × 10 000. The verdict is the last proofread round's (三校's): errors it still finds beyond the
channel's limit mean the text reached it too dirty, and 终审 must say it saw that (`error_rate` check).
Websites and new media have no legal limit; an office may set one on the channel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from review.diffs import char_diff
from review.enums import Decision, StepKind
from review.errors import Invalid
from review.models import Channel, Draft
from review.runs import current_run, cycle_corrections, run_signoffs, run_steps
from review.workflows.compiler import CompiledWorkflow

ERROR_CATEGORIES: dict[str, tuple[str, str]] = {
    "typo": ("错字", "typo"),
    "punctuation": ("标点", "punctuation"),
    "numbers": ("数字用法", "numbers"),
    "format": ("格式", "format"),
    "fact": ("事实", "fact"),
    "grammar": ("语法逻辑", "grammar or logic"),
    "script": ("简繁大小写", "script or case"),
    "headline": ("标题差错", "headline"),
    "other": ("其他", "other"),
    "unclassified": ("未分类", "unclassified"),
}
"""The categories a correction's errors are counted in, with their zh and en names: `typo` is a wrong,
extra or missing character; `fact` a factual or knowledge error; `script` simplified and traditional
characters mixed, or letter case; `headline` an error in a title or headline."""
UNCLASSIFIED = "unclassified"
MAX_COUNT = 10_000
PER = 10_000


class Medium(StrEnum):
    BOOK = "book"
    JOURNAL = "journal"
    NEWSPAPER = "newspaper"
    WEB = "web"


@dataclass(frozen=True)
class MediumRules:
    label: tuple[str, str]
    legal_limit: float | None
    """Errors per 10 000 characters the law allows; None where there is no legal limit."""
    weights: Mapping[str, float]
    """What one error of a category counts; 1 where not listed."""
    caps: Mapping[str, float]
    """The most a category may count in all, where the annex caps it."""
    source: str


_PERIODICAL_WEIGHTS = {"headline": 2.0, "numbers": 0.1}
MEDIA: dict[Medium, MediumRules] = {
    Medium.BOOK: MediumRules(
        ("图书", "book"),
        1.0,
        {"fact": 2.0, "grammar": 2.0, "script": 0.5},
        {},
        "《图书质量管理规定》(2005) 第五条及附件",
    ),
    Medium.JOURNAL: MediumRules(
        ("期刊", "journal"), 2.0, _PERIODICAL_WEIGHTS, {"numbers": 1.0}, "《报纸期刊质量管理规定》(2020) 第五条及附件"
    ),
    Medium.NEWSPAPER: MediumRules(
        ("报纸", "newspaper"), 3.0, _PERIODICAL_WEIGHTS, {"numbers": 1.0}, "《报纸期刊质量管理规定》(2020) 第五条及附件"
    ),
    Medium.WEB: MediumRules(
        ("网站和新媒体", "website or new media"),
        None,
        _PERIODICAL_WEIGHTS,
        {"numbers": 1.0},
        "no legal limit for websites and new media; weights as for newspapers",
    ),
}


def clean_errors(errors: Mapping[str, Any] | None) -> dict[str, int] | None:
    """A correction's error counts by category; zero counts are dropped. None when none were given."""
    if errors is None:
        return None
    if not isinstance(errors, Mapping):
        raise Invalid("errors are a mapping of category to count", code="invalid_errors")
    cleaned = {}
    for key, count in errors.items():
        if key not in ERROR_CATEGORIES or key == UNCLASSIFIED:
            known = ", ".join(k for k in ERROR_CATEGORIES if k != UNCLASSIFIED)
            raise Invalid(f"unknown error category {str(key)[:40]!r}; use {known}", code="invalid_errors")
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_COUNT:
            raise Invalid(
                f"the count of {key!r} errors must be a whole number from 0 to {MAX_COUNT}", code="invalid_errors"
            )
        if count:
            cleaned[key] = count
    return cleaned


def changed_places(old_title: str, old_body: str, new_title: str, new_body: str) -> int:
    """How many separate places a correction changed (a deletion next to an insertion is one place)."""
    places = 0
    for old, new in ((old_title, new_title), (old_body, new_body)):
        inside = False
        for piece in char_diff(old, new):
            if piece.op == "equal":
                inside = False
            elif not inside:
                places, inside = places + 1, True
    return places


def character_count(title: str, body: str) -> int:
    """The characters errors are counted against: title and body, whitespace not counted."""
    return sum(1 for ch in title if not ch.isspace()) + sum(1 for ch in body if not ch.isspace())


def weighted(counts: Mapping[str, int], rules: MediumRules) -> float:
    total = 0.0
    for category, count in counts.items():
        value = count * rules.weights.get(category, 1.0)
        total += min(value, rules.caps[category]) if category in rules.caps else value
    return round(total, 2)


@dataclass(frozen=True)
class ChannelLimit:
    channel: str
    medium: Medium
    limit: float | None
    """The channel's own limit if an office set one, else the medium's legal limit."""

    @property
    def rules(self) -> MediumRules:
        return MEDIA[self.medium]

    @classmethod
    def of(cls, channel: Channel) -> ChannelLimit:
        medium = Medium(channel.medium)
        limit = channel.error_limit if channel.error_limit is not None else MEDIA[medium].legal_limit
        return cls(channel.key, medium, limit)


def rate(errors: float, characters: int) -> float:
    return round(errors * PER / characters, 2) if characters else 0.0


def verdict_of(errors: float, characters: int, limit: float | None) -> str:
    """Weighed on the exact rate, not the rounded one shown: 2.004 per 10 000 is over a limit of 2."""
    if limit is None:
        return "no_limit"
    return "over" if errors * PER > limit * characters else "within"


@dataclass(frozen=True)
class Round:
    """One 校次 (or read-through) of the current cycle and the errors its corrections recorded."""

    step: str
    label: tuple[str, str]
    kind: str
    counts: dict[str, int]
    corrections: int
    errors: float
    rate: float
    signed: bool


@dataclass(frozen=True)
class ErrorReport:
    channel: ChannelLimit
    characters: int
    rounds: list[Round]
    counts: dict[str, int]
    errors: float
    rate: float
    """The whole cycle's errors per 10 000 characters: how much the proofreads found in all."""
    final: Round | None
    """The last proofread round (三校); its rate is the one held against the limit."""
    final_review: str | None
    """The last review step after that round (终审): the one an excess is flagged to."""

    @property
    def verdict(self) -> str:
        """`pending` until the last proofread round is signed; then `within`, `over` or `no_limit`."""
        if self.final is None or not self.final.signed:
            return "pending"
        return verdict_of(self.final.errors, self.characters, self.channel.limit)

    def flagged(self, step: str) -> bool:
        """Whether `step` is the final review and the last proofread found more errors than allowed."""
        return self.final_review == step and self.verdict == "over"

    def record(self, step: str) -> dict[str, Any]:
        """What a proofread sign-off binds: its round's counts, rate, the limit and the verdict (R21)."""
        here = next(r for r in self.rounds if r.step == step)
        return {
            "counts": here.counts,
            "corrections": here.corrections,
            "errors": here.errors,
            "characters": self.characters,
            "rate": here.rate,
            "medium": self.channel.medium.value,
            "limit": self.channel.limit,
            "verdict": verdict_of(here.errors, self.characters, self.channel.limit),
            "final": self.final is not None and self.final.step == step,
        }


def error_report(
    session: Session, draft: Draft, wf: CompiledWorkflow, *, channel: str | None = None
) -> ErrorReport | None:
    """The current cycle's 差错率 against the draft's channel (or `channel`, where it is published), or
    None before the draft is submitted or if no step proofreads."""
    run = current_run(session, draft)
    if run is None or run.id is None:
        return None
    states = run_steps(session, run.id)
    kinds = (StepKind.PROOFREAD, StepKind.READTHROUGH)
    steps = [spec for state in states if (spec := wf.step(state.step_id)) is not None and spec.kind in kinds]
    if not steps:
        return None
    target = session.get(Channel, channel or draft.channel)
    assert target is not None
    limit = ChannelLimit.of(target)
    rows = [(c.step_id, c.errors) for c in cycle_corrections(session, draft)]
    signed = {
        s.step_id
        for s in run_signoffs(session, run.id)
        if s.decision in (Decision.APPROVE, Decision.APPROVE_WITH_CHANGES)
    }
    characters = character_count(draft.title, draft.body)
    rounds = []
    for step in steps:
        counts: dict[str, int] = {}
        corrections = 0
        for step_id, errors in rows:
            if step_id == step.id:
                corrections += 1
                for category, count in (errors or {}).items():
                    counts[category] = counts.get(category, 0) + count
        found = weighted(counts, limit.rules)
        rounds.append(
            Round(
                step.id,
                (step.label.zh, step.label.en),
                step.kind.value,
                counts,
                corrections,
                found,
                rate(found, characters),
                step.id in signed,
            )
        )
    total = _summed([r.counts for r in rounds])
    found = weighted(total, limit.rules)
    proofreads = [r for r in rounds if r.kind == StepKind.PROOFREAD]
    final = proofreads[-1] if proofreads else None
    after = next((s.position for s in states if final is not None and s.step_id == final.step), len(states))
    reviews = [
        state.step_id
        for state in states
        if state.position > after and (spec := wf.step(state.step_id)) is not None and spec.kind is StepKind.REVIEW
    ]
    return ErrorReport(
        limit, characters, rounds, total, found, rate(found, characters), final, reviews[-1] if reviews else None
    )


def _summed(all_counts: Sequence[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for counts in all_counts:
        for category, count in counts.items():
            total[category] = total.get(category, 0) + count
    return total
