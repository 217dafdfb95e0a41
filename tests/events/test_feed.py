"""The stream backlog: read by blocks of event ids, each complete block read once per process
and shared by the streams that pass through it, every public event sent once and in order."""

import asyncio
import json

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.events.feed import BACKLOG_BLOCK, BacklogBlocks, Block, ChangeFeed
from app.models import Event
from tests.conftest import run_in_own_loop, upgrade

EVENTS = 2 * BACKLOG_BLOCK + 37  # two complete blocks and a partial one


@pytest.fixture(scope="module")
def logged(databases):
    """A database whose log holds EVENTS events, every fifth of them private."""
    engine = databases.create()
    upgrade(engine)
    with Session(engine) as session:
        session.execute(insert(Event), [
            {"kind": "test.event", "entity": "test", "entity_id": str(n),
             "is_public": n % 5 != 0, "after": {"n": n}} for n in range(EVENTS)])
        session.commit()
        public = list(session.scalars(select(Event.id).where(Event.is_public.is_(True))
                                      .order_by(Event.id)))
    yield engine, public
    engine.dispose()


def ids_of(chunks: list[bytes]) -> list[int]:
    text = b"".join(chunks).decode()
    return [int(line[4:]) for line in text.splitlines() if line.startswith("id: ")]


async def read_stream(feed: ChangeFeed, after: int | None, count: int) -> list[bytes]:
    """The first chunks of a stream, until `count` events have come (or none more come)."""
    chunks: list[bytes] = []
    stream = feed.stream(after)
    try:
        while len(ids_of(chunks)) < count:
            chunks.append(await asyncio.wait_for(anext(stream), 5))
    except TimeoutError:
        pass
    finally:
        await stream.aclose()
    return chunks


def test_streams_replay_every_public_event_once_in_order(logged):
    engine, public = logged
    feed = ChangeFeed(lambda: Session(engine))
    reads: list[int] = []
    read_block = feed._read_block

    def counted(number: int) -> Block:
        reads.append(number)
        return read_block(number)

    feed.backlog._read = counted

    async def run():  # type: ignore[no-untyped-def]
        try:
            middle = public[len(public) // 2]
            return await asyncio.gather(read_stream(feed, 0, len(public)),
                                        read_stream(feed, 0, len(public)),
                                        read_stream(feed, middle, len(public)))
        finally:
            await feed.stop()

    whole, again, resumed = run_in_own_loop(run)
    assert ids_of(whole) == public and ids_of(again) == public
    middle = public[len(public) // 2]
    assert ids_of(resumed) == [i for i in public if i > middle]
    # What a stream sends is the event as the REST list shows it.
    data = next(line for line in b"".join(whole).decode().splitlines()
                if line.startswith("data: "))
    assert json.loads(data[6:])["after"] == {"n": 1}
    # The complete blocks were read once for the three streams; the partial one, still
    # being written, fresh by each stream that reached it.
    last = public[-1] // BACKLOG_BLOCK
    complete = [n for n in reads if n != last]
    assert sorted(complete) == sorted(set(complete)) and len(complete) >= 2
    assert reads.count(last) == 3


def test_the_shared_blocks_stay_within_their_byte_budget():
    blocks: dict[int, Block] = {
        n: Block([(n * 10 + i, b"x" * 1000) for i in range(10)]) for n in range(50)}
    backlog = BacklogBlocks(blocks.__getitem__, max_bytes=100_000)

    async def run():  # type: ignore[no-untyped-def]
        for n in range(50):
            assert (await backlog.get(n, complete=True)).joined == blocks[n].joined

    run_in_own_loop(run)
    assert 0 < backlog.size <= 100_000
    assert len(backlog._blocks) < 50
