"""Indicators as read: one by key, a page of them, and the targets that read each."""

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.errors import NotFound
from app.models import (
    BenchmarkCategory,
    BenchmarkDefinition,
    Indicator,
)


def get_indicator(session: Session, key: str) -> Indicator:
    indicator = session.scalar(select(Indicator).where(Indicator.key == key)
                               .options(selectinload(Indicator.category)))
    if indicator is None:
        raise NotFound("indicator", key)
    return indicator


def list_indicators(
    session: Session, *, limit: int, offset: int
) -> tuple[list[tuple[Indicator, list[str]]], int]:
    """A page of the indicators in category order, each with the keys of the targets on it."""
    total = session.scalar(select(func.count()).select_from(Indicator)) or 0
    indicators = list(session.scalars(
        select(Indicator).join(Indicator.category)
        .options(selectinload(Indicator.category))
        .order_by(BenchmarkCategory.position, Indicator.key).offset(offset).limit(limit)))
    targets = targets_by_indicator(session, [i.id for i in indicators])
    return [(i, targets[i.id]) for i in indicators], total


def targets_by_indicator(session: Session, indicator_ids: Sequence[int]) -> dict[int, list[str]]:
    """The keys of the targets that read each of these indicators, in one query."""
    targets: dict[int, list[str]] = {i: [] for i in indicator_ids}
    for indicator_id, key in session.execute(
            select(BenchmarkDefinition.indicator_id, BenchmarkDefinition.key)
            .where(BenchmarkDefinition.indicator_id.in_(targets))
            .order_by(BenchmarkDefinition.key)):
        targets[indicator_id].append(key)
    return targets
