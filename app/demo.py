"""The demo data set: benchmark definitions for the three tiers, five candidates, their progress,
reviews and the real ratification history of Finland and Sweden, loaded into an empty database.

Real figures (SIPRI spending, the alliance's guidelines, accession and ratification dates) come
from the CSVs in `app/data`, each row with its source. Everything else is illustrative and marked
`is_illustrative`. The data set is fixed: the same `today` always gives the same rows.

Timestamps are back-dated so that "as known on" views have a history to show: a status change or
a ratification step is recorded the day after it happened, an illustrative update two weeks after
the date it measures, and a SIPRI figure on the 24th of April of the following year (SIPRI
publishes each spring). Simplification: every SIPRI figure is the 2025 release's value, so a
figure recorded in, say, 2020 shows what is known now rather than what SIPRI said then. The one
exception is Ukraine's 2022 figure, whose revision (34 % in the 2023 release, 25.64 % in the
2025 release) is stored as a correction that supersedes the first value."""

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.benchmarks.labels import KNOWN_UNIT_LABELS, known_stage_labels
from app.benchmarks.service import derive_candidate_benchmarks
from app.models import (
    AccessionMilestone,
    AccessionMilestoneRecord,
    AssessedBy,
    BenchmarkCategory,
    BenchmarkDefinition,
    BenchmarkKind,
    Candidate,
    CandidateBenchmark,
    CandidateStatusChange,
    Confidence,
    Direction,
    Event,
    ExpansionModel,
    Gate,
    Indicator,
    MemberState,
    Phase,
    ProgressReport,
    ProgressUpdate,
    RatificationStep,
    RatificationStepRecord,
    ReportStatus,
    Tier,
    TierRequirement,
)
from app.status_feed import replay_status_history

DATA_DIR = Path(__file__).parent / "data"

ILLUSTRATIVE_SOURCE = "Illustrative demo data — not an official figure"
ILLUSTRATIVE_STATUS_NOTE = (
    "Illustrative: the tool's tiers are a framework, not official NATO categories; this "
    "assignment is demo content, not a NATO decision."
)
ILLUSTRATIVE_STATUS_NOTE_FR = (
    "Illustratif : les paliers de l’outil sont un cadre d’analyse, pas des catégories "
    "officielles de l’OTAN ; cette affectation est un contenu de démonstration, pas une "
    "décision de l’OTAN."
)
SIPRI_2023_SOURCE = (
    "SIPRI Military Expenditure Database, 2023 release (as cited in shared data README)"
)
# SIPRI publishes its annual update in late April; the exact day varies from year to year.
SIPRI_PUBLICATION_DAY = (4, 24)
UKRAINE_REVISED_YEAR = 2022
UKRAINE_2023_RELEASE_VALUE = 34.0

# Names in ratifications.csv that differ from the member_states table.
MEMBER_NAME_ALIASES = {"Turkey": "Türkiye", "Czech Republic": "Czechia"}

# date_type: (step, its note, the note in French).
RATIFICATION_STEPS = {
    "parliamentary_completion": (RatificationStep.parliament_approved, "", ""),
    "head_of_state_signature": (RatificationStep.head_of_state_assent,
                                "Head of state's signature", "Signature du chef de l’État"),
    # The Speaker signs the act parliament adopted, before the President's assent (Hungary's
    # Fundamental Law, art. 6(3)): the end of the parliamentary step.
    "speaker_signature": (RatificationStep.parliament_approved, "Speaker's signature",
                          "Signature du président du parlement"),
    "deposit": (RatificationStep.deposited, "", ""),
}
# The notes of ratifications.csv (a copy of the shared data, kept as it is) in French.
RATIFICATION_NOTES_FR = {
    "FI 126 votes, SE 124 votes of 144 present (bobrtimes/AFP)":
        "FI : 126 voix, SE : 124 voix sur 144 présents (bobrtimes/AFP)",
    "Finland became party 4 Apr 2023": "La Finlande est devenue partie le 4 avril 2023",
    "NATO PA date = end of parliamentary procedure (not deposit)":
        "Date de l’AP-OTAN = fin de la procédure parlementaire (pas le dépôt)",
    "NATO PA date = end of parliamentary procedure (not deposit); 219-11 vote on Friday 16 Sep "
    "(albeu.com/RFE), Atlantic Council 'September 16 vote in Portugal'":
        "Date de l’AP-OTAN = fin de la procédure parlementaire (pas le dépôt) ; vote à 219 "
        "contre 11 le vendredi 16 septembre (albeu.com/RFE), Atlantic Council : « vote du "
        "16 septembre au Portugal »",
    "NATO PA date = end of parliamentary procedure (not deposit); Senate consent 95-1 on "
    "3 Aug 2022; President signed instruments of ratification 9 Aug 2022 (i24news, ctvnews)":
        "Date de l’AP-OTAN = fin de la procédure parlementaire (pas le dépôt) ; accord du "
        "Sénat à 95 contre 1 le 3 août 2022 ; le président a signé les instruments de "
        "ratification le 9 août 2022 (i24news, ctvnews)",
    "NATO PA date = end of parliamentary procedure (not deposit); an earlier NATO PA version "
    "(copy at democraciaparticipativa.net) listed Denmark 7 July; Jyllands-Posten (2023-03) "
    "says 5 July":
        "Date de l’AP-OTAN = fin de la procédure parlementaire (pas le dépôt) ; une version "
        "antérieure de l’AP-OTAN (copie sur democraciaparticipativa.net) donnait le 7 juillet "
        "pour le Danemark ; le Jyllands-Posten (2023-03) indique le 5 juillet",
    "NATO PA date = end of parliamentary procedure (not deposit); plenary vote 264/300 "
    "(finanzen.net/dpa), Swedish embassy tweet 15 Sep 2022":
        "Date de l’AP-OTAN = fin de la procédure parlementaire (pas le dépôt) ; vote en séance "
        "plénière 264/300 (finanzen.net/dpa), tweet de l’ambassade de Suède du 15 septembre "
        "2022",
    "Senate date taken from article date; NATO PA entry for Spain truncated in stored copy":
        "Date du Sénat tirée de la date de l’article ; l’entrée de l’AP-OTAN pour l’Espagne "
        "est tronquée dans la copie conservée",
    "date inferred from 'this past Wednesday'": "date déduite de « mercredi dernier »",
    "day inferred from reports that Sweden deposited 'later' the same day (7 Mar 2024)":
        "jour déduit d’articles selon lesquels la Suède a déposé son instrument « plus tard » "
        "le même jour (7 mars 2024)",
    "deposit date with US not found in stored material":
        "date du dépôt auprès des États-Unis introuvable dans les documents conservés",
    "last of 30 allies to ratify Finland": "dernier des 30 Alliés à ratifier pour la Finlande",
    "protocol entered into force; Finland deposited accession instrument same day":
        "protocole entré en vigueur ; la Finlande a déposé son instrument d’adhésion le même "
        "jour",
    "trendsresearch.org says 24 Jan (time-zone/late-night vote) - treat 23 Jan as vote date":
        "trendsresearch.org indique le 24 janvier (fuseau horaire, vote tard dans la nuit) : "
        "le 23 janvier est retenu comme date du vote",
    "weekday-based inference": "déduction à partir du jour de la semaine",
}

SP, IA, FC = Tier.strategic_partner, Tier.interim_ally, Tier.full_candidate
LEGISLATIVE_STAGES = ["drafted", "submitted", "adopted", "in_force"]


@dataclass(frozen=True)
class Requirement:
    tier: Tier
    target: float | str
    weight: float
    due_on: date | None = None
    due_offset_days: int | None = None


@dataclass(frozen=True)
class Definition:
    key: str
    category: str
    title: str
    title_fr: str
    kind: BenchmarkKind
    description: str
    description_fr: str
    valid_from: date
    requirements: tuple[Requirement, ...]
    is_illustrative: bool
    source: str = ""
    guideline_ids: tuple[str, ...] = ()
    unit: str | None = None
    min_value: float | None = None
    max_value: float | None = None
    stages: tuple[str, ...] = ()
    # The key of another definition's indicator this target reads (None: one of its own).
    indicator: str | None = None


DEFINITIONS = (
    Definition(
        key="defence_spending_gdp",
        category="spending",
        title="Defence spending (% of GDP)",
        title_fr="Dépenses de défense (% du PIB)",
        kind=BenchmarkKind.numeric,
        unit="% of GDP",
        min_value=0,
        max_value=100,
        description=(
            "Military expenditure as a share of GDP, against the alliance's 2 % guideline "
            "(Wales 2014: move towards 2 % within a decade; Vilnius 2023: 2 % as a floor). "
            "Measured with SIPRI's figures. The lower 1.5 % target for strategic partners is "
            "this tool's illustrative tiering, not an alliance figure."
        ),
        description_fr=(
            "Dépenses militaires en part du PIB, rapportées à la ligne directrice de 2 % de "
            "l’Alliance (pays de Galles 2014 : tendre vers 2 % en une décennie ; Vilnius 2023 : "
            "2 % au minimum). Mesurées avec les chiffres du SIPRI. L’objectif plus bas de 1,5 % "
            "pour les partenaires stratégiques est un palier illustratif de cet outil, pas un "
            "chiffre de l’Alliance."
        ),
        guideline_ids=("defence_spending_2pct", "defence_investment_pledge_2pct",
                       "defence_spending_floor_2pct"),
        valid_from=date(2014, 1, 1),
        is_illustrative=False,
        requirements=(
            Requirement(SP, 1.5, 2, due_offset_days=5 * 365),
            Requirement(IA, 2.0, 2, due_offset_days=3 * 365),
            Requirement(FC, 2.0, 3, due_on=date(2024, 12, 31)),
        ),
    ),
    Definition(
        key="defence_core_3_5_gdp",
        category="spending",
        title="Core defence spending: 3.5 % of GDP by 2035",
        title_fr="Dépenses de défense essentielles : 3,5 % du PIB d'ici 2035",
        kind=BenchmarkKind.numeric,
        unit="% of GDP",
        min_value=0,
        max_value=100,
        description=(
            "Spending on core defence requirements (NATO definition) as a share of GDP, against "
            "the Hague Summit's 3.5 % by 2035 (part of the 5 % commitment). Asked of full "
            "candidates only. Read against the same SIPRI series as the 2 % guideline: SIPRI's "
            "military expenditure approximates, and is not identical to, NATO's definition "
            "of core defence spending."
        ),
        description_fr=(
            "Dépenses consacrées aux besoins de défense essentiels (définition de l’OTAN) en part "
            "du PIB, rapportées aux 3,5 % d’ici 2035 du sommet de La Haye (partie de "
            "l’engagement de 5 %). Demandé aux seuls candidats à part entière. Lu sur la même "
            "série du SIPRI que la ligne directrice de 2 % : les dépenses militaires du SIPRI "
            "approchent la définition des dépenses de défense essentielles de l’OTAN, sans lui "
            "être identiques."
        ),
        indicator="defence_spending_gdp",
        guideline_ids=("hague_core_3_5pct",),
        valid_from=date(2025, 6, 25),
        is_illustrative=False,
        requirements=(Requirement(FC, 3.5, 2, due_on=date(2035, 12, 31)),),
    ),
    Definition(
        key="major_equipment_share",
        category="spending",
        title="Major equipment share of defence spending",
        title_fr="Part des équipements majeurs dans les dépenses de défense",
        kind=BenchmarkKind.numeric,
        unit="% of defence expenditure",
        min_value=0,
        max_value=100,
        description=(
            "Major equipment, including related research and development, as a share of defence "
            "expenditure, against the Wales pledge of 20 %. The 15 % target for interim allies "
            "is this tool's illustrative tiering; the aspirants' values in the demo are "
            "illustrative."
        ),
        description_fr=(
            "Équipements majeurs, y compris la recherche et le développement associés, en part "
            "des dépenses de défense, rapportés à l’engagement du pays de Galles de 20 %. "
            "L’objectif de 15 % pour les alliés intérimaires est un palier illustratif de cet "
            "outil ; les valeurs des États aspirants dans la démonstration sont illustratives."
        ),
        guideline_ids=("major_equipment_20pct",),
        valid_from=date(2014, 1, 1),
        is_illustrative=False,
        requirements=(
            Requirement(IA, 15.0, 1, due_offset_days=4 * 365),
            Requirement(FC, 20.0, 1, due_on=date(2024, 12, 31)),
        ),
    ),
    Definition(
        key="nato_standards_adoption",
        category="interoperability",
        title="Adoption of NATO standards (STANAGs)",
        title_fr="Adoption des normes OTAN (STANAG)",
        kind=BenchmarkKind.milestone,
        stages=("gap_assessment", "adoption_plan", "partial_adoption", "full_adoption"),
        description=(
            "Illustrative benchmark: progress from a gap assessment to full adoption of the "
            "standards relevant to the forces offered for cooperation. Stages and targets are "
            "demo content."
        ),
        description_fr=(
            "Critère illustratif : progression d’une évaluation des écarts jusqu’à l’adoption "
            "complète des normes utiles aux forces proposées pour la coopération. Étapes et "
            "objectifs sont un contenu de démonstration."
        ),
        source="Illustrative benchmark defined for the demo; no official source.",
        valid_from=date(2019, 1, 1),
        is_illustrative=True,
        requirements=(
            Requirement(SP, "adoption_plan", 1, due_offset_days=3 * 365),
            Requirement(IA, "partial_adoption", 2, due_offset_days=3 * 365),
            Requirement(FC, "full_adoption", 2, due_offset_days=2 * 365),
        ),
    ),
    Definition(
        key="joint_exercises",
        category="interoperability",
        title="Joint exercises with allies",
        title_fr="Exercices conjoints avec les Alliés",
        kind=BenchmarkKind.numeric,
        unit="exercises per year",
        min_value=0,
        max_value=100,
        description=(
            "Illustrative benchmark: exercises held with allied forces over the past twelve "
            "months. Targets and values are demo content."
        ),
        description_fr=(
            "Critère illustratif : exercices menés avec des forces alliées au cours des douze "
            "derniers mois. Objectifs et valeurs sont un contenu de démonstration."
        ),
        source="Illustrative benchmark defined for the demo; no official source.",
        valid_from=date(2019, 1, 1),
        is_illustrative=True,
        requirements=(
            Requirement(SP, 2.0, 1, due_offset_days=365),
            Requirement(IA, 4.0, 1, due_offset_days=365),
            Requirement(FC, 6.0, 1, due_offset_days=365),
        ),
    ),
    Definition(
        key="secure_communications",
        category="interoperability",
        title="Secure communications accreditation",
        title_fr="Homologation des communications sécurisées",
        kind=BenchmarkKind.milestone,
        stages=("requirements_defined", "accreditation_requested", "interim_accreditation",
                "full_accreditation"),
        description=(
            "Illustrative benchmark: accreditation of secure communications with allied "
            "command structures. Stages and targets are demo content."
        ),
        description_fr=(
            "Critère illustratif : homologation des communications sécurisées avec les "
            "structures de commandement alliées. Étapes et objectifs sont un contenu de "
            "démonstration."
        ),
        source="Illustrative benchmark defined for the demo; no official source.",
        valid_from=date(2019, 1, 1),
        is_illustrative=True,
        requirements=(
            Requirement(IA, "interim_accreditation", 1, due_offset_days=3 * 365),
            Requirement(FC, "full_accreditation", 2, due_offset_days=2 * 365),
        ),
    ),
    Definition(
        key="civilian_control_law",
        category="legislation",
        title="Law on democratic civilian control of the armed forces",
        title_fr="Loi sur le contrôle civil démocratique des forces armées",
        kind=BenchmarkKind.milestone,
        stages=tuple(LEGISLATIVE_STAGES),
        description=(
            "Illustrative benchmark: the legislative stage of a law establishing democratic "
            "civilian control of the armed forces. Stages and targets are demo content."
        ),
        description_fr=(
            "Critère illustratif : étape législative d’une loi établissant le contrôle civil "
            "démocratique des forces armées. Étapes et objectifs sont un contenu de "
            "démonstration."
        ),
        source="Illustrative benchmark defined for the demo; no official source.",
        valid_from=date(2019, 1, 1),
        is_illustrative=True,
        requirements=(
            Requirement(SP, "adopted", 1, due_on=date(2023, 12, 31)),
            Requirement(IA, "in_force", 2, due_offset_days=2 * 365),
            Requirement(FC, "in_force", 2, due_offset_days=365),
        ),
    ),
    Definition(
        key="classified_information_law",
        category="legislation",
        title="Law on the protection of classified information",
        title_fr="Loi sur la protection des informations classifiées",
        kind=BenchmarkKind.milestone,
        stages=tuple(LEGISLATIVE_STAGES),
        description=(
            "Illustrative benchmark: the legislative stage of a law protecting classified "
            "information shared with allies. Stages and targets are demo content."
        ),
        description_fr=(
            "Critère illustratif : étape législative d’une loi protégeant les informations "
            "classifiées partagées avec les Alliés. Étapes et objectifs sont un contenu de "
            "démonstration."
        ),
        source="Illustrative benchmark defined for the demo; no official source.",
        valid_from=date(2019, 1, 1),
        is_illustrative=True,
        requirements=(
            Requirement(IA, "adopted", 1, due_offset_days=3 * 365),
            Requirement(FC, "in_force", 2, due_offset_days=2 * 365),
        ),
    ),
)

FRAMEWORK_NOTE = (
    "The tool's tiers and expansion models are an analytical framework, not official NATO "
    "categories."
)
FRAMEWORK_NOTE_FR = (
    "Les paliers et les modèles d’élargissement de l’outil sont un cadre d’analyse, pas des "
    "catégories officielles de l’OTAN."
)
ASPIRANT_NOTE = (
    "Its tier and model assignments here are illustrative. " + FRAMEWORK_NOTE
)
ASPIRANT_NOTE_FR = (
    "Son palier et son modèle sont ici illustratifs. " + FRAMEWORK_NOTE_FR
)

# (slug, iso3, name, name_fr, tier, model, phase, summary, summary_fr)
CANDIDATES = (
    ("bosnia-and-herzegovina", "BIH", "Bosnia and Herzegovina", "Bosnie-Herzégovine", SP,
     ExpansionModel.incremental_enlargement, Phase.outreach,
     "Aspirant country. Defence spending (SIPRI) has stayed below 1 % of GDP since 2018. "
     + ASPIRANT_NOTE,
     "État aspirant. Ses dépenses de défense (SIPRI) restent sous 1 % du PIB depuis 2018. "
     + ASPIRANT_NOTE_FR),
    ("georgia", "GEO", "Georgia", "Géorgie", SP, ExpansionModel.strategic_partnership,
     Phase.outreach,
     "Aspirant country. Defence spending (SIPRI) between 1.6 % and 1.9 % of GDP since 2018. "
     + ASPIRANT_NOTE,
     "État aspirant. Dépenses de défense (SIPRI) comprises entre 1,6 % et 1,9 % du PIB depuis "
     "2018. " + ASPIRANT_NOTE_FR),
    ("ukraine", "UKR", "Ukraine", "Ukraine", IA, ExpansionModel.hybrid_integration,
     Phase.outreach,
     "Aspirant country. Wartime defence spending (SIPRI) of 25–37 % of GDP since 2022, far "
     "above any target. " + ASPIRANT_NOTE,
     "État aspirant. Dépenses de défense de temps de guerre (SIPRI) de 25 à 37 % du PIB depuis "
     "2022, bien au-delà de tout objectif. " + ASPIRANT_NOTE_FR),
    ("finland", "FIN", "Finland", "Finlande", FC, ExpansionModel.incremental_enlargement,
     Phase.member,
     "Member since 4 April 2023: applied on 18 May 2022, accession protocols signed on "
     "5 July 2022. Kept as a comparator for the aspirants. " + FRAMEWORK_NOTE,
     "Membre depuis le 4 avril 2023 : candidature déposée le 18 mai 2022, protocoles "
     "d’adhésion signés le 5 juillet 2022. Conservée comme point de comparaison pour les États "
     "aspirants. " + FRAMEWORK_NOTE_FR),
    ("sweden", "SWE", "Sweden", "Suède", FC, ExpansionModel.incremental_enlargement,
     Phase.member,
     "Member since 7 March 2024: applied on 18 May 2022, accession protocols signed on "
     "5 July 2022. Kept as a comparator for the aspirants. " + FRAMEWORK_NOTE,
     "Membre depuis le 7 mars 2024 : candidature déposée le 18 mai 2022, protocoles "
     "d’adhésion signés le 5 juillet 2022. Conservée comme point de comparaison pour les États "
     "aspirants. " + FRAMEWORK_NOTE_FR),
)

# Illustrative status histories of the aspirants: (effective_on, tier, phase, note, note_fr).
ASPIRANT_STATUS_CHANGES = {
    "bosnia-and-herzegovina": [(date(2019, 1, 1), SP, Phase.outreach, "Demo starting status.",
                                "Statut de départ de la démonstration.")],
    "georgia": [(date(2019, 1, 1), SP, Phase.outreach, "Demo starting status.",
                 "Statut de départ de la démonstration.")],
    "ukraine": [
        (date(2019, 1, 1), SP, Phase.outreach, "Demo starting status.",
         "Statut de départ de la démonstration."),
        (date(2023, 7, 12), IA, Phase.outreach,
         "Moved to interim ally in this demo after the Vilnius summit.",
         "Passée au palier d’allié intérimaire dans cette démonstration après le sommet de "
         "Vilnius."),
    ],
}

# Finland's and Sweden's phases, from accession_milestones.csv: (milestone, phase, note,
# note_fr).
MEMBER_STATUS_MILESTONES = (
    ("application_submitted", Phase.accession_talks,
     "Application for membership submitted. Tier: the tool's framework, not a NATO category.",
     "Demande d’adhésion déposée. Palier : le cadre d’analyse de l’outil, pas une catégorie de "
     "l’OTAN."),
    ("accession_protocols_signed", Phase.ratification,
     "Accession protocol signed; ratification by the member states begins.",
     "Protocole d’adhésion signé ; la ratification par les États membres commence."),
    ("instrument_of_accession_deposited_member", Phase.member,
     "Instrument of accession deposited: member state.",
     "Instrument d’adhésion déposé : État membre."),
)

# Illustrative half-yearly series, 2019-06-30 to 2025-12-31 (14 points), trailing twelve months.
HALF_YEARS = [date(year, month, day) for year in range(2019, 2026)
              for month, day in ((6, 30), (12, 31))]
NUMERIC_SERIES = {
    # Slowly rising from a pandemic low: target met since 2022.
    ("bosnia-and-herzegovina", "joint_exercises"): [1, 1, 0, 0, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3],
    # Worsening: well above target until 2022, below it by 2025.
    ("georgia", "joint_exercises"): [6, 6, 5, 6, 7, 7, 6, 5, 4, 4, 3, 2, 2, 1],
    # Wartime collapse in 2022, recovering.
    ("ukraine", "joint_exercises"): [7, 8, 6, 7, 8, 9, 3, 2, 2, 3, 4, 4, 5, 5],
    # Rising towards the interim target, not there yet.
    ("ukraine", "major_equipment_share"): [8.0, 8.2, 8.5, 8.9, 9.3, 9.5, 10.4, 11.2, 11.8, 12.3,
                                           12.9, 13.4, 13.8, 14.2],
}
# Illustrative stage changes. Georgia's civilian_control_law has none: a benchmark without data.
MILESTONE_SERIES = {
    ("bosnia-and-herzegovina", "nato_standards_adoption"): [
        (date(2019, 6, 30), "gap_assessment"), (date(2021, 6, 30), "adoption_plan"),
        (date(2024, 12, 31), "partial_adoption")],
    ("bosnia-and-herzegovina", "civilian_control_law"): [
        (date(2020, 12, 31), "drafted"), (date(2023, 6, 30), "submitted")],
    ("georgia", "nato_standards_adoption"): [
        (date(2019, 6, 30), "gap_assessment"), (date(2020, 6, 30), "adoption_plan"),
        (date(2022, 12, 31), "partial_adoption")],
    ("ukraine", "nato_standards_adoption"): [
        (date(2019, 6, 30), "gap_assessment"), (date(2020, 12, 31), "adoption_plan"),
        (date(2024, 6, 30), "partial_adoption")],
    ("ukraine", "secure_communications"): [
        (date(2021, 6, 30), "requirements_defined"),
        (date(2024, 12, 31), "accreditation_requested")],
    ("ukraine", "civilian_control_law"): [(date(2019, 6, 30), "in_force")],
    ("ukraine", "classified_information_law"): [
        (date(2022, 6, 30), "drafted"), (date(2025, 6, 30), "submitted")],
}
# Illustrative gates: what each tier is asked before each phase, in this demo only (the
# alliance publishes no such list). (tier, to_phase, targets, the phases whose gates of the same
# tier it requires, note, note_fr).
GATE_NOTE = "Illustrative: this demo's gate, not an alliance decision."
GATE_NOTE_FR = "Illustratif : porte de cette démonstration, pas une décision de l’Alliance."
GATES = (
    (SP, Phase.accession_talks,
     ("defence_spending_gdp", "nato_standards_adoption", "civilian_control_law"), ()),
    (IA, Phase.accession_talks,
     ("defence_spending_gdp", "major_equipment_share", "nato_standards_adoption",
      "civilian_control_law"), ()),
    (FC, Phase.accession_talks, ("defence_spending_gdp", "civilian_control_law"), ()),
    (FC, Phase.ratification, ("nato_standards_adoption", "joint_exercises"),
     (Phase.accession_talks,)),
    (FC, Phase.member, ("secure_communications", "classified_information_law"),
     (Phase.ratification,)),
)
ILLUSTRATIVE_RECORDING_DELAY = timedelta(days=14)
# Illustrative self-assessed figures (assessed_by "self"), as a candidate's annual national
# programme would report them: Ukraine's runs ahead of the independent figures (a divergence
# the pages flag); Bosnia and Herzegovina's agrees with them.
SELF_ASSESSED_SERIES = {
    ("ukraine", "major_equipment_share"): [
        (date(2023, 12, 31), 13.1), (date(2024, 12, 31), 14.5), (date(2025, 12, 31), 15.6)],
    ("bosnia-and-herzegovina", "joint_exercises"): [
        (date(2024, 12, 31), 3.0), (date(2025, 12, 31), 3.0)],
}
SELF_ASSESSED_SOURCE = ("Illustrative demo data — the candidate's own reporting (annual "
                        "national programme), not an official figure")
LAST_DEMO_QUARTER_END = date(2025, 12, 31)


def is_empty(session: Session) -> bool:
    return session.scalar(select(Candidate.id).limit(1)) is None


def load_demo(session: Session, *, today: date | None = None) -> dict[str, int]:
    """Load the demo data set into a database that has no candidate yet; commit once, or roll
    back everything. `today` bounds the progress data: nothing measured after it, nothing
    recorded after its midnight (UTC). Returns how many rows of each kind were added."""
    if not is_empty(session):
        raise RuntimeError("The database already has candidates; the demo data set loads only "
                           "into an empty database.")
    today = today or date.today()
    try:
        counts = _load(session, today)
        session.add(Event(kind="demo.loaded", entity="dataset", entity_id="demo",
                          is_public=True, after=counts))
        session.commit()
    except Exception:
        session.rollback()
        raise
    return counts


def _load(session: Session, today: date) -> dict[str, int]:
    latest = datetime.combine(today, time.min, tzinfo=UTC)
    definitions = _add_definitions(session)
    candidates = _add_candidates(session)
    benchmarks = {
        (candidate.slug, cb.definition.key): cb
        for candidate in candidates.values()
        for cb in derive_candidate_benchmarks(session, candidate)
    }
    indicators = {i.key: i for d in definitions for i in [d.indicator]}
    updates = _add_spending_updates(session, candidates, indicators, benchmarks, today, latest)
    updates += _add_illustrative_updates(session, candidates, indicators, today, latest)
    reports = _add_reports(session, candidates, benchmarks, updates, today, latest)
    updates += _add_self_assessed_updates(session, candidates, indicators, today, latest)
    steps = _add_ratification_steps(session, candidates)
    milestones = _add_accession_milestones(session, candidates)
    gates = _add_gates(session)
    session.flush()
    # The status changes the history would have recorded, review by review, so the feeds of
    # status changes start full (app/status_feed.py).
    status_changes = replay_status_history(session, today)
    return {
        "indicators": len(indicators),
        "benchmark_definitions": len(definitions),
        "tier_requirements": sum(len(d.requirements) for d in definitions),
        "candidates": len(candidates),
        "status_changes": sum(len(c.status_changes) for c in candidates.values()),
        "candidate_benchmarks": len(benchmarks),
        "progress_updates": len(updates),
        "progress_reports": len(reports),
        "ratification_steps": len(steps),
        "accession_milestones": len(milestones),
        "status_change_events": status_changes,
        "gates": len(gates),
        "events": 1,
    }


def _read_csv(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def _at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def _add_definitions(session: Session) -> list[BenchmarkDefinition]:
    categories = {c.key: c for c in session.scalars(select(BenchmarkCategory))}
    taken = session.scalar(select(func.count()).select_from(BenchmarkDefinition).where(
        BenchmarkDefinition.key.in_([d.key for d in DEFINITIONS])))
    if taken:
        raise RuntimeError("Benchmark definitions of the demo data set already exist; load the "
                           "demo into a freshly migrated database.")
    guidelines = {row["id"]: row for row in _read_csv("nato_guidelines.csv")}
    added = []
    indicators: dict[str, Indicator] = {}
    for spec in DEFINITIONS:
        if spec.category not in categories:
            raise RuntimeError(f"Benchmark category {spec.category!r} is missing: run the "
                               "migrations (alembic upgrade head) first.")
        source = spec.source or " | ".join(
            f"{guidelines[g]['benchmark']} ({guidelines[g]['instrument']}, "
            f"{guidelines[g]['agreed_on']}). Source: {guidelines[g]['source']}"
            for g in spec.guideline_ids
        )
        numeric = spec.kind == BenchmarkKind.numeric
        if spec.indicator is not None:
            indicator = indicators[spec.indicator]
        else:
            indicator = indicators[spec.key] = Indicator(
                key=spec.key, title=spec.title, title_fr=spec.title_fr,
                category=categories[spec.category], kind=spec.kind, unit=spec.unit,
                direction=Direction.higher_is_better if numeric else None,
                min_value=spec.min_value, max_value=spec.max_value,
                stages=None if numeric else list(spec.stages),
                stage_labels=None if numeric else known_stage_labels(list(spec.stages)),
                unit_labels=KNOWN_UNIT_LABELS.get(spec.unit or ""),
                description=spec.description, description_fr=spec.description_fr,
                source=source)
        definition = BenchmarkDefinition(
            key=spec.key, title=spec.title, title_fr=spec.title_fr,
            category=categories[spec.category], indicator=indicator,
            description=spec.description, description_fr=spec.description_fr, source=source,
            is_illustrative=spec.is_illustrative,
            adopted_on=spec.valid_from,
        )
        for req in spec.requirements:
            if not numeric and req.target not in spec.stages:
                raise ValueError(f"{spec.key}: unknown target stage {req.target!r}")
            definition.requirements.append(TierRequirement(
                tier=req.tier, effective_on=spec.valid_from,
                target_value=float(req.target) if numeric else None,
                target_stage=None if numeric else str(req.target),
                weight=req.weight, due_on=req.due_on, due_offset_days=req.due_offset_days,
                # The alliance's figures are asked of full candidates; what the other tiers
                # are asked is this tool's own tiering.
                is_illustrative=spec.is_illustrative or req.tier != FC,
            ))
        session.add(definition)
        added.append(definition)
    session.flush()
    return added


def _member_status_changes() -> dict[str, list[tuple[date, Tier, Phase, str, str, str]]]:
    rows = _read_csv("accession_milestones.csv")
    history: dict[str, list[tuple[date, Tier, Phase, str, str, str]]] = {}
    for milestone, phase, note, note_fr in MEMBER_STATUS_MILESTONES:
        matching = [r for r in rows if r["milestone"] == milestone]
        for name in ("Finland", "Sweden"):
            row = next((r for r in matching if name in r["candidate"].split("+")), None)
            if row is None:
                raise RuntimeError(f"accession_milestones.csv has no {milestone!r} for {name}")
            history.setdefault(name.lower(), []).append(
                (date.fromisoformat(row["date"]), FC, phase, row["source"], note, note_fr))
    return history


def _add_candidates(session: Session) -> dict[str, Candidate]:
    histories = _member_status_changes()
    for slug, changes in ASPIRANT_STATUS_CHANGES.items():
        histories[slug] = [(day, tier, phase, "", f"{note} {ILLUSTRATIVE_STATUS_NOTE}",
                            f"{note_fr} {ILLUSTRATIVE_STATUS_NOTE_FR}")
                           for day, tier, phase, note, note_fr in changes]
    candidates = {}
    for slug, iso3, name, name_fr, tier, model, phase, summary, summary_fr in CANDIDATES:
        history = histories[slug]
        last = history[-1]
        if (last[1], last[2]) != (tier, phase):
            raise ValueError(f"{slug}: status history does not end in {tier}/{phase}")
        recorded = [_at_noon(day + timedelta(days=1)) for day, *_ in history]
        candidate = Candidate(slug=slug, iso3=iso3, name=name, name_fr=name_fr, tier=tier,
                              model=model, phase=phase, summary=summary, summary_fr=summary_fr,
                              created_at=recorded[0])
        for (day, change_tier, change_phase, source, note, note_fr), at in zip(
                history, recorded, strict=True):
            candidate.status_changes.append(CandidateStatusChange(
                tier=change_tier, phase=change_phase, effective_on=day, source=source,
                note=note, note_fr=note_fr, recorded_at=at,
                is_illustrative=slug in ASPIRANT_STATUS_CHANGES))
        session.add(candidate)
        candidates[slug] = candidate
    session.flush()
    return candidates


def _add_spending_updates(
    session: Session, candidates: dict[str, Candidate], indicators: dict[str, Indicator],
    benchmarks: dict[tuple[str, str], CandidateBenchmark], today: date, latest: datetime,
) -> list[ProgressUpdate]:
    """SIPRI's figures, as published in its 2025 release and recorded when it came out (none
    earlier: we hold that release's figures, not the earlier releases'), unrounded. Ukraine's
    2022 figure was first recorded from the 2023 release; the 2025 release revises it."""
    slugs = {"BIH": "bosnia-and-herzegovina", "GEO": "georgia", "UKR": "ukraine",
             "FIN": "finland", "SWE": "sweden"}
    spending = indicators["defence_spending_gdp"]
    released_on = date(2025, *SIPRI_PUBLICATION_DAY)
    added = []
    for row in _read_csv("defence_spending.csv"):
        year = int(row["year"])
        as_of = date(year, 12, 31)
        value = float(row["pct_gdp_unrounded"])  # as published: rounding is for display
        slug = slugs[row["iso3"]]
        cb = benchmarks.get((slug, "defence_spending_gdp"))
        if year == 2018 and cb is not None:
            cb.baseline_value, cb.baseline_on = value, as_of
        supersedes = None
        recorded_at = _at_noon(released_on)
        note = ""
        if row["iso3"] == "UKR" and year == UKRAINE_REVISED_YEAR:
            first_on = date(2023, *SIPRI_PUBLICATION_DAY)
            if _at_noon(first_on) <= latest:
                supersedes = ProgressUpdate(
                    candidate=candidates[slug], indicator=spending,
                    value=UKRAINE_2023_RELEASE_VALUE, as_of=as_of, source=SIPRI_2023_SOURCE,
                    vintage="SIPRI 2023", published_on=first_on, is_illustrative=False,
                    recorded_at=_at_noon(first_on),
                    note="SIPRI 2023 release; revised in later releases.")
                session.add(supersedes)
                session.flush()
                added.append(supersedes)
            note = (f"Revision: SIPRI's 2023 release gave {UKRAINE_2023_RELEASE_VALUE:g} % for "
                    f"{year}; its 2025 release gives {value:.2f} %.")
        if as_of > today or recorded_at > latest:
            continue
        update = ProgressUpdate(
            candidate=candidates[slug], indicator=spending, value=value, as_of=as_of,
            source=row["source"], vintage="SIPRI 2025", published_on=released_on, note=note,
            is_illustrative=False, recorded_at=recorded_at,
            supersedes_id=supersedes.id if supersedes is not None else None)
        session.add(update)
        added.append(update)
    session.flush()
    return added


def _illustrative_points() -> Iterator[tuple[str, str, date, float | None, str | None]]:
    for (slug, key), values in NUMERIC_SERIES.items():
        for as_of, value in zip(HALF_YEARS, values, strict=True):
            yield slug, key, as_of, float(value), None
    for (slug, key), stages in MILESTONE_SERIES.items():
        for as_of, stage in stages:
            yield slug, key, as_of, None, stage


def _add_illustrative_updates(
    session: Session, candidates: dict[str, Candidate], indicators: dict[str, Indicator],
    today: date, latest: datetime,
) -> list[ProgressUpdate]:
    added = []
    for slug, key, as_of, value, stage in _illustrative_points():
        if as_of > today:
            continue
        note = ("Twelve months to this date." if key == "joint_exercises"
                else "Illustrative stage." if stage is not None else "")
        update = ProgressUpdate(
            candidate=candidates[slug], indicator=indicators[key], value=value, stage=stage,
            as_of=as_of, source=ILLUSTRATIVE_SOURCE, note=note, is_illustrative=True,
            recorded_at=min(_at_noon(as_of + ILLUSTRATIVE_RECORDING_DELAY), latest))
        session.add(update)
        added.append(update)
    session.flush()
    return added


def _add_self_assessed_updates(
    session: Session, candidates: dict[str, Candidate], indicators: dict[str, Indicator],
    today: date, latest: datetime,
) -> list[ProgressUpdate]:
    """Added last, so the ids of the other demo rows (which docs and examples quote) stay."""
    added = []
    for (slug, key), points in SELF_ASSESSED_SERIES.items():
        for as_of, value in points:
            if as_of > today:
                continue
            update = ProgressUpdate(
                candidate=candidates[slug], indicator=indicators[key], value=value,
                as_of=as_of, source=SELF_ASSESSED_SOURCE, assessed_by=AssessedBy.self,
                note="Self-assessed (illustrative).", is_illustrative=True,
                recorded_at=min(_at_noon(as_of + ILLUSTRATIVE_RECORDING_DELAY), latest))
            session.add(update)
            added.append(update)
    session.flush()
    return added


def _quarter_end(day: date) -> date:
    """The last day of the quarter before the one `day` falls in."""
    first_of_quarter = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return first_of_quarter - timedelta(days=1)


def _quarter_label(end: date) -> str:
    return f"{end.year}-Q{(end.month - 1) // 3 + 1}"


def _review_body(
    candidate: Candidate, benchmarks: list[CandidateBenchmark], updates: list[ProgressUpdate],
    period_end: date, known_at: datetime,
) -> str:
    superseded = {u.supersedes_id for u in updates if u.supersedes_id is not None}
    lines = [
        f"# {candidate.name}: quarterly review",
        "",
        "*Illustrative review written for the demo — not an official assessment. Defence "
        "spending figures are SIPRI's; all other figures are illustrative.*",
        "",
    ]
    by_category: dict[str, list[str]] = {}
    for cb in sorted(benchmarks, key=lambda cb: (cb.definition.category.position,
                                                  cb.definition.key)):
        known = [u for u in updates
                 if u.candidate is candidate and u.indicator is cb.definition.indicator
                 and u.as_of <= period_end
                 and u.recorded_at <= known_at and u.id not in superseded]
        definition = cb.definition
        if not known:
            text = "no data yet"
        else:
            last = max(known, key=lambda u: (u.as_of, u.recorded_at))
            shown = (f"{last.value:g} {definition.unit}" if last.value is not None
                     else (last.stage or "").replace("_", " "))
            text = f"{shown} (as of {last.as_of.isoformat()})"
        by_category.setdefault(definition.category.title, []).append(
            f"- **{definition.title}**: {text}")
    for title, items in by_category.items():
        lines += [f"## {title}", "", *items, ""]
    lines += [
        "## Next steps",
        "",
        "- Confirm the next SIPRI release when it is published.",
        "- Review the milestones due in the next two quarters with the national liaison team.",
        "",
    ]
    return "\n".join(lines)


def _add_reports(
    session: Session, candidates: dict[str, Candidate],
    benchmarks: dict[tuple[str, str], CandidateBenchmark], updates: list[ProgressUpdate],
    today: date, latest: datetime,
) -> list[ProgressReport]:
    """One published review per aspirant for the last quarter of the demo data (or the last
    one closed three weeks before `today`), and a draft of Ukraine's next one."""
    period_end = min(_quarter_end(today - timedelta(days=21)), LAST_DEMO_QUARTER_END)
    published_at = min(_at_noon(period_end + timedelta(days=21)), latest)
    added = []
    for slug in ASPIRANT_STATUS_CHANGES:
        candidate = candidates[slug]
        own = [cb for (s, _), cb in benchmarks.items() if s == slug]
        added.append(ProgressReport(
            candidate=candidate, period=_quarter_label(period_end),
            title=f"{candidate.name}: review of {_quarter_label(period_end)}",
            body=_review_body(candidate, own, updates, period_end, published_at),
            status=ReportStatus.published, is_illustrative=True,
            created_at=min(_at_noon(period_end + timedelta(days=7)), published_at),
            updated_at=published_at, published_at=published_at))
    next_end = _quarter_end(period_end + timedelta(days=100))
    ukraine = candidates["ukraine"]
    draft_at = min(published_at + timedelta(days=1), latest)
    added.append(ProgressReport(
        candidate=ukraine, period=_quarter_label(next_end),
        title=f"{ukraine.name}: review of {_quarter_label(next_end)} (draft)",
        body=(f"# {ukraine.name}: quarterly review (draft)\n\n"
              "*Illustrative draft written for the demo.*\n\n"
              "## To do\n\n"
              "- Add the new SIPRI figure once published.\n"
              "- Check the classified information law's progress in parliament.\n"),
        status=ReportStatus.draft, is_illustrative=True, created_at=draft_at,
        updated_at=draft_at, published_at=None))
    session.add_all(added)
    session.flush()
    return added


# accession_milestones.csv's milestones as the accession milestones they date.
CSV_MILESTONES = {
    "application_submitted": AccessionMilestone.application_submitted,
    "invitation_madrid_summit": AccessionMilestone.invitation,
    "accession_protocols_signed": AccessionMilestone.protocol_signed,
    "instrument_of_accession_deposited_member": AccessionMilestone.membership,
}


def _add_gates(session: Session) -> list[Gate]:
    added: dict[tuple[str, str], Gate] = {}
    for tier, to_phase, targets, requires in GATES:
        gate = Gate(tier=tier, to_phase=to_phase, targets=list(targets), requires=[],
                    source="Accession Tracker demo data set", note=GATE_NOTE,
                    note_fr=GATE_NOTE_FR, is_illustrative=True)
        session.add(gate)
        session.flush()
        gate.requires = [added[(tier, phase)].id for phase in requires]
        added[(tier, to_phase)] = gate
    return list(added.values())


def _add_accession_milestones(
    session: Session, candidates: dict[str, Candidate]
) -> list[AccessionMilestoneRecord]:
    added = []
    for row in _read_csv("accession_milestones.csv"):
        occurred_on = date.fromisoformat(row["date"])
        for name in row["candidate"].split("+"):
            added.append(AccessionMilestoneRecord(
                candidate_id=candidates[name.lower()].id,
                milestone=CSV_MILESTONES[row["milestone"]], occurred_on=occurred_on,
                source=row["source"], recorded_at=_at_noon(occurred_on + timedelta(days=1))))
    session.add_all(added)
    session.flush()
    return added


def _add_ratification_steps(
    session: Session, candidates: dict[str, Candidate]
) -> list[RatificationStepRecord]:
    iso3_by_name = {
        name: iso3 for name, iso3 in session.execute(select(MemberState.name, MemberState.iso3))
    }
    added = []
    for row in _read_csv("ratifications.csv"):
        name = MEMBER_NAME_ALIASES.get(row["member_state"], row["member_state"])
        if name not in iso3_by_name:
            raise RuntimeError(f"ratifications.csv: member state {row['member_state']!r} is not "
                               "in the member_states table")
        if row["date_type"] not in RATIFICATION_STEPS:
            raise RuntimeError(f"ratifications.csv: unknown date_type {row['date_type']!r}")
        if row["note"] and row["note"] not in RATIFICATION_NOTES_FR:
            raise RuntimeError(f"ratifications.csv: note {row['note']!r} has no French")
        step, step_note, step_note_fr = RATIFICATION_STEPS[row["date_type"]]
        occurred_on = date.fromisoformat(row["ratified_on"])
        added.append(RatificationStepRecord(
            candidate_id=candidates[row["candidate"].lower()].id,
            member_iso3=iso3_by_name[name], step=step, occurred_on=occurred_on,
            source=row["source"], confidence=Confidence(row["confidence"].lower()),
            note="; ".join(part for part in (step_note, row["note"]) if part),
            note_fr=" ; ".join(part for part in (step_note_fr,
                                                 RATIFICATION_NOTES_FR.get(row["note"], ""))
                               if part),
            recorded_at=_at_noon(occurred_on + timedelta(days=1))))
    session.add_all(added)
    session.flush()
    return added
