"""Wire shapes of the Needs attention list."""

from datetime import date

from pydantic import BaseModel, Field

from app.attention.service import AttentionItem
from app.http.pagination import Page
from app.models import Tier
from app.status import Status


class AttentionCandidate(BaseModel):
    slug: str
    name: str
    name_fr: str


class AttentionBenchmark(BaseModel):
    key: str
    title: str
    title_fr: str
    category: str
    unit: str | None = Field(description="The unit of `latest.value`; none for a milestone.")


class AttentionLatest(BaseModel):
    value: float | str = Field(description="A number, or a milestone's stage. As stored: "
                               "never rounded.")
    as_of: date


class AttentionItemRead(BaseModel):
    candidate: AttentionCandidate
    tier: Tier = Field(description="The candidate's tier on `as_of`.")
    benchmark: AttentionBenchmark
    due_on: date
    days_left: int = Field(description="Days from `as_of` to `due_on`: negative when the due "
                           "date has passed (-12 is 12 days late), 0 when due on `as_of`.")
    status: Status = Field(description="As in the candidate's status (never `met`): "
                           "`overdue` once past its due date, `no_data` without a value.")
    progress: float | None = Field(description="0–100; none without data.")
    latest: AttentionLatest | None = Field(description="The latest value counted; none "
                                           "without data.")
    is_illustrative: bool = Field(description="The target, or the latest value, is "
                                  "illustrative.")


class AttentionPage(Page[AttentionItemRead]):
    as_of: date = Field(description="The date evaluated, from which `days_left` counts.")
    due_by: date = Field(description="`as_of` plus `within_days`: every benchmark not met "
                         "that is due on or before it is listed.")


def attention_item_read(item: AttentionItem) -> AttentionItemRead:
    definition, latest = item.applied.definition, item.evaluation.latest
    return AttentionItemRead(
        candidate=AttentionCandidate(slug=item.candidate.slug, name=item.candidate.name,
                                     name_fr=item.candidate.name_fr),
        tier=item.tier,
        benchmark=AttentionBenchmark(key=definition.key, title=definition.title,
                                     title_fr=definition.title_fr,
                                     category=definition.category.key, unit=definition.unit),
        due_on=item.due_on, days_left=item.days_left, status=item.evaluation.status,
        progress=item.evaluation.progress,
        latest=AttentionLatest(
            value=latest.value if latest.value is not None else latest.stage or "",
            as_of=latest.as_of,
        ) if latest else None,
        is_illustrative=item.is_illustrative,
    )
