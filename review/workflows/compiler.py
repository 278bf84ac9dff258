"""A validated workflow spec compiled into a flat `transitions` state machine, once per version.

States are the draft states plus one per step (a draft under review is in the state named after its
active step). Events: `submit`, `approve`, `return`, `reject`, `publish`, `retract`. Which step comes
next depends on the draft's facts (tags, channel, importance): `when` clauses compile into Python
predicates here — never into strings that transitions would resolve at run time. Several
transitions share a trigger and source; transitions tries them in order and takes the first whose
conditions hold, which is how "the next step that applies" is expressed.

The machine never sees an ORM row: a `DraftFlow` adapter carries the facts and writes the new state
through to the draft. Callbacks do no I/O; the command writes rows after `trigger` returns.
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
    """The model transitions decorates. The state lives in the draft row; this writes through."""

    def __init__(self, draft: Draft, facts: DraftFacts, approvals: int) -> None:
        self.draft = draft
        self.facts = facts
        self.approvals = approvals

    @property
    def state(self) -> str:
        return self.draft.state

    @state.setter
    def state(self, value: str) -> None:
        self.draft.state = value


Predicate = Callable[[EventData], bool]


def _applies_predicate(step: StepSpec) -> Predicate:
    def predicate(event: EventData) -> bool:
        flow = event.model
        assert isinstance(flow, DraftFlow)
        return applies(step.when, flow.facts)

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
        return [step for step in self.spec.steps if applies(step.when, facts)]

    def fire(self, draft: Draft, event: str, *, facts: DraftFacts | None = None, approvals: int = 0) -> str:
        """Trigger `event` on the draft and return its new state; a move the machine forbids → Conflict.

        The flow is not added to the machine (`add_model`): triggering the shared event directly binds
        nothing to the flow, so nothing has to be removed afterwards and threads share no model list.
        """
        flow = DraftFlow(draft, facts or DraftFacts.of(draft), approvals)
        try:
            moved = self.machine.events[event].trigger(flow)
        except MachineError:
            raise Conflict(f"a draft in state {draft.state!r} cannot {event}", code="invalid_transition") from None
        if not moved:
            raise Conflict(f"no step of workflow {self.name!r} applies to this draft", code="no_step_applies")
        return draft.state


def _transitions(spec: WorkflowSpec) -> Iterator[dict[str, Any]]:
    steps = spec.steps
    applies_to = {step.id: _applies_predicate(step) for step in steps}
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
