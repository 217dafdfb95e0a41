"""Sources as a reader wants them: the source's short name, linked when its text holds an
address, with the full provenance one click away in a numbered list below, each source listed
once however many rows cite it."""

import re
from dataclasses import dataclass, field
from html import escape

from markupsafe import Markup

from app.i18n import gettext

URL = re.compile(r"https?://[^\s<>\"')\]]+[^\s<>\"')\].,;:]")
# Where a provenance string's name ends: a bracket, or a separator before the details.
NAME_END = re.compile(r"\s[(\[]|[,;:]\s|\s[-–—|]\s|\.\s")
MAX_NAME = 60


def short_name(text: str) -> str:
    name = NAME_END.split(text.strip(), maxsplit=1)[0].strip() or text.strip()
    return name if len(name) <= MAX_NAME else name[:MAX_NAME - 1].rstrip() + "…"


def first_url(text: str) -> str | None:
    found = URL.search(text)
    return found.group(0) if found else None


def linkify(text: str) -> Markup:
    """The full provenance, escaped, its addresses as links."""
    parts, last = [], 0
    for found in URL.finditer(text):
        parts.append(escape(text[last:found.start()]))
        url = escape(found.group(0))
        parts.append(f'<a href="{url}" rel="noopener noreferrer">{url}</a>')
        last = found.end()
    parts.append(escape(text[last:]))
    return Markup("".join(parts))


@dataclass
class SourceNotes:
    """The sources one page cites, numbered in the order first cited."""

    prefix: str = "source"
    numbers: dict[str, int] = field(default_factory=dict)

    def ref(self, text: str | None) -> Markup:
        if not text:
            return Markup("")
        number = self.numbers.setdefault(text, len(self.numbers) + 1)
        name = escape(short_name(text))
        url = first_url(text)
        shown = (f'<a href="{escape(url)}" rel="noopener noreferrer">{name}</a>' if url
                 else name)
        label = escape(gettext("Full provenance of source %(number)d") % {"number": number})
        # Provenance is cited as recorded (in English), never translated: marked so.
        return Markup(f'<span class="source-name" lang="en">{shown}</span> <a class="source-ref" '
                      f'href="#{self.prefix}-{number}" aria-label="{label}">[{number}]</a>')

    @property
    def items(self) -> list[tuple[str, int, Markup]]:
        """(anchor id, number, full provenance) of each source cited."""
        return [(f"{self.prefix}-{n}", n, linkify(text)) for text, n in self.numbers.items()]
