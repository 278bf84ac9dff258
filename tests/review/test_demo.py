"""`sanshen demo` loads a newsroom whose drafts stand at every kind of place, once, with a trail that verifies."""

from __future__ import annotations

from sqlmodel import col, select

from review.db import Database
from review.demo import DRAFTS, load_demo
from review.models import Draft, User
from review.users import load_actor
from review.verify import verify_database
from review.views import draft_view


def test_the_demo_loads_once_and_its_trail_verifies(db: Database) -> None:
    assert load_demo(db) is True
    assert load_demo(db) is False
    with db.read() as session:
        drafts = session.exec(select(Draft).order_by(col(Draft.id))).all()
        assert len(drafts) == len(DRAFTS)
        assert verify_database(session).ok
        auditor = load_actor(session, session.exec(select(User).where(col(User.username) == "auditor")).one())
        flagged = draft_view(session, auditor, drafts[-1].id or 0)
    assert flagged.state == "review3"
    assert flagged.error_rate is not None
    assert (flagged.error_rate.verdict, flagged.error_rate.flagged_to) == ("over", "review3")
