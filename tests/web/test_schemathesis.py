"""Generated requests from the OpenAPI document (schemathesis): never a 5xx, responses as documented.

All of schemathesis' checks run, except two that do not fit this API:

- "positive data acceptance" expects every schema-valid request to succeed, while the engine rightly
  refuses, with 422, values the schema cannot know are wrong (an unknown channel, a blank opinion);
- "negative data rejection", for invalid requests, flags type mutations of query parameters that
  serialise to valid text (`state=true` is the state named "true": no draft, 200) and bodies refused
  with 413 by the size limit; tests/web/test_hostile_input.py checks rejection case by case.

The generated requests come from a second author and from an auditor; the drafts that existed before
belong to someone else and are at every stage. Whatever is generated, those drafts stay exactly as
they were and the trail still verifies.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import negative_data_rejection
from sqlmodel import col, select

from review.db import Database
from review.models import Draft, Revision, Signoff
from review.verify import verify_database
from tests.factories import approve_through, make_user, published_draft, submitted_draft
from tests.web.conftest import Staff, bearer

EXAMPLES = 25
EXCLUDED = {GenerationMode.POSITIVE: [], GenerationMode.NEGATIVE: [negative_data_rejection]}
CONFIG = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {"enabled": False}}})


def existing(db: Database) -> list[tuple[Any, ...]]:
    with db.read() as session:
        drafts = [tuple(d.model_dump().values()) for d in session.exec(select(Draft).order_by(col(Draft.id)))]
        revisions = [tuple(r.model_dump().values()) for r in session.exec(select(Revision).order_by(col(Revision.id)))]
        signoffs = [tuple(s.model_dump().values()) for s in session.exec(select(Signoff).order_by(col(Signoff.id)))]
    return drafts + revisions + signoffs


@pytest.fixture
def fuzzers(db: Database, staff: Staff) -> Iterator[dict[str, dict[str, str]]]:
    """Seed drafts at several stages, hand out the fuzzing identities, and check the damage afterwards."""
    room = staff.room
    submitted_draft(db, room)
    approve_through(db, room, submitted_draft(db, room), until="review2")
    approve_through(db, room, submitted_draft(db, room))
    published_draft(db, room)
    make_user(db, "fuzz", "author")
    before = existing(db)
    yield {"author": bearer(db, "fuzz"), "auditor": staff["auditor"]}
    assert existing(db)[: len(before)] == before
    with db.read() as session:
        assert verify_database(session).ok


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_generated_requests_never_fail_the_server(
    client: TestClient, fuzzers: dict[str, dict[str, str]], mode: GenerationMode
) -> None:
    """Every operation of the document, with requests that fit its schema and requests that break it."""
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", client.app, config=CONFIG)
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method, operation.path) == ("delete", "/api/v1/auth/token"):
            continue  # it would revoke the fuzzers' own tokens; tests/web/test_api.py covers it

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: Any) -> None:
            for headers in fuzzers.values():
                case.call_and_validate(headers=headers, excluded_checks=EXCLUDED[mode])

        try:
            run()
        except Unsatisfiable:
            # Only for operations without inputs (GET /me), where no invalid request exists.
            assert mode is GenerationMode.NEGATIVE, operation.label
