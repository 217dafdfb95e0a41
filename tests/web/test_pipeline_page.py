"""The candidate page's ratification pipeline (issue 18), in English and French: counts per step,
the members that block, the median days per step of the Finnish and Swedish ratifications and
the projected completion, labelled an estimate; no JavaScript needed."""

import re

from app.ratifications.pipeline import median_days_per_step
from app.ratifications.service import reference_ratifications


def pipeline_html(client, slug, **params):
    html = client.get(f"/candidates/{slug}", params=params).text
    match = re.search(r'<section class="ratification-pipeline".*?</section>', html, re.S)
    assert match, "no pipeline on the page"
    return match.group(0)


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_sweden_in_its_ratification_phase_shows_who_blocks_and_a_projection(client):
    html = pipeline_html(client, "sweden", as_of="2023-06-30")
    words = text_of(html)
    blocking = re.search(r'class="pipeline-blocking">(.*?)</p>', html, re.S).group(1)
    assert re.findall(r'class="blocking-member">([^<]+)<', blocking) == ["Hungary", "Türkiye"]
    assert "Not started 2" in words and "Instrument deposited 2" in words
    # Both had waited 360 days, longer than any member took in the reference records: no
    # estimate (the medians would have said 5 July 2023; it completed on 7 March 2024).
    assert 'data-projected-on=' not in html
    assert ("none: Hungary, Türkiye have waited longer for their next step than any member "
            "state took in the Finnish and Swedish ratifications") in words
    # Tables read as cards on a phone: every data cell is labelled.
    for table in re.findall(r'<table class="data stack.*?</table>', html, re.S):
        for cell in re.findall(r"<td[^>]*>", table):
            assert "data-label=" in cell


def test_the_medians_are_computed_from_the_finnish_and_swedish_records(client, session):
    medians = median_days_per_step(r for _, _, r in reference_ratifications(session))
    assert set(medians) >= {"parliament_approved", "head_of_state_assent", "deposited"}
    html = pipeline_html(client, "finland")
    for m in medians.values():
        row = re.search(rf'<tr data-step="{m.step}"><th scope="row">[^<]+</th>'
                        r'<td data-label="Median days">([^<]+)</td>'
                        r'<td data-label="Member states counted">([^<]+)</td>', html)
        assert row, m.step
        assert row.groups() == (f"{m.days:g}", str(m.count))


def test_a_completed_accession_has_nobody_blocking_and_no_projection(client):
    words = text_of(pipeline_html(client, "sweden"))
    assert "Member states that block: none: the accession is complete." in words
    assert "Projected completion" not in words and "estimate" not in words


def test_the_pipeline_in_french(client):
    html = pipeline_html(client, "sweden", as_of="2023-06-30", lang="fr")
    words = text_of(html)
    assert "Avancement des ratifications" in words
    assert "bloquent\u00a0:" in html and "Achèvement prévu\u00a0:" in html
    assert "États membres qui bloquent : Hongrie , Türkiye ." in words
    assert "Hongrie, Türkiye attendent déjà leur prochaine étape depuis plus longtemps" in words
    assert "Pas commencé" in words and "Assentiment du chef de l’État" in words


def test_no_pipeline_before_a_protocol(client):
    html = client.get("/candidates/georgia").text
    assert 'class="ratification-pipeline"' not in html


def methodology_section(client, **params):
    html = client.get("/methodology", params=params).text
    match = re.search(r'<section id="ratification-pipeline".*?</section>', html, re.S)
    assert match, "no pipeline example on the methodology page"
    return match.group(0)


def test_the_methodology_works_the_medians_out_live(client, session):
    references = reference_ratifications(session)
    medians = median_days_per_step(r for _, _, r in references)
    html = methodology_section(client)
    for m in medians.values():
        assert re.search(rf'<tr data-step="{m.step}"><th scope="row">[^<]+</th>'
                         rf'<td data-label="Median days">{m.days:g}</td>', html), m.step
    # Each duration of the head of state's assent is listed, with the median of them all.
    assent = re.search(r'<table class="data stack example-durations" '
                       r'data-step="head_of_state_assent">.*?</table>\s*</div>\s*<p[^>]*>([^<]+)',
                       html, re.S)
    days = sorted(int(d) for d in re.findall(r'data-label="Days">(\d+)<', assent.group(0)))
    assert len(days) == medians["head_of_state_assent"].count
    assert assent.group(1).startswith(
        "The median of " + ", ".join(map(str, days)) + ": ")
    words = text_of(html)
    assert "Sweden as of Jun 30, 2023: the member states that block are Hungary, Türkiye." in words
    assert "No completion is estimated: they have already waited longer than any member state " \
           "took in the reference ratifications" in words


def test_the_methodology_pipeline_in_french(client):
    words = text_of(methodology_section(client, lang="fr"))
    assert "Le parcours des ratifications" in words
    assert "les États membres qui bloquent sont Hongrie, Türkiye." in words
    assert "Suède au 30 juin 2023" in words
