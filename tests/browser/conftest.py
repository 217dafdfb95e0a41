"""Browser tests: Debian's Chromium driven by Playwright against a real server on a demo
database. Screenshots go to artifacts/screenshots (git-ignored, kept by CI)."""

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.db import make_engine
from app.demo import load_demo
from tests.conftest import upgrade
from tests.live import cpu_alone, free_port, live_server

CHROMIUM = os.environ.get("ACCESSION_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return
    if os.environ.get("ACCESSION_TEST_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS,
            "headless": True}


@pytest.fixture(scope="module", autouse=True)
def _alone():
    """Chromium is not run beside the tests that time a server (tests.live.cpu_alone)."""
    with cpu_alone():
        yield


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A running server (SQLite, demo data) and its engine; `site.restart()` kills and starts
    it again on the same port."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('browser')}/site.db")
    upgrade(engine)
    with Session(engine) as session:
        load_demo(session)
    port = free_port()
    with live_server(engine, port=port) as server:
        yield server
    engine.dispose()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
