"""Who could still sign: the matching behind "nobody is left to sign" (no database needed)."""

from __future__ import annotations

from review.config import PROJECT_DIR
from review.rules import Candidate, find_unfillable
from review.workflows.spec import WorkflowSpec, load_workflow_file

SPEC: WorkflowSpec = load_workflow_file(PROJECT_DIR / "workflows" / "sanshen.yaml")
AUTHOR = 1
PROOFREADERS = [Candidate(10 + n, f"p{n}", frozenset({"proofreader"}), frozenset()) for n in range(3)]


def reviewers(*role_sets: set[str]) -> list[Candidate]:
    return [Candidate(20 + n, f"r{n}", frozenset(roles), frozenset()) for n, roles in enumerate(role_sets)]


def steps(*ids: str) -> list:  # type: ignore[type-arg]
    return [SPEC.step(i) for i in ids]


def check(
    people: list[Candidate],
    approvals: list[tuple[str, int]] = (),
    step_ids: tuple[str, ...] = ("proof1", "review1", "proof2", "review2", "proof3", "review3"),
) -> str | None:
    refusal = find_unfillable(
        SPEC, steps(*step_ids), candidates=PROOFREADERS + people, author_id=AUTHOR, approvals=list(approvals)
    )
    return refusal.message if refusal else None


def test_three_single_role_reviewers_fill_the_three_levels() -> None:
    assert check(reviewers({"reviewer1"}, {"reviewer2"}, {"reviewer3"})) is None


def test_overlapping_roles_are_matched_by_moving_people_between_levels() -> None:
    """r0 could do 初审 or 复审, r1 only 初审: r1 must take 初审 so that r0 is left for 复审."""
    assert check(reviewers({"reviewer1", "reviewer2"}, {"reviewer1"}, {"reviewer3"})) is None


def test_one_person_with_every_review_role_is_not_three_people() -> None:
    message = check(reviewers({"reviewer1", "reviewer2", "reviewer3"}))
    assert message is not None
    assert message.startswith("nobody is left to sign 复审 (review2)")
    assert "(R3)" in message


def test_an_approval_already_given_uses_up_that_person_for_the_group() -> None:
    people = reviewers({"reviewer1", "reviewer2"}, {"reviewer1"}, {"reviewer3"})
    assert check(people, approvals=[("review1", 21)]) is None
    stranded = check(people, approvals=[("review1", 20)])
    assert stranded is not None
    assert "复审 (review2)" in stranded


def test_a_committee_needs_as_many_distinct_members_as_its_quorum() -> None:
    members = [Candidate(30, "c0", frozenset({"committee"}), frozenset())]
    refusal = find_unfillable(SPEC, steps("committee"), candidates=members, author_id=AUTHOR, approvals=[])
    assert refusal is not None
    assert refusal.rule == "R13"
    members.append(Candidate(31, "c1", frozenset({"committee"}), frozenset()))
    assert find_unfillable(SPEC, steps("committee"), candidates=members, author_id=AUTHOR, approvals=[]) is None
    assert (
        find_unfillable(
            SPEC, steps("committee"), candidates=members[:1], author_id=AUTHOR, approvals=[("committee", 31)]
        )
        is None
    )


def test_the_author_is_never_counted() -> None:
    people = reviewers({"reviewer1"}, {"reviewer2"}, {"reviewer3"})
    refusal = find_unfillable(SPEC, steps("review1"), candidates=people, author_id=20, approvals=[])
    assert refusal is not None
    assert refusal.rule == "R4"


def test_a_role_nobody_holds_is_named() -> None:
    message = check(reviewers({"reviewer1"}, {"reviewer2"}))
    assert message == "nobody can sign 终审 (review3): no active user holds role reviewer3"
