"""Concurrent posts share a write transaction (app/progress/writer.py) and are still answered
one by one: each request is stored whole or not at all, with its own 404, 422, 401 or replay."""

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from app.auth import deps
from app.auth.service import hash_token, issue_token, revoke_token
from app.errors import InvalidInput, NotFound, Unauthorized
from app.models import Event, IdempotencyKey, ProgressUpdate
from app.progress import writer as writer_module
from app.progress.idempotency import ExpiredKeys
from app.progress.ingest import (
    Recorded,
    Refused,
    RequestOutcome,
    UpdateRequest,
    record_update_requests,
)
from app.progress.schemas import ProgressUpdateCreate
from app.progress.writer import UpdateWriter
from tests.conftest import bearer, no_close, run_in_own_loop

URL = "/api/v1/candidates/georgia/updates"


def item(**fields: Any) -> ProgressUpdateCreate:
    return ProgressUpdateCreate.model_validate(
        {"benchmark": "defence_spending_gdp", "value": 1.9, "as_of": "2025-06-30",
         "source": "Ministry of Defence budget law 2025", **fields})


def refusal(outcome: RequestOutcome) -> Exception:
    """What refused a request (its answer's error)."""
    assert isinstance(outcome, Refused), outcome
    return outcome.error


def count(session, model=ProgressUpdate) -> int:
    return session.scalar(select(func.count()).select_from(model))


def count_write_events(session) -> int:
    """Events of the writes themselves, without the status changes they may cause
    (tests/test_status_feed.py)."""
    return session.scalar(select(func.count()).select_from(Event)
                          .where(Event.kind != "benchmark_status.changed"))


def stored_sources(session, ids: list[int]) -> list[str]:
    return list(session.scalars(
        select(ProgressUpdate.source).where(ProgressUpdate.id.in_(ids)).order_by(ProgressUpdate.id)))


def test_each_request_of_a_group_gets_its_own_answer(session, analyst):
    before = count(session), count_write_events(session)
    requests = [
        UpdateRequest("georgia", [item(source="first")], analyst),
        UpdateRequest("atlantis", [item(source="unknown candidate")], analyst),
        UpdateRequest("georgia", [item(source="ok 1"), item(benchmark="nope", source="bad")],
                      analyst, is_batch=True),
        UpdateRequest("ukraine", [item(source="second a"), item(source="second b")], analyst,
                      is_batch=True),
    ]
    first, unknown, refused, second = record_update_requests(session, requests)

    assert isinstance(first, Recorded) and not first.replayed
    assert isinstance(refusal(unknown), NotFound)
    refused = refusal(refused)
    assert isinstance(refused, InvalidInput)
    assert refused.extra["errors"][0]["loc"] == ["body", "updates", 1, "benchmark"]
    assert isinstance(second, Recorded)
    # Each answer holds its own rows, in the order sent; the refused batch stored nothing.
    assert [u.source for u in first.updates] == ["first"]
    assert [u.source for u in second.updates] == ["second a", "second b"]
    ids = [u.id for u in first.updates + second.updates]
    assert stored_sources(session, ids) == ["first", "second a", "second b"]
    assert (count(session), count_write_events(session)) == (before[0] + 3, before[1] + 3)
    events = session.scalars(select(Event).where(Event.kind == "progress_update.created")
                             .order_by(Event.id.desc()).limit(3)).all()
    assert sorted(int(e.entity_id) for e in events) == ids


def test_a_key_sent_twice_in_one_group_replays_the_first(session, analyst):
    body = [item(source="keyed")]
    requests = [UpdateRequest("georgia", body, analyst, idempotency_key="k-1"),
                UpdateRequest("georgia", body, analyst, idempotency_key="k-1"),
                UpdateRequest("georgia", [item(source="other body")], analyst,
                              idempotency_key="k-1")]
    before = count(session)
    first, again, different = record_update_requests(session, requests)
    assert isinstance(first, Recorded) and not first.replayed
    assert isinstance(again, Recorded) and again.replayed
    assert [u.id for u in again.updates] == [u.id for u in first.updates]
    assert isinstance(refusal(different), InvalidInput)
    assert count(session) == before + 1


@pytest.mark.parametrize("other", [
    UpdateRequest("ukraine", [item(source="keyed")], None, idempotency_key="k-2"),
    UpdateRequest("georgia", [item(source="keyed")], None, idempotency_key="k-2", is_batch=True),
    UpdateRequest("georgia", [item(source="keyed", note="n")], None, idempotency_key="k-2"),
], ids=["other candidate", "batch of the same", "other body"])
def test_a_key_is_bound_to_the_path_and_the_whole_body(session, analyst, other):
    first, = record_update_requests(session, [
        UpdateRequest("georgia", [item(source="keyed")], analyst, idempotency_key="k-2")])
    before = count(session), count(session, Event)
    reused, = record_update_requests(session, [
        UpdateRequest(other.slug, other.items, analyst, other.idempotency_key, other.is_batch)])
    reused = refusal(reused)
    assert isinstance(reused, InvalidInput)
    assert [e["loc"] for e in reused.extra["errors"]] == [["header", "Idempotency-Key"]]
    assert (count(session), count(session, Event)) == before


def test_an_expired_key_is_new_again(session, analyst):
    lifetime = timedelta(hours=24)
    first, = record_update_requests(session, [
        UpdateRequest("georgia", [item(source="day one")], analyst, idempotency_key="k-3")],
        key_lifetime=lifetime)
    session.execute(update(IdempotencyKey).where(IdempotencyKey.key == "k-3")
                    .values(created_at=datetime.now(UTC) - lifetime - timedelta(seconds=1)))
    again, = record_update_requests(session, [
        UpdateRequest("georgia", [item(source="day one")], analyst, idempotency_key="k-3")],
        key_lifetime=lifetime)
    other, = record_update_requests(session, [
        UpdateRequest("ukraine", [item(source="day two")], analyst, idempotency_key="k-3")],
        key_lifetime=lifetime)
    assert isinstance(again, Recorded) and not again.replayed
    assert again.updates[0].id != first.updates[0].id
    # The key now names the second request, which it replays; the third is refused.
    assert isinstance(refusal(other), InvalidInput)
    assert session.scalars(select(IdempotencyKey.response).where(
        IdempotencyKey.key == "k-3")).all() == [{"update_ids": [again.updates[0].id]}]


def test_expired_keys_are_purged_in_bulk(session, analyst):
    for key in ("old-1", "old-2", "recent"):
        record_update_requests(session, [
            UpdateRequest("georgia", [item(source=key)], analyst, idempotency_key=key)])
    session.execute(update(IdempotencyKey).where(IdempotencyKey.key.in_(("old-1", "old-2")))
                    .values(created_at=datetime.now(UTC) - timedelta(hours=25)))
    record_update_requests(session, [
        UpdateRequest("ukraine", [item()], analyst, idempotency_key="another")])
    assert set(session.scalars(select(IdempotencyKey.key))) == {"recent", "another"}


def test_a_throttled_purge_runs_once_a_period(session, analyst):
    """The app's throttle: the first keyed write purges, the next within the hour does not."""
    throttle = ExpiredKeys(every=3600)
    old = datetime.now(UTC) - timedelta(hours=25)
    record_update_requests(session, [
        UpdateRequest("georgia", [item(source="a")], analyst, idempotency_key="first")],
        expired_keys=throttle)
    assert throttle.purged_at is not None
    session.execute(update(IdempotencyKey).where(IdempotencyKey.key == "first")
                    .values(created_at=old))
    record_update_requests(session, [
        UpdateRequest("ukraine", [item()], analyst, idempotency_key="second")],
        expired_keys=throttle)
    assert set(session.scalars(select(IdempotencyKey.key))) == {"first", "second"}
    throttle.purged_at -= 3600  # an hour later
    record_update_requests(session, [
        UpdateRequest("ukraine", [item(source="c")], analyst, idempotency_key="third")],
        expired_keys=throttle)
    assert set(session.scalars(select(IdempotencyKey.key))) == {"second", "third"}


def test_a_key_within_its_lifetime_still_replays(session, analyst):
    first, = record_update_requests(session, [
        UpdateRequest("georgia", [item()], analyst, idempotency_key="k-4")])
    session.execute(update(IdempotencyKey).where(IdempotencyKey.key == "k-4")
                    .values(created_at=datetime.now(UTC) - timedelta(hours=23)))
    again, = record_update_requests(session, [
        UpdateRequest("georgia", [item()], analyst, idempotency_key="k-4")])
    assert isinstance(again, Recorded) and again.replayed
    assert again.updates == first.updates


def test_tokens_are_verified_again_in_the_write_transaction(session, analyst):
    revoked = issue_token(session, analyst)
    valid = issue_token(session, analyst)
    revoke_token(session, str(revoked.record.id))
    before = count(session)
    kept, refused, unknown = record_update_requests(session, [
        UpdateRequest("georgia", [item(source="valid")], analyst,
                      token_digest=hash_token(valid.token)),
        UpdateRequest("georgia", [item(source="revoked")], analyst,
                      token_digest=hash_token(revoked.token)),
        UpdateRequest("georgia", [item(source="unknown")], analyst,
                      token_digest=hash_token("never-issued")),
    ])
    assert isinstance(kept, Recorded)
    refused = refusal(refused)
    assert isinstance(refused, Unauthorized) and "revoked" in refused.detail
    assert isinstance(refusal(unknown), Unauthorized)
    assert count(session) == before + 1


def test_a_token_accepted_lately_is_not_looked_up_again_before_the_body(
        client, analyst_headers, monkeypatch):
    looked_up = []
    real = deps.verify_token
    monkeypatch.setattr(deps, "verify_token", lambda *a: looked_up.append(1) or real(*a))
    for source in ("a", "b", "c"):
        response = client.post(URL, json=item(source=source).model_dump(mode="json"),
                               headers=analyst_headers)
        assert response.status_code == 201, response.text
    assert len(looked_up) == 1  # the first post; the others are verified in the transaction


def test_a_token_revoked_after_it_was_accepted_stores_nothing(client, session, analyst):
    issued = issue_token(session, analyst)
    headers = bearer(issued.token)
    assert client.post(URL, json=item(source="a").model_dump(mode="json"),
                       headers=headers).status_code == 201
    revoke_token(session, str(issued.record.id))
    before = count(session)
    # Accepted a moment ago, so not looked up before the body: refused in the transaction.
    response = client.post(URL, json=item(source="b").model_dump(mode="json"), headers=headers)
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
    assert response.headers["www-authenticate"].startswith("Bearer")
    # Forgotten, so checked before the body again: 401 even for a body that is not valid.
    again = client.post(URL, json={}, headers=headers)
    assert again.status_code == 401 and "revoked" in again.json()["detail"]
    assert count(session) == before


class Gate:
    """A session scope whose first use waits until the test opens the gate, so requests pile
    up behind the first group."""

    def __init__(self, session) -> None:
        self.scope = no_close(session)
        self.entered = threading.Event()
        self.open = threading.Event()

    def __call__(self):
        if not self.entered.is_set():
            self.entered.set()
            assert self.open.wait(10)
        return self.scope()

    async def queue_behind(self, writer: UpdateWriter, first: UpdateRequest,
                           queued: list[UpdateRequest]) -> list[Any]:
        """Records `first`; while its group is held at the gate, queues `queued`; then opens
        the gate and returns every answer (exceptions included), in that order."""
        answers = [asyncio.ensure_future(writer.record(first))]
        while not self.entered.is_set():
            await asyncio.sleep(0.001)
        answers += [asyncio.ensure_future(writer.record(r)) for r in queued]
        await asyncio.sleep(0.01)
        self.open.set()
        return await asyncio.gather(*answers, return_exceptions=True)


def test_requests_that_arrive_during_a_write_share_the_next_transaction(session, analyst):
    gate = Gate(session)
    writer = UpdateWriter(gate)
    before = count(session)

    queued = [UpdateRequest("georgia", [item(source=f"queued {n}")], analyst)
              for n in range(20)]
    queued.append(UpdateRequest("atlantis", [item(source="no such candidate")], analyst))
    answers = run_in_own_loop(lambda: gate.queue_behind(
        writer, UpdateRequest("georgia", [item(source="alone")], analyst), queued))
    assert writer.groups_written == 2 and writer.requests_written == 22
    assert [a.updates[0].source for a in answers[:21]] == ["alone"] + [
        f"queued {n}" for n in range(20)]
    assert isinstance(answers[21], NotFound)
    assert count(session) == before + 21


def test_a_group_holds_at_most_max_group_rows(session, analyst, monkeypatch):
    monkeypatch.setattr(writer_module, "MAX_GROUP_ROWS", 5)
    gate = Gate(session)
    writer = UpdateWriter(gate)

    batches = [UpdateRequest("georgia", [item(source=f"b{n}-{i}") for i in range(3)], analyst,
                             is_batch=True) for n in range(4)]
    answers = run_in_own_loop(lambda: gate.queue_behind(
        writer, UpdateRequest("georgia", [item(source="first")], analyst), batches))
    # 4 batches of 3 rows with at most 5 rows a group: one batch a group (a group takes at
    # least one request, so a batch is never split).
    assert writer.groups_written == 5
    assert all(len(a.updates) == 3 for a in answers[1:])


def test_a_failed_transaction_fails_each_of_its_requests_and_the_next_group_goes_on(
        session, analyst):
    calls = []

    def scope():
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("BEGIN", {}, Exception("database is away"))
        return no_close(session)()

    writer = UpdateWriter(scope)

    async def post_two_rounds() -> tuple[list[Any], Any]:
        failed = await asyncio.gather(*(writer.record(UpdateRequest(
            "georgia", [item(source=f"lost {n}")], analyst)) for n in range(3)),
            return_exceptions=True)
        later = await writer.record(UpdateRequest("georgia", [item(source="later")], analyst))
        return failed, later

    before = count(session)
    failed, later = run_in_own_loop(post_two_rounds)
    assert all(isinstance(f, OperationalError) for f in failed)
    assert isinstance(later, Recorded)
    assert count(session) == before + 1


@pytest.mark.parametrize("size", [1, 120])
def test_batches_store_every_column_as_sent(client, session, analyst_headers, size):
    """Whatever path the rows take into the database (one JSON document on PostgreSQL), each
    column comes back as it was sent, quotes and backslashes included."""
    items = [{"benchmark": "defence_spending_gdp", "value": 1.5 + n / 1000,
              "as_of": f"2025-0{1 + n % 9}-1{n % 10}", "source": f'He said "{n}" \\ {{x}}',
              "note": "ünïcödé, comma; 'quote'" if n % 2 else ""} for n in range(size)]
    response = client.post(URL, json={"updates": items} if size > 1 else items[0],
                           headers=analyst_headers)
    assert response.status_code == 201, response.text
    answered = response.json()["items"]
    for sent, got in zip(items, answered, strict=True):
        row = session.get(ProgressUpdate, got["id"])
        assert (row.value, row.as_of.isoformat(), row.source, row.note) == (
            sent["value"], sent["as_of"], sent["source"], sent["note"])
        assert row.recorded_at.tzinfo is not None
    events = session.scalars(select(Event).where(
        Event.entity == "progress_update",
        Event.entity_id.in_([str(a["id"]) for a in answered]))).all()
    assert sorted(e.after["source"] for e in events) == sorted(i["source"] for i in items)
    assert all(e.before is None for e in events)
