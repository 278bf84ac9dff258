"""A validated workflow spec compiled into a flat `transitions` state machine, once per version.

States are the draft states plus one per step (a draft under review is in the state named after its
active step). Events: `submit`, `approve`, `return`, `reject`, `publish`, `retract`. Which steps a
cycle passes is decided once, at submission: the steps whose `when` holds for the draft's facts
(tags, channel, importance) — compiled here into Python predicates, never strings resolved at run
time — plus every step that applied in an earlier cycle. The machine routes by that set: several
transitions share a trigger and source, and transitions takes the first whose conditions hold, which
is how "the next step of the cycle" is expressed.

The machine never sees an ORM row: a `DraftFlow` adapter carries the cycle's steps and writes the new
state through to the draft. Callbacks do no I/O; the command writes rows after `trigger` returns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from transitions import EventData, Machine, MachineError

from review.enums import DraftState
from review.errors import Conflict
from review.models import Draft
from review.workflows.spec import StepSpec, When, WorkflowSpec


@dataclass(frozen=True)
class DraftFacts:
    """What `when` clauses may look at."""

    tags: frozenset[str]
    channel: str
    importance: str

    @classmethod
    def of(cls, draft: Draft, *, channel: str | None = None) -> DraftFacts:
        return cls(frozenset(draft.tags), channel or draft.channel, draft.importance)


def applies(when: When | None, facts: DraftFacts) -> bool:
    if when is None:
        return True
    if when.tags and facts.tags.isdisjoint(when.tags):
        return False
    if when.channels and facts.channel not in when.channels:
        return False
    return not (when.importance and facts.importance not in when.importance)


class DraftFlow:
    """The model transitions drives. The state lives in the draft row; this writes through."""

    def __init__(self, draft: Draft, steps: frozenset[str], approvals: int) -> None:
        self.draft = draft
        self.steps = steps
        self.approvals = approvals

    @property
    def state(self) -> str:
        return self.draft.state

    @state.setter
    def state(self, value: str) -> None:
        self.draft.state = value


Predicate = Callable[[EventData], bool]


def _in_cycle_predicate(step: StepSpec) -> Predicate:
    def predicate(event: EventData) -> bool:
        flow = event.model
        assert isinstance(flow, DraftFlow)
        return step.id in flow.steps

    return predicate


def _quorum_predicate(step: StepSpec) -> Predicate:
    def predicate(event: EventData) -> bool:
        flow = event.model
        assert isinstance(flow, DraftFlow)
        return flow.approvals >= step.quorum

    return predicate


class CompiledWorkflow:
    """One pinned version of a workflow: its spec and its machine."""

    def __init__(self, spec: WorkflowSpec, *, key: str, version_id: int, version: int) -> None:
        self.spec = spec
        self.key = key
        self.version_id = version_id
        self.version = version
        self.machine = Machine(
            model=None,
            states=[s.value for s in DraftState] + [step.id for step in spec.steps],
            initial=None,
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
        )
        for transition in _transitions(spec):
            self.machine.add_transition(**transition)

    @property
    def name(self) -> str:
        return self.spec.name

    def step(self, step_id: str) -> StepSpec | None:
        return self.spec.step(step_id)

    def applicable_steps(self, facts: DraftFacts) -> list[StepSpec]:
        """The steps whose `when` holds for these facts, in order."""
        return [step for step in self.spec.steps if applies(step.when, facts)]

    def ordered(self, step_ids: set[str] | frozenset[str]) -> list[StepSpec]:
        return [step for step in self.spec.steps if step.id in step_ids]

    def fire(self, draft: Draft, event: str, *, steps: frozenset[str] = frozenset(), approvals: int = 0) -> str:
        """Trigger `event` on the draft and return its new state; a move the machine forbids → Conflict.

        `steps` are the ids of the cycle's steps (for `submit` and `approve`); `approvals` counts the
        approvals of the active step, this one included.

        The flow is not added to the machine (`add_model`): triggering the shared event directly binds
        nothing to the flow, so nothing has to be removed afterwards and threads share no model list.
        """
        flow = DraftFlow(draft, steps, approvals)
        try:
            moved = self.machine.events[event].trigger(flow)
        except MachineError:
            raise Conflict(f"a draft in state {draft.state!r} cannot {event}", code="invalid_transition") from None
        if not moved:
            raise Conflict(f"no step of workflow {self.name!r} applies to this draft", code="no_step_applies")
        return draft.state


def _transitions(spec: WorkflowSpec) -> Iterator[dict[str, Any]]:
    steps = spec.steps
    applies_to = {step.id: _in_cycle_predicate(step) for step in steps}
    entry_sources = [DraftState.DRAFT.value, DraftState.RETURNED.value]
    # submit: to the first step that applies.
    for index, step in enumerate(steps):
        yield {
            "trigger": "submit",
            "source": entry_sources,
            "dest": step.id,
            "conditions": [applies_to[step.id]],
            "unless": [applies_to[s.id] for s in steps[:index]],
        }
    for index, step in enumerate(steps):
        quorum_met = _quorum_predicate(step)
        later = steps[index + 1 :]
        # An approval that does not yet make the quorum (a committee's first vote) stays here.
        yield {"trigger": "approve", "source": step.id, "dest": None, "unless": [quorum_met]}
        for offset, nxt in enumerate(later):
            yield {
                "trigger": "approve",
                "source": step.id,
                "dest": nxt.id,
                "conditions": [quorum_met, applies_to[nxt.id]],
                "unless": [applies_to[s.id] for s in later[:offset]],
            }
        yield {
            "trigger": "approve",
            "source": step.id,
            "dest": DraftState.APPROVED.value,
            "conditions": [quorum_met],
            "unless": [applies_to[s.id] for s in later],
        }
        yield {"trigger": "return", "source": step.id, "dest": DraftState.RETURNED.value}
        yield {"trigger": "reject", "source": step.id, "dest": DraftState.REJECTED.value}
    yield {"trigger": "publish", "source": DraftState.APPROVED.value, "dest": DraftState.PUBLISHED.value}
    yield {"trigger": "retract", "source": DraftState.PUBLISHED.value, "dest": DraftState.RETRACTED.value}
