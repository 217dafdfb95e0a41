"""What the update writer keeps in memory of the tables every write reads and few writes
change: candidates with their tier history and own targets, the targets in force, the
indicators, API tokens.

A write of one update reads all of them before it stores one row, and on SQLite it reads them
holding the database's only write lock (PostgreSQL: the event-order lock), so their reads set
how many writes a second the database takes. Kept, they are read once per change instead of
once per write. Whether they changed is one small read: triggers on those tables count every
INSERT, UPDATE and DELETE in `reference_version` (migration 0014), in the writing transaction,
so a transaction sees the new count exactly when it sees the change. The cache reads the count
in each transaction before it serves anything kept, and forgets everything when it moved.
"""

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, TypeVar

from sqlalchemy import ScalarSelect, select
from sqlalchemy.orm import Session, SessionTransaction

from app.models import ReferenceVersion

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

MAX_ENTRIES = 4096  # candidates, tokens, indicators and tiers' targets together


class ReferenceCache:
    """Values read from the reference tables, kept from one transaction to the next while
    the database's count of their changes stands; the least recently used dropped past
    `max_entries`. One per update writer, used by one thread at a time (its writing thread).
    What it hands out is shared by later writes: read it, never change it."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[Hashable, Hashable], Any] = OrderedDict()
        self._stamp: tuple[str, int] | None = None  # (database, count) the entries belong to
        self._synced_in: SessionTransaction | None = None
        self.loads = 0  # calls of a loader (tests read it)

    def sync(self, session: Session) -> None:
        """Reads the count in the session's transaction and forgets everything if it moved.
        Done by get_many once per transaction; call it again after taking a lock that other
        writers' changes may have been committed behind (PostgreSQL's event-order lock)."""
        self.synced(session, session.scalar(select(ReferenceVersion.version)))

    def synced(self, session: Session, version: int | None) -> None:
        """As sync, with the count the caller has just read in the session's transaction
        (current_version's statement, read with its own)."""
        bind = session.get_bind().engine.url.render_as_string(hide_password=True)
        stamp = None if version is None else (bind, version)
        if stamp is None or stamp != self._stamp:
            self._entries.clear()
        self._stamp = stamp
        self._synced_in = session.get_transaction()

    def get_many(self, session: Session, kind: Hashable, keys: Iterable[K],
                 load: Callable[[list[K]], Mapping[K, V]]) -> dict[K, V]:
        """The values of `keys` (of this `kind`), those not kept loaded with one call of
        `load(missing)` in this session; a key `load` does not answer is absent, and not
        kept (an unknown name is asked again next time)."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        transaction = session.get_transaction()
        if transaction is None or transaction is not self._synced_in:
            self.sync(session)
        found: dict[K, V] = {}
        missing: list[K] = []
        for key in wanted:
            entry = self._entries.get((kind, key), _ABSENT)
            if entry is _ABSENT:
                missing.append(key)
            else:
                self._entries.move_to_end((kind, key))
                found[key] = entry
        if missing:
            self.loads += 1
            loaded = load(missing)
            found |= loaded
            if self._stamp is not None:  # no count (a database without the row): keep nothing
                for key, value in loaded.items():
                    self._entries[(kind, key)] = value
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return found

    def __len__(self) -> int:
        return len(self._entries)


def current_version() -> ScalarSelect[int | None]:
    """The count of changes to the reference tables, to read with another statement."""
    return select(ReferenceVersion.version).scalar_subquery()


def read_through(reference: ReferenceCache | None, session: Session, kind: Hashable,
                 keys: Iterable[K], load: Callable[[list[K]], Mapping[K, V]]) -> dict[K, V]:
    """`reference.get_many`, or without a cache `load` itself: one call for the keys (none
    when there are none)."""
    if reference is not None:
        return reference.get_many(session, kind, keys, load)
    wanted = list(dict.fromkeys(keys))
    return dict(load(wanted)) if wanted else {}


_ABSENT = object()
