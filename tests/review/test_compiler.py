"""The compiled state machine: the next step that applies, quorum, and nothing the definition lacks."""

from __future__ import annotations

import pytest

from review.config import PROJECT_DIR
from review.errors import Conflict
from review.models import Draft
from review.workflows.compiler import CompiledWorkflow, DraftFacts
from review.workflows.spec import load_workflow_file, parse_workflow


@pytest.fixture(scope="module")
def default() -> CompiledWorkflow:
    spec = load_workflow_file(PROJECT_DIR / "workflows" / "sanshen.yaml")
    return CompiledWorkflow(spec, key="sanshen", version_id=1, version=1)


def draft_at(state: str, *, tags: tuple[str, ...] = (), channel: str = "website", importance: str = "normal") -> Draft:
    return Draft(state=state, tags=list(tags), channel=channel, importance=importance)


def cycle(wf: CompiledWorkflow, draft: Draft) -> frozenset[str]:
    return frozenset(s.id for s in wf.applicable_steps(DraftFacts.of(draft)))


def walk(wf: CompiledWorkflow, draft: Draft) -> list[str]:
    steps = cycle(wf, draft)
    states = [wf.fire(draft, "submit", steps=steps)]
    while draft.state != "approved":
        approvals = wf.step(draft.state).quorum  # type: ignore[union-attr]
        states.append(wf.fire(draft, "approve", steps=steps, approvals=approvals))
    return states


def test_a_normal_draft_passes_the_six_steps_in_order(default: CompiledWorkflow) -> None:
    assert walk(default, draft_at("draft")) == [
        "proof1",
        "review1",
        "proof2",
        "review2",
        "proof3",
        "review3",
        "approved",
    ]


def test_a_specialist_draft_goes_through_the_committee_before_the_final_review(default: CompiledWorkflow) -> None:
    assert walk(default, draft_at("draft", tags=("specialist",)))[-3:] == ["committee", "review3", "approved"]


def test_a_committee_approval_short_of_the_quorum_stays_at_the_step(default: CompiledWorkflow) -> None:
    draft = draft_at("committee", tags=("specialist",))
    steps = cycle(default, draft)
    assert default.fire(draft, "approve", steps=steps, approvals=1) == "committee"
    assert default.fire(draft, "approve", steps=steps, approvals=2) == "review3"


def test_the_cycle_passes_exactly_the_steps_it_was_given(default: CompiledWorkflow) -> None:
    """A step that applied in an earlier cycle stays in the set even when the tag that chose it is gone."""
    draft = draft_at("proof3")
    assert default.fire(draft, "approve", steps=frozenset({"proof3", "committee", "review3"}), approvals=1) == (
        "committee"
    )


def test_returns_rejections_publishing_and_retraction(default: CompiledWorkflow) -> None:
    assert default.fire(draft_at("review2"), "return") == "returned"
    assert default.fire(draft_at("returned"), "submit", steps=frozenset({"proof1", "review3"})) == "proof1"
    assert default.fire(draft_at("proof3"), "reject") == "rejected"
    assert default.fire(draft_at("approved"), "publish") == "published"
    assert default.fire(draft_at("published"), "retract") == "retracted"


@pytest.mark.parametrize(
    ("state", "event"),
    [
        ("review1", "publish"),
        ("draft", "approve"),
        ("approved", "approve"),
        ("published", "submit"),
        ("rejected", "submit"),
        ("retracted", "publish"),
        ("returned", "return"),
    ],
)
def test_moves_the_definition_does_not_have_are_refused(default: CompiledWorkflow, state: str, event: str) -> None:
    draft = draft_at(state)
    with pytest.raises(Conflict) as refused:
        default.fire(draft, event)
    assert refused.value.code == "invalid_transition"
    assert draft.state == state


def test_no_shortcut_events_exist(default: CompiledWorkflow) -> None:
    """transitions' auto_transitions would add `to_<state>` events that bypass every condition."""
    assert set(default.machine.events) == {"submit", "approve", "return", "reject", "publish", "retract"}


CONDITIONAL = """
name: 条件
label: {zh: 条件, en: Conditional}
distinct_signers: [[wechat_check, head_check]]
steps:
  - {id: wechat_check, kind: review, label: {zh: 公众号, en: WeChat}, roles: [reviewer1], when: {channels: [wechat]}}
  - {id: head_check, kind: review, label: {zh: 负责人, en: Head}, roles: [reviewer3],
     when: {importance: [important, sensitive], tags: [policy, personnel]}}
"""


def test_when_selects_by_channel_importance_and_tags() -> None:
    wf = CompiledWorkflow(parse_workflow(CONDITIONAL), key="c", version_id=2, version=1)
    assert [s.id for s in wf.applicable_steps(DraftFacts(frozenset({"policy"}), "wechat", "sensitive"))] == [
        "wechat_check",
        "head_check",
    ]
    assert [s.id for s in wf.applicable_steps(DraftFacts(frozenset({"policy"}), "website", "important"))] == [
        "head_check"
    ]
    assert [s.id for s in wf.applicable_steps(DraftFacts(frozenset(), "website", "sensitive"))] == []
    with pytest.raises(Conflict) as refused:
        wf.fire(draft_at("draft", channel="website"), "submit", steps=frozenset())
    assert refused.value.code == "no_step_applies"
    assert wf.fire(draft_at("draft"), "submit", steps=frozenset({"wechat_check", "head_check"})) == "wechat_check"
