"""Wire shapes of progress reports. A period is a quarter (`2025-Q3`), a half year (`2025-H1`)
or a year (`2025`); the body is Markdown, served rendered and sanitised as `body_html`."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from app.models import ReportStatus
from app.schema_types import InputDateTime, NoNul

MAX_BODY = 100_000

Period = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^\d{4}(-Q[1-4]|-H[12])?$"),
    Field(description="`2025-Q3`, `2025-H1` or `2025`.", examples=["2025-Q3"]),
]


Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
                  NoNul]
Body = Annotated[str, Field(max_length=MAX_BODY, description="Markdown."),
                 NoNul]


def report_etag(report_id: int, version: int) -> str:
    """Strong: every edit, and publication, makes a new version."""
    return f'"report-{report_id}-v{version}"'


class ReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: Period
    title: Title
    body: Body = ""


class ReportUpdate(BaseModel):
    """The fields to change; at least one. A field that is sent may not be null."""

    model_config = ConfigDict(extra="forbid")

    period: Period | None = None
    title: Title | None = None
    body: Body | None = None

    @field_validator("period", "title", "body", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be left out but not null")
        return value

    @model_validator(mode="after")
    def _something(self) -> "ReportUpdate":
        if not self.model_fields_set:
            raise ValueError("send at least one of period, title, body")
        return self

    def changes(self) -> dict[str, str]:
        return self.model_dump(exclude_unset=True)


class ReportPublish(BaseModel):
    model_config = ConfigDict(extra="forbid")

    publish_at: InputDateTime | None = Field(
        default=None,
        description="When readers may see the report, at most a year ahead; omitted, or up "
        "to a day past, means now. The `report.published` event is public at once, without "
        "the report's title or body.",
    )


class ReportRead(BaseModel):
    id: int
    candidate: str
    period: str
    title: str
    body: str
    body_html: str
    status: ReportStatus
    is_illustrative: bool
    author: str | None
    editors: list[str] = Field(description="Who edited the draft after its author created "
                               "it, in the order of their first edit.")
    published_by: str | None = Field(description="Who reviewed and published it.")
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    version: int
    etag: str
    preview_url: str | None = Field(
        description="Drafts only (read with an analyst's token): the address of a read-only "
        "page showing this version as it will be published, for a reviewer without a token. "
        "Anyone holding it can read the draft until `preview_expires_at`; an edit voids it.")
    preview_expires_at: datetime | None = Field(
        description="When `preview_url` stops working (drafts only).")


# Shown by /docs and posted by tests/http/test_openapi_examples.py to the demo data set.
REPORT_CREATE_EXAMPLES: dict[str, Any] = {
    "draft": {
        "summary": "A quarterly draft",
        "value": {"period": "2025-Q4", "title": "Georgia, fourth quarter 2025",
                  "body": "Defence spending reached 2.1% of GDP (provisional)."},
    },
}
REPORT_UPDATE_EXAMPLES: dict[str, Any] = {
    "retitle": {"summary": "Change the title (send If-Match)",
                "value": {"title": "Georgia, Q4 2025: spending up"}},
}
REPORT_PUBLISH_EXAMPLES: dict[str, Any] = {
    "now": {"summary": "Publish now (send If-Match)", "value": {}},
    "scheduled": {"summary": "Publish at a set time",
                  "value": {"publish_at": "2026-12-31T09:00:00+00:00"}},
}
