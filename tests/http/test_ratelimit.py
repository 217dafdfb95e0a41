"""Rate limits: sliding windows bounded in memory."""

from app.http import ratelimit


def test_the_failure_counter_forgets_rather_than_grows(monkeypatch):
    monkeypatch.setattr(ratelimit, "MAX_KEYS", 100)
    window = ratelimit.SlidingWindow(limit=5)
    for n in range(1_000):  # a thousand addresses failing at once
        window.hit(f"address-{n}")
    assert len(window._hits) <= 100
    assert window.hit("address-999") is None  # the newest are kept
