"""What a benchmark's evaluation says, in the reader's language, as one sentence that holds
together: a met benchmark's trend is neutral; a projection already past is "behind its own
trend", never "today"; overdue, improving and projected far out are reconciled in one sentence.
Stage names and units come from the indicator's labels; no stored key reaches a page."""

from typing import Any

from app.benchmarks.labels import stage_label, unit_label
from app.i18n import format_day, format_number, format_percent, gettext
from app.status import BenchmarkEvaluation, Status, Trend


def measure(definition: Any, value: float | str | None, against: float | None = None) -> str:
    """A value as readers read it: "2.3% of GDP", "1 exercise per year", "In force". Shown
    beside a target (`against`), it never reads as that target when it is not."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return stage_label(definition, value)
    digits = shown_digits(value, against)
    unit = unit_label(definition, value)
    if unit.startswith("%"):  # "2.3% of GDP", "2,3 % du PIB": the locale's percent
        return format_percent(value, digits) + unit[1:]
    return f"{format_number(value, digits)} {unit}".strip()


def shown_digits(value: float, against: float | None = None) -> int:
    """Two decimals, or more while two would show the target the value falls short of (or
    passes): SIPRI's 1.9977 % reads "1.998 %" beside a 2 % target, never "2 %"."""
    digits = 2
    while (digits < 6 and against is not None and value != against
           and round(value, digits) == round(against, digits)):
        digits += 1
    return digits


def target_words(definition: Any, target_value: float | None, target_stage: str | None) -> str:
    return measure(definition, target_value if target_value is not None else target_stage)


def trend_words(b: BenchmarkEvaluation) -> tuple[str, str]:
    """(css class, words) of the trend. Once the target is met the trend is no longer good or
    bad news: "above target, falling" in a neutral tone, not a red "worsening"."""
    if b.trend is None:
        return "none", "—"
    if b.status is Status.met:
        lower_is_better = b.spec.direction == "lower_is_better"
        rising = (b.trend is Trend.improving) != lower_is_better
        if b.trend is Trend.flat:
            words = gettext("at or beyond target, steady")
        elif b.spec.kind == "milestone":
            words = gettext("target stage reached")
        elif lower_is_better:
            words = gettext("below target, rising") if rising else gettext(
                "below target, falling")
        else:
            words = gettext("above target, rising") if rising else gettext(
                "above target, falling")
        return "neutral", words
    return str(b.trend), {
        Trend.improving: gettext("Improving"), Trend.flat: gettext("Flat"),
        Trend.worsening: gettext("Worsening"),
    }[b.trend]


def status_sentence(b: BenchmarkEvaluation, definition: Any) -> str:
    """One sentence that says what the status means and reconciles its parts."""
    spec = b.spec
    target = target_words(definition, spec.target_value, spec.target_stage)
    due = format_day(spec.due_on) if spec.due_on else None
    if b.latest is None:
        return gettext("No measurement yet: the status cannot be judged.")
    latest = measure(definition, b.latest.value if b.latest.value is not None
                     else b.latest.stage, spec.target_value)
    facts = {"latest": latest, "target": target, "day": format_day(b.latest.as_of),
             "due": due or "", "projected": format_day(b.projected_on) if b.projected_on else "",
             "behind": format_day(b.behind_trend_on) if b.behind_trend_on else ""}
    if b.status is Status.met:
        return gettext("%(latest)s on %(day)s meets the target of %(target)s.") % facts
    if b.behind_trend_on is not None:
        return gettext("%(latest)s on %(day)s, short of %(target)s. Behind its own trend: at "
                       "the recent pace it should have met the target on %(behind)s.") % facts
    improving = b.trend is Trend.improving
    if b.status is Status.overdue:
        if improving and b.projected_on:
            return gettext("Overdue since %(due)s: %(latest)s on %(day)s against %(target)s. "
                           "Improving, but at the recent pace the target would be met only on "
                           "%(projected)s.") % facts
        if improving:
            return gettext("Overdue since %(due)s: %(latest)s on %(day)s against %(target)s. "
                           "Improving, but too slowly for any date to be projected.") % facts
        return gettext("Overdue since %(due)s: %(latest)s on %(day)s against %(target)s, and "
                       "not improving.") % facts
    if b.projected_on is not None:
        if due is None:
            return gettext("%(latest)s on %(day)s against %(target)s; at the recent pace the "
                           "target is met on %(projected)s.") % facts
        if b.status is Status.on_track:
            return gettext("%(latest)s on %(day)s against %(target)s due %(due)s; at the "
                           "recent pace it is met on %(projected)s, in time.") % facts
        return gettext("%(latest)s on %(day)s against %(target)s due %(due)s; at the recent "
                       "pace it is met only on %(projected)s, after its due date.") % facts
    if b.trend is None:
        reason = gettext("too few measurements for a trend")
    elif improving:
        reason = gettext("improving too slowly for a date to be projected")
    elif b.trend is Trend.flat:
        reason = gettext("flat, so no date can be projected")
    else:
        reason = gettext("moving away from the target")
    if b.status is Status.at_risk:
        return gettext("%(latest)s on %(day)s against %(target)s: close to the target but "
                       "%(reason)s.") % {**facts, "reason": reason}
    return gettext("%(latest)s on %(day)s against %(target)s: %(reason)s.") % {
        **facts, "reason": reason}
