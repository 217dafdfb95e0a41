"""french texts

A French column beside every English text the pages show from data: candidate summaries, the
descriptions of tiers, expansion models (and their four dimensions), categories, indicators,
targets and instruments (and their cost, reach and timeframe), and the notes of status changes
and ratification steps. Empty means "not translated": pages then show the English, marked so.

Existing rows get the French of the texts this tool has shipped with (the reference data of
revisions 0002 and 0004, and the demo data set), matched on the English text so that a text an
admin has since edited is left for them to translate. The history tables are append-only: their
triggers are lifted for the fill and put back at once.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = {
    "candidates": ("summary",),
    "candidate_status_changes": ("note",),
    "tiers": ("description",),
    "expansion_models": (
        "description",
        "speed_of_integration",
        "risk_exposure",
        "reform_depth",
        "resource_allocation",
    ),
    "benchmark_categories": ("description",),
    "indicators": ("description",),
    "benchmark_definitions": ("description",),
    "instruments": ("description", "cost_category", "strategic_reach", "typical_timeframe"),
    "ratification_steps": ("note",),
}
APPEND_ONLY = ("candidate_status_changes", "ratification_steps")

# The French of the shipped texts, by (table, column) and English text (a copy: a migration does
# not change with the application's code).
REFERENCE = {
    ("tiers", "description"): {
        "Close cooperation short of membership: political dialogue, joint training and "
        "partnership goals, without the mutual-defence commitment.": "Une coopération étroite "
        "en deçà de l’adhésion : dialogue politique, entraînement conjoint et objectifs de "
        "partenariat, sans l’engagement de défense mutuelle.",
        "A transitional status with deeper integration into planning and command structures "
        "while the conditions for full membership are met.": "Un statut transitoire, avec une "
        "intégration plus poussée dans les structures de planification et de commandement, le "
        "temps que les conditions d’une adhésion pleine et entière soient remplies.",
        "An invited aspirant negotiating accession: it is held to the full set of membership "
        "benchmarks.": "Un État aspirant invité qui négocie son adhésion : il est tenu à "
        "l’ensemble des critères d’adhésion.",
    },
    ("expansion_models", "description"): {
        "Candidates join one by one once they meet the full set of benchmarks.": "Les candidats "
        "adhèrent un par un, une fois l’ensemble des critères remplis.",
        "Cooperation agreements without membership; benchmarks guide, they do not gate.": "Des "
        "accords de coopération sans adhésion ; les critères orientent, ils ne conditionnent "
        "pas.",
        "Staged integration: sectors (air defence, logistics, command) integrate before "
        "political membership.": "Une intégration par étapes : des secteurs (défense aérienne, "
        "logistique, commandement) s’intègrent avant l’adhésion politique.",
    },
    ("expansion_models", "speed_of_integration"): {
        "Slow: years from invitation to membership.": "Lente : des années entre l’invitation "
        "et l’adhésion.",
        "Fast to agree, limited in scope.": "Rapide à conclure, de portée limitée.",
        "Medium: sector by sector.": "Moyenne : secteur par secteur.",
    },
    ("expansion_models", "risk_exposure"): {
        "Low: obligations follow verified readiness.": "Faible : les obligations suivent une "
        "préparation vérifiée.",
        "Moderate: commitments without the mutual-defence guarantee.": "Modérée : des "
        "engagements sans la garantie de défense mutuelle.",
        "Medium to high: partial commitments before full guarantees.": "Moyenne à élevée : des "
        "engagements partiels avant les garanties complètes.",
    },
    ("expansion_models", "reform_depth"): {
        "Deep: full legislative and military alignment before accession.": "Profonde : un "
        "alignement législatif et militaire complet avant l’adhésion.",
        "Shallow to moderate: targeted reforms.": "Faible à moyenne : des réformes ciblées.",
        "Uneven: deep where integrated, shallow elsewhere.": "Inégale : profonde là où "
        "l’intégration est faite, faible ailleurs.",
    },
    ("expansion_models", "resource_allocation"): {
        "Concentrated on a few candidates at a time.": "Concentrée sur quelques candidats à la "
        "fois.",
        "Spread thinly across many partners.": "Dispersée entre de nombreux partenaires.",
        "Targeted at the integrated sectors.": "Ciblée sur les secteurs intégrés.",
    },
    ("benchmark_categories", "description"): {
        "Resources committed to defence, against the alliance's spending guidelines.": "Les "
        "ressources consacrées à la défense, rapportées aux lignes directrices de dépenses de "
        "l’Alliance.",
        "The ability to operate with allied forces: standards, command, exercises.": "La "
        "capacité d’opérer avec les forces alliées : normes, commandement, exercices.",
        "Laws and institutions that membership requires: civilian control, security of "
        "information, ratification of agreements.": "Les lois et les institutions qu’exige "
        "l’adhésion : contrôle civil, sécurité de l’information, ratification des accords.",
    },
    ("instruments", "description"): {
        "A political framework for dialogue, partnership goals and cooperation projects, "
        "without a mutual-defence commitment.": "Un cadre politique pour le dialogue, les "
        "objectifs de partenariat et les projets de coopération, sans engagement de défense "
        "mutuelle.",
        "Combined exercises, training missions and staff exchanges that build "
        "interoperability ahead of membership.": "Des exercices combinés, des missions de "
        "formation et des échanges de personnel qui construisent l’interopérabilité avant "
        "l’adhésion.",
        "Accession talks, protocols of accession and ratification by every member state, "
        "ending in full membership and its guarantees.": "Pourparlers d’adhésion, protocoles "
        "d’adhésion et ratification par chaque État membre, jusqu’à l’adhésion pleine et "
        "entière et ses garanties.",
    },
    ("instruments", "cost_category"): {"Low": "Faible", "Medium": "Moyen", "High": "Élevé"},
    ("instruments", "strategic_reach"): {
        "Regional cooperation": "Coopération régionale",
        "Operational integration": "Intégration opérationnelle",
        "Collective defence": "Défense collective",
    },
    ("instruments", "typical_timeframe"): {
        "1–2 years": "1 à 2 ans",
        "2–5 years": "2 à 5 ans",
        "1–10 years": "1 à 10 ans",
    },
}

# The demo data set's texts (app/demo.py, the notes of app/data/ratifications.csv).
DEMO = {
    ("candidates", "summary"): {
        "Aspirant country. Defence spending (SIPRI) has stayed below 1 % of GDP since 2018. Its tier and model assignments here are illustrative. The tool's tiers and expansion models are an analytical framework, not official NATO categories.": "État aspirant. Ses dépenses de défense (SIPRI) restent sous 1 % du PIB depuis 2018. Son palier et son modèle sont ici illustratifs. Les paliers et les modèles d’élargissement de l’outil sont un cadre d’analyse, pas des catégories officielles de l’OTAN.",
        "Aspirant country. Defence spending (SIPRI) between 1.6 % and 1.9 % of GDP since 2018. Its tier and model assignments here are illustrative. The tool's tiers and expansion models are an analytical framework, not official NATO categories.": "État aspirant. Dépenses de défense (SIPRI) comprises entre 1,6 % et 1,9 % du PIB depuis 2018. Son palier et son modèle sont ici illustratifs. Les paliers et les modèles d’élargissement de l’outil sont un cadre d’analyse, pas des catégories officielles de l’OTAN.",
        "Aspirant country. Wartime defence spending (SIPRI) of 25–37 % of GDP since 2022, far above any target. Its tier and model assignments here are illustrative. The tool's tiers and expansion models are an analytical framework, not official NATO categories.": "État aspirant. Dépenses de défense de temps de guerre (SIPRI) de 25 à 37 % du PIB depuis 2022, bien au-delà de tout objectif. Son palier et son modèle sont ici illustratifs. Les paliers et les modèles d’élargissement de l’outil sont un cadre d’analyse, pas des catégories officielles de l’OTAN.",
        "Member since 4 April 2023: applied on 18 May 2022, accession protocols signed on 5 July 2022. Kept as a comparator for the aspirants. The tool's tiers and expansion models are an analytical framework, not official NATO categories.": "Membre depuis le 4 avril 2023 : candidature déposée le 18 mai 2022, protocoles d’adhésion signés le 5 juillet 2022. Conservée comme point de comparaison pour les États aspirants. Les paliers et les modèles d’élargissement de l’outil sont un cadre d’analyse, pas des catégories officielles de l’OTAN.",
        "Member since 7 March 2024: applied on 18 May 2022, accession protocols signed on 5 July 2022. Kept as a comparator for the aspirants. The tool's tiers and expansion models are an analytical framework, not official NATO categories.": "Membre depuis le 7 mars 2024 : candidature déposée le 18 mai 2022, protocoles d’adhésion signés le 5 juillet 2022. Conservée comme point de comparaison pour les États aspirants. Les paliers et les modèles d’élargissement de l’outil sont un cadre d’analyse, pas des catégories officielles de l’OTAN.",
    },
    ("indicators", "description"): {
        "Military expenditure as a share of GDP, against the alliance's 2 % guideline (Wales 2014: move towards 2 % within a decade; Vilnius 2023: 2 % as a floor). Measured with SIPRI's figures. The lower 1.5 % target for strategic partners is this tool's illustrative tiering, not an alliance figure.": "Dépenses militaires en part du PIB, rapportées à la ligne directrice de 2 % de l’Alliance (pays de Galles 2014 : tendre vers 2 % en une décennie ; Vilnius 2023 : 2 % au minimum). Mesurées avec les chiffres du SIPRI. L’objectif plus bas de 1,5 % pour les partenaires stratégiques est un palier illustratif de cet outil, pas un chiffre de l’Alliance.",
        "Major equipment, including related research and development, as a share of defence expenditure, against the Wales pledge of 20 %. The 15 % target for interim allies is this tool's illustrative tiering; the aspirants' values in the demo are illustrative.": "Équipements majeurs, y compris la recherche et le développement associés, en part des dépenses de défense, rapportés à l’engagement du pays de Galles de 20 %. L’objectif de 15 % pour les alliés intérimaires est un palier illustratif de cet outil ; les valeurs des États aspirants dans la démonstration sont illustratives.",
        "Illustrative benchmark: progress from a gap assessment to full adoption of the standards relevant to the forces offered for cooperation. Stages and targets are demo content.": "Critère illustratif : progression d’une évaluation des écarts jusqu’à l’adoption complète des normes utiles aux forces proposées pour la coopération. Étapes et objectifs sont un contenu de démonstration.",
        "Illustrative benchmark: exercises held with allied forces over the past twelve months. Targets and values are demo content.": "Critère illustratif : exercices menés avec des forces alliées au cours des douze derniers mois. Objectifs et valeurs sont un contenu de démonstration.",
        "Illustrative benchmark: accreditation of secure communications with allied command structures. Stages and targets are demo content.": "Critère illustratif : homologation des communications sécurisées avec les structures de commandement alliées. Étapes et objectifs sont un contenu de démonstration.",
        "Illustrative benchmark: the legislative stage of a law establishing democratic civilian control of the armed forces. Stages and targets are demo content.": "Critère illustratif : étape législative d’une loi établissant le contrôle civil démocratique des forces armées. Étapes et objectifs sont un contenu de démonstration.",
        "Illustrative benchmark: the legislative stage of a law protecting classified information shared with allies. Stages and targets are demo content.": "Critère illustratif : étape législative d’une loi protégeant les informations classifiées partagées avec les Alliés. Étapes et objectifs sont un contenu de démonstration.",
    },
    ("benchmark_definitions", "description"): {
        "Military expenditure as a share of GDP, against the alliance's 2 % guideline (Wales 2014: move towards 2 % within a decade; Vilnius 2023: 2 % as a floor). Measured with SIPRI's figures. The lower 1.5 % target for strategic partners is this tool's illustrative tiering, not an alliance figure.": "Dépenses militaires en part du PIB, rapportées à la ligne directrice de 2 % de l’Alliance (pays de Galles 2014 : tendre vers 2 % en une décennie ; Vilnius 2023 : 2 % au minimum). Mesurées avec les chiffres du SIPRI. L’objectif plus bas de 1,5 % pour les partenaires stratégiques est un palier illustratif de cet outil, pas un chiffre de l’Alliance.",
        "Spending on core defence requirements (NATO definition) as a share of GDP, against the Hague Summit's 3.5 % by 2035 (part of the 5 % commitment). Asked of full candidates only. Read against the same SIPRI series as the 2 % guideline: SIPRI's military expenditure approximates, and is not identical to, NATO's definition of core defence spending.": "Dépenses consacrées aux besoins de défense essentiels (définition de l’OTAN) en part du PIB, rapportées aux 3,5 % d’ici 2035 du sommet de La Haye (partie de l’engagement de 5 %). Demandé aux seuls candidats à part entière. Lu sur la même série du SIPRI que la ligne directrice de 2 % : les dépenses militaires du SIPRI approchent la définition des dépenses de défense essentielles de l’OTAN, sans lui être identiques.",
        "Major equipment, including related research and development, as a share of defence expenditure, against the Wales pledge of 20 %. The 15 % target for interim allies is this tool's illustrative tiering; the aspirants' values in the demo are illustrative.": "Équipements majeurs, y compris la recherche et le développement associés, en part des dépenses de défense, rapportés à l’engagement du pays de Galles de 20 %. L’objectif de 15 % pour les alliés intérimaires est un palier illustratif de cet outil ; les valeurs des États aspirants dans la démonstration sont illustratives.",
        "Illustrative benchmark: progress from a gap assessment to full adoption of the standards relevant to the forces offered for cooperation. Stages and targets are demo content.": "Critère illustratif : progression d’une évaluation des écarts jusqu’à l’adoption complète des normes utiles aux forces proposées pour la coopération. Étapes et objectifs sont un contenu de démonstration.",
        "Illustrative benchmark: exercises held with allied forces over the past twelve months. Targets and values are demo content.": "Critère illustratif : exercices menés avec des forces alliées au cours des douze derniers mois. Objectifs et valeurs sont un contenu de démonstration.",
        "Illustrative benchmark: accreditation of secure communications with allied command structures. Stages and targets are demo content.": "Critère illustratif : homologation des communications sécurisées avec les structures de commandement alliées. Étapes et objectifs sont un contenu de démonstration.",
        "Illustrative benchmark: the legislative stage of a law establishing democratic civilian control of the armed forces. Stages and targets are demo content.": "Critère illustratif : étape législative d’une loi établissant le contrôle civil démocratique des forces armées. Étapes et objectifs sont un contenu de démonstration.",
        "Illustrative benchmark: the legislative stage of a law protecting classified information shared with allies. Stages and targets are demo content.": "Critère illustratif : étape législative d’une loi protégeant les informations classifiées partagées avec les Alliés. Étapes et objectifs sont un contenu de démonstration.",
    },
    ("candidate_status_changes", "note"): {
        "Demo starting status. Illustrative: the tool's tiers are a framework, not official NATO categories; this assignment is demo content, not a NATO decision.": "Statut de départ de la démonstration. Illustratif : les paliers de l’outil sont un cadre d’analyse, pas des catégories officielles de l’OTAN ; cette affectation est un contenu de démonstration, pas une décision de l’OTAN.",
        "Moved to interim ally in this demo after the Vilnius summit. Illustrative: the tool's tiers are a framework, not official NATO categories; this assignment is demo content, not a NATO decision.": "Passée au palier d’allié intérimaire dans cette démonstration après le sommet de Vilnius. Illustratif : les paliers de l’outil sont un cadre d’analyse, pas des catégories officielles de l’OTAN ; cette affectation est un contenu de démonstration, pas une décision de l’OTAN.",
        "Application for membership submitted. Tier: the tool's framework, not a NATO category.": "Demande d’adhésion déposée. Palier : le cadre d’analyse de l’outil, pas une catégorie de l’OTAN.",
        "Accession protocol signed; ratification by the member states begins.": "Protocole d’adhésion signé ; la ratification par les États membres commence.",
        "Instrument of accession deposited: member state.": "Instrument d’adhésion déposé : État membre.",
    },
    ("ratification_steps", "note"): {
        "NATO PA date = end of parliamentary procedure (not deposit)": "Date de l’AP-OTAN = fin de la procédure parlementaire (pas le dépôt)",
        "NATO PA date = end of parliamentary procedure (not deposit); an earlier NATO PA version (copy at democraciaparticipativa.net) listed Denmark 7 July; Jyllands-Posten (2023-03) says 5 July": "Date de l’AP-OTAN = fin de la procédure parlementaire (pas le dépôt) ; une version antérieure de l’AP-OTAN (copie sur democraciaparticipativa.net) donnait le 7 juillet pour le Danemark ; le Jyllands-Posten (2023-03) indique le 5 juillet",
        "NATO PA date = end of parliamentary procedure (not deposit); Senate consent 95-1 on 3 Aug 2022; President signed instruments of ratification 9 Aug 2022 (i24news, ctvnews)": "Date de l’AP-OTAN = fin de la procédure parlementaire (pas le dépôt) ; accord du Sénat à 95 contre 1 le 3 août 2022 ; le président a signé les instruments de ratification le 9 août 2022 (i24news, ctvnews)",
        "NATO PA date = end of parliamentary procedure (not deposit); plenary vote 264/300 (finanzen.net/dpa), Swedish embassy tweet 15 Sep 2022": "Date de l’AP-OTAN = fin de la procédure parlementaire (pas le dépôt) ; vote en séance plénière 264/300 (finanzen.net/dpa), tweet de l’ambassade de Suède du 15 septembre 2022",
        "NATO PA date = end of parliamentary procedure (not deposit); 219-11 vote on Friday 16 Sep (albeu.com/RFE), Atlantic Council 'September 16 vote in Portugal'": "Date de l’AP-OTAN = fin de la procédure parlementaire (pas le dépôt) ; vote à 219 contre 11 le vendredi 16 septembre (albeu.com/RFE), Atlantic Council : « vote du 16 septembre au Portugal »",
        "Senate date taken from article date; NATO PA entry for Spain truncated in stored copy": "Date du Sénat tirée de la date de l’article ; l’entrée de l’AP-OTAN pour l’Espagne est tronquée dans la copie conservée",
        "date inferred from 'this past Wednesday'": "date déduite de « mercredi dernier »",
        "FI 126 votes, SE 124 votes of 144 present (bobrtimes/AFP)": "FI : 126 voix, SE : 124 voix sur 144 présents (bobrtimes/AFP)",
        "Head of state's signature; weekday-based inference": "Signature du chef de l’État ; déduction à partir du jour de la semaine",
        "Head of state's signature": "Signature du chef de l’État",
        "last of 30 allies to ratify Finland": "dernier des 30 Alliés à ratifier pour la Finlande",
        "protocol entered into force; Finland deposited accession instrument same day": "protocole entré en vigueur ; la Finlande a déposé son instrument d’adhésion le même jour",
        "trendsresearch.org says 24 Jan (time-zone/late-night vote) - treat 23 Jan as vote date": "trendsresearch.org indique le 24 janvier (fuseau horaire, vote tard dans la nuit) : le 23 janvier est retenu comme date du vote",
        "Head of state's signature; deposit date with US not found in stored material": "Signature du chef de l’État ; date du dépôt auprès des États-Unis introuvable dans les documents conservés",
        "Speaker's signature": "Signature du président du parlement",
        "day inferred from reports that Sweden deposited 'later' the same day (7 Mar 2024)": "jour déduit d’articles selon lesquels la Suède a déposé son instrument « plus tard » le même jour (7 mars 2024)",
        "Finland became party 4 Apr 2023": "La Finlande est devenue partie le 4 avril 2023",
    },
}


def set_append_only(table: str, on: bool) -> None:
    """The triggers of revision 0001 that make a history table refuse UPDATE and DELETE."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        if on:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_history_change()"
            )
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action.lower()}")
        if on:
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )


def upgrade() -> None:
    # Plain ADD COLUMN on both backends: SQLite keeps the table, and so its triggers.
    for table, columns in COLUMNS.items():
        for column in columns:
            op.add_column(
                table, sa.Column(f"{column}_fr", sa.Text(), server_default="", nullable=False)
            )
    bind = op.get_bind()
    for table in APPEND_ONLY:
        set_append_only(table, False)
    for (table, column), french in (REFERENCE | DEMO).items():
        for english, text in french.items():
            bind.execute(
                sa.text(
                    f"UPDATE {table} SET {column}_fr = :fr WHERE {column} = :en AND {column}_fr = ''"
                ),
                {"en": english, "fr": text},
            )
    for table in APPEND_ONLY:
        set_append_only(table, True)


def downgrade() -> None:
    # On SQLite, dropping a column copies the table, which loses its triggers: lifted before,
    # made again after.
    for table, columns in COLUMNS.items():
        if table in APPEND_ONLY:
            set_append_only(table, False)
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_column(f"{column}_fr")
        if table in APPEND_ONLY:
            set_append_only(table, True)
