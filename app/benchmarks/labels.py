"""The words people read for an indicator's stages and unit, in English and French, kept as data
on the indicator (`stage_labels`, `unit_labels`); and the labels of the demo's and the first
deployments' indicators, which migration 0009 copies in."""

from functools import lru_cache
from typing import Any

from babel import Locale

from app.i18n import current_language

# stage key -> {"en": ..., "fr": ...}
KNOWN_STAGE_LABELS: dict[str, dict[str, str]] = {
    "gap_assessment": {"en": "Gap assessment", "fr": "Évaluation des écarts"},
    "adoption_plan": {"en": "Adoption plan", "fr": "Plan d’adoption"},
    "partial_adoption": {"en": "Partial adoption", "fr": "Adoption partielle"},
    "full_adoption": {"en": "Full adoption", "fr": "Adoption complète"},
    "requirements_defined": {"en": "Requirements defined", "fr": "Exigences définies"},
    "accreditation_requested": {"en": "Accreditation requested",
                                "fr": "Accréditation demandée"},
    "interim_accreditation": {"en": "Interim accreditation", "fr": "Accréditation provisoire"},
    "full_accreditation": {"en": "Full accreditation", "fr": "Accréditation complète"},
    "drafted": {"en": "Drafted", "fr": "Rédigé"},
    "submitted": {"en": "Submitted to parliament", "fr": "Soumis au parlement"},
    "adopted": {"en": "Adopted", "fr": "Adopté"},
    "in_force": {"en": "In force", "fr": "En vigueur"},
}
# unit as stored -> {"en": {"one": ..., "other": ...}, "fr": {...}} (CLDR plural categories)
KNOWN_UNIT_LABELS: dict[str, dict[str, dict[str, str]]] = {
    "% of GDP": {"en": {"one": "% of GDP", "other": "% of GDP"},
                 "fr": {"one": "% du PIB", "other": "% du PIB"}},
    "% of defence expenditure": {
        "en": {"one": "% of defence expenditure", "other": "% of defence expenditure"},
        "fr": {"one": "% des dépenses de défense", "other": "% des dépenses de défense"}},
    "exercises per year": {"en": {"one": "exercise per year", "other": "exercises per year"},
                           "fr": {"one": "exercice par an", "other": "exercices par an"}},
}


def known_stage_labels(stages: list[str] | None) -> dict[str, dict[str, str]] | None:
    if not stages:
        return None
    return {s: KNOWN_STAGE_LABELS[s] for s in stages if s in KNOWN_STAGE_LABELS} or None


@lru_cache
def _plural_rule(language: str) -> Any:
    """The language's CLDR plural rule, parsed once: pages call it for every value shown."""
    return Locale.parse(language).plural_form


def plural_category(value: float) -> str:
    """The CLDR plural category ("one", "other"...) the number takes in the reader's
    language."""
    return _plural_rule(current_language.get())(abs(value))


def stage_label(indicator: Any, stage: str) -> str:
    """A stage in the reader's language: the indicator's label, else its English label, else
    the key made readable (an admin who sent no labels)."""
    labels = (indicator.stage_labels or {}).get(stage) or {}
    return (labels.get(current_language.get()) or labels.get("en")
            or stage.replace("_", " ").capitalize())


def unit_label(indicator: Any, value: float) -> str:
    """The unit in the reader's language and in the plural form the number takes there
    (French: 0 and 1 take the singular; English: only 1)."""
    language = current_language.get()
    labels = indicator.unit_labels or {}
    forms = labels.get(language) or labels.get("en")
    if not forms:
        return indicator.unit or ""
    form = _plural_rule(language)(abs(value))
    return forms.get(form) or forms.get("other") or indicator.unit or ""
