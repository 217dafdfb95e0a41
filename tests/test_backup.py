"""`accession backup` copies a live SQLite database while writes continue; the copy opens and
holds every update acknowledged before the backup began. `accession restore` brings it back."""

import sqlite3
import threading

import httpx
import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.backup import BackupError, backup_database, restore_database
from app.cli import app as cli
from app.db import make_engine
from app.demo import load_demo
from tests.conftest import upgrade
from tests.live import live_server


def test_backup_while_writing_keeps_every_acknowledged_update(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        load_demo(session)
    acknowledged: list[int] = []
    stop = threading.Event()

    with live_server(engine) as server:
        headers = server.token("writer")

        def write() -> None:
            n = 0
            while not stop.is_set():
                n += 1
                response = httpx.post(
                    f"{server.url}/api/v1/candidates/georgia/updates", headers=headers,
                    json={"updates": [{"benchmark": "defence_spending_gdp", "value": 1 + i / 100,
                                       "as_of": "2025-06-30", "source": f"backup test {n}"}
                                      for i in range(20)]}, timeout=10)
                assert response.status_code == 201
                acknowledged.extend(u["id"] for u in response.json()["items"])

        writer = threading.Thread(target=write)
        writer.start()
        while len(acknowledged) < 200:
            stop.wait(0.05)
        before = list(acknowledged)
        copy = backup_database(url, tmp_path / "backups" / "copy.db")
        during = len(acknowledged)
        stop.set()
        writer.join()

    assert during > len(before) or len(acknowledged) > len(before), "writes went on"
    with sqlite3.connect(copy) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        stored = {row[0] for row in connection.execute("SELECT id FROM progress_updates")}
        events = {row[0] for row in connection.execute(
            "SELECT entity_id FROM events WHERE kind = 'progress_update.created'")}
    assert set(before) <= stored
    assert {str(i) for i in stored if i in set(acknowledged)} <= events

    restored_url = f"sqlite:///{tmp_path / 'restored.db'}"
    restore_database(restored_url, copy)
    with sqlite3.connect(tmp_path / "restored.db") as connection:
        assert connection.execute("SELECT count(*) FROM progress_updates").fetchone()[0] == \
            len(stored)


def test_backup_refuses_what_it_cannot_copy(tmp_path):
    with pytest.raises(BackupError, match="pg_dump"):
        backup_database("postgresql+psycopg://x@localhost/db", tmp_path / "x.db")
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError):
        restore_database(f"sqlite:///{tmp_path / 'target.db'}", tmp_path / "junk.db")


def test_backup_command(tmp_path, setting):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    upgrade(make_engine(url))
    setting("DATABASE_URL", url)
    result = CliRunner().invoke(cli, ["backup", str(tmp_path / "copy.db")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "copy.db").exists()
    result = CliRunner().invoke(cli, ["restore", str(tmp_path / "missing.db")])
    assert result.exit_code == 1 and "does not exist" in result.output
