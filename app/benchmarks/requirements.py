"""A definition's per-tier requirements as written by the admin: checked against the
definition's kind, range and stages, and turned to and from stored rows."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.benchmarks.schemas import (
    RequirementWrite,
)
from app.errors import field_error
from app.models import (
    BenchmarkKind,
    TierRequirement,
)


@dataclass(frozen=True)
class _Shape:
    """What a definition's requirements are checked against."""

    kind: str
    unit: str | None
    direction: str | None
    min_value: float | None
    max_value: float | None
    stages: list[str] | None


def _shape_errors(shape: _Shape) -> list[dict[str, Any]]:
    errors = []
    if shape.kind == BenchmarkKind.numeric:
        if shape.unit is None:
            errors.append(field_error(["body", "unit"], "a numeric benchmark needs a unit"))
        if shape.direction is None:
            errors.append(field_error(["body", "direction"],
                                      "a numeric benchmark needs a direction"))
        if shape.stages is not None:
            errors.append(field_error(["body", "stages"], "only a milestone benchmark has stages"))
        if (shape.min_value is not None and shape.max_value is not None
                and shape.min_value >= shape.max_value):
            errors.append(field_error(["body", "max_value"], "must be above min_value"))
    else:
        if shape.stages is None:
            errors.append(field_error(["body", "stages"], "a milestone benchmark needs its stages"))
        for field in ("unit", "direction", "min_value", "max_value"):
            if getattr(shape, field) is not None:
                errors.append(field_error(["body", field], "only a numeric benchmark has one"))
    return errors


def _requirement_errors(
    shape: _Shape, requirements: Sequence[RequirementWrite], *, sent: bool
) -> list[dict[str, Any]]:
    """Each requirement against the definition's kind, range and stages. Kept requirements
    (not `sent`) are re-checked when the range or the stages change."""
    errors = []
    seen: set[str] = set()
    for index, req in enumerate(requirements):
        def loc(field: str, index: int = index) -> list[Any]:
            return ["body", "requirements", index, field] if sent else ["body", "requirements"]

        label = "" if sent else f"the {req.tier} requirement's "
        if req.tier in seen:
            errors.append(field_error(loc("tier"), f"a second requirement for {req.tier}; "
                                 "one per tier"))
        seen.add(req.tier)
        if req.due_on is not None and req.due_offset_days is not None:
            errors.append(field_error(loc("due_offset_days"),
                                 "send due_on or due_offset_days, not both"))
        if shape.kind == BenchmarkKind.numeric:
            if not isinstance(req.target, float):
                errors.append(field_error(loc("target"), "the benchmark is numeric: send a number"))
            elif shape.min_value is not None and req.target < shape.min_value:
                errors.append(field_error(loc("target"), f"{label}target {req.target:g} is below "
                                     f"min_value {shape.min_value:g}"))
            elif shape.max_value is not None and req.target > shape.max_value:
                errors.append(field_error(loc("target"), f"{label}target {req.target:g} is above "
                                     f"max_value {shape.max_value:g}"))
        elif not isinstance(req.target, str) or req.target not in (shape.stages or []):
            stages = ", ".join(shape.stages or [])
            errors.append(field_error(loc("target"), f"{label}target must be one of the stages "
                                 f"({stages})"))
    return errors


def _requirement_write(requirement: TierRequirement) -> RequirementWrite:
    return RequirementWrite.model_construct(
        tier=requirement.tier,
        target=(requirement.target_value if requirement.target_value is not None
                else requirement.target_stage),
        weight=requirement.weight, due_on=requirement.due_on,
        due_offset_days=requirement.due_offset_days, is_illustrative=requirement.is_illustrative,
    )


def _tier_requirement(req: RequirementWrite, *, effective_on: date) -> TierRequirement:
    requirement = TierRequirement(tier=req.tier, effective_on=effective_on)
    requirement.target_value = req.target if isinstance(req.target, float) else None
    requirement.target_stage = req.target if isinstance(req.target, str) else None
    requirement.weight = req.weight
    requirement.due_on = req.due_on
    requirement.due_offset_days = req.due_offset_days
    requirement.is_illustrative = req.is_illustrative
    return requirement
