"""The rules of the status-change feed: from what a candidate's benchmarks stood at before and
after (a write, or a day passing) to the changes worth telling a watcher. Pure functions over
frozen dataclasses, like app.status: no database, no clock. docs/status-rules.md ("Status
changes") explains them."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from app.status import Status


class Revision(StrEnum):
    target = "target"  # a new requirement version (or the candidate's own target) moved the goal
    figure = "figure"  # the latest figure was replaced by a later release of it (a new vintage)


@dataclass(frozen=True)
class BenchmarkState:
    """What a watcher is told about one benchmark of one candidate: its status, the target it
    is held to, and the figure (the latest measurement) the status rests on."""

    status: Status
    target_value: float | None = None
    target_stage: str | None = None
    due_on: date | None = None
    figure_id: int | None = None
    figure_vintage: str | None = None
    figure_supersedes: int | None = None


@dataclass(frozen=True)
class StatusChange:
    key: Any  # whatever the caller keys its states by (a benchmark key, or candidate and key)
    before: BenchmarkState | None  # None: nothing recorded before (its first recorded status)
    after: BenchmarkState
    revised: Revision | None

    @property
    def status_moved(self) -> bool:
        return self.before is None or self.before.status is not self.after.status


def revision(before: BenchmarkState, after: BenchmarkState) -> Revision | None:
    """A target is revised when what is asked (value or stage, or the due date) differs; a
    figure when the latest measurement now corrects the one the status rested on and comes
    from another vintage (a typo's correction, with no vintage or the same one, is not a
    revision: its status change, if any, is told as such). The target wins when both moved."""
    if (before.target_value, before.target_stage, before.due_on) != (
            after.target_value, after.target_stage, after.due_on):
        return Revision.target
    if (after.figure_id != before.figure_id and after.figure_supersedes is not None
            and after.figure_supersedes == before.figure_id
            and after.figure_vintage is not None and after.figure_vintage != before.figure_vintage):
        return Revision.figure
    return None


K = TypeVar("K")


def status_changes(
    before: Mapping[K, BenchmarkState], after: Mapping[K, BenchmarkState]
) -> list[StatusChange]:
    """Every benchmark of `after` whose status moved (any move, into or out of met, at risk,
    off track, overdue or no data) or whose target or figure was revised, in `after`'s order.
    A benchmark missing from `before` is told once it has a status (no data is not news); one
    missing from `after` (retired, or no longer asked of the candidate) is not told."""
    changes = []
    for key, now in after.items():
        was = before.get(key)
        if was is None:
            if now.status is not Status.no_data:
                changes.append(StatusChange(key, None, now, None))
            continue
        revised = revision(was, now)
        if was.status is not now.status or revised is not None:
            changes.append(StatusChange(key, was, now, revised))
    return changes


def state_fields(state: BenchmarkState) -> dict[str, Any]:
    """The state as an event's JSON fields (the sweep reads them back with state_from)."""
    return {
        "to": state.status.value, "target_value": state.target_value,
        "target_stage": state.target_stage,
        "due_on": state.due_on.isoformat() if state.due_on else None,
        "figure_id": state.figure_id, "figure_vintage": state.figure_vintage,
        "figure_supersedes": state.figure_supersedes,
    }


def state_from(fields: Mapping[str, Any]) -> BenchmarkState:
    due_on = fields.get("due_on")
    return BenchmarkState(
        status=Status(fields["to"]), target_value=fields.get("target_value"),
        target_stage=fields.get("target_stage"),
        due_on=date.fromisoformat(due_on) if due_on else None,
        figure_id=fields.get("figure_id"), figure_vintage=fields.get("figure_vintage"),
        figure_supersedes=fields.get("figure_supersedes"),
    )
