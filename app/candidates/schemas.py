"""Wire shapes of candidates."""

from datetime import date

from pydantic import BaseModel, ConfigDict

from app.models import ExpansionModel, Phase, Tier


class StatusChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    tier: Tier
    phase: Phase
    effective_on: date
    source: str
    note: str


class CandidateSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    slug: str
    iso3: str
    name: str
    name_fr: str
    tier: Tier
    model: ExpansionModel
    phase: Phase


class CandidateRead(CandidateSummary):
    summary: str
    history: list[StatusChangeRead]
