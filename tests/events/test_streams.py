"""Who may open an event stream: per address (counted across a server's workers) and per
process; and how old a backlog may be before a resume is refused."""

from datetime import UTC, datetime, timedelta

import pytest

from app.events.streams import (
    BacklogGone,
    SharedCounts,
    StreamsFull,
    StreamSlots,
    check_backlog,
)
from app.http.ratelimit import TooManyRequests


def test_an_address_is_refused_past_its_limit_and_the_process_past_its_total():
    slots = StreamSlots(per_client=2, total=3)
    first = slots.take("198.51.100.1")
    slots.take("198.51.100.1")
    with pytest.raises(TooManyRequests) as refused:
        slots.take("198.51.100.1")
    assert refused.value.retry_after == 30
    slots.take("198.51.100.2")
    with pytest.raises(StreamsFull):
        slots.take("198.51.100.3")
    first()
    first()  # giving back twice gives back once
    assert slots.open == 2
    slots.take("198.51.100.1")
    with pytest.raises(StreamsFull):
        slots.take("198.51.100.1")


def test_workers_count_an_address_together(tmp_path, monkeypatch):
    import os

    path = str(tmp_path / "streams.sqlite")
    parent = os.getppid()  # a live process other than this one, standing in for worker b
    worker_a = StreamSlots(per_client=3, total=100, counts=SharedCounts(path))
    monkeypatch.setattr("os.getpid", lambda: parent)
    worker_b = StreamSlots(per_client=3, total=100, counts=SharedCounts(path))
    monkeypatch.setattr("os.getpid", lambda: 2**22 + 12_345)  # above pid_max: never alive
    dead_worker = StreamSlots(per_client=3, total=100, counts=SharedCounts(path))

    worker_a.take("203.0.113.5")
    worker_b.take("203.0.113.5")
    given_back = worker_b.take("203.0.113.5")
    with pytest.raises(TooManyRequests):
        worker_a.take("203.0.113.5")
    given_back()
    worker_a.take("203.0.113.5")
    assert worker_a.counts._open("203.0.113.5") == 3

    # A worker that died holding streams: its count is dropped once it would refuse someone.
    dead_worker.take("203.0.113.6")
    dead_worker.take("203.0.113.6")
    worker_b.take("203.0.113.6")
    worker_a.take("203.0.113.6")
    assert worker_a.counts._open("203.0.113.6") == 2


def test_a_backlog_older_than_the_retention_window_is_gone():
    now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    check_backlog(None, now=now)
    check_backlog(now - timedelta(hours=23), now=now)
    with pytest.raises(BacklogGone) as gone:
        check_backlog(now - timedelta(hours=25), now=now)
    assert "/api/v1/events" in str(gone.value)


@pytest.mark.parametrize("host, counted", [
    ("198.51.100.7", "198.51.100.7"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
])
def test_an_ipv6_client_is_counted_by_its_64(host, counted):
    from types import SimpleNamespace

    from app.auth.deps import client_address

    assert client_address(SimpleNamespace(client=SimpleNamespace(host=host))) == counted
