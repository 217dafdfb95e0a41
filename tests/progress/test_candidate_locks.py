"""PostgreSQL: a large write reads the statuses it may change under its candidates' locks, not
the event-order lock (app.status_feed.StatusWatch, candidate_locks), and checks under that lock,
before writing its events, that no other write on its candidates came in between; if one did,
it reads them again. These tests put a write in between and check the status changes recorded
still form one chain that ends in the status read afterwards."""

from datetime import date, timedelta
from itertools import pairwise

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.service import create_user, issue_token
from app.main import create_app
from app.models import Candidate, Event, User
from app.progress.ingest import LOCK_CANDIDATES_FROM, UpdateSet, add_progress_updates
from app.progress.schemas import ProgressUpdateCreate
from app.status_feed import CHANGE_KIND, StatusWatch
from tests.conftest import bearer
from tests.helpers import demo_engine_fixture  # noqa: F401 (a fixture)

KEY = "defence_spending_gdp"  # Georgia is asked 1.5 % (strategic partner) and meets it
YESTERDAY = (date.today() - timedelta(days=1)).isoformat()
TODAY = date.today().isoformat()


@pytest.fixture
def served(demo_engine):
    if demo_engine.dialect.name != "postgresql":
        pytest.skip("candidate locks are PostgreSQL's (SQLite writes one transaction at a time)")
    with Session(demo_engine) as session:
        analyst = bearer(issue_token(session, create_user(session, "ann", "analyst")).token)
    with TestClient(create_app(response_cache=False), base_url="http://127.0.0.1:8000") as client:
        yield client, analyst


def status(client) -> str:
    body = client.get("/api/v1/candidates/georgia/status").json()
    return next(b["status"] for b in body["benchmarks"] if b["key"] == KEY)


def changes_after(engine, event_id: int) -> list[dict]:
    with Session(engine) as session:
        return [e.after for e in session.scalars(
            select(Event).where(Event.kind == CHANGE_KIND, Event.id > event_id)
            .order_by(Event.id)) if e.after["candidate"] == "georgia"
            and e.after["benchmark"] == KEY]


def post_small_update_elsewhere(engine, value: float, as_of: str) -> None:
    """What another process's small write does: its own transaction, taking the event-order
    lock to read, committed at once."""
    with Session(engine) as session:
        georgia = session.scalar(select(Candidate.id).where(Candidate.slug == "georgia"))
        author = session.scalar(select(User).where(User.name == "ann"))
        [outcome] = add_progress_updates(session, [UpdateSet(georgia, [ProgressUpdateCreate(
            benchmark=KEY, value=value, as_of=as_of, source="Elsewhere, in between")],
            author, [["body"]])])
        assert not outcome.errors and not outcome.conflicts
        session.commit()


@pytest.mark.parametrize("read_again", [True, False], ids=["checked", "not-checked"])
def test_a_write_committed_between_a_batchs_read_and_its_events_is_read_again(
        served, demo_engine, monkeypatch, read_again):
    """A batch meeting the target (1.6 %, today) reads Georgia's statuses; before it writes its
    events, another write commits a figure short of it (1.2 %, yesterday) and records the
    change met → short. The batch sees that write, reads again under the event-order lock,
    and records short → met: one chain, ending in `met`. Without the check (not-checked,
    the check replaced by one that finds nothing) the batch would record nothing, as it read
    `met` before, and the chain would end in a status that is not the one shown: the test
    proves it fails then."""
    client, analyst = served
    real = StatusWatch.read_is_current
    answers: list[bool] = []

    def with_a_write_in_between(self, session):
        if answers or not self.candidate_locks:  # the write below checks too (small: True)
            return real(self, session)
        answers.append(None)
        post_small_update_elsewhere(demo_engine, 1.2, YESTERDAY)
        answers[0] = real(self, session)
        return answers[0] if read_again else True

    monkeypatch.setattr(StatusWatch, "read_is_current", with_a_write_in_between)
    before = status(client)
    assert before == "met"
    with Session(demo_engine) as session:
        start = session.scalar(select(func.max(Event.id)))
    batch = [{"benchmark": KEY, "value": 1.6, "as_of": TODAY, "source": f"Batch row {n}"}
             for n in range(LOCK_CANDIDATES_FROM)]
    response = client.post("/api/v1/candidates/georgia/updates", headers=analyst,
                           json={"updates": batch})
    assert response.status_code == 201, response.text

    recorded = changes_after(demo_engine, start)
    assert recorded[0]["from"] == "met"
    assert recorded[0]["to"] != "met"  # the write in between moved it
    assert answers == [False]  # the check saw it (and, not-checked, was overruled)
    chained = all(c["from"] == p["to"] for p, c in pairwise(recorded))
    ends_in_shown = recorded[-1]["to"] == status(client) == "met"
    if read_again:
        assert chained and ends_in_shown, recorded
    else:
        assert not (chained and ends_in_shown), recorded  # what the check is there for


def test_a_small_write_reads_under_the_event_order_lock(served, demo_engine, monkeypatch):
    """Fewer than LOCK_CANDIDATES_FROM updates take the event-order lock to read (a
    candidate's lock would make small writes of the same candidates wait for each other's
    whole transaction); a batch of at least that many reads under its candidates' locks."""
    client, analyst = served
    modes: list[bool] = []
    real = StatusWatch.watch

    def noting(self, session, series, excluding=()):
        modes.append(self.candidate_locks)
        return real(self, session, series, excluding)

    monkeypatch.setattr(StatusWatch, "watch", noting)
    for size in (1, LOCK_CANDIDATES_FROM - 1, LOCK_CANDIDATES_FROM):
        items = [{"benchmark": KEY, "value": 1.7, "as_of": YESTERDAY, "source": f"size {size}"}
                 for _ in range(size)]
        response = client.post("/api/v1/candidates/georgia/updates", headers=analyst,
                               json={"updates": items} if size > 1 else items[0])
        assert response.status_code == 201, response.text
    assert modes == [False, False, True]
