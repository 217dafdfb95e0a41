"""The admin commands in process (typer's runner) against a fresh migrated database of each
backend: users, tokens, and the CSV import."""

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.service import hash_token, verify_token
from app.errors import Unauthorized
from app.models import ApiToken, ProgressUpdate
from tests.helpers import clear_caches, demo_engine_fixture, invoke  # noqa: F401 (a fixture)


def updates(engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(ProgressUpdate))


def test_users_and_tokens(demo_engine):
    assert invoke("users", "add", "ana", "--role", "analyst").exit_code == 0
    duplicate = invoke("users", "add", "ana", "--role", "admin")
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    assert invoke("users", "add", "x", "--role", "emperor").exit_code == 2

    created = invoke("tokens", "create", "ana", "--expires-days", "7")
    assert created.exit_code == 0
    token = created.output.strip().splitlines()[-1]
    with Session(demo_engine) as session:
        assert verify_token(session, token).name == "ana"
        record = session.scalars(select(ApiToken)).one()
        assert record.token_hash == hash_token(token) and token not in record.token_hash
        assert record.prefix == token[:8] and record.expires_at is not None

    listed = invoke("tokens", "list")
    assert token[:8] in listed.output and token not in listed.output

    # "--": a token may start with "-", which would read as an option.
    assert invoke("tokens", "revoke", "--", token[:8]).exit_code == 0
    assert "revoked" in invoke("tokens", "list").output
    with Session(demo_engine) as session, pytest.raises(Unauthorized):
        verify_token(session, token)
    assert invoke("tokens", "revoke", "nothing1").exit_code == 1


def test_production_on_every_interface_needs_a_base_url(monkeypatch):
    monkeypatch.setenv("ACCESSION_ENVIRONMENT", "production")
    monkeypatch.delenv("ACCESSION_BASE_URL", raising=False)
    clear_caches()
    try:
        result = invoke("serve", "--host", "0.0.0.0")
    finally:
        clear_caches()
    assert result.exit_code == 1 and "ACCESSION_BASE_URL" in result.output


def test_unknown_user_gets_no_token(demo_engine):
    result = invoke("tokens", "create", "ghost")
    assert result.exit_code == 1 and "ghost" in result.output


def test_import_is_all_or_nothing_with_line_numbers(demo_engine, tmp_path: Path):
    invoke("users", "add", "ana", "--role", "analyst")
    before = updates(demo_engine)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "candidate,benchmark,value,as_of,source,note\n"
        "georgia,defence_spending_gdp,1.95,2025-06-30,MoD budget,\n"
        "ukraine,nope,1,2025-01-01,x,\n"
        "atlantis,defence_spending_gdp,1,2025-01-01,x,\n"
        "georgia,defence_spending_gdp,2.1,2025-09-30,,\n"
        "georgia,nato_standards_adoption,done,2025-06-30,MoD,\n"
    )
    result = invoke("import", str(bad), "--as", "ana")
    assert result.exit_code == 1
    for line in ("line 3", "line 4", "line 5", "line 6"):
        assert line in result.output
    assert "line 2" not in result.output
    assert updates(demo_engine) == before

    good = tmp_path / "good.csv"
    good.write_text(
        "candidate,benchmark,value,as_of,source,note\n"
        + "".join(f"georgia,defence_spending_gdp,1.{n:02d},2025-0{n % 9 + 1}-01,MoD,\n"
                  for n in range(40))
        + "georgia,nato_standards_adoption,full_adoption,2025-06-30,MoD,\n"
    )
    result = invoke("import", str(good), "--as", "ana")
    assert result.exit_code == 0, result.output
    assert "41 progress updates stored" in result.output
    assert updates(demo_engine) == before + 41


def test_import_refuses_a_wrong_header(demo_engine, tmp_path: Path):
    invoke("users", "add", "ana", "--role", "analyst")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("country,value\nGeorgia,2\n")
    result = invoke("import", str(wrong), "--as", "ana")
    assert result.exit_code == 1 and "line 1" in result.output


def test_import_takes_indicators_vintages_and_observation_status(demo_engine, tmp_path: Path):
    invoke("users", "add", "ana", "--role", "analyst")
    before = updates(demo_engine)
    sheet = tmp_path / "indicators.csv"
    sheet.write_text(
        "candidate,indicator,benchmark,value,as_of,source,vintage,published_on,"
        "observation_status\n"
        "georgia,defence_spending_gdp,,1.9977175,2013-12-31,SIPRI,SIPRI 2025,2025-04-28,final\n"
        "finland,,defence_core_3_5_gdp,2.41,2025-06-30,MoD,,,provisional\n"
    )
    result = invoke("import", str(sheet), "--as", "ana")
    assert result.exit_code == 0, result.output
    with Session(demo_engine) as session:
        stored = session.scalars(select(ProgressUpdate).order_by(ProgressUpdate.id.desc())
                                 .limit(2)).all()
        assert {(u.indicator.key, u.value, u.vintage, u.observation_status) for u in stored} == {
            ("defence_spending_gdp", 1.9977175, "SIPRI 2025", "final"),
            ("defence_spending_gdp", 2.41, None, "provisional")}
    bad = tmp_path / "bad.csv"
    bad.write_text("candidate,indicator,value,as_of,source,observation_status\n"
                   "georgia,defence_spending_gdp,1,2025-01-01,x,rumour\n"
                   "georgia,nope,1,2025-01-01,x,final\n")
    result = invoke("import", str(bad), "--as", "ana")
    assert result.exit_code == 1
    assert "line 2, observation_status" in result.output and "line 3, indicator" in result.output
    assert updates(demo_engine) == before + 2


def test_record_status_changes_records_nothing_twice(demo_engine):
    from app.models import Event
    from app.status_feed import CHANGE_KIND

    def recorded() -> int:
        with Session(demo_engine) as session:
            return session.scalar(select(func.count()).select_from(Event)
                                  .where(Event.kind == CHANGE_KIND))

    loaded = recorded()
    assert loaded > 0  # the demo's history, recorded as it loaded
    result = invoke("record-status-changes")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "0 status changes recorded."
    assert recorded() == loaded
