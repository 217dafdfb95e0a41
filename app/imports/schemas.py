"""Wire shapes of file imports."""

from typing import Literal

from pydantic import BaseModel, Field


class ImportResult(BaseModel):
    """What an upload stored (201), or would store (a dry run: 200)."""

    id: str | None = Field(description="The import's id, as in its event `import.created`; "
                           "null for a dry run.")
    dry_run: bool
    format: Literal["csv", "xlsx"]
    bytes: int = Field(description="The size of the file received.")
    rows: int = Field(description="Rows read (the header and empty rows not counted).")
    stored: int = Field(description="Progress updates stored: every row, or 0 for a dry run.")
    candidates: int = Field(description="How many candidates the rows are about.")
    indicators: int = Field(description="How many indicators the rows observe.")
    by_candidate: dict[str, int] = Field(description="Rows per candidate slug.")
    first_update_id: int | None = Field(description="The lowest id among the updates stored.")
    last_update_id: int | None = Field(description="The highest id among the updates stored.")
