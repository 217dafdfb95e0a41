"""What is measured (indicators), what is asked of it (targets, per tier and version) and
how a target applies to one candidate."""

from datetime import date

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.models.base import _in
from app.models.enums import BenchmarkKind, Direction


class BenchmarkCategory(Base):
    __tablename__ = "benchmark_categories"
    __table_args__ = (CheckConstraint("key <> ''", name="key_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    title_fr: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    description_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Indicator(Base):
    """What is measured, e.g. defence spending as a share of GDP. Numeric indicators have a unit
    and a direction; milestone indicators an ordered list of stages (a JSON array of stage
    keys, first stage first). Each candidate has one series of observations per indicator,
    read by every target (BenchmarkDefinition) on it."""

    __tablename__ = "indicators"
    __table_args__ = (
        CheckConstraint("key <> ''", name="key_not_empty"),
        CheckConstraint(_in("kind", BenchmarkKind), name="kind_known"),
        CheckConstraint(
            "(kind = 'numeric' AND unit IS NOT NULL AND direction IS NOT NULL)"
            " OR (kind = 'milestone' AND stages IS NOT NULL)",
            name="kind_fields",
        ),
        CheckConstraint(
            f"direction IS NULL OR {_in('direction', Direction)}", name="direction_known"
        ),
        CheckConstraint(
            "min_value IS NULL OR max_value IS NULL OR min_value < max_value", name="value_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    title_fr: Mapped[str] = mapped_column(String(200), default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("benchmark_categories.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str | None] = mapped_column(String(40))
    direction: Mapped[str | None] = mapped_column(String(20))
    # The sane range of a measured value, e.g. 0–100 for a share of GDP.
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)
    stages: Mapped[list[str] | None] = mapped_column(JSON)
    # What readers see, by language: {"stage": {"en": ..., "fr": ...}} and
    # {"en": {"one": ..., "other": ...}, "fr": {...}} (app/benchmarks/labels.py).
    stage_labels: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JSON)
    unit_labels: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(Text, default="")
    description_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    source: Mapped[str] = mapped_column(Text, default="")

    category: Mapped[BenchmarkCategory] = relationship()


class BenchmarkDefinition(Base):
    """A target: what is asked of an indicator, per tier (TierRequirement, versioned by the
    date each version takes effect), from the date it was adopted until it is retired. Its
    kind, unit, range and stages are its indicator's."""

    __tablename__ = "benchmark_definitions"
    __table_args__ = (
        CheckConstraint("key <> ''", name="key_not_empty"),
        CheckConstraint("retired_on IS NULL OR retired_on > adopted_on", name="retired_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    title_fr: Mapped[str] = mapped_column(String(200), default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("benchmark_categories.id"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    description_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    source: Mapped[str] = mapped_column(Text, default="")
    is_illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    # The target counts from this date (an evaluation of an earlier date leaves it out) until
    # the day before `retired_on`.
    adopted_on: Mapped[date] = mapped_column(Date)
    retired_on: Mapped[date | None] = mapped_column(Date)

    category: Mapped[BenchmarkCategory] = relationship()
    # Always loaded with the definition: its kind, unit, range and stages are read everywhere.
    indicator: Mapped[Indicator] = relationship(lazy="joined", innerjoin=True)
    # Every version of every tier's requirement, oldest version first.
    requirements: Mapped[list["TierRequirement"]] = relationship(
        back_populates="definition",
        order_by="(TierRequirement.effective_on, TierRequirement.tier)",
    )

    @property
    def kind(self) -> str:
        return self.indicator.kind

    @property
    def unit(self) -> str | None:
        return self.indicator.unit

    @property
    def direction(self) -> str | None:
        return self.indicator.direction

    @property
    def min_value(self) -> float | None:
        return self.indicator.min_value

    @property
    def max_value(self) -> float | None:
        return self.indicator.max_value

    @property
    def stages(self) -> list[str] | None:
        return self.indicator.stages

    @property
    def stage_labels(self) -> dict[str, dict[str, str]] | None:
        return self.indicator.stage_labels

    @property
    def unit_labels(self) -> dict[str, dict[str, str]] | None:
        return self.indicator.unit_labels

    def is_in_force(self, on: date) -> bool:
        return self.adopted_on <= on and (self.retired_on is None or on < self.retired_on)

    def requirements_on(self, on: date) -> list["TierRequirement"]:
        """The version in force on `on`: the requirements of the newest version that took
        effect by then (the first version, if the target was adopted before it)."""
        if not self.requirements:
            return []
        dates = {r.effective_on for r in self.requirements}
        taken = [d for d in dates if d <= on]
        version = max(taken) if taken else min(dates)
        return [r for r in self.requirements if r.effective_on == version]

    @property
    def current_requirements(self) -> list["TierRequirement"]:
        """The newest version's requirements, whenever it takes effect."""
        if not self.requirements:
            return []
        newest = max(r.effective_on for r in self.requirements)
        return [r for r in self.requirements if r.effective_on == newest]


class TierRequirement(Base):
    """What a tier asks of one target in one version: the threshold, its weight, and when it is
    due — either on a fixed date or a number of days after the candidate entered the tier. A
    version is the set of a definition's requirements with one `effective_on`; a change of
    policy is a new version, and evaluations of earlier dates keep reading the old one."""

    __tablename__ = "tier_requirements"
    __table_args__ = (
        UniqueConstraint("definition_id", "effective_on", "tier"),
        CheckConstraint("weight > 0", name="weight_positive"),
        CheckConstraint("(target_value IS NULL) <> (target_stage IS NULL)", name="one_target"),
        CheckConstraint("NOT (due_on IS NOT NULL AND due_offset_days IS NOT NULL)", name="one_due"),
        CheckConstraint(
            "due_offset_days IS NULL OR due_offset_days >= 0", name="due_offset_not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("benchmark_definitions.id"))
    effective_on: Mapped[date] = mapped_column(Date)
    tier: Mapped[str] = mapped_column(ForeignKey("tiers.key"))
    target_value: Mapped[float | None] = mapped_column(Float)
    target_stage: Mapped[str | None] = mapped_column(String(80))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    due_on: Mapped[date | None] = mapped_column(Date)
    due_offset_days: Mapped[int | None] = mapped_column(Integer)
    # The target this tier is asked is this tool's own tiering (e.g. 1.5 % of GDP for
    # strategic partners), not an alliance figure: pages mark it and what rests on it.
    is_illustrative: Mapped[bool] = mapped_column(Boolean, default=False,
                                                  server_default=false())

    definition: Mapped[BenchmarkDefinition] = relationship(back_populates="requirements")
