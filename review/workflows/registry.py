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

from sqlmodel import Session, col, select

from review import clock
from review.enums import EventKind
from review.errors import Invalid, NotFound
from review.models import Channel, WorkflowVersion
from review.trail import append_event, lock_chain
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
    """Every `*.yaml` in the folder, validated; names and keys must be unique, and no name another's key."""
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
    keys = {d.key for d in definitions}
    for definition in definitions:
        if definition.spec.name in keys - {definition.key}:
            raise Invalid(
                f"{names[definition.spec.name]}: workflow name {definition.spec.name!r} is the key of another file; "
                "a name may not be another workflow's key",
                code="workflow_dup",
            )
    return definitions


def register_workflows(session: Session, definitions: list[Definition]) -> list[WorkflowVersion]:
    """Store each definition whose text differs from its newest version as a new version; return those.

    Registrations are serialised on the chain head's lock, so servers starting together cannot both add
    the same version.
    """
    lock_chain(session)
    at = clock.now()
    channels = set(session.exec(select(Channel.key)))
    added = []
    for definition in definitions:
        unknown = sorted({c for s in definition.spec.steps if s.when for c in s.when.channels} - channels)
        if unknown:
            raise Invalid(
                f"workflow {definition.key}: unknown channel(s) in `when`: {', '.join(unknown)}; "
                f"channels are: {', '.join(sorted(channels))}",
                code="unknown_channel",
            )
        latest = newest(session, definition.key)
        if latest is not None and latest.content_hash == definition.content_hash:
            continue
        row = WorkflowVersion(
            key=definition.key,
            name=definition.spec.name,
            version=(latest.version if latest else 0) + 1,
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


def newest(session: Session, key: str) -> WorkflowVersion | None:
    return session.exec(
        select(WorkflowVersion).where(col(WorkflowVersion.key) == key).order_by(col(WorkflowVersion.version).desc())
    ).first()


def latest_version(session: Session, workflow: str) -> WorkflowVersion:
    """The newest version of a workflow named by its key (`sanshen`), or else by its name (`三审三校`)."""
    by_key = newest(session, workflow)
    if by_key is not None:
        return by_key
    keys = sorted(set(session.exec(select(WorkflowVersion.key))))
    named = [row for key in keys if (row := newest(session, key)) is not None and row.name == workflow]
    if len(named) == 1:
        return named[0]
    if named:
        raise Invalid(
            f"workflow name {workflow!r} is used by {', '.join(r.key for r in named)}; name it by key",
            code="ambiguous_workflow",
        )
    raise Invalid(
        f"unknown workflow {workflow!r}; registered: {', '.join(keys) or 'none (run `sanshen init`)'}",
        code="unknown_workflow",
    )


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


def all_compiled(session: Session) -> list[CompiledWorkflow]:
    """Every registered version, compiled (cached), oldest first."""
    ids = session.exec(select(WorkflowVersion.id).order_by(col(WorkflowVersion.id))).all()
    return [compiled(session, version_id) for version_id in ids if version_id is not None]


def workflow_qualifications(session: Session) -> list[str]:
    """The qualifications any registered workflow's steps ask for: what is worth giving a user."""
    return sorted({step.qualification for wf in all_compiled(session) for step in wf.spec.steps if step.qualification})
