"""English and French, the alliance's two official languages. The reader's language comes from
`?lang=`, then the `lang` cookie, then Accept-Language; interface text goes through gettext
(catalogues in app/locales, compiled in memory at start) and dates and numbers through Babel."""

from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.numbers import format_percent as babel_format_percent
from babel.support import NullTranslations, Translations
from starlette.requests import Request

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
COOKIE = "lang"
LOCALES_DIR = Path(__file__).resolve().parent / "locales"

current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


@lru_cache
def translations(language: str) -> NullTranslations:
    po_file = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po_file.exists():
        return NullTranslations()
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled)


def gettext(message: str) -> str:
    return translations(current_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


def choose_language(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    remembered = request.cookies.get(COOKIE)
    if remembered in LANGUAGES:
        return remembered
    header = request.headers.get("accept-language", "")
    ranked = []
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((quality, tag.strip().lower()[:2]))
    for _quality, language in sorted(ranked, key=lambda r: -r[0]):
        if language in LANGUAGES:
            return language
    return DEFAULT_LANGUAGE


def format_day(value: date | datetime | None, style: str = "medium") -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, format=style, locale=current_language.get())


def format_moment(value: datetime | None) -> str:
    if value is None:
        return "—"
    return format_datetime(value, format="medium", tzinfo=None, locale=current_language.get())


def format_number(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    pattern = "#,##0." + "#" * digits if digits else "#,##0"
    return format_decimal(value, format=pattern, locale=current_language.get())


def format_percent(value: float | None, digits: int = 0) -> str:
    """A percentage as the locale writes it: "2.5%", "2,5 %" (Babel's pattern and spacing),
    rounded to `digits` decimals and no trailing zero."""
    if value is None:
        return "—"
    exact = Decimal(str(round(value, digits))) / 100  # no binary noise in the digits shown
    return babel_format_percent(exact, locale=current_language.get(), decimal_quantization=False)


def format_names(names: list[str]) -> str:
    """"Ana, Bob and Carol" ("Ana, Bob et Carol")."""
    return format_list(list(names), locale=current_language.get()) if names else "—"


def language_name(language: str) -> str:
    return Locale.parse(language).get_display_name(language).capitalize()
