"""insert_rows writes many rows in one statement (on PostgreSQL COPY, or, for fewer than
COPY_FROM rows, INSERTs sent together in one round trip); what it stores must be what SQLAlchemy
stores for the same values, byte for byte (SQLite keeps timestamps and JSON as text, and they
are sorted and compared as text), ids come back in the rows' order, and a refusal is the
exception SQLAlchemy would raise. Each test runs with a few rows and with COPY_FROM or more."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import String, cast, func, insert, select
from sqlalchemy.exc import IntegrityError

from app.db.bulk import COPY_FROM, insert_rows
from app.models import Event, ProgressUpdate


def stored_as_text(session, table, ids, columns):
    """Each row's columns as the database holds them, rendered as text by the database."""
    rows = session.execute(
        select(table.c.id, *(cast(table.c[name], String) for name in columns))
        .where(table.c.id.in_(ids)).order_by(table.c.id)).all()
    return [tuple(row[1:]) for row in rows]


FEW_AND_MANY = pytest.mark.parametrize("many", [False, True], ids=["few", "many"])


@FEW_AND_MANY
def test_rows_are_stored_as_sqlalchemy_stores_them(session, many):
    moments = [datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC),  # no microseconds
               datetime(2026, 3, 1, 14, 30, 5, 123456, tzinfo=timezone(timedelta(hours=2)))
               ] * (COPY_FROM if many else 1)
    events = [{"occurred_at": moment, "actor_id": None, "kind": "test.bulk", "entity": "test",
               "entity_id": str(n), "candidate_id": None, "is_public": n % 2 == 0,
               "before": None if n else {"a": [1, 2.5, None]},
               "after": {"text": 'quote " backslash \\ ünïcödé', "n": n, "nested": {"x": True}}}
              for n, moment in enumerate(moments)]
    through_sqlalchemy = [session.scalar(insert(Event.__table__).returning(Event.id), row)
                          for row in events]
    through_document = insert_rows(session, Event.__table__, events, returning_ids=True)
    columns = ["occurred_at", "kind", "entity_id", "is_public", "before", "after"]
    assert (stored_as_text(session, Event.__table__, through_document, columns)
            == stored_as_text(session, Event.__table__, through_sqlalchemy, columns))
    read = session.scalars(select(Event).where(Event.id.in_(through_document))
                           .order_by(Event.id)).all()
    assert [e.occurred_at for e in read] == moments
    assert [e.after for e in read] == [e["after"] for e in events]
    assert read[0].before == {"a": [1, 2.5, None]} and read[1].before is None


@pytest.mark.parametrize("count", [3, 300])
def test_ids_come_back_in_the_rows_order(session, count):
    candidate_id, indicator_id = session.execute(
        select(ProgressUpdate.candidate_id, ProgressUpdate.indicator_id).limit(1)).one()
    rows = [{"candidate_id": candidate_id, "indicator_id": indicator_id, "value": 1000.0 - n,
             "stage": None,
             "as_of": date(2025, 1, 1) + timedelta(days=n), "source": f"row {n}", "note": "",
             "is_illustrative": False, "author_id": None, "supersedes_id": None,
             "vintage": None, "published_on": None, "observation_status": "final",
             "assessed_by": "independent",
             "recorded_at": datetime.now(UTC)} for n in range(count)]
    ids = insert_rows(session, ProgressUpdate.__table__, rows, returning_ids=True)
    stored = dict(session.execute(
        select(ProgressUpdate.id, ProgressUpdate.source).where(ProgressUpdate.id.in_(ids))).all())
    assert [stored[i] for i in ids] == [f"row {n}" for n in range(count)]
    assert ids == sorted(ids)


def _update_rows(session, n, **fields):
    candidate_id, indicator_id = session.execute(
        select(ProgressUpdate.candidate_id, ProgressUpdate.indicator_id).limit(1)).one()
    return [{"candidate_id": candidate_id, "indicator_id": indicator_id, "value": float(k),
             "stage": None, "as_of": date(2025, 1, 1), "source": f"row {k}", "note": "",
             "is_illustrative": False, "author_id": None, "supersedes_id": None,
             "vintage": None, "published_on": None, "observation_status": "final",
             "assessed_by": "independent", "recorded_at": datetime.now(UTC), **fields}
            for k in range(n)]


@FEW_AND_MANY
def test_a_unique_index_refusal_is_an_integrity_error_and_stores_nothing(session, many):
    """The write path answers a concurrent correction by catching IntegrityError: the bulk
    insert (on PostgreSQL COPY or pipelined INSERTs, outside SQLAlchemy's statements) must
    raise it too."""
    corrected = session.scalar(select(ProgressUpdate.id).order_by(ProgressUpdate.id).limit(1))
    before = session.scalar(select(func.count()).select_from(ProgressUpdate))
    with pytest.raises(IntegrityError):
        insert_rows(session, ProgressUpdate.__table__,
                    _update_rows(session, COPY_FROM if many else 2, supersedes_id=corrected),
                    returning_ids=True)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(ProgressUpdate)) == before


@FEW_AND_MANY
def test_a_naive_timestamp_is_refused(session, many):
    with pytest.raises(ValueError, match="naive"):
        insert_rows(session, ProgressUpdate.__table__,
                    _update_rows(session, COPY_FROM if many else 2,
                                 recorded_at=datetime(2026, 1, 1)),
                    returning_ids=True)


def test_no_rows_store_nothing(session):
    before = session.scalar(select(func.count()).select_from(Event))
    assert insert_rows(session, Event.__table__, [], returning_ids=True) == []
    assert insert_rows(session, Event.__table__, []) == []
    assert session.scalar(select(func.count()).select_from(Event)) == before
