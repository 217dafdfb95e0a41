"""Reading an import file, CSV or XLSX: its rows as (line, {column: text}), the header checked
first, and each row checked as the API checks one update (the same schema), with the row's words
for its mistakes (RowError: line, column, the value as sent, why). Storing them is
app/imports/service.py."""

import contextlib
import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any, Literal

from pydantic import ValidationError

from app.config import get_settings
from app.errors import InvalidInput, in_words
from app.imports.xlsx import Deadline, Limits, NotAWorkbook, sheet_texts
from app.progress.schemas import ProgressUpdateCreate

COLUMNS = ("candidate", "benchmark", "indicator", "value", "as_of", "source", "note",
           "supersedes", "vintage", "published_on", "observation_status", "assessed_by")
REQUIRED = ("candidate", "value", "as_of", "source")
OPTIONAL = ("note", "supersedes", "vintage", "published_on", "observation_status",
            "assessed_by")
DATE_COLUMNS = ("as_of", "published_on")

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Format = Literal["csv", "xlsx"]

# A value quoted in a refusal is cut to this many characters, a message (which may quote one)
# to twice as many: a CSV cell may hold 131,072, and a thousand of them would be the answer.
QUOTED_CHARS = 500
# A CSV line longer than this is refused: a line of commas alone would be a list of millions
# of empty cells.
CSV_LINE_CHARS = 1024 * 1024


def _quoted(text: str, limit: int = QUOTED_CHARS) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


@dataclass(frozen=True)
class RowError:
    """One broken rule of one row. `line` is the file's line (CSV) or row (XLSX), the header
    being 1; `value` is the cell as sent (None when the rule is about the file or its header),
    cut past QUOTED_CHARS; `type` a stable code a program can act on."""

    line: int
    column: str
    message: str
    value: str | None = None
    type: str = "value_error"

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", _quoted(self.message, 2 * QUOTED_CHARS))
        if self.value is not None:
            object.__setattr__(self, "value", _quoted(self.value))

    def __str__(self) -> str:
        sent = f" {self.value!r}" if self.value not in (None, "") else ""
        return f"line {self.line}, {self.column}{sent}: {self.message}"

    def as_problem(self) -> dict[str, Any]:
        """An item of the 422's `errors`: the fields of the API's other 422s (loc, field, msg,
        type) and the row's (line, column, value)."""
        return {"line": self.line, "column": self.column, "value": self.value,
                "msg": self.message, "type": self.type, "loc": ["body", self.line, self.column],
                "field": f"line {self.line}, {self.column}"}


class ImportRefused(InvalidInput):
    """Nothing was stored: the bad rows are in `errors` (a 422 through the API), the first
    LISTED_ERRORS of them by line; `error_count` counts them all."""

    def __init__(self, errors: list[RowError], error_count: int | None = None) -> None:
        self.row_errors = errors
        self.error_count = max(error_count or 0, len(errors))
        lines = len({e.line for e in errors})
        first = "; ".join(str(e) for e in errors[:3])
        more = f" (and {self.error_count - 3} more)" if self.error_count > 3 else ""
        found = (f"{self.error_count} problem(s) in {lines} row(s)"
                 if self.error_count == len(errors) else
                 f"{self.error_count} problem(s), the first {len(errors)} listed")
        super().__init__(f"{found}; nothing was stored. {first}{more}",
                         [e.as_problem() for e in errors])
        self.extra["error_count"] = self.error_count

    @property
    def errors(self) -> list[RowError]:  # type: ignore[override]
        return self.row_errors


# Reading: a file's rows as (line, {column: text}), the header checked first.

def _check_header(cells: list[str]) -> list[str]:
    while cells and not cells[-1]:
        cells.pop()
    names = set(cells)
    expected = (f"expected columns {', '.join(COLUMNS)} (indicator or benchmark, not "
                "necessarily both)")
    errors = [RowError(1, name or "header", f"unknown column: {expected}", name, "unknown_column")
              for name in cells if name not in COLUMNS]
    errors += [RowError(1, name, f"missing column: {expected}", None, "missing_column")
               for name in REQUIRED if name not in names]
    if not names & {"indicator", "benchmark"}:
        errors.append(RowError(1, "indicator", f"missing column: {expected}", None,
                               "missing_column"))
    errors += [RowError(1, name, "column given twice", name, "duplicate_column")
               for name, n in Counter(cells).items() if n > 1 and name]
    if errors:
        raise ImportRefused(errors)
    return cells


def _row(header: list[str], cells: list[str], line: int) -> dict[str, str] | RowError:
    extra = [c for c in cells[len(header):] if c.strip()]
    if extra:
        return RowError(line, "row", f"{len(cells)} cells where the header has {len(header)}",
                        extra[0], "extra_cells")
    return dict(zip(header, cells, strict=False))


def csv_rows(handle: IO[bytes]) -> Iterator[tuple[int, dict[str, str] | RowError]]:
    """UTF-8 (with or without a byte-order mark), as spreadsheets save "CSV UTF-8"."""
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")

    def lines() -> Iterator[str]:
        while line := text.readline(CSV_LINE_CHARS + 1):
            if len(line) > CSV_LINE_CHARS:
                raise csv.Error(f"a line is longer than {CSV_LINE_CHARS:,} characters")
            yield line

    reader = csv.reader(lines())
    try:
        try:
            header = _check_header([c.strip() for c in next(reader)])
        except StopIteration:
            raise ImportRefused([RowError(1, "header", "the file is empty", None,
                                          "empty_file")]) from None
        for cells in reader:
            if any(c.strip() for c in cells):
                yield reader.line_num, _row(header, cells, reader.line_num)
    except UnicodeDecodeError:
        raise ImportRefused([RowError(reader.line_num + 1, "file", "not UTF-8 text: save the "
                                      "sheet as CSV UTF-8, or send XLSX", None,
                                      "not_utf8")]) from None
    except csv.Error as exc:
        raise ImportRefused([RowError(reader.line_num, "file", f"not readable as CSV: {exc}",
                                      None, "malformed_csv")]) from None
    finally:
        text.detach()  # the caller closes the file


def xlsx_rows(handle: IO[bytes], deadline: Deadline | None = None
              ) -> Iterator[tuple[int, dict[str, str] | RowError]]:
    """The workbook's first sheet (the template's "updates"), row by row as it is
    decompressed; the header is its first row that has a cell."""
    settings = get_settings()
    rows = sheet_texts(handle, Limits(unpacked_bytes=settings.import_max_unpacked_bytes),
                       deadline)
    try:
        try:
            _, first = next(rows)
        except StopIteration:
            raise ImportRefused([RowError(1, "header", "the first sheet is empty", None,
                                          "empty_file")]) from None
        header = _check_header([c.strip() for c in first])
        for line, cells in rows:
            if any(c.strip() for c in cells):
                yield line, _row(header, cells, line)
    except NotAWorkbook as exc:
        message = f"not an XLSX workbook ({exc})" if exc.type == "not_xlsx" else str(exc)
        raise ImportRefused([RowError(1, "file", message, None, exc.type)]) from None
    finally:
        rows.close()  # a reader in a child process is stopped


def file_rows(handle: IO[bytes], fmt: Format, deadline: Deadline | None = None
              ) -> Iterator[tuple[int, dict[str, str] | RowError]]:
    return xlsx_rows(handle, deadline) if fmt == "xlsx" else csv_rows(handle)


# Checking one row: the same schema as the API's, with the row's words for its mistakes.

def _value(text: str) -> float | str:
    """A cell that reads as a number is a number; anything else is a stage key."""
    text = text.strip()
    if "_" not in text:  # float() would read 1_000 as a number; a stage key, or a typo
        with contextlib.suppress(ValueError):
            return float(text)
    return text


def parse_row(row: dict[str, str], line: int) -> ProgressUpdateCreate | list[RowError]:
    cells = {column: stripped for column, text in row.items() if (stripped := text.strip())}
    missing = [c for c in REQUIRED if c not in cells]
    if "indicator" not in cells and "benchmark" not in cells:
        missing.append("indicator")
    errors = [RowError(line, c, "is empty" if c != "indicator" else "is empty: name the "
                       "indicator (or a benchmark) measured", "", "missing") for c in missing]
    fields: dict[str, Any] = {"value": _value(row.get("value") or ""),
                              "as_of": cells.get("as_of", ""), "source": row.get("source") or ""}
    for column in ("indicator", "benchmark", *OPTIONAL):
        if column in cells:
            fields[column] = row[column] if column == "note" else cells[column]
    if "supersedes" in fields:
        if fields["supersedes"].isdigit():
            fields["supersedes"] = int(fields["supersedes"])
        else:
            errors.append(RowError(line, "supersedes", "use the id (a whole number) of the "
                                   "update this row corrects", row["supersedes"], "not_an_id"))
            del fields["supersedes"]
    try:
        item = ProgressUpdateCreate.model_validate(fields)
    except ValidationError as exc:
        for e in exc.errors():
            column = str(e["loc"][0]) if e["loc"] else "row"
            if column in missing:
                continue
            message, kind = in_words(e)  # the API's words and codes
            if column in DATE_COLUMNS and kind == "invalid_datetime":
                message, kind = "not a date: use YYYY-MM-DD", "invalid_date"
            errors.append(RowError(line, column, message, row.get(column), kind))
        return errors
    return errors or item
