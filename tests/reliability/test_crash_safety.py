"""A real server killed with SIGKILL in the middle of writes loses nothing it acknowledged and
half-stores nothing. Several clients post single updates and batches of 20 to `accession serve`;
at a seeded random moment the server is killed and started again, and then: every update that
got a 201 is stored with its values, every request is stored whole or not at all, the event log
has exactly one `progress_update.created` per stored update, no foreign key points nowhere and
the database passes its own integrity checks. Requests whose answer was lost are then retried
with their Idempotency-Key, which must store each exactly once.

Durability: the PostgreSQL server of the test run may run with fsync=off
(scripts/throwaway-postgres). That is fine here: it is the application server that is killed,
not the database, so a committed transaction stays in PostgreSQL's memory and the OS page cache
whatever fsync says. Likewise SQLite's commits reach the OS with write() before the 201 leaves,
and a killed process does not take the page cache with it. This test proves atomicity and that
a 201 is only sent after the commit; surviving a power cut (fsync, synchronous=FULL) is beyond
what a test on one running machine can show.

ACCESSION_CRASH_ROUNDS (default 5) sets the rounds per backend, ACCESSION_CRASH_SEED the seed."""

import os
import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import httpx
from sqlalchemy import Engine, exists, func, select, text
from sqlalchemy.orm import Session

from app.db import Base
from app.models import Event, ProgressUpdate
from tests.live import LiveServer, live_server
from tests.reliability.conftest import LIVE_ENV, demo_database

ROUNDS = int(os.environ.get("ACCESSION_CRASH_ROUNDS", "5"))
SEED = os.environ.get("ACCESSION_CRASH_SEED", "7401")
CLIENTS = 4
BATCH = 20
BENCHMARK = "defence_spending_gdp"


@dataclass
class Sent:
    """One POST and what became of it: the ids of its 201, or None when the answer was lost;
    then those of its retry, which `replayed` an earlier commit or stored it now."""

    tag: str
    headers: dict[str, str]
    items: list[dict]
    status: int | None = None
    ids: list[int] | None = None
    error: str = ""
    retry_ids: list[int] | None = None
    replayed: bool = False
    answered: threading.Event = field(default_factory=threading.Event)

    @property
    def body(self) -> dict:
        return self.items[0] if len(self.items) == 1 else {"updates": self.items}

    @property
    def stored_ids(self) -> list[int] | None:
        return self.ids if self.ids is not None else self.retry_ids


def make_items(rng: random.Random, tag: str, size: int) -> list[dict]:
    start = date(2015, 1, 1)
    return [{"benchmark": BENCHMARK, "value": round(rng.uniform(0.5, 5.0), 3),
             "as_of": (start + timedelta(days=rng.randrange(3650))).isoformat(),
             "source": f"{tag} #{i}", "note": tag} for i in range(size)]


def post(client: httpx.Client, url: str, sent: Sent) -> httpx.Response:
    return client.post(f"{url}/api/v1/candidates/georgia/updates", json=sent.body,
                       headers={**sent.headers, "Idempotency-Key": sent.tag})


def client_loop(url: str, headers: dict[str, str], prefix: str, rng: random.Random,
                log: list[Sent], lock: threading.Lock, stop: threading.Event) -> None:
    """Posts until the server goes away: a transport error ends the loop, and that request's
    outcome stays unknown."""
    with httpx.Client(timeout=10) as client:
        n = 0
        while not stop.is_set():
            tag = f"{prefix}-n{n}"
            size = BATCH if rng.random() < 0.4 else 1
            sent = Sent(tag, headers, make_items(rng, tag, size))
            with lock:
                log.append(sent)
            try:
                response = post(client, url, sent)
                sent.status = response.status_code
                if response.status_code == 201:
                    sent.ids = [item["id"] for item in response.json()["items"]]
                else:
                    sent.error = response.text[:500]
            except httpx.TransportError as exc:
                sent.error = type(exc).__name__
                return
            finally:
                sent.answered.set()
            n += 1


def write_and_kill(server: LiveServer, tokens: list[dict[str, str]], backend: str,
                   round_: int, log: list[Sent]) -> int:
    """Runs the clients until a seeded number of writes is acknowledged, then kills the server
    after a seeded delay. Returns how many requests were in flight at the kill."""
    rng = random.Random(f"{SEED}-{backend}-{round_}")
    acknowledged_before_kill = rng.randint(3, 30)
    delay = rng.uniform(0, 0.25)
    lock, stop = threading.Lock(), threading.Event()
    start = len(log)
    threads = [
        threading.Thread(target=client_loop, daemon=True, args=(
            server.url, tokens[c], f"crash-{backend}-r{round_}-c{c}",
            random.Random(f"{SEED}-{backend}-{round_}-{c}"), log, lock, stop))
        for c in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while sum(1 for s in log[start:] if s.ids) < acknowledged_before_kill:
        assert time.monotonic() < deadline, "the server acknowledged too few writes"
        assert all(s.status in (None, 201) for s in log[start:]), \
            [(s.tag, s.status, s.error) for s in log[start:] if s.status not in (None, 201)]
        time.sleep(0.005)
    time.sleep(delay)
    with lock:
        in_flight = sum(1 for s in log[start:] if not s.answered.is_set())
    server.process.kill()
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
        assert not thread.is_alive(), "a client hung after the server died"
    return in_flight


def stored_by_tag(engine: Engine, after_id: int) -> dict[str, list[ProgressUpdate]]:
    with Session(engine) as session:
        rows = session.scalars(
            select(ProgressUpdate).where(ProgressUpdate.id > after_id,
                                         ProgressUpdate.note.like("crash-%"))
        ).all()
    found: dict[str, list[ProgressUpdate]] = defaultdict(list)
    for row in rows:
        found[row.note].append(row)
    return found


def check_stored(engine: Engine, after_id: int, log: list[Sent], *, exact: bool) -> None:
    """Every answered 201 is stored with its values; every request has all its rows or none
    (`exact`: all of them, once)."""
    found = stored_by_tag(engine, after_id)
    assert set(found) <= {s.tag for s in log}, "rows no request asked for"
    problems = []
    for sent in log:
        rows = found.get(sent.tag, [])
        if sent.stored_ids is not None:
            if sorted(r.id for r in rows) != sorted(sent.stored_ids):
                problems.append(f"{sent.tag}: acknowledged {sent.stored_ids}, stored "
                                f"{sorted(r.id for r in rows)}")
        elif len(rows) not in ((len(sent.items),) if exact else (0, len(sent.items))):
            problems.append(f"{sent.tag}: {len(rows)} of {len(sent.items)} rows stored")
        by_source = {r.source: r for r in rows}
        for item in sent.items if rows else []:
            row = by_source.get(item["source"])
            if row is None or (row.value, row.as_of.isoformat()) != (item["value"],
                                                                     item["as_of"]):
                problems.append(f"{sent.tag}: {item} stored as "
                                f"{row and (row.value, row.as_of)}")
    assert problems == [], problems[:20]


def check_event_log(engine: Engine, after_id: int) -> None:
    with Session(engine) as session:
        update_ids = set(session.scalars(select(ProgressUpdate.id)))
        new_ids = {i for i in update_ids if i > after_id}
        created = session.execute(
            select(Event.entity_id, Event.after).where(Event.kind == "progress_update.created")
        ).all()
    per_update = Counter(after["id"] for _, after in created)
    assert all(entity_id == str(after["id"]) for entity_id, after in created)
    assert {i for i, n in per_update.items() if n != 1} == set(), "an update with 2+ events"
    assert new_ids - set(per_update) == set(), "stored updates without an event"
    assert set(per_update) - update_ids == set(), "events of updates that are not stored"


def orphans(engine: Engine) -> dict[str, int]:
    """Rows whose foreign key names no row, for every foreign key of the schema."""
    found = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for fk in table.foreign_keys:
                parent = fk.column.table.alias("parent")
                child = fk.parent
                count = connection.scalar(
                    select(func.count()).select_from(table).where(
                        child.is_not(None), ~exists().where(parent.c[fk.column.name] == child))
                )
                if count:
                    found[f"{table.name}.{child.name}"] = count
    return found


def check_integrity(engine: Engine) -> None:
    assert orphans(engine) == {}
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA integrity_check").all() == [("ok",)]
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            return
        try:
            with connection.begin():
                connection.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck"))
        except Exception:  # amcheck is optional: the orphan count above still ran
            return
        indexes = connection.scalars(text(
            "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_am am ON am.oid = c.relam"
            " WHERE am.amname = 'btree' AND c.relnamespace = 'public'::regnamespace"
        )).all()
        for index in indexes:
            connection.execute(text("SELECT bt_index_check(CAST(:i AS regclass), true)"),
                               {"i": index})
        for table in ("progress_updates", "events", "idempotency_keys"):
            assert connection.execute(
                text("SELECT * FROM verify_heapam(CAST(:t AS regclass))"), {"t": table}
            ).all() == []
        connection.rollback()


def retry_unanswered(server: LiveServer, log: list[Sent]) -> None:
    """Resends every request whose answer was lost, with its Idempotency-Key: the stored ones
    replay their first result, the others are stored now."""
    with httpx.Client(timeout=10) as client:
        for sent in log:
            if sent.stored_ids is None:
                response = post(client, server.url, sent)
                assert response.status_code == 201, (sent.tag, response.text[:500])
                sent.retry_ids = [item["id"] for item in response.json()["items"]]
                sent.replayed = response.headers.get("idempotent-replayed") == "true"


def test_acknowledged_writes_survive_sigkill(databases):
    engine = demo_database(databases)
    with Session(engine) as session:
        demo_max_id = session.scalar(select(func.max(ProgressUpdate.id))) or 0
    log: list[Sent] = []
    in_flight = []
    with live_server(engine, extra_env=LIVE_ENV) as server:
        tokens = [server.token(f"crash-client-{c}") for c in range(CLIENTS)]
        for round_ in range(ROUNDS):
            in_flight.append(write_and_kill(server, tokens, databases.backend, round_, log))
            server.restart()
            check_stored(engine, demo_max_id, log, exact=False)
            check_event_log(engine, demo_max_id)
            check_integrity(engine)
            retry_unanswered(server, log)
            check_stored(engine, demo_max_id, log, exact=True)
            check_event_log(engine, demo_max_id)
    acknowledged = sum(1 for s in log if s.ids)
    assert acknowledged >= ROUNDS * 3
    # The kill must land while requests are running, or the rounds proved little.
    assert ROUNDS == 0 or sum(in_flight) >= 1, in_flight
    if os.environ.get("ACCESSION_CRASH_VERBOSE"):
        print(f"\n{databases.backend}: {len(log)} requests, {acknowledged} answered 201; in "
              f"flight at each kill {in_flight}; of those, committed before the kill "
              f"{sum(1 for s in log if s.replayed)}")

