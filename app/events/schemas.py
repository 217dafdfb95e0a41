from datetime import datetime
from typing import Any

from pydantic import BaseModel


class EventRead(BaseModel):
    id: int
    occurred_at: datetime
    kind: str
    entity: str
    entity_id: str
    candidate: str | None
    actor: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class EventPage(BaseModel):
    items: list[EventRead]
    total: int
    limit: int
    offset: int
    next_after: int
