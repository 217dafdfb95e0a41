"""reference data: tiers, expansion models, seeded categories, member states

The rows every installation needs before a candidate can exist (candidates refer to tiers and
models). Copied here rather than read from app/data so this revision never changes under us.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 15:40:00
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEMBER_STATES_SOURCE = (
    "NATO member states and accession dates (shared/data/member_states.csv); founding members: "
    "the North Atlantic Treaty's entry into force, 1949-08-24"
)
MEMBER_STATES = [
    ("BEL", "Belgium", "Belgique", "1949-08-24"),
    ("CAN", "Canada", "Canada", "1949-08-24"),
    ("DNK", "Denmark", "Danemark", "1949-08-24"),
    ("FRA", "France", "France", "1949-08-24"),
    ("ISL", "Iceland", "Islande", "1949-08-24"),
    ("ITA", "Italy", "Italie", "1949-08-24"),
    ("LUX", "Luxembourg", "Luxembourg", "1949-08-24"),
    ("NLD", "Netherlands", "Pays-Bas", "1949-08-24"),
    ("NOR", "Norway", "Norvège", "1949-08-24"),
    ("PRT", "Portugal", "Portugal", "1949-08-24"),
    ("GBR", "United Kingdom", "Royaume-Uni", "1949-08-24"),
    ("USA", "United States", "États-Unis", "1949-08-24"),
    ("GRC", "Greece", "Grèce", "1952-02-18"),
    ("TUR", "Türkiye", "Türkiye", "1952-02-18"),
    ("DEU", "Germany", "Allemagne", "1955-05-06"),
    ("ESP", "Spain", "Espagne", "1982-05-30"),
    ("CZE", "Czechia", "Tchéquie", "1999-03-12"),
    ("HUN", "Hungary", "Hongrie", "1999-03-12"),
    ("POL", "Poland", "Pologne", "1999-03-12"),
    ("BGR", "Bulgaria", "Bulgarie", "2004-03-29"),
    ("EST", "Estonia", "Estonie", "2004-03-29"),
    ("LVA", "Latvia", "Lettonie", "2004-03-29"),
    ("LTU", "Lithuania", "Lituanie", "2004-03-29"),
    ("ROU", "Romania", "Roumanie", "2004-03-29"),
    ("SVK", "Slovakia", "Slovaquie", "2004-03-29"),
    ("SVN", "Slovenia", "Slovénie", "2004-03-29"),
    ("ALB", "Albania", "Albanie", "2009-04-01"),
    ("HRV", "Croatia", "Croatie", "2009-04-01"),
    ("MNE", "Montenegro", "Monténégro", "2017-06-05"),
    ("MKD", "North Macedonia", "Macédoine du Nord", "2020-03-27"),
    ("FIN", "Finland", "Finlande", "2023-04-04"),
    ("SWE", "Sweden", "Suède", "2024-03-07"),
]

TIERS = [
    (
        "strategic_partner",
        1,
        "Strategic partner",
        "Partenaire stratégique",
        "Close cooperation short of membership: political dialogue, joint training and "
        "partnership goals, without the mutual-defence commitment.",
    ),
    (
        "interim_ally",
        2,
        "Interim ally",
        "Allié intérimaire",
        "A transitional status with deeper integration into planning and command structures "
        "while the conditions for full membership are met.",
    ),
    (
        "full_candidate",
        3,
        "Full candidate",
        "Candidat à part entière",
        "An invited aspirant negotiating accession: it is held to the full set of membership "
        "benchmarks.",
    ),
]

EXPANSION_MODELS = [
    (
        "incremental_enlargement",
        "Incremental enlargement",
        "Élargissement progressif",
        "Candidates join one by one once they meet the full set of benchmarks.",
        "Slow: years from invitation to membership.",
        "Low: obligations follow verified readiness.",
        "Deep: full legislative and military alignment before accession.",
        "Concentrated on a few candidates at a time.",
    ),
    (
        "strategic_partnership",
        "Strategic partnership",
        "Partenariat stratégique",
        "Cooperation agreements without membership; benchmarks guide, they do not gate.",
        "Fast to agree, limited in scope.",
        "Moderate: commitments without the mutual-defence guarantee.",
        "Shallow to moderate: targeted reforms.",
        "Spread thinly across many partners.",
    ),
    (
        "hybrid_integration",
        "Hybrid integration",
        "Intégration hybride",
        "Staged integration: sectors (air defence, logistics, command) integrate before "
        "political membership.",
        "Medium: sector by sector.",
        "Medium to high: partial commitments before full guarantees.",
        "Uneven: deep where integrated, shallow elsewhere.",
        "Targeted at the integrated sectors.",
    ),
]

CATEGORIES = [
    (
        "spending",
        "Defence spending",
        "Dépenses de défense",
        "Resources committed to defence, against the alliance's spending guidelines.",
        1,
    ),
    (
        "interoperability",
        "Interoperability",
        "Interopérabilité",
        "The ability to operate with allied forces: standards, command, exercises.",
        2,
    ),
    (
        "legislation",
        "Legislation",
        "Législation",
        "Laws and institutions that membership requires: civilian control, security of "
        "information, ratification of agreements.",
        3,
    ),
]


def upgrade() -> None:
    member_states = sa.table(
        "member_states",
        sa.column("iso3", sa.String),
        sa.column("name", sa.String),
        sa.column("name_fr", sa.String),
        sa.column("joined_on", sa.Date),
        sa.column("source", sa.Text),
    )
    tiers = sa.table(
        "tiers",
        sa.column("key", sa.String),
        sa.column("rank", sa.Integer),
        sa.column("title", sa.String),
        sa.column("title_fr", sa.String),
        sa.column("description", sa.Text),
    )
    models = sa.table(
        "expansion_models",
        *(
            sa.column(name, sa.String)
            for name in (
                "key",
                "title",
                "title_fr",
                "description",
                "speed_of_integration",
                "risk_exposure",
                "reform_depth",
                "resource_allocation",
            )
        ),
    )
    categories = sa.table(
        "benchmark_categories",
        sa.column("key", sa.String),
        sa.column("title", sa.String),
        sa.column("title_fr", sa.String),
        sa.column("description", sa.Text),
        sa.column("position", sa.Integer),
    )
    op.bulk_insert(
        member_states,
        [
            {
                "iso3": iso3,
                "name": name,
                "name_fr": name_fr,
                "joined_on": date.fromisoformat(joined_on),
                "source": MEMBER_STATES_SOURCE,
            }
            for iso3, name, name_fr, joined_on in MEMBER_STATES
        ],
    )
    op.bulk_insert(
        tiers,
        [
            dict(zip(("key", "rank", "title", "title_fr", "description"), row, strict=True))
            for row in TIERS
        ],
    )
    op.bulk_insert(
        models,
        [
            dict(
                zip(
                    (
                        "key",
                        "title",
                        "title_fr",
                        "description",
                        "speed_of_integration",
                        "risk_exposure",
                        "reform_depth",
                        "resource_allocation",
                    ),
                    row,
                    strict=True,
                )
            )
            for row in EXPANSION_MODELS
        ],
    )
    op.bulk_insert(
        categories,
        [
            dict(zip(("key", "title", "title_fr", "description", "position"), row, strict=True))
            for row in CATEGORIES
        ],
    )


def downgrade() -> None:
    op.execute("DELETE FROM benchmark_categories")
    op.execute("DELETE FROM expansion_models")
    op.execute("DELETE FROM tiers")
    op.execute("DELETE FROM member_states")
