"""Workflow definitions: YAML → a validated `WorkflowSpec`, with every problem at its place in the file.

The YAML is composed into nodes first (so each value keeps its line and column), duplicate keys are
refused (PyYAML would silently keep the last one), then pydantic checks the shape and this module
checks what refers to what. All problems are collected; none stops the others from being found.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from review.enums import CHECK_LABELS, DraftState, Importance, Role, StepKind
from review.errors import Invalid

SIGNING_ROLES = frozenset({Role.PROOFREADER, Role.REVIEWER1, Role.REVIEWER2, Role.REVIEWER3, Role.COMMITTEE})
"""Roles that may sign steps. Authors, publishers, auditors and admins sign nothing (R4, R27)."""

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Qualification = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Tag = Annotated[str, StringConstraints(pattern=r"^[\w\-]{1,32}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Labels(_Strict):
    zh: Text
    en: Text


class When(_Strict):
    """When a step applies. Each given criterion must hold; within one, any listed value matches."""

    tags: tuple[Tag, ...] = ()
    channels: tuple[Identifier, ...] = ()
    importance: tuple[Importance, ...] = ()

    @field_validator("tags")
    @classmethod
    def _case_folded(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        """Drafts' tags are lowercase; so are these, or a `Specialist` here would never match."""
        return tuple(tag.lower() for tag in tags)

    def describe(self) -> str:
        parts = []
        if self.tags:
            parts.append("tagged " + " or ".join(self.tags))
        if self.channels:
            parts.append("for channel " + " or ".join(self.channels))
        if self.importance:
            parts.append("of importance " + " or ".join(self.importance))
        return " and ".join(parts)


class StepSpec(_Strict):
    id: Identifier
    kind: StepKind
    label: Labels
    roles: tuple[Role, ...] = Field(min_length=1)
    quorum: int = Field(default=1, ge=1, le=9)
    checks: tuple[Identifier, ...] = ()
    qualification: Qualification | None = None
    when: When | None = None


class WorkflowSpec(_Strict):
    name: Text
    label: Labels
    description: str = ""
    checks: dict[Identifier, Labels] = Field(default_factory=dict)
    """Checks beyond the six built-in ones (六关) that steps of this workflow may require."""
    distinct_signers: tuple[tuple[Identifier, ...], ...] = ()
    on_return: Literal["restart"] = "restart"
    precheck_gate: Identifier | None = None
    """From this step on, a blocking pre-check finding stops approval until it is overridden (R24).
    By default the second review step (复审), or the only one."""
    steps: tuple[StepSpec, ...] = Field(min_length=1)

    def gate_step(self) -> str | None:
        """The first step a blocking pre-check finding stops; None if the workflow has no review step."""
        if self.precheck_gate is not None:
            return self.precheck_gate
        reviews = [step.id for step in self.steps if step.kind is StepKind.REVIEW]
        return reviews[1] if len(reviews) > 1 else (reviews[0] if reviews else None)

    def gated(self, step_id: str) -> bool:
        gate = self.gate_step()
        ids = [step.id for step in self.steps]
        return gate is not None and ids.index(step_id) >= ids.index(gate)

    def overriding_roles(self) -> frozenset[Role]:
        """Who may override a blocking finding: reviewers at 复审 or above — the roles of the review steps
        from the second on (of the only one, in a workflow with one). Not moved by `precheck_gate`."""
        reviews = [step for step in self.steps if step.kind is StepKind.REVIEW]
        return frozenset(role for step in reviews[1:] or reviews for role in step.roles)

    def step(self, step_id: str) -> StepSpec | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def distinct_group(self, step_id: str) -> str | None:
        """The name of the separation-of-duties group a step belongs to, e.g. `review1+review2+review3`."""
        for group in self.distinct_signers:
            if step_id in group:
                return "+".join(group)
        return None

    def check_label(self, key: str) -> tuple[str, str]:
        if key in self.checks:
            return self.checks[key].zh, self.checks[key].en
        return CHECK_LABELS[key]


@dataclass(frozen=True)
class Problem:
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


class WorkflowInvalid(Invalid):
    """A definition with problems; `problems` lists every one, in file order."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = sorted(set(problems), key=lambda p: (p.line, p.column, p.message))
        lines = "; ".join(str(p) for p in self.problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s): {lines}", code="workflow_invalid")


YamlPath = tuple[str | int, ...]
MAX_NODES = 20_000
MAX_BYTES = 1_000_000


class _TooLarge(Exception):
    pass


class _Positioned:
    """Turns composed YAML nodes into plain data and remembers where each value came from."""

    def __init__(self) -> None:
        self.positions: dict[YamlPath, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self._constructor = SafeConstructor()
        self._seen: set[int] = set()

    def convert(self, node: Node, path: YamlPath = ()) -> Any:
        self.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if id(node) in self._seen:
            # An alias (*name) re-uses a node: refused, so no file can expand into billions of values.
            self._problem(node, "anchors and aliases (&name, *name) are not allowed in workflow definitions")
            return None
        self._seen.add(id(node))
        if len(self._seen) > MAX_NODES:
            self._problem(node, f"the definition has more than {MAX_NODES} values")
            raise _TooLarge
        if isinstance(node, MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    self._problem(key_node, "a key must be a plain value")
                    continue
                key = self._constructor.construct_object(key_node)
                if not isinstance(key, str | int):
                    self._problem(key_node, f"a key must be text, not {key!r}")
                    continue
                if key in result:
                    self._problem(key_node, f"duplicate key {key!r}")
                    continue
                result[key] = self.convert(value_node, (*path, key))
            return result
        if isinstance(node, SequenceNode):
            return [self.convert(item, (*path, index)) for index, item in enumerate(node.value)]
        try:
            return self._constructor.construct_object(node)
        except ConstructorError as error:
            self._problem(node, str(error.problem))
            return None

    def _problem(self, node: Node, message: str) -> None:
        self.problems.append(Problem(node.start_mark.line + 1, node.start_mark.column + 1, message))

    def at(self, path: YamlPath, message: str) -> Problem:
        """A problem placed at `path`, or at the nearest enclosing value that has a position."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.positions:
                line, column = self.positions[path[:end]]
                return Problem(line, column, message)
        return Problem(1, 1, message)


def _describe(path: YamlPath) -> str:
    return ".".join(str(part) for part in path) or "the file"


def _cross_checks(spec: WorkflowSpec, doc: _Positioned) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    reserved = {state.value for state in DraftState}
    known_checks = set(CHECK_LABELS) | set(spec.checks)
    for index, step in enumerate(spec.steps):
        where: YamlPath = ("steps", index)
        if step.id in seen:
            yield doc.at((*where, "id"), f"step id {step.id!r} is used twice (first by steps.{seen[step.id]})")
        seen.setdefault(step.id, index)
        if step.id in reserved:
            yield doc.at((*where, "id"), f"step id {step.id!r} is reserved for a draft state")
        for role_index, role in enumerate(step.roles):
            if role not in SIGNING_ROLES:
                allowed = ", ".join(sorted(SIGNING_ROLES))
                yield doc.at(
                    (*where, "roles", role_index),
                    f"role {role.value!r} cannot sign steps; use one of {allowed}",
                )
        if step.kind is StepKind.COMMITTEE and step.quorum < 2:
            yield doc.at(
                (*where, "quorum"),
                f"committee step {step.id!r} needs a quorum of at least 2 distinct approvals (R13)",
            )
        if step.kind is not StepKind.COMMITTEE and step.quorum != 1:
            yield doc.at((*where, "quorum"), f"only committee steps take a quorum; {step.kind} steps have one signer")
        for check_index, check in enumerate(step.checks):
            if check not in known_checks:
                known = ", ".join(sorted(known_checks))
                yield doc.at((*where, "checks", check_index), f"unknown check {check!r}; known checks: {known}")
    if spec.precheck_gate is not None and spec.precheck_gate not in seen:
        yield doc.at(("precheck_gate",), f"unknown step {spec.precheck_gate!r} in precheck_gate")
    elif spec.precheck_gate is not None and not spec.overriding_roles():
        yield doc.at(
            ("precheck_gate",),
            "precheck_gate needs a review step: its signers are the ones who may override a blocking finding",
        )
    reviews = [(index, step.id) for index, step in enumerate(spec.steps) if step.kind is StepKind.REVIEW]

    review_groups = {spec.distinct_group(step_id) for _, step_id in reviews}
    if len(reviews) > 1 and (len(review_groups) != 1 or None in review_groups):
        yield doc.at(
            ("steps", reviews[0][0]),
            f"the review steps {', '.join(i for _, i in reviews)} must together be one distinct_signers group: "
            "初审, 复审 and 终审 of a draft are different people (R3)",
        )
    grouped: dict[str, int] = {}
    for group_index, group in enumerate(spec.distinct_signers):
        where = ("distinct_signers", group_index)
        if len(set(group)) < 2:
            yield doc.at(where, "a distinct-signers group needs at least two different steps")
        for member_index, step_id in enumerate(group):
            if step_id not in seen:
                yield doc.at((*where, member_index), f"unknown step {step_id!r} in distinct_signers")
            elif step_id in grouped and grouped[step_id] != group_index:
                yield doc.at(
                    (*where, member_index),
                    f"step {step_id!r} is already in distinct_signers.{grouped[step_id]}; a step may be in one group",
                )
            grouped.setdefault(step_id, group_index)


def parse_workflow(text: str, source: str = "<workflow>") -> WorkflowSpec:
    """Validate a definition; raise `WorkflowInvalid` listing every problem with its line and column."""
    if len(text.encode()) > MAX_BYTES:
        raise WorkflowInvalid(source, [Problem(1, 1, f"the file is larger than {MAX_BYTES} bytes")])
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise WorkflowInvalid(source, [Problem(1, 1, "the file is nested too deeply")]) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise WorkflowInvalid(source, [Problem(line, column, f"not valid YAML: {error.problem}")]) from None
    except yaml.YAMLError as error:
        raise WorkflowInvalid(source, [Problem(1, 1, f"not valid YAML: {error}")]) from None
    if node is None:
        raise WorkflowInvalid(source, [Problem(1, 1, "the file is empty")])
    doc = _Positioned()
    try:
        data = doc.convert(node)
    except (_TooLarge, RecursionError):
        raise WorkflowInvalid(source, doc.problems or [Problem(1, 1, "the file is nested too deeply")]) from None
    if doc.problems:
        raise WorkflowInvalid(source, doc.problems)
    if not isinstance(data, dict):
        raise WorkflowInvalid(source, [doc.at((), "a workflow definition is a mapping (name, label, steps …)")])
    try:
        spec = WorkflowSpec.model_validate(data)
    except ValidationError as error:
        problems = []
        errors = error.errors()
        for item in errors:
            path = tuple(item["loc"])
            if item["type"] == "too_short" and any(
                len(other["loc"]) > len(path) and tuple(other["loc"][: len(path)]) == path for other in errors
            ):
                continue  # the container is "too short" only because its invalid items were dropped
            message = item["msg"]
            if item["type"] == "extra_forbidden":
                message = f"unknown key {path[-1]!r}"
            problems.append(doc.at(path, f"{_describe(path)}: {message}"))
        raise WorkflowInvalid(source, problems) from None
    problems = list(_cross_checks(spec, doc))
    if problems:
        raise WorkflowInvalid(source, problems)
    return spec


def load_workflow_file(path: Path) -> WorkflowSpec:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise WorkflowInvalid(str(path), [Problem(1, 1, "the file is not UTF-8 text")]) from None
    except OSError as error:
        raise Invalid(f"cannot read {path}: {error.strerror}", code="workflow_unreadable") from None
    return parse_workflow(text, str(path))
