"""Workflow versions: definitions from the folder, pinned in the database by content.

`register_workflows` (run by `sanshen init` and at server start) stores each definition whose text
is new as the next version of its workflow. A draft keeps the version it was created with, so
changing a file never changes the rules for drafts already in flight. Compiled machines are cached
per database and version id: a version's source never changes, so the cache can never be stale.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, func, or_, select

from review import clock
from review.enums import EventKind
from review.errors import Invalid, NotFound
from review.models import WorkflowVersion
from review.trail import append_event
from review.workflows.compiler import CompiledWorkflow
from review.workflows.spec import WorkflowSpec, load_workflow_file, parse_workflow

_compiled: dict[tuple[str, int], CompiledWorkflow] = {}


@dataclass(frozen=True)
class Definition:
    key: str
    """The file's stem (`sanshen` for `sanshen.yaml`): an ASCII handle for the CLI and the API."""
    spec: WorkflowSpec
    source: str

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.source.encode()).hexdigest()


def load_definitions(folder: Path) -> list[Definition]:
    """Every `*.yaml` in the folder, validated; names and keys must be unique."""
    if not folder.is_dir():
        raise Invalid(f"workflow folder {folder} does not exist", code="workflow_folder_missing")
    definitions: list[Definition] = []
    names: dict[str, Path] = {}
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        spec = load_workflow_file(path)
        if spec.name in names:
            raise Invalid(
                f"{path}: workflow name {spec.name!r} is also used by {names[spec.name]}", code="workflow_dup"
            )
        names[spec.name] = path
        definitions.append(Definition(key=path.stem, spec=spec, source=path.read_text(encoding="utf-8")))
    if not definitions:
        raise Invalid(f"workflow folder {folder} holds no *.yaml definitions", code="workflow_folder_empty")
    return definitions


def register_workflows(session: Session, definitions: list[Definition]) -> list[WorkflowVersion]:
    """Store each definition not yet known by its content as a new version; return the new ones."""
    at = clock.now()
    added = []
    for definition in definitions:
        known = session.exec(
            select(WorkflowVersion).where(
                col(WorkflowVersion.key) == definition.key,
                col(WorkflowVersion.content_hash) == definition.content_hash,
            )
        ).first()
        if known is not None:
            continue
        latest = session.exec(
            select(func.max(WorkflowVersion.version)).where(col(WorkflowVersion.key) == definition.key)
        ).one()
        row = WorkflowVersion(
            key=definition.key,
            name=definition.spec.name,
            version=(latest or 0) + 1,
            content_hash=definition.content_hash,
            source=definition.source,
            registered_at=at,
        )
        session.add(row)
        session.flush()
        append_event(
            session,
            kind=EventKind.WORKFLOW_REGISTERED,
            actor=None,
            at=at,
            payload={
                "workflow": row.name,
                "key": row.key,
                "version": row.version,
                "content_hash": row.content_hash,
                "steps": [step.id for step in definition.spec.steps],
            },
        )
        added.append(row)
    return added


def latest_version(session: Session, workflow: str) -> WorkflowVersion:
    """The newest registered version of a workflow, named by its key (`sanshen`) or name (`三审三校`)."""
    row = session.exec(
        select(WorkflowVersion)
        .where(or_(col(WorkflowVersion.key) == workflow, col(WorkflowVersion.name) == workflow))
        .order_by(col(WorkflowVersion.version).desc())
    ).first()
    if row is None:
        known = sorted(set(session.exec(select(WorkflowVersion.key))))
        raise Invalid(
            f"unknown workflow {workflow!r}; registered: {', '.join(known) or 'none (run `sanshen init`)'}",
            code="unknown_workflow",
        )
    return row


def compiled(session: Session, version_id: int) -> CompiledWorkflow:
    """The compiled machine of a version; keyed by database too, since version ids are per database."""
    bind = session.get_bind()
    cache_key = (bind.engine.url.render_as_string(hide_password=True), version_id)
    cached = _compiled.get(cache_key)
    if cached is not None:
        return cached
    row = session.get(WorkflowVersion, version_id)
    if row is None:
        raise NotFound(f"workflow version {version_id} does not exist", code="workflow_version_not_found")
    machine = CompiledWorkflow(
        parse_workflow(row.source, f"{row.key} v{row.version}"),
        key=row.key,
        version_id=version_id,
        version=row.version,
    )
    _compiled[cache_key] = machine
    return machine
