"""How the rules say a value, a goal and a pace in their reasons: "1.6 % of GDP", "stage
adopted (3 of 4)", "+0.1 pt a year"."""

import math

from app.status.measurements import _stage_index
from app.status.values import BenchmarkSpec, Measurement


def _number(x: float) -> str:
    """At least two decimals' worth of precision, trailing zeros dropped: 1.6, 36.53, 0.004, 2."""
    if not math.isfinite(x) or x == 0:
        return "0" if x == 0 else str(x)
    decimals = min(6, max(2, 1 - math.floor(math.log10(abs(x)))))
    text = f"{x:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _with_unit(x: float, unit: str | None) -> str:
    return f"{_number(x)} {unit}" if unit else _number(x)


def _describe(spec: BenchmarkSpec, m: Measurement) -> str:
    if spec.kind == "milestone":
        index = int(_stage_index(spec, m.stage))
        if not index:
            return f"unknown stage {m.stage!r}"
        return f"stage {m.stage} ({index} of {len(spec.stages)})"
    return _with_unit(m.value or 0.0, spec.unit)


def _goal(spec: BenchmarkSpec) -> str:
    if spec.kind == "milestone":
        goal = f"the target stage {spec.target_stage}"
    else:
        goal = f"a target of {_with_unit(spec.target_value or 0.0, spec.unit)}"
    return f"{goal} due {spec.due_on.isoformat()}" if spec.due_on else goal


def _pace(spec: BenchmarkSpec, slope: float) -> str:
    """The slope as people say it: "+0.1 pt a year" for a percentage, "+0.5 stages a year"."""
    if spec.kind == "milestone":
        unit = "stage" if _number(abs(slope)) == "1" else "stages"
    elif spec.unit and spec.unit.startswith("%"):
        unit = "pt"
    else:
        unit = spec.unit
    sign = "+" if slope >= 0 else "-"
    return f"{sign}{_with_unit(abs(slope), unit)} a year"
