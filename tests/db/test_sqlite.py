"""SQLite writers queue on the application's lock: held from BEGIN IMMEDIATE to COMMIT or
ROLLBACK, whichever way the transaction ends, and shared by every process on the database."""

import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.db import make_engine
from app.db.sqlite import WRITE_BEGIN, WriterLock


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "writers.db"
    engine = make_engine(f"sqlite:///{path}", timeout_seconds=2)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    yield engine, str(path)
    engine.dispose()


def lock_is_free(path: str) -> bool:
    """Another holder's view: a second lock on the same file (its own open file, as another
    process would have) that gives up at once."""
    other = WriterLock(f"{path}-writers.lock", timeout_seconds=0.01)
    if other.acquire():
        other.release()
        return True
    return False


@pytest.mark.parametrize("end", ["commit", "rollback", "close", "error"])
def test_the_lock_is_held_for_the_write_transaction_only(database, end):
    engine, path = database
    session = Session(engine.execution_options(**WRITE_BEGIN))  # a write session
    assert lock_is_free(path)
    session.connection()
    session.execute(text("INSERT INTO t VALUES (1)"))
    assert not lock_is_free(path)
    if end == "commit":
        session.commit()
    elif end == "rollback":
        session.rollback()
    elif end == "close":
        session.close()
    else:
        with pytest.raises(Exception, match="no such table"):
            session.execute(text("INSERT INTO missing VALUES (1)"))
        session.rollback()
    assert lock_is_free(path)
    session.close()
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM t")).scalar()
    assert stored == (1 if end == "commit" else 0)


def test_reads_do_not_take_the_lock(database):
    engine, path = database
    with Session(engine) as session:
        session.execute(text("SELECT count(*) FROM t"))
        assert lock_is_free(path)


def test_writers_in_threads_take_turns_and_none_is_lost(database):
    engine, _ = database
    errors = []

    def write(n: int) -> None:
        try:
            for i in range(20):
                with Session(engine.execution_options(**WRITE_BEGIN)) as session:
                    session.execute(text("INSERT INTO t VALUES (:x)"), {"x": n * 100 + i})
                    session.commit()
        except Exception as exc:  # collected: an assertion in a thread would be lost
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(DISTINCT x) FROM t")).scalar() == 160


def test_a_writer_in_another_process_waits_for_the_lock(database):
    engine, path = database
    child = f"""
import time
from sqlalchemy import text
from sqlalchemy.orm import Session
from app.db import make_engine
from app.db.sqlite import WRITE_BEGIN
engine = make_engine("sqlite:///{path}", timeout_seconds=10)
with Session(engine.execution_options(**WRITE_BEGIN)) as session:
    print("ready", flush=True)
    started = time.monotonic()
    session.connection()
    print(round(time.monotonic() - started, 3), flush=True)
    session.execute(text("INSERT INTO t VALUES (2)"))
    session.commit()
"""
    with Session(engine.execution_options(**WRITE_BEGIN)) as session:
        session.execute(text("INSERT INTO t VALUES (1)"))
        process = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE,
                                   text=True)
        assert process.stdout and process.stdout.readline().strip() == "ready"
        time.sleep(0.5)  # the child now waits for the lock this session holds
        session.commit()
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert float(output) > 0.3  # it waited for the commit, not for nothing
    with engine.connect() as connection:
        assert connection.execute(text("SELECT x FROM t ORDER BY rowid")).scalars().all() == [1, 2]
