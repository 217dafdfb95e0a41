"""Sliding-window rate limits kept in memory, per process: failed authentications per client
address, and writes per token. Each worker counts on its own, so with N workers a client gets
at most N times the limit (documented in docs/security.md)."""

import threading
import time
from collections import defaultdict, deque

from app.errors import DomainError

MAX_KEYS = 10_000  # past this many keys, those with no recent hit are forgotten


class TooManyRequests(DomainError):
    status_code = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class SlidingWindow:
    def __init__(self, limit: int, seconds: float = 60.0) -> None:
        self.limit = limit
        self.seconds = seconds
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> deque[float]:
        hits = self._hits[key]
        while hits and hits[0] <= now - self.seconds:
            hits.popleft()
        return hits

    def hit(self, key: str) -> int | None:
        """Counts one hit; returns seconds to wait if this hit is over the limit."""
        now = time.monotonic()
        with self._lock:
            if len(self._hits) >= MAX_KEYS:
                self._forget_idle(now)
                while len(self._hits) >= MAX_KEYS:  # all busy: the oldest keys go
                    del self._hits[next(iter(self._hits))]
            hits = self._trim(key, now)
            if len(hits) >= self.limit:
                return max(1, int(hits[0] + self.seconds - now) + 1)
            hits.append(now)
            return None

    def _forget_idle(self, now: float) -> None:
        """Keys whose hits have all expired: without this, every address that ever failed
        once would be remembered for the life of the process."""
        for key in [k for k, hits in self._hits.items() if not hits or
                    hits[-1] <= now - self.seconds]:
            del self._hits[key]

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
