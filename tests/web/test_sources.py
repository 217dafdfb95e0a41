"""Sources (issue 15, point 8): the short name of a source, linked, with the full provenance a
click away, each source listed once however many rows cite it."""

import re

from app.web.sources import SourceNotes, first_url, linkify, short_name

SIPRI = ("SIPRI Military Expenditure Database (2025 release), "
         "https://www.sipri.org/databases/milex, table 'Share of GDP'")


def test_a_provenance_string_has_a_short_name_and_its_link():
    assert short_name(SIPRI) == "SIPRI Military Expenditure Database"
    assert first_url(SIPRI) == "https://www.sipri.org/databases/milex"
    assert short_name("x" * 200).endswith("…") and len(short_name("x" * 200)) == 60
    assert '<a href="https://www.sipri.org/databases/milex"' in linkify(SIPRI)
    assert "<script>" not in linkify("<script>alert(1)</script> https://e.org/a")


def test_each_source_is_numbered_once():
    notes = SourceNotes()
    first, again, other = notes.ref(SIPRI), notes.ref(SIPRI), notes.ref("Ministry note")
    assert first == again and "[1]" in first and "[2]" in other
    assert [n for _, n, _ in notes.items] == [1, 2]


def test_pages_show_short_linked_sources_and_list_each_once(client):
    html = client.get("/candidates/sweden").text
    listed = re.findall(r'<li id="source-(\d+)" value="\d+">', html)
    refs = re.findall(r'class="source-ref" href="#source-(\d+)"', html)
    assert listed and len(refs) > len(listed)  # the ratification rows share their sources
    assert sorted(set(refs), key=int) == listed
    table = html.split("<tbody>")[-1].split("</tbody>")[0]
    # No row repeats a long provenance string: each shows a short name and a reference.
    for cell in re.findall(r'<td class="source">(.*?)</td>', table, re.S):
        name = re.search(r'<span class="source-name" lang="en">(.*?)</span>', cell, re.S).group(1)
        assert len(re.sub(r"<[^>]+>", "", name)) <= 60

    page = client.get("/candidates/ukraine/benchmarks/defence_spending_gdp").text
    assert 'id="source-heading"' in page and 'class="source-ref"' in page
