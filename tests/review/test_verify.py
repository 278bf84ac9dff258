"""The verifier's shortcut: assembling an event's canonical text around its stored payload."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from review.trail import canonical_json, event_record, iso_utc
from review.verify import _record_text

AT = datetime(2026, 11, 23, 2, 57, 39, 20836, tzinfo=UTC)


def test_the_shortcut_is_exactly_the_canonical_serialisation() -> None:
    payload = {"title": '关于"引号"与\\反斜杠', "tags": ["a"], "nested": {"z": 1, "a": None}}
    for actor, draft_id in (("rui", 7), (None, None)):
        exact = canonical_json(
            event_record(seq=16, at=AT, actor=actor, kind="decided", draft_id=draft_id, payload=payload)
        )
        assert _record_text(16, iso_utc(AT), actor, "decided", draft_id, canonical_json(payload)) == exact


def test_the_shortcut_refuses_values_that_could_move_a_field_boundary() -> None:
    """A kind or actor holding a quote could shift text between fields; such rows take the exact path."""
    payload = canonical_json({"a": {"b": "x", "payload": 1}})
    moved_kind = 'decided","payload":{"a":{"b":"x'
    assert _record_text(16, iso_utc(AT), "rui", moved_kind, 7, json.dumps(1)) is None
    assert _record_text(16, iso_utc(AT), 'rui","at":"x', "decided", 7, payload) is None
    assert _record_text(16, iso_utc(AT), "rui", "decided", 7, payload) is not None
