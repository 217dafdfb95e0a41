"""`accession upload` against a real server (its exit status: 0 stored, 1 refused, 2 not
reached; the refused rows as a table) and `accession import --dry-run`."""

from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import app as cli
from app.demo import load_demo
from app.models import Event, ProgressUpdate
from tests.conftest import upgrade
from tests.helpers import demo_engine_fixture, demo_server_fixture, invoke  # noqa: F401 (fixtures)
from tests.live import free_port, live_server

runner = CliRunner()
HEADER = "candidate,indicator,value,as_of,source,observation_status\n"


def count(engine, model=ProgressUpdate) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def upload(*args: str, token: str | None):
    env = {"ACCESSION_TOKEN": token} if token is not None else {"ACCESSION_TOKEN": ""}
    return runner.invoke(cli, ["upload", *args], env=env)


def token_of(server, name: str) -> str:
    return server.token(name)["Authorization"].removeprefix("Bearer ")


def test_upload_stores_a_csv_and_exits_0(server, tmp_path: Path):
    token = token_of(server, "cli-csv")
    sheet = tmp_path / "june.csv"
    sheet.write_text(HEADER + "georgia,defence_spending_gdp,1.95,2025-06-30,MoD,final\n"
                     "ukraine,defence_spending_gdp,22.1,2024-12-31,SIPRI,final\n")
    before = count(server.engine), count(server.engine, Event)

    checked = upload(str(sheet), "--url", server.url, "--dry-run", token=token)
    assert checked.exit_code == 0, checked.output
    assert "2 rows" in checked.output and "nothing was stored" in checked.output
    assert count(server.engine) == before[0]

    stored = upload(str(sheet), "--url", server.url, token=token)
    assert stored.exit_code == 0, stored.output
    assert "Stored 2 progress updates for 2 candidate(s)" in stored.output
    assert (count(server.engine), count(server.engine, Event)) == (before[0] + 2, before[1] + 1)


def test_upload_takes_xlsx(server, tmp_path: Path):
    token = token_of(server, "cli-xlsx")
    workbook = Workbook()
    workbook.active.append(HEADER.strip().split(","))
    workbook.active.append(["georgia", "nato_standards_adoption", "full_adoption", "2025-06-30",
                            "MoD", "final"])
    sheet = tmp_path / "june.xlsx"
    workbook.save(sheet)
    before = count(server.engine)
    result = upload(str(sheet), "--url", server.url + "/", token=token)
    assert result.exit_code == 0, result.output
    assert count(server.engine) == before + 1


def test_refused_rows_are_a_table_and_exit_1(server, tmp_path: Path):
    token = token_of(server, "cli-bad")
    sheet = tmp_path / "bad.csv"
    sheet.write_text(HEADER + "georgia,defence_spending_gdp,1.95,2025-06-30,MoD,final\n"
                     "atlantis,defence_spending_gdp,1.2,2025-06-30,MoD,final\n"
                     "georgia,defence_spending_gdp,1.2,30/06/2025,MoD,final\n")
    before = count(server.engine)
    result = upload(str(sheet), "--url", server.url, token=token)
    assert result.exit_code == 1, result.output
    table = [line for line in result.output.splitlines() if "│" in line]
    assert any("3" in line and "'atlantis'" in line and "unknown_candidate" in line
               for line in table)
    assert any("4" in line and "'30/06/2025'" in line and "use YYYY-MM-DD" in line
               for line in table)
    assert "2 problem(s) in 2 row(s)" in result.output and "nothing was stored" in result.output
    assert count(server.engine) == before


def test_a_bad_token_exits_1_and_a_missing_one_is_asked_for(server, tmp_path: Path):
    sheet = tmp_path / "june.csv"
    sheet.write_text(HEADER + "georgia,defence_spending_gdp,1.95,2025-06-30,MoD,final\n")
    refused = upload(str(sheet), "--url", server.url, token="not-a-token")
    assert refused.exit_code == 1 and "401" in refused.output
    missing = upload(str(sheet), "--url", server.url, token=None)
    assert missing.exit_code == 1 and "ACCESSION_TOKEN" in missing.output


def test_an_unreachable_server_exits_2(tmp_path: Path):
    sheet = tmp_path / "june.csv"
    sheet.write_text(HEADER + "georgia,defence_spending_gdp,1.95,2025-06-30,MoD,final\n")
    result = upload(str(sheet), "--url", f"http://127.0.0.1:{free_port()}", token="t" * 43)
    assert result.exit_code == 2 and "Could not reach" in result.output


def test_import_dry_run_stores_nothing_and_echoes_bad_values(demo_engine, tmp_path: Path):
    invoke("users", "add", "ana", "--role", "analyst")
    before = count(demo_engine)
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "georgia,defence_spending_gdp,1.95,2025-06-30,MoD,final\n")
    result = invoke("import", str(good), "--as", "ana", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run: 1 rows checked" in result.output and count(demo_engine) == before

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "georgia,defence_spending_gdp,1,5,2025-06-30,MoD,final\n"
                   "georgia,defence_spending_gdp,1.5,2025-13-01,MoD,final\n")
    result = invoke("import", str(bad), "--as", "ana", "--dry-run")
    assert result.exit_code == 1
    assert "line 2, row 'final': 7 cells where the header has 6" in result.output  # 1,5: two
    assert "line 3, as_of '2025-13-01': not a date: use YYYY-MM-DD" in result.output
    assert count(demo_engine) == before


def test_a_file_over_the_servers_limit_is_refused_with_exit_1(databases, tmp_path: Path):
    engine = databases.create()
    upgrade(engine)
    with Session(engine) as session:
        load_demo(session)
    big = tmp_path / "big.csv"
    big.write_text(HEADER + "georgia,defence_spending_gdp,1.9,2025-06-30,MoD,final\n" * 60_000)
    before = count(engine)
    with live_server(engine, extra_env={"ACCESSION_IMPORT_MAX_BYTES": "100000"}) as limited:
        result = upload(str(big), "--url", limited.url, token=token_of(limited, "cli-big"))
    assert result.exit_code == 1, result.output
    assert "413" in result.output and "ACCESSION_IMPORT_MAX_BYTES" in result.output
    assert count(engine) == before

