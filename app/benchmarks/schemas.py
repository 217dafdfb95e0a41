"""Wire shapes of the benchmark framework and of a candidate's benchmarks.
`target` and `baseline` are a number for numeric benchmarks and a stage key for milestones."""

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from app.models import (
    BenchmarkDefinition,
    BenchmarkKind,
    Direction,
    ExpansionModel,
    Indicator,
    Tier,
    TierRequirement,
)
from app.schema_types import InputBool, InputDate, InputFloat, bounded_float, bounded_int

Value = float | str
ILLUSTRATIVE_TARGET = ("This tier's target is this tool's own tiering (e.g. a lower target for "
                       "strategic partners), not an alliance figure.")


class TierRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: Tier
    rank: int
    title: str
    title_fr: str
    description: str
    description_fr: str


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
    description_fr: str
    speed_of_integration_fr: str
    risk_exposure_fr: str
    reform_depth_fr: str
    resource_allocation_fr: str


class CategoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    title: str
    title_fr: str
    description: str
    description_fr: str
    position: int


class RequirementRead(BaseModel):
    tier: Tier
    target: Value
    weight: float
    due_on: date | None
    due_offset_days: int | None
    is_illustrative: bool = Field(default=False, description=ILLUSTRATIVE_TARGET)


class VersionRead(BaseModel):
    effective_on: date
    requirements: list[RequirementRead]


class MeasuredRead(BaseModel):
    """What an indicator and a target on it both show: its key, titles, and what is measured."""

    key: str
    title: str
    title_fr: str
    category: str
    kind: BenchmarkKind
    unit: str | None
    direction: Direction | None
    stages: list[str] | None
    stage_labels: dict[str, dict[str, str]] | None = Field(
        default=None, description="What readers see for each stage, by language.")
    unit_labels: dict[str, dict[str, str]] | None = Field(
        default=None, description="The unit by language and plural form (`one`, `other`).")
    min_value: float | None
    max_value: float | None
    description: str
    description_fr: str
    source: str


class IndicatorRead(MeasuredRead):
    benchmarks: list[str] = Field(description="The keys of the targets that read this "
                                  "indicator's series.")


class DefinitionRead(MeasuredRead):
    is_illustrative: bool
    valid_from: date = Field(description="The same as adopted_on (its earlier name).")
    indicator: str = Field(description="The key of the indicator the target reads.")
    adopted_on: date = Field(description="The target counts in evaluations of this date on.")
    retired_on: date | None = Field(description="The target no longer counts from this date.")
    requirements: list[RequirementRead] = Field(
        description="The requirements of the version in force today.")
    versions: list[VersionRead] = Field(description="Every version, oldest first: each applies "
                                        "from its effective_on until the next one's.")


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
    description_fr: str
    source: str
    is_illustrative: bool


def requirement_read(r: TierRequirement) -> RequirementRead:
    return RequirementRead(tier=r.tier, target=target(r.target_value, r.target_stage),
                           weight=r.weight, due_on=r.due_on, due_offset_days=r.due_offset_days,
                           is_illustrative=r.is_illustrative)


def definition_read(definition: BenchmarkDefinition) -> DefinitionRead:
    versions: dict[date, list[RequirementRead]] = {}
    for r in sorted(definition.requirements, key=lambda r: (r.effective_on, r.tier)):
        versions.setdefault(r.effective_on, []).append(requirement_read(r))
    return DefinitionRead(
        key=definition.key, title=definition.title, title_fr=definition.title_fr,
        category=definition.category.key, kind=definition.kind, unit=definition.unit,
        direction=definition.direction, stages=definition.stages,
        stage_labels=definition.stage_labels, unit_labels=definition.unit_labels,
        min_value=definition.min_value, max_value=definition.max_value,
        description=definition.description, description_fr=definition.description_fr,
        source=definition.source,
        is_illustrative=definition.is_illustrative, valid_from=definition.adopted_on,
        indicator=definition.indicator.key, adopted_on=definition.adopted_on,
        retired_on=definition.retired_on,
        requirements=[requirement_read(r)
                      for r in definition.requirements_on(datetime.now(UTC).date())],
        versions=[VersionRead(effective_on=day, requirements=requirements)
                  for day, requirements in versions.items()],
    )


def indicator_read(indicator: Indicator, benchmarks: list[str]) -> IndicatorRead:
    return IndicatorRead(
        key=indicator.key, title=indicator.title, title_fr=indicator.title_fr,
        category=indicator.category.key, kind=indicator.kind, unit=indicator.unit,
        direction=indicator.direction, stages=indicator.stages,
        stage_labels=indicator.stage_labels, unit_labels=indicator.unit_labels,
        min_value=indicator.min_value,
        max_value=indicator.max_value, description=indicator.description,
        description_fr=indicator.description_fr, source=indicator.source, benchmarks=benchmarks)


def target(value: float | None, stage: str | None) -> float | str:
    return value if value is not None else stage or ""


# Writes. Keys are lower snake case, like the seeded ones (`defence_spending_gdp`).
KEY_PATTERN = r"^[a-z0-9]+(_[a-z0-9]+)*$"

CategoryKey = Annotated[str, StringConstraints(pattern=KEY_PATTERN, max_length=60)]
BenchmarkKey = Annotated[str, StringConstraints(pattern=KEY_PATTERN, max_length=80)]
StageKey = Annotated[str, StringConstraints(pattern=KEY_PATTERN, max_length=80)]
CategoryTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                 max_length=120)]
CategoryFrenchTitle = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
FrenchTitle = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
Source = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Unit = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Number = InputFloat
Position = bounded_int(0, 10_000)


def _not_bool(value: Any) -> Any:
    # JSON true/false would pass as 1.0/0.0; a target is never a boolean.
    if isinstance(value, bool):
        raise ValueError("a target must be a number or a stage key, not a boolean")
    return value


def _unique(stages: list[str]) -> list[str]:
    repeated = sorted({s for s in stages if stages.count(s) > 1})
    if repeated:
        raise ValueError(f"stages must be unique; repeated: {', '.join(repeated)}")
    return stages


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may be left out but not null")
    return value


Target = Annotated[Number | Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                              max_length=80)],
                   BeforeValidator(_not_bool)]
Stages = Annotated[list[StageKey], Field(min_length=1, max_length=50), AfterValidator(_unique)]
LabelText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class StageLabel(BaseModel):
    """What readers see for one stage."""

    model_config = ConfigDict(extra="forbid")

    en: LabelText
    fr: LabelText | None = None


class UnitForms(BaseModel):
    """A unit as it reads after a number: `one` after 1 (and 0 in French), `other` otherwise."""

    model_config = ConfigDict(extra="forbid")

    one: LabelText
    other: LabelText


class UnitLabels(BaseModel):
    model_config = ConfigDict(extra="forbid")

    en: UnitForms
    fr: UnitForms | None = None


def labels_json(labels: Any) -> Any:
    """Labels as stored: plain JSON, languages left out when not sent."""
    if labels is None:
        return None
    if isinstance(labels, dict):
        return {key: labels_json(value) for key, value in labels.items()} or None
    return labels.model_dump(exclude_none=True)


class CategoryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: CategoryKey
    title: CategoryTitle
    title_fr: CategoryFrenchTitle = ""
    description: Description = ""
    description_fr: Description = ""
    position: Position | None = Field(default=None,
                                      description="Display order; after the last when left out.")


class CategoryUpdate(BaseModel):
    """The fields to change; the key never changes."""

    model_config = ConfigDict(extra="forbid")

    title: CategoryTitle | None = None
    title_fr: CategoryFrenchTitle | None = None
    description: Description | None = None
    description_fr: Description | None = None
    position: Position | None = None

    _not_null = field_validator("title", "title_fr", "description", "description_fr", "position",
                                mode="before")(_not_null)


class RequirementWrite(BaseModel):
    """What one tier asks of a benchmark. `target` is a number for a numeric benchmark and one
    of its stages for a milestone; due on a fixed date or a number of days after the candidate
    entered the tier (or neither)."""

    model_config = ConfigDict(extra="forbid")

    tier: Tier
    target: Target
    weight: bounded_float(gt=0, le=1000) = 1.0
    due_on: InputDate | None = None
    due_offset_days: bounded_int(0, 36_500) | None = None
    is_illustrative: InputBool = Field(default=False, description=ILLUSTRATIVE_TARGET)


class BenchmarkCreate(BaseModel):
    """A benchmark definition. Numeric ones need `unit` and `direction`; milestones need
    `stages`, in order, first stage first."""

    model_config = ConfigDict(extra="forbid")

    key: BenchmarkKey
    title: Title
    title_fr: FrenchTitle = ""
    category: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    kind: BenchmarkKind
    unit: Unit | None = None
    direction: Direction | None = None
    min_value: Number | None = None
    max_value: Number | None = None
    stages: Stages | None = None
    stage_labels: dict[StageKey, StageLabel] | None = Field(
        default=None, max_length=50, description="What readers see for each stage, e.g. "
        '`{"in_force": {"en": "In force", "fr": "En vigueur"}}`; every key one of `stages`.')
    unit_labels: UnitLabels | None = Field(
        default=None, description="The unit as it reads after a number, by language and plural "
        'form, e.g. `{"en": {"one": "exercise per year", "other": "exercises per year"}}`.')
    description: Description = ""
    description_fr: Description = ""
    source: Source = ""
    is_illustrative: InputBool = False
    indicator: BenchmarkKey | None = Field(
        default=None, description="The key of an existing indicator this target reads (its "
        "kind, unit, range and stages apply; send none of them). Left out: a new indicator "
        "of the benchmark's key, shaped by kind, unit, direction, range and stages.")
    valid_from: InputDate | None = Field(default=None, description="The same as adopted_on.")
    adopted_on: InputDate | None = Field(
        default=None, description="The target counts in evaluations of this date on; "
        "observations of any date may be stored. One of adopted_on and valid_from is needed.")
    retired_on: InputDate | None = None
    requirements: list[RequirementWrite] = Field(default_factory=list, max_length=20)

    @property
    def adoption(self) -> date | None:
        return self.adopted_on or self.valid_from

    @field_validator("stage_labels")
    @classmethod
    def _labels_of_stages(cls, labels: dict[str, StageLabel] | None, info: Any) -> Any:
        unknown = sorted(set(labels or {}) - set(info.data.get("stages") or []))
        if unknown:
            raise ValueError(f"not among stages: {', '.join(unknown)}")
        return labels


class BenchmarkUpdate(BaseModel):
    """The fields to change; the key never changes, nor the kind (sending the same kind is
    accepted). `requirements`, when sent, replace all of the benchmark's requirements."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    title_fr: FrenchTitle | None = None
    category: Annotated[str, StringConstraints(min_length=1, max_length=60)] | None = None
    kind: BenchmarkKind | None = None
    unit: Unit | None = None
    direction: Direction | None = None
    min_value: Number | None = None
    max_value: Number | None = None
    stages: Stages | None = None
    description: Description | None = None
    description_fr: Description | None = None
    source: Source | None = None
    is_illustrative: InputBool | None = None
    valid_from: InputDate | None = Field(default=None, description="The same as adopted_on.")
    adopted_on: InputDate | None = None
    retired_on: InputDate | None = Field(default=None, description="Null: not retired.")
    requirements: list[RequirementWrite] | None = Field(
        default=None, max_length=20, description="A new version of the requirements (all "
        "tiers), in force from effective_on; earlier dates keep the version then in force.")
    effective_on: InputDate | None = Field(
        default=None, description="When the new requirements take effect (default: today). "
        "The same date as an existing version amends that version.")

    _not_null = field_validator("title", "title_fr", "category", "kind", "description",
                                "description_fr", "source",
                                "is_illustrative", "valid_from", "adopted_on", "requirements",
                                "effective_on", mode="before")(_not_null)


# Shown by /docs and posted by tests/http/test_openapi_examples.py to the demo data set.
CATEGORY_CREATE_EXAMPLES: dict[str, Any] = {
    "category": {"summary": "A new category",
                 "value": {"key": "cyber_defence", "title": "Cyber defence",
                           "title_fr": "Cyberdéfense"}},
}
CATEGORY_UPDATE_EXAMPLES: dict[str, Any] = {
    "title": {"summary": "A new French title", "value": {"title_fr": "Dépenses de défense"}},
}
BENCHMARK_CREATE_EXAMPLES: dict[str, Any] = {
    "numeric": {
        "summary": "A numeric benchmark with a target per tier",
        "value": {"key": "cyber_exercises", "title": "Cyber exercises per year",
                  "category": "interoperability", "kind": "numeric", "unit": "per year",
                  "direction": "higher_is_better", "min_value": 0,
                  "adopted_on": "2026-01-01",
                  "requirements": [{"tier": "full_candidate", "target": 2}]},
    },
    "milestone": {
        "summary": "A milestone benchmark (stages in order)",
        "value": {"key": "cyber_strategy", "title": "National cyber strategy",
                  "category": "interoperability", "kind": "milestone",
                  "stages": ["drafted", "adopted", "in_force"],
                  "adopted_on": "2026-01-01",
                  "requirements": [{"tier": "full_candidate", "target": "adopted"}]},
    },
}
BENCHMARK_UPDATE_EXAMPLES: dict[str, Any] = {
    "title": {"summary": "A new French title",
              "value": {"title_fr": "Dépenses de défense en % du PIB"}},
}
