"""A benchmark's history chart in the reader's words (stage names, unit, target), drawn by
app/web/charts.py: the candidate, benchmark and share pages draw it alike."""

from datetime import date

from app.benchmarks.labels import unit_label
from app.status import effective_measurements, stage_position
from app.web.charts import ChartPoint, history_chart
from app.web.templating import localized
from app.web.wording import measure, target_words

CHART_POINTS = 400  # at most this many points on a benchmark page's chart


def chart_points(status, key: str, as_of: date) -> list[ChartPoint]:
    """Effective measurements of one benchmark as chart points (stage number for milestones)."""
    applied = next(a for a in status.applied if a.definition.key == key)
    stages = applied.definition.stages or []
    points = []
    for m in effective_measurements(status.measurements[key], as_of):
        revised = m.supersedes_id is not None
        if m.value is not None:
            points.append(ChartPoint(m.as_of, m.value, revised, m.assessed_by))
        elif m.stage in stages:
            points.append(ChartPoint(m.as_of, stage_position(stages, m.stage), revised,
                                     m.assessed_by))
    return points


def benchmark_chart(chart_id: str, definition, applied, points: list[ChartPoint], as_of: date,
                    *, is_illustrative: bool = False, compact: bool = False,
                    narrow: bool = False):
    """A benchmark's history chart, in the reader's words: stage names, unit and target."""
    stages = definition.stages or []

    def value_words(value: float) -> str:
        if stages:
            return measure(definition, stages[int(value) - 1]) if value >= 1 else "—"
        return measure(definition, value, applied.target_value if applied else None)

    return history_chart(
        chart_id, points, title=localized(definition, "title"), today=as_of,
        target=_target_point(applied) if applied else None,
        target_words=target_words(definition, applied.target_value, applied.target_stage)
        if applied else "",
        due_on=applied.due_on if applied else None,
        stage_names=[measure(definition, s) for s in stages],
        unit=unit_label(definition, 2.0) if definition.unit else "",
        value_words=value_words, compact=compact, narrow=narrow,
        is_illustrative=is_illustrative or bool(applied and applied.target_is_illustrative))


def _target_point(applied) -> float | None:
    stages = applied.definition.stages or []
    if applied.target_stage in stages:
        return stage_position(stages, applied.target_stage)
    return applied.target_value
