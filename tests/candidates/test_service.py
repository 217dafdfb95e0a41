"""The candidates' service: the overview's order as a plain function."""

from app.candidates.service import TIER_ORDER, list_candidates, sort_candidates
from app.evaluation import load_statuses
from app.models import Tier


def test_sort_candidates_groups_by_tier_then_orders_within(session):
    """The overview's order as a plain function: tier group first (closest to membership
    first), then the order asked for, ties by name; candidates with no readiness last."""
    candidates, _ = list_candidates(session, aspirants_only=True)
    assert len({c.tier for c in candidates}) > 1
    standings = {c.id: c for c in candidates}
    statuses = load_statuses(session, candidates)
    ordered = sort_candidates(candidates, "readiness", standings, statuses, {})
    assert sorted(ordered, key=lambda c: c.id) == sorted(candidates, key=lambda c: c.id)
    keys = [(-TIER_ORDER[Tier(c.tier)], -(r if (r := statuses[c.id].evaluation.readiness)
                                           is not None else -1)) for c in ordered]
    assert keys == sorted(keys)
    by_name = sort_candidates(candidates, "name", standings, {}, {})
    assert [(-TIER_ORDER[Tier(c.tier)], c.name) for c in by_name] == sorted(
        (-TIER_ORDER[Tier(c.tier)], c.name) for c in candidates)
