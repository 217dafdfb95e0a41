"""Benchmark categories, tiers and expansion models as listed, and the admin's writes to
categories."""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.benchmarks.schemas import (
    CategoryCreate,
    CategoryUpdate,
)
from app.errors import Conflict, NotFound, field_error
from app.events.service import record_event, snapshot
from app.models import (
    BenchmarkCategory,
    ExpansionModelDefinition,
    TierDefinition,
    User,
)


def list_categories(session: Session) -> list[BenchmarkCategory]:
    return list(session.scalars(select(BenchmarkCategory).order_by(BenchmarkCategory.position,
                                                                   BenchmarkCategory.key)))


def list_tiers(session: Session) -> list[TierDefinition]:
    return list(session.scalars(select(TierDefinition).order_by(TierDefinition.rank)))


def list_expansion_models(session: Session) -> list[ExpansionModelDefinition]:
    return list(session.scalars(select(ExpansionModelDefinition)
                                .order_by(ExpansionModelDefinition.key)))


CATEGORY_FIELDS = ("key", "title", "title_fr", "description", "description_fr", "position")


def get_category(session: Session, key: str) -> BenchmarkCategory:
    category = session.scalar(select(BenchmarkCategory).where(BenchmarkCategory.key == key))
    if category is None:
        raise NotFound("category", key)
    return category


def _refuse_taken_category(session: Session, key: str) -> None:
    if session.scalar(select(BenchmarkCategory.id).where(BenchmarkCategory.key == key)):
        raise Conflict(f"A category with the key {key!r} already exists.",
                       errors=[field_error(["body", "key"], "already taken")])


def create_category(session: Session, data: CategoryCreate, *, author: User) -> BenchmarkCategory:
    """Adds a category; without a position it goes after the last one."""
    _refuse_taken_category(session, data.key)
    position = data.position
    if position is None:
        position = (session.scalar(select(func.max(BenchmarkCategory.position))) or 0) + 1
    category = BenchmarkCategory(key=data.key, title=data.title, title_fr=data.title_fr,
                                 description=data.description,
                                 description_fr=data.description_fr, position=position)
    session.add(category)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        _refuse_taken_category(session, data.key)
        raise
    record_event(session, kind="category.created", entity="category", entity_id=category.key,
                 actor=author, after=snapshot(category, CATEGORY_FIELDS))
    session.commit()
    return category


def update_category(
    session: Session, key: str, data: CategoryUpdate, *, author: User
) -> BenchmarkCategory:
    category = get_category(session, key)
    before = snapshot(category, CATEGORY_FIELDS)
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(category, field, value)
    after = snapshot(category, CATEGORY_FIELDS)
    if after == before:
        return category
    session.flush()
    record_event(session, kind="category.updated", entity="category", entity_id=category.key,
                 actor=author, before=before, after=after)
    session.commit()
    return category
