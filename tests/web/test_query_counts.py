"""No page or status read issues more SQL as the data grows (no N+1), and the bounded reading
of long histories gives the same evaluation as reading everything."""

import re

from sqlalchemy import select

from app import evaluation
from app.candidates.service import get_candidate, list_candidates
from app.models import (
    BenchmarkDefinition,
    ProgressUpdate,
)
from app.web.pages import HISTORY_PAGE_SIZE
from tests.factories import grow
from tests.helpers import count_queries

PATHS = ["/", "/candidates/georgia", "/candidates/georgia/benchmarks/defence_spending_gdp",
         "/compare?c=georgia&c=ukraine", "/framework", "/api/v1/candidates",
         "/api/v1/candidates/georgia/status", "/api/v1/candidates/georgia/updates",
         "/api/v1/candidates/finland/ratifications", "/candidates/georgia.json",
         "/attention", "/api/v1/attention"]


def test_query_count_does_not_grow_with_data(client, session):
    before = {path: count_queries(session, client, path) for path in PATHS}
    grow(session)
    after = {path: count_queries(session, client, path) for path in PATHS}
    assert after == before
    assert max(before.values()) <= 20


def test_bounded_history_reading_matches_reading_everything(session, monkeypatch):
    """Both ways of reading only the rows the rules need (index seeks per benchmark for a
    few benchmarks, a window query for many) give the evaluation reading everything gives."""
    grow(session)  # 200 updates per numeric benchmark: far more than the rules read
    candidates, _ = list_candidates(session)
    seeks = evaluation.load_statuses(session, candidates)
    monkeypatch.setattr(evaluation, "MAX_BOUNDED_SERIES", 0)
    window = evaluation.load_statuses(session, candidates)
    monkeypatch.setattr(evaluation, "RECENT_MEASUREMENTS", 10**6)
    everything = evaluation.load_statuses(session, candidates)
    assert sum(len(m) for s in everything.values() for m in s.measurements.values()) > sum(
        len(m) for s in window.values() for m in s.measurements.values())
    for candidate in candidates:
        assert seeks[candidate.id].evaluation == everything[candidate.id].evaluation
        assert window[candidate.id].evaluation == everything[candidate.id].evaluation


def test_a_long_benchmark_history_pages_its_table_and_charts_it_whole(client, session):
    """The table reads one page of rows (newest first); the chart reads every measurement as
    plain rows and thins them; the count names them all."""
    grow(session)
    url = "/candidates/georgia/benchmarks/defence_spending_gdp"
    ids = sorted(session.scalars(
        select(ProgressUpdate.id)
        .join(BenchmarkDefinition,
              BenchmarkDefinition.indicator_id == ProgressUpdate.indicator_id)
        .where(ProgressUpdate.candidate_id == get_candidate(session, "georgia").id,
               BenchmarkDefinition.key == "defence_spending_gdp")
    ).all())
    assert len(ids) > 2 * HISTORY_PAGE_SIZE
    shown, dates = {}, []
    for page in (1, 2, 3):
        html = client.get(url, params={"page": page}).text
        assert f"{len(ids)} updates" in html
        shown[page] = [int(i) for i in re.findall(r'<span class="muted">#(\d+)</span>', html)]
        updates_table = html.split("</details>", 1)[1]  # after the chart's data table
        dates += re.findall(r'<td><time datetime="([0-9-]+)">', updates_table)
    assert len(shown[1]) == len(shown[2]) == HISTORY_PAGE_SIZE
    assert sorted(shown[1] + shown[2] + shown[3]) == ids  # every update once, on some page
    assert dates == sorted(dates, reverse=True)  # newest first, across pages
