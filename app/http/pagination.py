"""The one way every list is paginated: `limit`/`offset` in, `{items, total, limit, offset}` out;
pages of HTML lists are numbered from 1 (page_of)."""

from collections.abc import Sequence
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from app.schema_types import MAX_ID

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class PageParams(BaseModel):
    limit: int = DEFAULT_LIMIT
    offset: int = 0


async def page_params(  # no I/O: on the event loop, not in a worker thread
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_ID, description="Items to skip.")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(page_params)]


ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    total: int
    limit: int
    offset: int


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` items fill, `per_page` a page: at least one, even empty."""
    return max(1, -(-total // per_page))


def page_of(items: Sequence[ItemT], page: int, per_page: int) -> tuple[list[ItemT], int]:
    """Page `page` (the first is 1) of `items`, and how many pages there are."""
    return list(items[(page - 1) * per_page: page * per_page]), page_count(len(items), per_page)
