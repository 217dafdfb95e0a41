"""Revision 0013 keeps every existing ratification step: none dropped, `signed` renamed to what
it was (the head of state's signature; the Speaker's signature closes parliament's step), the
table still append-only; and it seeds every member state's procedure."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from tests.conftest import downgrade, upgrade

STEPS = [  # member, step, date, note
    ("HUN", "parliament_approved", "2024-02-26", ""),
    ("HUN", "signed", "2024-03-02", "Speaker's signature"),
    ("HUN", "signed", "2024-03-05", "Head of state's signature"),
    ("HUN", "deposited", "2024-03-07", "day inferred"),
    ("SVK", "signed", "2022-09-28", "Head of state's signature; weekday-based inference"),
    ("DEU", "signed", "2022-07-20", "anything an analyst wrote"),
]
RENAMED = {"HUN": ["parliament_approved", "parliament_approved", "head_of_state_assent",
                   "deposited"],
           "SVK": ["head_of_state_assent"], "DEU": ["head_of_state_assent"]}


def rows(connection):
    return connection.execute(text(
        "SELECT id, member_iso3, step, occurred_on, source, confidence, note, note_fr "
        "FROM ratification_steps ORDER BY id")).all()


def test_existing_steps_survive_the_rename_both_ways(empty_engine):
    upgrade(empty_engine, "0010")
    with empty_engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO candidates (slug, iso3, name, name_fr, tier, model, phase, summary, "
            "created_at) VALUES ('testland', 'TST', 'Testland', '', 'full_candidate', "
            "'incremental_enlargement', 'ratification', '', CURRENT_TIMESTAMP)"))
        for iso3, step, on, note in STEPS:
            connection.execute(text(
                "INSERT INTO ratification_steps (candidate_id, member_iso3, step, occurred_on, "
                "source, confidence, note, note_fr, recorded_at) SELECT id, :iso3, :step, :on, "
                "'a source', 'medium', :note, 'en français', CURRENT_TIMESTAMP FROM candidates"),
                {"iso3": iso3, "step": step, "on": on, "note": note})
        before = rows(connection)

    upgrade(empty_engine, "0013")
    with empty_engine.connect() as connection:
        after = rows(connection)
    assert len(after) == len(before) == len(STEPS)
    # Every column but the step unchanged, row by row.
    assert [r[:2] + r[3:] for r in after] == [r[:2] + r[3:] for r in before]
    steps: dict[str, list[str]] = {}
    for row in after:
        steps.setdefault(row.member_iso3, []).append(row.step)
    assert steps == RENAMED

    with pytest.raises(IntegrityError), empty_engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO ratification_steps (candidate_id, member_iso3, step, occurred_on, "
            "source, confidence, note, note_fr, recorded_at) SELECT id, 'FRA', 'signed', "
            "'2024-01-01', 's', 'high', '', '', CURRENT_TIMESTAMP FROM candidates"))
    with pytest.raises(DBAPIError, match="append-only"), empty_engine.begin() as connection:
        connection.execute(text("DELETE FROM ratification_steps"))
    with pytest.raises(DBAPIError, match="append-only"), empty_engine.begin() as connection:
        connection.execute(text("UPDATE ratification_steps SET step = 'deposited'"))

    with empty_engine.connect() as connection:
        procedures = connection.execute(text(
            "SELECT member_iso3, step, source FROM ratification_procedure_steps "
            "ORDER BY member_iso3, position")).all()
    by_member: dict[str, list[str]] = {}
    for iso3, step, _ in procedures:
        by_member.setdefault(iso3, []).append(step)
    assert len(by_member) == 32
    assert by_member["GRC"] == ["protocol_signed", "parliament_approved", "head_of_state_assent",
                                "deposited"]
    assert by_member["FRA"][1:3] == ["lower_chamber_approved", "upper_chamber_approved"]
    assert all(by_member[iso3][-1] == "deposited" for iso3 in by_member)
    assert {s for i, _, s in procedures if i == "GRC"} == {
        "default procedure: not checked against this member state's constitution"}

    downgrade(empty_engine, "0010")
    with empty_engine.connect() as connection:
        assert rows(connection) == before
    with pytest.raises(DBAPIError, match="append-only"), empty_engine.begin() as connection:
        connection.execute(text("DELETE FROM ratification_steps"))


def test_downgrading_refuses_to_lose_steps_the_old_schema_cannot_hold(empty_engine):
    upgrade(empty_engine, "0013")
    with empty_engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO candidates (slug, iso3, name, name_fr, tier, model, phase, summary, "
            "created_at) VALUES ('testland', 'TST', 'Testland', '', 'full_candidate', "
            "'incremental_enlargement', 'ratification', '', CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO ratification_steps (candidate_id, member_iso3, step, occurred_on, "
            "source, confidence, note, note_fr, recorded_at) SELECT id, 'FRA', "
            "'lower_chamber_approved', '2024-01-01', 's', 'high', '', '', CURRENT_TIMESTAMP "
            "FROM candidates"))
    with pytest.raises(RuntimeError, match="would lose them"):
        downgrade(empty_engine, "0010")
    with empty_engine.connect() as connection:
        assert connection.scalar(text("SELECT step FROM ratification_steps")) == (
            "lower_chamber_approved")
