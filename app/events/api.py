"""The change feed: pages of the event log, and a Server-Sent Events stream of public events."""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from app.auth.deps import OPTIONAL_AUTH, OptionalUser, client_address
from app.db import SessionDep
from app.events.feed import event_read
from app.events.schemas import EventPage
from app.events.service import list_events
from app.events.streams import ChangeFeedDep, LimitedEventStream, StreamSlotsDep, admit_stream
from app.http.pagination import MAX_LIMIT
from app.schema_types import MAX_ID

router = APIRouter(prefix="/events", tags=["events"])

RECONNECT_MS = 1000


@router.get("", response_model=EventPage, openapi_extra=OPTIONAL_AUTH)
def get_events(
    session: SessionDep,
    user: OptionalUser,
    after: Annotated[int, Query(ge=0, le=MAX_ID,
                                description="Events with an id above this one.")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> EventPage:
    """The event log in order. Anonymous readers see public events; analysts and admins all.
    Page on with `after=next_after`."""
    events, total = list_events(session, after=after, limit=limit, public_only=user is None)
    return EventPage(items=[event_read(e) for e in events], total=total, limit=limit, offset=0,
                     next_after=events[-1].id if events else after)


@router.get("/stream", response_class=EventSourceResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "A stream of public events."},
                       410: {"description": "The events after `after` are older than the "
                                            "retention window: re-sync from the REST lists."},
                       429: {"description": "Too many open streams from this address."},
                       503: {"description": "The server holds as many streams as it can."}})
async def stream_events(
    request: Request,
    feed: ChangeFeedDep,
    slots: StreamSlotsDep,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID,
                                       description="Resume after this event id.")] = None,
    last_event_id: Annotated[int | None, Header(ge=0, le=MAX_ID)] = None,
) -> LimitedEventStream:
    """New public events as Server-Sent Events (`id` is the event id, `event` its kind).
    A reconnecting browser sends `Last-Event-ID` and misses nothing. Each address may hold a
    few streams at once (429 past that, with Retry-After); a resume whose missed events are
    older than the retention window is 410."""
    start = last_event_id if last_event_id is not None else after
    give_back = await admit_stream(slots, feed, client_address(request), start)

    async def messages():  # type: ignore[no-untyped-def]
        yield ServerSentEvent(comment="connected", retry=RECONNECT_MS)
        async for chunk in feed.stream(start):  # encoded events, several to a chunk
            yield chunk

    return LimitedEventStream(messages(), give_back=give_back, ping=15,
                              headers={"Cache-Control": "no-store"})
