"""Wire shapes of the benchmark framework and of a candidate's benchmarks.
`target` and `baseline` are a number for numeric benchmarks and a stage key for milestones."""

from datetime import date

from pydantic import BaseModel, ConfigDict

from app.models import BenchmarkKind, Direction, ExpansionModel, Tier

Value = float | str


class TierRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: Tier
    rank: int
    title: str
    title_fr: str
    description: str


class ExpansionModelRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: ExpansionModel
    title: str
    title_fr: str
    description: str
    speed_of_integration: str
    risk_exposure: str
    reform_depth: str
    resource_allocation: str


class CategoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    title: str
    title_fr: str
    description: str


class RequirementRead(BaseModel):
    tier: Tier
    target: Value
    weight: float
    due_on: date | None
    due_offset_days: int | None


class DefinitionRead(BaseModel):
    key: str
    title: str
    title_fr: str
    category: str
    kind: BenchmarkKind
    unit: str | None
    direction: Direction | None
    stages: list[str] | None
    min_value: float | None
    max_value: float | None
    description: str
    source: str
    is_illustrative: bool
    valid_from: date
    requirements: list[RequirementRead]


class FrameworkRead(BaseModel):
    tiers: list[TierRead]
    models: list[ExpansionModelRead]
    categories: list[CategoryRead]
    benchmarks: list[DefinitionRead]


class CandidateBenchmarkRead(BaseModel):
    key: str
    title: str
    category: str
    kind: BenchmarkKind
    unit: str | None
    direction: Direction | None
    stages: list[str] | None
    target: Value
    due_on: date | None
    weight: float
    baseline: Value | None
    baseline_on: date | None
    description: str
    source: str
    is_illustrative: bool
