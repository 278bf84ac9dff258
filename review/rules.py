"""Who may sign a step: roles, qualifications and separation of duties.

- R4: the author signs no step of their own draft;
- R3 / R16 (a workflow's `distinct_signers` groups): one person signs at most one step of a group in
  a cycle — 初审, 复审 and 终审 are three people; 一校, 二校 and 三校 three proofreaders;
- R13: a committee's approvals come from distinct members (one decision per person per step);
- R5, R17: a step may require a qualification, held at signing time.

The rules never auto-pass a step. When they leave nobody who could sign a step, the engine says so,
naming the rule: `find_unfillable` is asked at submission and before an approval that would use up
the last eligible person.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from review.actors import Actor
from review.enums import Decision, Role, StepKind
from review.errors import Conflict, Forbidden
from review.models import Draft, Signoff, User, UserQualification, UserRole
from review.runs import require_run, run_corrections, run_signoffs
from review.workflows.spec import StepSpec, WorkflowSpec


def step_name(step: StepSpec) -> str:
    return f"{step.label.zh} ({step.id})"


def group_rule(spec: WorkflowSpec, group: str) -> str:
    """The rule a distinct-signers group stands for, for messages."""
    kinds = {step.kind for step in spec.steps if spec.distinct_group(step.id) == group}
    if kinds == {StepKind.REVIEW}:
        return "R3"
    if kinds == {StepKind.PROOFREAD}:
        return "R16"
    return "distinct_signers"


def _group_names(spec: WorkflowSpec, group: str) -> str:
    return "、".join(s.label.zh for s in spec.steps if spec.distinct_group(s.id) == group)


def check_draft_signer(session: Session, spec: WorkflowSpec, step: StepSpec, actor: Actor, draft: Draft) -> Role:
    """`check_signer` against the draft's current cycle: its decisions and its corrections so far."""
    run = require_run(session, draft)
    assert run.id is not None
    return check_signer(
        spec,
        step,
        actor,
        author_id=draft.author_id,
        signoffs=run_signoffs(session, run.id),
        corrections=run_corrections(session, draft),
    )


def check_signer(
    spec: WorkflowSpec,
    step: StepSpec,
    actor: Actor,
    *,
    author_id: int,
    signoffs: Sequence[Signoff],
    corrections: Sequence[tuple[str, int]] = (),
) -> Role:
    """Raise if the actor may not decide on (or correct text in) `step` now; return the role they act in.

    `signoffs` are the current cycle's decisions on the draft, `corrections` its (step, proofreader)
    corrections: correcting the text inside a step is taking part in it, as signing it is.
    """
    role = next((r for r in step.roles if r in actor.roles), None)
    if role is None:
        needed = " or ".join(step.roles)
        raise Forbidden(f"{step_name(step)} is signed by role {needed}, which you do not hold", code="missing_role")
    if step.qualification and step.qualification not in actor.qualifications:
        raise Forbidden(
            f"{step_name(step)} requires the qualification {step.qualification!r}, which you do not hold (R5)",
            code="missing_qualification",
            rule="R5",
        )
    if actor.id == author_id:
        raise Forbidden(
            f"you are the author of this draft and may not sign {step_name(step)} (R4)",
            code="author_cannot_sign",
            rule="R4",
        )
    group = spec.distinct_group(step.id)
    if group is not None:
        taken = [(s.step_id, "signed") for s in signoffs if s.user_id == actor.id]
        taken += [(step_id, "corrected the text in") for step_id, user_id in corrections if user_id == actor.id]
        earlier = next(((i, how) for i, how in taken if i != step.id and spec.distinct_group(i) == group), None)
        if earlier is not None:
            other = spec.step(earlier[0])
            assert other is not None
            rule = group_rule(spec, group)
            raise Forbidden(
                f"you {earlier[1]} {step_name(other)} of this draft; "
                f"{_group_names(spec, group)} must each be done by a different person ({rule})",
                code="separation_of_duties",
                rule=rule,
            )
    if any(s.user_id == actor.id and s.step_id == step.id for s in signoffs):
        raise Conflict(f"you have already signed {step_name(step)} of this draft", code="already_signed")
    return role


@dataclass(frozen=True)
class Candidate:
    user_id: int
    username: str
    roles: frozenset[str]
    qualifications: frozenset[str]


def load_candidates(session: Session, steps: Iterable[StepSpec]) -> list[Candidate]:
    """Active users holding any role that signs one of `steps`."""
    step_list = list(steps)
    roles = {role.value for step in step_list for role in step.roles}
    if not roles:
        return []
    rows = session.exec(
        select(User.id, User.username, UserRole.role)
        .join(UserRole, col(UserRole.user_id) == col(User.id))
        .where(col(User.active), col(UserRole.role).in_(roles))
    ).all()
    by_user: dict[int, tuple[str, set[str]]] = {}
    for user_id, username, role in rows:
        assert user_id is not None
        by_user.setdefault(user_id, (username, set()))[1].add(role)
    quals: dict[int, set[str]] = {}
    if by_user and any(step.qualification for step in step_list):
        for user_id, qualification in session.exec(
            select(UserQualification.user_id, UserQualification.qualification).where(
                col(UserQualification.user_id).in_(by_user)
            )
        ):
            quals.setdefault(user_id, set()).add(qualification)
    return [
        Candidate(uid, name, frozenset(user_roles), frozenset(quals.get(uid, ())))
        for uid, (name, user_roles) in sorted(by_user.items())
    ]


def _eligible(step: StepSpec, candidate: Candidate) -> bool:
    return bool(candidate.roles & set(step.roles)) and (
        step.qualification is None or step.qualification in candidate.qualifications
    )


def find_unfillable(
    spec: WorkflowSpec,
    steps: Sequence[StepSpec],
    *,
    candidates: Sequence[Candidate],
    author_id: int,
    approvals: Sequence[tuple[str, int]],
    corrections: Sequence[tuple[str, int]] = (),
) -> Conflict | None:
    """The refusal for the first of `steps` that nobody could sign, given the cycle so far.

    `approvals` and `corrections` are (step id, user id) pairs of the current cycle; a corrector has
    taken part in that step. Steps in one distinct-signers group need different people, so a group is
    solved as a matching of its open signatures to people (augmenting paths; a group is a handful of
    steps). A step's own corrector may still sign it.
    """
    signed: dict[str, set[int]] = {}
    for step_id, user_id in approvals:
        signed.setdefault(step_id, set()).add(user_id)
    took_part: dict[str, dict[int, set[str]]] = {}
    for step_id, user_id in [*approvals, *corrections]:
        group = spec.distinct_group(step_id)
        if group is not None:
            took_part.setdefault(group, {}).setdefault(user_id, set()).add(step_id)

    def people(step: StepSpec) -> list[int]:
        """Who could fill an open signature of `step`: not the author, not busy elsewhere in its group."""
        group = took_part.get(spec.distinct_group(step.id) or "", {})
        excluded = signed.get(step.id, set()) | {user for user, taken in group.items() if taken - {step.id}}
        return [
            c.user_id for c in candidates if _eligible(step, c) and c.user_id != author_id and c.user_id not in excluded
        ]

    options = {step.id: people(step) for step in steps}
    assignments: dict[str, dict[int, tuple[str, int]]] = {}
    for step in steps:
        open_slots = step.quorum - len(signed.get(step.id, ()))
        group = spec.distinct_group(step.id)
        if group is None:
            if len(options[step.id]) < open_slots:
                return _unfillable(spec, step, candidates, author_id, group)
            continue
        assignment = assignments.setdefault(group, {})
        for slot in range(open_slots):
            if not _augment(assignment, (step.id, slot), options):
                return _unfillable(spec, step, candidates, author_id, group)
    return None


def _augment(
    assignment: dict[int, tuple[str, int]],
    slot: tuple[str, int],
    options: dict[str, list[int]],
    visited: set[int] | None = None,
) -> bool:
    """Kuhn's augmenting path: give `slot` a person, moving earlier slots to others where needed."""
    visited = set() if visited is None else visited
    for person in options[slot[0]]:
        if person in visited:
            continue
        visited.add(person)
        holder = assignment.get(person)
        if holder is None or _augment(assignment, holder, options, visited):
            assignment[person] = slot
            return True
    return False


def _unfillable(
    spec: WorkflowSpec, step: StepSpec, candidates: Sequence[Candidate], author_id: int, group: str | None
) -> Conflict:
    holders = [c for c in candidates if _eligible(step, c)]
    need = " or ".join(step.roles) + (f" with qualification {step.qualification!r}" if step.qualification else "")
    if not holders:
        return Conflict(
            f"nobody can sign {step_name(step)}: no active user holds role {need}", code="no_eligible_signer"
        )
    if all(c.user_id == author_id for c in holders):
        return Conflict(
            f"nobody can sign {step_name(step)}: the only user with role {need} is the author (R4)",
            code="no_eligible_signer",
            rule="R4",
        )
    if group is not None:
        rule = group_rule(spec, group)
        return Conflict(
            f"nobody is left to sign {step_name(step)}: {_group_names(spec, group)} need different people "
            f"({rule}), and the users with role {need} ({', '.join(c.username for c in holders)}) "
            "are the author or needed for, or already signed, another of those steps",
            code="no_eligible_signer",
            rule=rule,
        )
    return Conflict(
        f"nobody is left to sign {step_name(step)}: it needs {step.quorum} different people with role {need} "
        f"other than the author (R13); there are {sum(c.user_id != author_id for c in holders)}",
        code="no_eligible_signer",
        rule="R13",
    )


def approvals_of(signoffs: Iterable[Signoff]) -> list[tuple[str, int]]:
    """Who signed which step in approval: 改后付印 counts, its signer cannot also check it."""
    return [(s.step_id, s.user_id) for s in signoffs if s.decision in (Decision.APPROVE, Decision.APPROVE_WITH_CHANGES)]
