"""Fixtures of the reliability tests: demo databases, real servers with rate limits out of the
way, and Debian's Chromium for the browser checks (a copy of tests/browser/conftest.py's)."""

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.db import make_engine
from app.demo import load_demo
from tests.conftest import DatabaseFactory, upgrade

CHROMIUM = os.environ.get("ACCESSION_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]

# These tests send far more requests, and more refused tokens, than one person would: the
# per-process rate limits would answer 429 and hide what is being tested.
LIVE_ENV = {
    "ACCESSION_WRITES_PER_MINUTE": "1000000",
    "ACCESSION_AUTH_FAILURES_PER_MINUTE": "1000000",
}


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return
    if os.environ.get("ACCESSION_TEST_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "tests/reliability" in str(item.fspath) and {"page", "browser"} & set(
                getattr(item, "fixturenames", ())):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS,
            "headless": True}


def demo_database(databases: DatabaseFactory) -> Engine:
    """A new migrated database of the current backend holding the demo data set."""
    engine = databases.create()
    upgrade(engine)
    with Session(engine) as session:
        load_demo(session)
    return engine


def sqlite_demo_database(directory: Path) -> Engine:
    engine = make_engine(f"sqlite:///{directory}/reliability.db")
    upgrade(engine)
    with Session(engine) as session:
        load_demo(session)
    return engine
