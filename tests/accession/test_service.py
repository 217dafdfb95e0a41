"""A candidate's accession as app/accession/service.py loads it: which step is the last
ratification."""

from datetime import date, timedelta


def test_the_last_ratification_counts_parliaments_not_earlier_steps(session):
    """A protocol's signature or a government's approval is a step, not a ratification; with
    two chambers, the later of their votes is."""
    from app.accession.service import load_accessions
    from app.candidates.service import get_candidate
    from app.models import RatificationStepRecord
    from app.ratifications.service import ratifying_member_states

    georgia = get_candidate(session, "georgia")
    members = ratifying_member_states(session, georgia)
    start = date(2030, 1, 1)
    for member in members:
        session.add(RatificationStepRecord(candidate_id=georgia.id, member_iso3=member.iso3,
                                           step="government_approved", occurred_on=start,
                                           source="test"))
    session.flush()
    assert load_accessions(session, [georgia])[georgia.id].last_ratification is None
    for i, member in enumerate(members):
        if i == 0:  # two chambers, the upper one first: ratified on the second vote
            session.add_all([RatificationStepRecord(
                candidate_id=georgia.id, member_iso3=member.iso3, step=step,
                occurred_on=start + timedelta(days=days), source="test")
                for step, days in (("upper_chamber_approved", 10), ("lower_chamber_approved", 90))])
        else:
            session.add(RatificationStepRecord(
                candidate_id=georgia.id, member_iso3=member.iso3, step="parliament_approved",
                occurred_on=start + timedelta(days=20 + i), source="test"))
    session.flush()
    assert load_accessions(session, [georgia])[georgia.id].last_ratification == (
        start + timedelta(days=90))
