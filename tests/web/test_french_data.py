"""French from data: every text the pages show from a record has a French column, filled for
the shipped reference data and the demo data set; French pages show it, and mark lang="en"
where a record has no French yet. One French name per concept: the titles in data are the
catalogue's."""

import importlib.util
import re

import pytest
from markupsafe import escape
from sqlalchemy import select

from app.benchmarks.labels import KNOWN_UNIT_LABELS
from app.i18n import translations
from app.models import (
    BenchmarkCategory,
    BenchmarkDefinition,
    Candidate,
    CandidateBenchmark,
    CandidateStatusChange,
    ExpansionModelDefinition,
    Indicator,
    Instrument,
    RatificationStepRecord,
    TierDefinition,
)
from app.web.templating import LABELS, PROJECT_ROOT

# Every English text a page shows from data, and the record it is on.
FRENCH_FIELDS = [
    (Candidate, "summary"),
    (CandidateStatusChange, "note"),
    (TierDefinition, "description"),
    (ExpansionModelDefinition, "description"),
    (ExpansionModelDefinition, "speed_of_integration"),
    (ExpansionModelDefinition, "risk_exposure"),
    (ExpansionModelDefinition, "reform_depth"),
    (ExpansionModelDefinition, "resource_allocation"),
    (BenchmarkCategory, "description"),
    (Indicator, "description"),
    (BenchmarkDefinition, "description"),
    (Instrument, "description"),
    (Instrument, "cost_category"),
    (Instrument, "strategic_reach"),
    (Instrument, "typical_timeframe"),
    (RatificationStepRecord, "note"),
]


def french_migration():
    path = next((PROJECT_ROOT / "migrations" / "versions").glob("*_0010_french_texts.py"))
    spec = importlib.util.spec_from_file_location("french_texts_0010", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def text_in(html: str, text: str, lang: str) -> bool:
    """`text` is the whole content of an element marked `lang`."""
    pattern = rf'lang="{lang}">\(?{re.escape(str(escape(text)))}\)?</'
    return re.search(pattern, html) is not None


@pytest.mark.parametrize(("model", "field"), FRENCH_FIELDS,
                         ids=[f"{m.__tablename__}.{f}" for m, f in FRENCH_FIELDS])
def test_every_shipped_and_demo_text_has_its_french(session, model, field):
    rows = list(session.scalars(select(model)))
    assert rows
    untranslated = [getattr(r, field) for r in rows
                    if getattr(r, field) and not getattr(r, f"{field}_fr")]
    assert untranslated == []


@pytest.mark.parametrize(("model", "field"), FRENCH_FIELDS,
                         ids=[f"{m.__tablename__}.{f}" for m, f in FRENCH_FIELDS])
def test_the_migration_fills_existing_rows_with_the_same_french(session, model, field):
    """Revision 0010 keeps a copy of the shipped French for databases loaded before it: the
    copy must say what the demo data set and the reference data say."""
    migration = french_migration()
    copy = (migration.REFERENCE | migration.DEMO)[(model.__tablename__, field)]
    for row in session.scalars(select(model)):
        if getattr(row, field):
            assert copy.get(getattr(row, field)) == getattr(row, f"{field}_fr")


def test_titles_in_data_are_the_catalogues_french(session):
    """One French name per concept: a tier or model reads the same from its record (framework
    page, API) as from the catalogue (badges, filters, history)."""
    french = translations("fr")
    for record in [*session.scalars(select(TierDefinition)),
                   *session.scalars(select(ExpansionModelDefinition))]:
        assert record.title == LABELS[record.key]
        assert record.title_fr == french.gettext(LABELS[record.key]), record.key
    assert french.gettext(LABELS["interim_ally"]) == "Allié intérimaire"


def test_every_demo_indicator_has_french_stage_and_unit_labels(session):
    for indicator in session.scalars(select(Indicator)):
        for stage in indicator.stages or []:
            assert indicator.stage_labels[stage]["fr"], (indicator.key, stage)
        if indicator.unit is not None:
            assert indicator.unit_labels["fr"] == KNOWN_UNIT_LABELS[indicator.unit]["fr"]


def test_candidate_pages_in_french_show_the_french_summary_and_history(client, session):
    for candidate in session.scalars(select(Candidate)):
        html = client.get(f"/candidates/{candidate.slug}?lang=fr").text
        assert text_in(html, candidate.summary_fr, "fr"), candidate.slug
        assert str(escape(candidate.summary)) not in html
        for change in candidate.status_changes:
            if change.note:
                assert text_in(html, change.note_fr, "fr"), change.note_fr
                assert str(escape(change.note)) not in html


def test_benchmark_pages_in_french_show_the_french_description(client, session):
    for definition in session.scalars(select(BenchmarkDefinition)):
        slug = session.scalar(select(Candidate.slug).join(CandidateBenchmark)
                              .where(CandidateBenchmark.definition_id == definition.id)
                              .limit(1))
        html = client.get(f"/candidates/{slug}/benchmarks/{definition.key}?lang=fr").text
        assert text_in(html, definition.description_fr, "fr"), definition.key
        assert str(escape(definition.description)) not in html


def test_the_framework_page_in_french_shows_the_french_of_every_record(client, session):
    html = client.get("/framework?lang=fr").text
    shown = [(r, f) for model, f in FRENCH_FIELDS
             if model in (TierDefinition, ExpansionModelDefinition, Instrument)
             for r in session.scalars(select(model))]
    assert len(shown) == 3 + 3 * 5 + 3 * 4
    for record, field in shown:
        assert text_in(html, getattr(record, f"{field}_fr"), "fr"), (record.key, field)
        english = getattr(record, field)
        assert not text_in(html, english, "en") and not text_in(html, english, "fr")
    # The English page shows the English, as English.
    english_page = client.get("/framework?lang=en").text
    for record, field in shown:
        assert text_in(english_page, getattr(record, field), "en")


def test_a_text_without_french_shows_in_english_marked_lang_en(client, session):
    ukraine = session.scalar(select(Candidate).where(Candidate.slug == "ukraine"))
    ukraine.summary_fr = ""
    definition = session.scalar(select(BenchmarkDefinition)
                                .where(BenchmarkDefinition.key == "joint_exercises"))
    definition.description_fr = ""
    tier = session.get(TierDefinition, "interim_ally")
    tier.description_fr = ""
    session.flush()

    html = client.get("/candidates/ukraine?lang=fr").text
    assert text_in(html, ukraine.summary, "en")
    html = client.get("/candidates/ukraine/benchmarks/joint_exercises?lang=fr").text
    assert text_in(html, definition.description, "en")
    html = client.get("/framework?lang=fr").text
    assert text_in(html, tier.description, "en")
    other = session.get(TierDefinition, "full_candidate")
    assert text_in(html, other.description_fr, "fr")


def test_analyst_free_text_is_marked_english(client, session):
    """Report titles and bodies and update notes have no French column: marked as English."""
    html = client.get("/candidates/ukraine?lang=fr").text
    titles = re.findall(r'href="/reports/\d+">[^<]* — <span lang="en">([^<]+)</span>', html)
    assert titles and all("review of" in t for t in titles)
    report = re.search(r'href="/reports/(\d+)"', html).group(1)
    html = client.get(f"/reports/{report}?lang=fr").text
    assert re.search(r'<h1><span lang="en">[^<]+</span>', html)
    assert '<div class="prose" lang="en">' in html


def test_a_label_of_a_constant_follows_the_language_of_each_render():
    """Jinja folds a filter of a constant when it compiles a template, unless the filter takes
    the context: a legend compiled by an English request stayed English in French pages."""
    from app.i18n import current_language
    from app.web.templating import environment

    token = current_language.set("en")
    try:
        template = environment.from_string('{{ "deposited"|label }}')
        assert template.render() == "Instrument deposited"
        current_language.set("fr")
        assert template.render() == "Instrument déposé"
    finally:
        current_language.reset(token)
