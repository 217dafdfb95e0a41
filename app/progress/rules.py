"""The business rules one progress update must meet, and the rule that a correction names the
newest value of its chain: each broken rule is a field error at the item's location."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.errors import field_error
from app.models import BenchmarkKind, Indicator, ProgressUpdate
from app.progress.schemas import ProgressUpdateCreate


@dataclass(frozen=True)
class Correction:
    """What a correction's `supersedes` names, and the newer correction of it, if any."""

    update: ProgressUpdate
    corrected_by: int | None


def validate_update(
    item: ProgressUpdateCreate,
    indicator: Indicator | None,
    candidate_id: int,
    corrected: Correction | None,
    loc: list[Any],
    today: date,
) -> list[dict[str, Any]]:
    """The business rules one observation must meet; each broken rule names its field. Any
    indicator may be observed for any candidate, for any date up to today."""
    if (item.indicator is None) == (item.benchmark is None):
        return [field_error([*loc, "indicator"], "send `indicator` or `benchmark` (one of "
                            "them): what was measured", "indicator_or_benchmark")]
    if indicator is None:
        field = "indicator" if item.indicator is not None else "benchmark"
        return [field_error([*loc, field], f"no {field} {item.key!r}", f"unknown_{field}")]
    errors = []
    if indicator.kind == BenchmarkKind.numeric:
        if not isinstance(item.value, float):
            errors.append(field_error([*loc, "value"],
                                      f"{indicator.key} is numeric: send a number",
                                      "not_a_number"))
        elif indicator.min_value is not None and item.value < indicator.min_value:
            errors.append(field_error([*loc, "value"], f"{item.value:g} is below the lowest sane "
                                 f"value, {indicator.min_value:g} {indicator.unit}",
                                 "out_of_range"))
        elif indicator.max_value is not None and item.value > indicator.max_value:
            errors.append(field_error([*loc, "value"], f"{item.value:g} is above the highest sane "
                                 f"value, {indicator.max_value:g} {indicator.unit}",
                                 "out_of_range"))
    elif not isinstance(item.value, str) or item.value not in (indicator.stages or []):
        stages = ", ".join(indicator.stages or [])
        errors.append(field_error([*loc, "value"],
                             f"{indicator.key} is a milestone: send one of its stages ({stages})",
                                  "unknown_stage"))
    if item.as_of > today:
        errors.append(field_error([*loc, "as_of"], "as_of is in the future", "future_date"))
    if item.published_on is not None and item.published_on > today:
        errors.append(field_error([*loc, "published_on"], "published_on is in the future",
                                  "future_date"))
    if item.supersedes is not None and (
        corrected is None or corrected.update.candidate_id != candidate_id
        or corrected.update.indicator_id != indicator.id
    ):
        errors.append(field_error([*loc, "supersedes"], f"update {item.supersedes} is not an "
                                  f"observation of {indicator.key} for this candidate",
                                  "wrong_supersedes"))
    return errors


def correction_conflicts(
    items: Sequence[ProgressUpdateCreate], locations: Sequence[list[Any]],
    corrections: dict[int, Correction], claimed: set[int],
) -> list[dict[str, Any]]:
    """A correction must name the newest value of its chain: an update corrected already, or
    corrected by another item of this request or by another request written in the same
    transaction (`claimed`), is a conflict naming what corrects it."""
    errors = []
    named: set[int] = set()
    for item, loc in zip(items, locations, strict=True):
        if item.supersedes is None or item.supersedes not in corrections:
            continue
        newer = corrections[item.supersedes].corrected_by
        if newer is not None:
            errors.append(field_error([*loc, "supersedes"], f"update {item.supersedes} is "
                                      f"already corrected by update {newer}: correct that one",
                                      "already_corrected"))
        elif item.supersedes in named:
            errors.append(field_error([*loc, "supersedes"], f"update {item.supersedes} is "
                                      "corrected by another item of this request",
                                      "already_corrected"))
        elif item.supersedes in claimed:
            errors.append(field_error([*loc, "supersedes"], f"update {item.supersedes} is "
                                      "being corrected by another request; read it again and "
                                      "correct the newest value", "already_corrected"))
        named.add(item.supersedes)
    return errors
