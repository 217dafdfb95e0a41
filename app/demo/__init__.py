"""The demo data set: benchmark definitions for the three tiers, five candidates, their progress,
reviews and the real ratification history of Finland and Sweden, loaded into an empty database.

Real figures (SIPRI spending, the alliance's guidelines, accession and ratification dates) come
from the CSVs in `app/data`, each row with its source; the rest of the data set is in
`app/data/demo/*.toml` (read by data.py). Everything else is illustrative and marked
`is_illustrative`. loader.py loads it all, reviews.py writes the reviews. The data set is
fixed: the same `today` always gives the same rows.

Timestamps are back-dated so that "as known on" views have a history to show: a status change or
a ratification step is recorded the day after it happened, an illustrative update two weeks after
the date it measures, and a SIPRI figure on the 24th of April of the following year (SIPRI
publishes each spring). Simplification: every SIPRI figure is the 2025 release's value, so a
figure recorded in, say, 2020 shows what is known now rather than what SIPRI said then. The one
exception is Ukraine's 2022 figure, whose revision (34 % in the 2023 release, 25.64 % in the
2025 release) is stored as a correction that supersedes the first value."""

from app.demo.data import CANDIDATES, DEFINITIONS, RATIFICATION_NOTES_FR
from app.demo.loader import is_empty, load_demo

__all__ = ["CANDIDATES", "DEFINITIONS", "RATIFICATION_NOTES_FR", "is_empty", "load_demo"]
