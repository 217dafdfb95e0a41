"""Every table of the tracker. The rules that must always hold are in the database too:
foreign keys, unique keys and check constraints, so no client can store what Python would refuse.
Progress updates, ratification steps, status changes, events, retractions and report editors are
append-only (database triggers, see the migrations): corrections are new rows, never edits."""

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    exists,
    false,
    or_,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from app.db import Base


def utcnow() -> datetime:
    return datetime.now(UTC)


class Tier(StrEnum):
    strategic_partner = "strategic_partner"
    interim_ally = "interim_ally"
    full_candidate = "full_candidate"


class ExpansionModel(StrEnum):
    incremental_enlargement = "incremental_enlargement"
    strategic_partnership = "strategic_partnership"
    hybrid_integration = "hybrid_integration"


class Phase(StrEnum):
    outreach = "outreach"
    accession_talks = "accession_talks"
    ratification = "ratification"
    member = "member"


class BenchmarkKind(StrEnum):
    numeric = "numeric"
    milestone = "milestone"


class Direction(StrEnum):
    higher_is_better = "higher_is_better"
    lower_is_better = "lower_is_better"


class ReportStatus(StrEnum):
    draft = "draft"
    published = "published"


class RatificationStep(StrEnum):
    """The steps a member state's ratification procedure is made of, in the order procedures
    usually run them (app/ratifications/pipeline.py). `parliament_approved` is a one-chamber
    approval, or a whole parliament's when its chambers are not dated apart. Revision 0013
    renamed `signed` (the head of state's signature) to `head_of_state_assent`; the API still
    takes `signed`."""

    protocol_signed = "protocol_signed"
    government_approved = "government_approved"
    lower_chamber_approved = "lower_chamber_approved"
    upper_chamber_approved = "upper_chamber_approved"
    parliament_approved = "parliament_approved"
    head_of_state_assent = "head_of_state_assent"
    deposited = "deposited"


class AccessionMilestone(StrEnum):
    """The dated steps of an accession, in the order they happen. The member states'
    ratifications in between are ratification steps."""

    application_submitted = "application_submitted"
    invitation = "invitation"
    protocol_signed = "protocol_signed"
    membership = "membership"


class Confidence(StrEnum):
    high = "high"
    medium = "medium"
    low = "low"
    inferred = "inferred"


class Role(StrEnum):
    analyst = "analyst"
    admin = "admin"


class RetractionStatus(StrEnum):
    pending = "pending"  # asked for, waiting for a second analyst
    retracted = "retracted"  # in effect: the value is hidden
    undone = "undone"  # undone by an admin (or dismissed while pending): the value counts


def _in(column: str, enum: type[StrEnum]) -> str:
    values = ", ".join(f"'{member.value}'" for member in enum)
    return f"{column} IN ({values})"


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend. PostgreSQL keeps the zone itself;
    SQLite stores naive text, so values are normalised to UTC on the way in and marked UTC
    on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: timestamps must carry a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


TZDateTime = UTCDateTime()


class MemberState(Base):
    __tablename__ = "member_states"
    __table_args__ = (
        CheckConstraint("length(iso3) = 3 AND upper(iso3) = iso3", name="iso3_alpha3"),
    )

    iso3: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    name_fr: Mapped[str] = mapped_column(String(100))
    joined_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")


class TierDefinition(Base):
    """The three tiers as data, so their titles and descriptions are editable."""

    __tablename__ = "tiers"
    __table_args__ = (CheckConstraint(_in("key", Tier), name="key_known"),)

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(100))
    title_fr: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    description_fr: Mapped[str] = mapped_column(Text, default="", server_default="")


class ExpansionModelDefinition(Base):
    """The expansion models as data, compared on the same four dimensions."""

    __tablename__ = "expansion_models"
    __table_args__ = (CheckConstraint(_in("key", ExpansionModel), name="key_known"),)

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    title_fr: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    description_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    speed_of_integration: Mapped[str] = mapped_column(Text, default="")
    risk_exposure: Mapped[str] = mapped_column(Text, default="")
    reform_depth: Mapped[str] = mapped_column(Text, default="")
    resource_allocation: Mapped[str] = mapped_column(Text, default="")
    speed_of_integration_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    risk_exposure_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    reform_depth_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    resource_allocation_fr: Mapped[str] = mapped_column(Text, default="", server_default="")


class Candidate(Base):
    __tablename__ = "candidates"
    __table_args__ = (
        CheckConstraint("slug <> '' AND slug = lower(slug)", name="slug_lowercase"),
        CheckConstraint("length(iso3) = 3 AND upper(iso3) = iso3", name="iso3_alpha3"),
        CheckConstraint(_in("phase", Phase), name="phase_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    iso3: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_fr: Mapped[str] = mapped_column(String(120), default="")
    tier: Mapped[str] = mapped_column(ForeignKey("tiers.key"))
    model: Mapped[str] = mapped_column(ForeignKey("expansion_models.key"))
    phase: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)

    status_changes: Mapped[list["CandidateStatusChange"]] = relationship(
        back_populates="candidate", order_by="CandidateStatusChange.id"
    )
    benchmarks: Mapped[list["CandidateBenchmark"]] = relationship(back_populates="candidate")


class CandidateStatusChange(Base):
    """Dated history of a candidate's tier and phase: one row each time either changes."""

    __tablename__ = "candidate_status_changes"
    __table_args__ = (CheckConstraint(_in("phase", Phase), name="phase_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    tier: Mapped[str] = mapped_column(ForeignKey("tiers.key"))
    phase: Mapped[str] = mapped_column(String(40))
    effective_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    note_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The tier (and phase) assigned here is this tool's illustration, not a decision taken.
    is_illustrative: Mapped[bool] = mapped_column(Boolean, default=False,
                                                  server_default=false())
    recorded_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    candidate: Mapped[Candidate] = relationship(back_populates="status_changes")


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


class CandidateBenchmark(Base):
    """A definition as it applies to one candidate: derived from the candidate's tier, with an
    optional per-candidate target or due date and a baseline. Kept (inactive) when the tier no
    longer requires it, so its history stays."""

    __tablename__ = "candidate_benchmarks"
    __table_args__ = (
        UniqueConstraint("candidate_id", "definition_id"),
        CheckConstraint(
            "NOT (target_value IS NOT NULL AND target_stage IS NOT NULL)",
            name="one_target_override",
        ),
        CheckConstraint(
            "NOT (baseline_value IS NOT NULL AND baseline_stage IS NOT NULL)",
            name="one_baseline",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"))
    definition_id: Mapped[int] = mapped_column(ForeignKey("benchmark_definitions.id"), index=True)
    target_value: Mapped[float | None] = mapped_column(Float)
    target_stage: Mapped[str | None] = mapped_column(String(80))
    due_on: Mapped[date | None] = mapped_column(Date)
    baseline_value: Mapped[float | None] = mapped_column(Float)
    baseline_stage: Mapped[str | None] = mapped_column(String(80))
    baseline_on: Mapped[date | None] = mapped_column(Date)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    candidate: Mapped[Candidate] = relationship(back_populates="benchmarks")
    definition: Mapped[BenchmarkDefinition] = relationship()


class Gate(Base):
    """What a candidate of `tier` must have met to enter `to_phase` (from the phase before it):
    its targets, by benchmark key (each with a requirement for the tier), and the targets of the
    other gates of the tier it `requires` (gate ids; never a cycle). A gate never blocks
    recording a phase change: a phase entered with its gate unmet is flagged (app/path.py).
    Edited in place by admins; each change is an event with the record before and after."""

    __tablename__ = "gates"
    __table_args__ = (
        UniqueConstraint("tier", "to_phase"),
        CheckConstraint("to_phase IN ('accession_talks', 'ratification', 'member')",
                        name="to_phase_gated"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tier: Mapped[str] = mapped_column(ForeignKey("tiers.key"))
    to_phase: Mapped[str] = mapped_column(String(40))
    targets: Mapped[list[str]] = mapped_column(JSON)  # benchmark keys, in the order shown
    requires: Mapped[list[int]] = mapped_column(JSON)  # ids of gates of the same tier
    source: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    note_fr: Mapped[str] = mapped_column(Text, default="")
    # The gate is this tool's illustration, not a decision of the alliance.
    is_illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", Role), name="role_known"),
        CheckConstraint("name <> ''", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)


class ApiToken(Base):
    """A bearer token, stored only as its SHA-256 hash; `prefix` (the first 8 characters) lets
    people tell tokens apart without seeing them."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(8), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(TZDateTime)

    user: Mapped[User] = relationship()


class ObservationStatus(StrEnum):
    """As SDMX's observation status: how firm the figure is."""

    final = "final"
    provisional = "provisional"
    estimate = "estimate"


class AssessedBy(StrEnum):
    """Who assessed an observation: the candidate itself (its own reporting, as in an annual
    national programme) or an independent reviewer (the alliance's or an analyst's)."""

    self = "self"
    independent = "independent"


class ProgressUpdate(Base):
    """One observation: a candidate's value of an indicator as of a date, append-only, with
    where it comes from (`source`, and the source's release, `vintage`). A correction is a new
    row that `supersedes` the newest of its chain; the wrong one stays in the history."""

    __tablename__ = "progress_updates"
    __table_args__ = (
        CheckConstraint("(value IS NULL) <> (stage IS NULL)", name="one_value"),
        CheckConstraint("source <> ''", name="source_not_empty"),
        # Equalities, not IN (...): SQLite builds a table for an IN list each time it checks a
        # row, which on this table (written in batches of hundreds) costs a fifth more time.
        CheckConstraint(" OR ".join(f"observation_status = '{status.value}'"
                                    for status in ObservationStatus),
                        name="observation_status_known"),
        CheckConstraint("assessed_by = 'self' OR assessed_by = 'independent'",
                        name="assessed_by_known"),
        # The "latest value" path: the newest observation of a series without scanning it.
        Index("ix_progress_updates_series_as_of", "candidate_id", "indicator_id", "as_of", "id"),
        # An update is corrected at most once: a chain, never two competing values. Partial:
        # the rows that correct nothing (nearly all) cost the index nothing on insert.
        Index("ux_progress_updates_supersedes", "supersedes_id", unique=True,
              sqlite_where=text("supersedes_id IS NOT NULL"),
              postgresql_where=text("supersedes_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))
    # Exactly as sent (a double): pages round for display, never storage.
    value: Mapped[float | None] = mapped_column(Float)
    stage: Mapped[str | None] = mapped_column(String(80))
    as_of: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)
    # The source's release the figure is from, e.g. "SIPRI 2025".
    vintage: Mapped[str | None] = mapped_column(String(80))
    published_on: Mapped[date | None] = mapped_column(Date)
    observation_status: Mapped[str] = mapped_column(String(20), default=ObservationStatus.final)
    note: Mapped[str] = mapped_column(Text, default="")
    is_illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("progress_updates.id"))
    # Independent unless said: the status rests on independent figures where there are any.
    assessed_by: Mapped[str] = mapped_column(String(20), default=AssessedBy.independent,
                                             server_default=AssessedBy.independent.value)

    candidate: Mapped[Candidate] = relationship()
    indicator: Mapped[Indicator] = relationship()
    author: Mapped[User | None] = relationship()
    # The retraction in effect now, if any (at most one: see app/progress/retractions.py).
    retraction: Mapped["UpdateRetraction | None"] = relationship(
        viewonly=True, uselist=False,
        primaryjoin=lambda: and_(UpdateRetraction.update_id == ProgressUpdate.id,
                                 retraction_in_effect()),
    )
    # Every retraction, oldest first: pending, in effect and undone.
    retractions: Mapped[list["UpdateRetraction"]] = relationship(
        viewonly=True, order_by="UpdateRetraction.id")

    @property
    def is_retracted(self) -> bool:
        """Hidden now (from `retractions`: load them, as `retraction` is a query of its own)."""
        return any(r.status == RetractionStatus.retracted for r in self.retractions)


class ProgressReport(Base):
    """A narrative review (e.g. a quarterly report), Markdown, from draft to published."""

    __tablename__ = "progress_reports"
    __table_args__ = (
        CheckConstraint(_in("status", ReportStatus), name="status_known"),
        CheckConstraint(
            "status <> 'published' OR published_at IS NOT NULL", name="published_has_date"
        ),
        CheckConstraint("title <> ''", name="title_not_empty"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_progress_reports_candidate_status", "candidate_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"))
    period: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=ReportStatus.draft)
    is_illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    # Bumped on every edit; the ETag of the report.
    version: Mapped[int] = mapped_column(Integer, default=1)

    candidate: Mapped[Candidate] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    editors: Mapped[list["ReportEditor"]] = relationship(order_by="ReportEditor.id")
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])


class ReportEditor(Base):
    """Someone who edited a report's draft, one row per person from their first edit, append-only.
    With the author, they are who wrote the report: none of them may publish it (four-eyes), and
    the published report names them all."""

    __tablename__ = "report_editors"
    __table_args__ = (UniqueConstraint("report_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("progress_reports.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    first_edited_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class RatificationStepRecord(Base):
    """One dated step of one member state's ratification of one candidate's accession.
    A pair's current status is its latest step; a pair with none is pending."""

    __tablename__ = "ratification_steps"
    __table_args__ = (
        CheckConstraint(_in("step", RatificationStep), name="step_known"),
        CheckConstraint(_in("confidence", Confidence), name="confidence_known"),
        Index("ix_ratification_steps_pair", "candidate_id", "member_iso3"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"))
    member_iso3: Mapped[str] = mapped_column(ForeignKey("member_states.iso3"))
    step: Mapped[str] = mapped_column(String(30))
    occurred_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[str] = mapped_column(String(10), default=Confidence.high)
    note: Mapped[str] = mapped_column(Text, default="")
    note_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)

    member: Mapped[MemberState] = relationship()


class RatificationProcedureStep(Base):
    """One step of a member state's ratification procedure, at its place (0 first). A member's
    rows are its procedure; an admin replaces them whole (an event keeps the one before). A
    member without rows follows the default procedure (app/ratifications/pipeline.py)."""

    __tablename__ = "ratification_procedure_steps"
    __table_args__ = (
        CheckConstraint(_in("step", RatificationStep), name="step_known"),
        CheckConstraint("position >= 0", name="position_not_negative"),
        UniqueConstraint("member_iso3", "position"),
        UniqueConstraint("member_iso3", "step"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_iso3: Mapped[str] = mapped_column(ForeignKey("member_states.iso3"))
    position: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(30))
    # Where the procedure comes from, or "default procedure" when it is not checked.
    source: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class AccessionMilestoneRecord(Base):
    """The date a candidate reached one milestone of its accession, with its source: one row per
    candidate and milestone, recorded once it has happened."""

    __tablename__ = "accession_milestones"
    __table_args__ = (
        CheckConstraint(_in("milestone", AccessionMilestone), name="milestone_known"),
        UniqueConstraint("candidate_id", "milestone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"))
    milestone: Mapped[str] = mapped_column(String(30))
    occurred_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)


class Event(Base):
    """The append-only log of every change: who, when, what, and the record before and after.
    Its ids are the change feed's cursor."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str] = mapped_column(String(80))
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id"), index=True)
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    actor: Mapped[User | None] = relationship(viewonly=True)
    candidate: Mapped[Candidate | None] = relationship(viewonly=True)


class UpdateRetraction(Base):
    """Hides a wrong progress update without deleting it: the update stays in the history,
    marked retracted with the reason. Made by `author` at `retracted_at`; it takes effect at
    once when they wrote the update, and otherwise (`needs_confirmation`) only once a second
    person confirms it. An admin may undo it, and the value counts again. Each step is a row
    of its own (RetractionConfirmation, RetractionUndo): nothing here is ever updated."""

    __tablename__ = "update_retractions"
    __table_args__ = (CheckConstraint("reason <> ''", name="reason_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("progress_updates.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    retracted_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    needs_confirmation: Mapped[bool] = mapped_column(Boolean, default=False,
                                                     server_default=false())

    author: Mapped[User | None] = relationship()
    update: Mapped[ProgressUpdate] = relationship(viewonly=True)
    confirmation: Mapped["RetractionConfirmation | None"] = relationship(viewonly=True)
    undo: Mapped["RetractionUndo | None"] = relationship(viewonly=True)

    @property
    def status(self) -> RetractionStatus:
        if self.undo is not None:
            return RetractionStatus.undone
        if self.needs_confirmation and self.confirmation is None:
            return RetractionStatus.pending
        return RetractionStatus.retracted

    @property
    def effective_at(self) -> datetime | None:
        """When the value was hidden: at once, or at the confirmation (None: never was)."""
        if not self.needs_confirmation:
            return self.retracted_at
        return self.confirmation.confirmed_at if self.confirmation else None


class RetractionConfirmation(Base):
    """A second person's confirmation of a retraction someone asked for: from then on it is in
    effect."""

    __tablename__ = "retraction_confirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    retraction_id: Mapped[int] = mapped_column(ForeignKey("update_retractions.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class RetractionUndo(Base):
    """An admin's undoing of a retraction: the value counts again from `undone_at` (a pending
    request undone is dismissed, and never took effect)."""

    __tablename__ = "retraction_undos"
    __table_args__ = (CheckConstraint("reason <> ''", name="reason_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    retraction_id: Mapped[int] = mapped_column(ForeignKey("update_retractions.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    undone_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)

    user: Mapped[User] = relationship()


def retraction_in_effect() -> ColumnElement[bool]:
    """SQL for UpdateRetraction.status == retracted."""
    confirmed = exists().where(RetractionConfirmation.retraction_id == UpdateRetraction.id)
    undone = exists().where(RetractionUndo.retraction_id == UpdateRetraction.id)
    return and_(or_(UpdateRetraction.needs_confirmation.is_(False), confirmed), ~undone)


class IdempotencyKey(Base):
    """The first answer to a write sent with an `Idempotency-Key`, replayed to its retries."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)


class Instrument(Base):
    """What the alliance offers a tier (a partnership agreement, joint training, accession),
    described on the framework page; data an admin edits, not text in a template."""

    __tablename__ = "instruments"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    tier: Mapped[str] = mapped_column(ForeignKey("tiers.key"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(120))
    title_fr: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    cost_category: Mapped[str] = mapped_column(String(60))
    strategic_reach: Mapped[str] = mapped_column(String(120))
    typical_timeframe: Mapped[str] = mapped_column(String(60))
    description_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    cost_category_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    strategic_reach_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    typical_timeframe_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
