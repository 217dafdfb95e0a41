"""What a benchmark's evaluation says, in the reader's language, as one sentence that holds
together: a met benchmark's trend is neutral; a projection already past is "behind its own
trend", never "today"; overdue, improving and projected far out are reconciled in one sentence.
Stage names and units come from the indicator's labels; no stored key reaches a page."""

from typing import Any

from babel.numbers import format_decimal

from app.benchmarks.labels import plural_category, stage_label, unit_label
from app.i18n import current_language, format_day, format_number, format_percent, gettext
from app.status import SELF, BenchmarkEvaluation, PaceNote, Status, Trend


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


# What a pace is counted in, in the reader's language and plural (CLDR categories): a share
# of something in percent moves by points; a milestone by stages.
PACE_UNITS = {
    "points": {"en": {"one": "point", "other": "points"},
               "fr": {"one": "point", "other": "points"}},
    "stages": {"en": {"one": "stage", "other": "stages"},
               "fr": {"one": "étape", "other": "étapes"}},
}


def pace_number(value: float) -> str:
    """A pace with its sign, two decimals, as the locale writes numbers: "+0.40", "-1,25"."""
    return format_decimal(value, format="+#,##0.00;-#,##0.00", locale=current_language.get())


def pace_unit(definition: Any, value: float) -> str:
    if definition.kind == "milestone" or (definition.unit or "").startswith("%"):
        forms = PACE_UNITS["stages" if definition.kind == "milestone" else "points"]
        return forms[current_language.get()].get(plural_category(round(value, 2)), "")
    return unit_label(definition, round(value, 2))


def pace_summary(b: BenchmarkEvaluation, definition: Any) -> str:
    """The pace needed against the pace achieved: "needs +0.40 points a year; has done +0.12"
    (app.status.pace_of); or why no pace is needed."""
    pace = b.pace
    # Nothing to say of a pace without data, or once met (the status says it).
    if pace is None or pace.note in (PaceNote.no_data, PaceNote.met):
        return ""
    if pace.required is not None:
        facts = {"required": pace_number(pace.required),
                 "unit": pace_unit(definition, pace.required)}
        if pace.achieved is None:
            return gettext("Needs %(required)s %(unit)s a year; no trend yet to compare.") % facts
        facts["achieved"] = pace_number(pace.achieved)
        if pace.ratio is not None and pace.ratio > 0:
            facts["share"] = format_percent(pace.ratio * 100)
            return gettext("Needs %(required)s %(unit)s a year; has done %(achieved)s "
                           "(%(share)s of the pace needed).") % facts
        return gettext("Needs %(required)s %(unit)s a year; has done %(achieved)s "
                       "(moving the wrong way or not at all).") % facts
    reason = {
        PaceNote.no_due_date: gettext("No due date, so no pace is required"),
        PaceNote.past_due: gettext("The due date has passed, so no pace can meet it"),
        PaceNote.due_now: gettext("Due on the date of the latest value: no time is left for a "
                                  "pace"),
    }[pace.note]
    if pace.achieved is None:
        return reason + "."
    return gettext("%(reason)s; has done %(achieved)s %(unit)s a year.") % {
        "reason": reason, "achieved": pace_number(pace.achieved),
        "unit": pace_unit(definition, pace.achieved)}


def assessment_summary(b: BenchmarkEvaluation, definition: Any) -> str:
    """Which series the status rests on, and the other one's latest figure, in words; empty
    when it rests on independent figures alone (the usual case, said nowhere)."""
    divergence = b.divergence
    if b.basis == SELF:
        return gettext("Rests on the candidate's own reporting (self-assessed): no independent "
                       "figure yet.")
    if divergence is None:
        return ""
    facts = {"own": _score_words(definition, divergence.self_value),
             "independent": _score_words(definition, divergence.independent_value)}
    if divergence.flagged:
        return gettext("Self-assessment diverges: the candidate reports %(own)s, the "
                       "independent figure is %(independent)s. The status rests on the "
                       "independent figure.") % facts
    return gettext("Rests on the independent figure (%(independent)s); the candidate's own "
                   "figure, %(own)s, is close to it.") % facts


def _score_words(definition: Any, score: float) -> str:
    """A score (a value, or a milestone's stage position) in the reader's words."""
    stages = definition.stages or []
    if definition.kind == "milestone":
        index = int(score)
        return measure(definition, stages[index - 1]) if 1 <= index <= len(stages) else "—"
    return measure(definition, score)
