"""What the update writer keeps of the tables every write reads (app/reference_cache.py): kept
from one transaction to the next, forgotten as soon as any of those tables changes (counted
by triggers, migration 0014), and never the cause of a write judged on stale targets, tiers or
tokens."""

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.auth.service import create_user, issue_token, revoke_token
from app.main import create_app
from app.models import Candidate, Event, ReferenceVersion
from app.reference_cache import ReferenceCache
from app.status_feed import CHANGE_KIND
from tests.conftest import bearer, upgrade
from tests.helpers import demo_engine_fixture, requirements_with  # noqa: F401 (a fixture)

COUNTED = ("candidates", "candidate_status_changes", "candidate_benchmarks",
           "benchmark_definitions", "tier_requirements", "benchmark_categories", "indicators",
           "api_tokens", "users")
RECENT = (date.today() - timedelta(days=20)).isoformat()  # after every demo measurement


def version(session: Session) -> int:
    return session.scalar(select(ReferenceVersion.version))


def names(session: Session, cache: ReferenceCache, slugs: list[str]) -> dict[str, str]:
    def load(missing: list[str]) -> dict[str, str]:
        return dict(session.execute(select(Candidate.slug, Candidate.name)
                                    .where(Candidate.slug.in_(missing))).all())
    return cache.get_many(session, "name", slugs, load)


def test_every_counted_table_has_its_triggers_at_head(empty_engine):
    """A later migration that rebuilds one of these tables on SQLite (batch_alter_table)
    drops its triggers: this says so."""
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        if empty_engine.dialect.name == "postgresql":
            found = set(connection.scalars(text(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = c.relname || '_reference_version'")))
            assert found == set(COUNTED)
        else:
            found = set(connection.scalars(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND sql LIKE '%UPDATE reference_version SET version = version + 1%'")))
            assert found == {f"{table}_reference_version_{action}" for table in COUNTED
                             for action in ("insert", "update", "delete")}
        assert connection.scalar(text("SELECT count(*) FROM reference_version")) == 1


def test_each_insert_update_and_delete_is_counted_at_its_commit(empty_engine):
    upgrade(empty_engine)
    with Session(empty_engine) as session:
        start = version(session)
        user = create_user(session, "ann", "analyst")  # commits
        assert version(session) > start
        at = version(session)
        issued = issue_token(session, user)
        assert version(session) > at
        at = version(session)
        revoke_token(session, str(issued.record.id))
        assert version(session) > at
        at = version(session)
        session.execute(text("DELETE FROM api_tokens"))
        with Session(empty_engine) as other:  # not committed: not seen elsewhere
            assert version(other) == at
        session.commit()
        assert version(session) > at


def test_kept_across_transactions_and_forgotten_when_a_counted_table_changes(demo_engine):
    cache = ReferenceCache()
    with Session(demo_engine) as session:
        assert names(session, cache, ["georgia", "ukraine"]) == {
            "georgia": "Georgia", "ukraine": "Ukraine"}
        session.commit()
        assert names(session, cache, ["georgia"]) == {"georgia": "Georgia"}
        assert cache.loads == 1  # the second transaction read the count, not the names
        with Session(demo_engine) as other:
            other.execute(text("UPDATE candidates SET name = 'Sakartvelo' "
                               "WHERE slug = 'georgia'"))
            other.commit()
        # Still this transaction? Then the count is not read again; the next one reads it.
        session.commit()
        assert names(session, cache, ["georgia"]) == {"georgia": "Sakartvelo"}
        assert cache.loads == 2


def test_unknown_keys_are_not_kept_and_entries_are_bounded(demo_engine):
    cache = ReferenceCache(max_entries=2)
    with Session(demo_engine) as session:
        assert names(session, cache, ["atlantis"]) == {}
        assert names(session, cache, ["atlantis"]) == {}
        assert cache.loads == 2 and len(cache) == 0
        names(session, cache, ["georgia", "ukraine"])
        names(session, cache, ["georgia"])  # the most recently used now
        names(session, cache, ["sweden"])
        assert len(cache) == 2
        loads = cache.loads
        names(session, cache, ["georgia", "sweden"])
        assert cache.loads == loads  # both kept; ukraine was dropped
        names(session, cache, ["ukraine"])
        assert cache.loads == loads + 1


def test_without_the_count_nothing_is_kept(demo_engine):
    cache = ReferenceCache()
    with Session(demo_engine) as session:
        session.execute(text("DELETE FROM reference_version"))
        names(session, cache, ["georgia"])
        names(session, cache, ["georgia"])
        assert cache.loads == 2 and len(cache) == 0
        session.rollback()


# Through the API, the app on sessions of its own (as served, not the tests' shared one): the
# writer keeps what it read, and a change made since by another request is still seen.

@pytest.fixture
def served(demo_engine):
    """A client of the app on the demo database, with an analyst's and an admin's headers."""
    with Session(demo_engine) as session:
        analyst = bearer(issue_token(session, create_user(session, "ann", "analyst")).token)
        admin = bearer(issue_token(session, create_user(session, "root", "admin")).token)
    with TestClient(create_app(response_cache=False), base_url="http://127.0.0.1:8000") as client:
        yield client, analyst, admin


def post_spending(client, headers, value: float) -> None:
    response = client.post("/api/v1/candidates/georgia/updates", headers=headers, json={
        "benchmark": "defence_spending_gdp", "value": value, "as_of": RECENT,
        "source": "Ministry of Defence, budget law"})
    assert response.status_code == 201, response.text


def changes_since(engine, after: int) -> list[dict]:
    with Session(engine) as session:
        return [e.after for e in session.scalars(
            select(Event).where(Event.kind == CHANGE_KIND, Event.id > after).order_by(Event.id))
            if e.after["candidate"] == "georgia"
            and e.after["benchmark"] == "defence_spending_gdp"]


def newest_id(engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.max(Event.id))) or 0


def raise_the_target(client, admin_headers) -> None:
    """Georgia's tier (strategic partner) is asked 1.9 % instead of 1.5 % from today."""
    requirements = requirements_with(client, "defence_spending_gdp", "strategic_partner", 1.9)
    response = client.patch("/api/v1/benchmarks/defence_spending_gdp", headers=admin_headers,
                            json={"requirements": requirements})
    assert response.status_code == 200, response.text


def move_to_full_candidate(client, admin_headers) -> None:
    """Georgia becomes a full candidate today: asked 2 % by 2024-12-31."""
    response = client.patch("/api/v1/candidates/georgia", headers=admin_headers,
                            json={"tier": "full_candidate"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("change", [raise_the_target, move_to_full_candidate])
def test_a_write_after_a_change_of_targets_or_tier_is_judged_on_the_new_ones(
        served, demo_engine, change):
    """Georgia meets 1.5 % with 1.86 %. The first post fills the writer's cache; a second,
    with nothing changed in between, is served from it. After the change Georgia's 1.86 %
    falls short, and a figure of 2.05 % judged against the new target is a change to `met`,
    which the old target (met before and after) would not have recorded."""
    client, analyst, admin = served
    reference = client.app.state.update_writer.reference
    post_spending(client, analyst, 1.87)
    loads = reference.loads
    post_spending(client, analyst, 1.86)
    assert reference.loads == loads  # served from what the writer kept
    change(client, admin)
    after = newest_id(demo_engine)
    post_spending(client, analyst, 2.05)
    assert reference.loads > loads  # read again after the change
    [recorded] = changes_since(demo_engine, after)
    assert recorded["to"] == "met" and recorded["from"] != "met"
    assert recorded["target_value"] == (1.9 if change is raise_the_target else 2.0)


def test_a_token_revoked_by_another_process_stores_nothing(served, demo_engine):
    client, analyst, _ = served
    post_spending(client, analyst, 1.87)  # the token is now known to the writer
    with Session(demo_engine) as session:
        revoke_token(session, "1")  # ann's, the first token issued
    response = client.post("/api/v1/candidates/georgia/updates", headers=analyst, json={
        "benchmark": "defence_spending_gdp", "value": 1.88, "as_of": RECENT, "source": "x"})
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
