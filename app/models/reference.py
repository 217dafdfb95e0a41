"""Reference data: the member states, the tiers, the expansion models and the instruments
offered to each tier; and the count of changes to what the write path keeps in memory."""

from datetime import date

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.models.base import _in
from app.models.enums import ExpansionModel, Tier


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


class ReferenceVersion(Base):
    """One row: how many changes the tables a write of progress updates reads every time
    have seen (candidates, their tier history and own targets, the targets, categories,
    indicators, API tokens, users). Triggers on each of them count every INSERT, UPDATE and
    DELETE, whatever wrote it (migration 0014); the update writer keeps what it read of them
    while the count stands (app/reference_cache.py)."""

    __tablename__ = "reference_version"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
