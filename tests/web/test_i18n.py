"""English and French: every interface message has a French translation (Babel extracts them
with babel.cfg, as `make messages` does), and pages follow `?lang=`, the `lang` cookie and
Accept-Language, with dates and numbers in the reader's format."""

import os
import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from app.i18n import current_language, format_day, format_number
from tests.helpers import PLACEHOLDER, french_catalogue

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("app", "templates")

Message = str | tuple[str, ...]


def extracted_messages() -> dict[Message, list[str]]:
    """Every message id in app/ and templates/ (a tuple for plurals), with where it is."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle, "babel.cfg")

    def in_sources(dirpath: str) -> bool:
        relative = Path(os.path.relpath(dirpath, ROOT))
        return relative.parts[0] in SOURCE_DIRS and not relative.name.startswith((".", "_"))

    found: dict[Message, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, directory_filter=in_sources
    ):
        key = message if isinstance(message, str) else tuple(message)
        found.setdefault(key, []).append(f"{filename}:{lineno}")
    return found


def placeholders(text: str) -> list[str]:
    return sorted(match.group(0) for match in PLACEHOLDER.finditer(text) if match.group(0) != "%%")


def catalogue_problems(catalog: Catalog, messages: dict[Message, list[str]]) -> list[str]:
    """One line per message that would show in English (or break) on a French page."""
    problems = []
    for msgid, places in sorted(messages.items(), key=lambda item: str(item[0])):
        where = ", ".join(places)
        singular = msgid if isinstance(msgid, str) else msgid[0]
        entry = catalog.get(singular)
        if entry is None:
            problems.append(f"missing: {msgid!r} ({where})")
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy: {msgid!r} ({where})")
        if isinstance(msgid, tuple) != entry.pluralizable:
            problems.append(f"singular/plural mismatch: {msgid!r} ({where})")
            continue
        if isinstance(msgid, tuple):
            forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
            expected = [msgid[0]] + [msgid[1]] * (catalog.num_plurals - 1)
            if len(forms) != catalog.num_plurals or not all(forms):
                problems.append(f"plural forms not all filled: {msgid!r} ({where})")
                continue
        else:
            forms, expected = (entry.string,), [msgid]
            if not entry.string:
                problems.append(f"untranslated: {msgid!r} ({where})")
                continue
        for source, form in zip(expected, forms, strict=True):
            if placeholders(form) != placeholders(source):
                problems.append(f"placeholders differ: {source!r} -> {form!r} ({where})")
            elif "%" in PLACEHOLDER.sub("", form):
                problems.append(f"lone % (write %%): {form!r} ({where})")
    return problems


# The catalogue: no database needed.


def test_extraction_finds_the_interface_text():
    messages = extracted_messages()
    assert len(messages) > 100
    assert "Page not found" in messages  # templates
    assert "Ratification progress" in messages  # app/web/charts.py
    assert "Off track" in messages  # N_() in app/web/templating.py
    assert ("%(num)d aspirant", "%(num)d aspirants") in messages  # ngettext


def test_every_message_has_a_french_translation():
    problems = catalogue_problems(french_catalogue(), extracted_messages())
    assert not problems, "French catalogue incomplete; run `make messages`, then translate:\n" + (
        "\n".join(problems)
    )


def test_french_catalogue_has_french_plural_rule():
    assert french_catalogue().plural_expr == "(n > 1)"


def test_catalogue_check_catches_each_kind_of_gap():
    catalog = Catalog(locale="fr")
    catalog.add("Done", "Fait")
    catalog.add("Blank", "")
    catalog.add("Guess", "Devinette", flags=["fuzzy"])
    catalog.add(("%(num)d day", "%(num)d days"), ("%(num)d jour", ""))
    catalog.add("as of %(day)s", "au %(date)s")
    catalog.add("Half", "50 %")
    messages = {m: ["x.html:1"] for m in ("Done", "Blank", "Guess", "Missing",
                                          ("%(num)d day", "%(num)d days"), "as of %(day)s",
                                          "Half")}
    problems = "\n".join(catalogue_problems(catalog, messages))
    assert "'Done'" not in problems
    for expected in ("untranslated: 'Blank'", "fuzzy: 'Guess'", "missing: 'Missing'",
                     "plural forms not all filled", "placeholders differ: 'as of %(day)s'",
                     "lone %"):
        assert expected in problems


@pytest.mark.parametrize(("language", "day", "number"), [
    ("en", "Apr 4, 2023", "1,234.5"),
    ("fr", "4 avr. 2023", "1\u202f234,5"),
])
def test_dates_and_numbers_follow_the_language(language, day, number):
    token = current_language.set(language)
    try:
        assert format_day(date(2023, 4, 4)) == day
        assert format_number(1234.5) == number
    finally:
        current_language.reset(token)


# Pages.

FRENCH_NAV = ("Candidats", "Comparer", "Cadre", "Méthodologie")


def is_french(html: str) -> bool:
    return '<html lang="fr">' in html and all(f">{word}</a>" in html for word in FRENCH_NAV)


def is_english(html: str) -> bool:
    return '<html lang="en">' in html and ">Candidates</a>" in html and ">Framework</a>" in html


def test_lang_parameter_switches_to_french_and_is_remembered(client):
    response = client.get("/", params={"lang": "fr"})
    assert response.status_code == 200
    assert is_french(response.text)
    assert "Niveau de préparation" in response.text
    assert response.headers["content-language"] == "fr"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("lang=fr;") and "Path=/" in cookie

    again = client.get("/compare")
    assert "lang" not in again.headers.get("set-cookie", "")
    assert is_french(again.text) and "Comparer les candidats" in again.text


def test_lang_parameter_overrides_the_cookie(client):
    client.get("/", params={"lang": "fr"})
    response = client.get("/", params={"lang": "en"})
    assert is_english(response.text)
    assert response.headers["set-cookie"].startswith("lang=en;")
    assert is_english(client.get("/").text)


def test_accept_language_decides_by_default(client):
    french = client.get("/", headers={"accept-language": "fr-CA,fr;q=0.9,en;q=0.5"})
    assert is_french(french.text)
    assert "set-cookie" not in french.headers
    assert is_english(client.get("/", headers={"accept-language": "de"}).text)
    assert is_english(client.get("/").text)


def test_unknown_language_is_ignored(client):
    response = client.get("/", params={"lang": "xx"})
    assert is_english(response.text)
    assert "set-cookie" not in response.headers
    french = client.get("/", params={"lang": "xx"}, headers={"accept-language": "fr"})
    assert is_french(french.text)


def test_french_pages_show_french_dates_and_numbers(client):
    french = client.get("/candidates/finland", params={"lang": "fr"}).text
    assert "<h1>Finlande</h1>" in french
    assert "4 avr. 2023" in french  # became a member
    assert "31 mars 2023" in french  # Hungary's ratification
    assert "Dernière valeur</dt><dd>2,3\u00a0% du PIB" in french  # the unit from its labels
    assert "(au 31 déc. 2024)" in french
    assert "30 États membres sur 30 ont ratifié" in french

    english = client.get("/candidates/finland", params={"lang": "en"}).text
    assert "Apr 4, 2023" in english and "4 avr. 2023" not in english
    assert "Latest</dt><dd>2.3% of GDP" in english


def test_french_plural_rule_on_the_dashboard(client):
    """French takes the singular for 0 and 1, English only for 1."""
    assert re.search(r">\d+ États aspirants</p>", client.get("/", params={"lang": "fr"}).text)
    nobody = {"tier": "strategic_partner", "phase": "member"}
    assert ">0 État aspirant</p>" in client.get("/", params={**nobody, "lang": "fr"}).text
    assert ">0 aspirants</p>" in client.get("/", params={**nobody, "lang": "en"}).text


def test_charts_speak_french(client):
    html = client.get("/candidates/finland/benchmarks/defence_spending_gdp",
                      params={"lang": "fr"}).text
    assert re.search(r">Objectif : [\d,]+\u00a0% du PIB</text>", html)
    assert ">Aujourd’hui</text>" in html and ">Échéance : " in html
    assert "7 mesures du 31 déc. 2018 au 31 déc. 2024" in html


def test_not_found_page_in_french(client):
    response = client.get("/candidates/atlantis", params={"lang": "fr"},
                          headers={"accept": "text/html"})
    assert response.status_code == 404
    assert is_french(response.text)
    assert "Page introuvable" in response.text
    assert "Retour à la liste des candidats" in response.text


def test_every_page_in_french_shows_no_untranslated_chrome(client):
    for path in ("/", "/compare", "/framework", "/methodology", "/candidates/ukraine",
                 "/candidates/finland/benchmarks/defence_spending_gdp"):
        response = client.get(path, params={"lang": "fr"})
        assert response.status_code == 200, path
        html = response.text
        assert is_french(html), path
        for english in ("Skip to main content", "Last updated", "Every figure names its source"):
            assert english not in html, (path, english)


def test_a_label_of_a_constant_follows_each_reader(client):
    """`{{ "deposited"|label }}` is translated on every render: Jinja would otherwise compute it
    once, when it compiles the template, in the first reader's language."""
    english = client.get("/candidates/finland", params={"lang": "en"}).text
    french = client.get("/candidates/finland", params={"lang": "fr"}).text
    english_again = client.get("/candidates/finland", params={"lang": "en"}).text
    assert "Instrument deposited" in english and "Instrument deposited" in english_again
    assert "Instrument deposited" not in french and "Instrument déposé" in french
