"""Wire shapes of progress updates. `value` is a number for numeric benchmarks and a stage key
for milestones."""

from datetime import date, datetime

from pydantic import BaseModel


class ProgressUpdateRead(BaseModel):
    id: int
    benchmark: str
    value: float | str
    as_of: date
    source: str
    note: str
    author: str | None
    recorded_at: datetime
    supersedes: int | None
    is_illustrative: bool
