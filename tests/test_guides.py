"""The guides cannot rot: every ```sh and ```python block of docs/analysts.md runs, in order,
against a real server holding the demo data, with $ACCESSION_URL and $ACCESSION_TOKEN set (an
analyst's); each must succeed (curl runs with --fail-with-body, Python calls raise_for_status)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.demo import load_demo
from tests.conftest import upgrade
from tests.live import live_server

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "analysts.md"
BLOCK = re.compile(r"^```(sh|python)\n(.*?)^```$", re.S | re.M)


def guide_blocks() -> list[tuple[str, str, str]]:
    """(id, language, code) for each runnable block, in the guide's order; the id names the
    section, so a failure says which task broke."""
    text = GUIDE.read_text()
    blocks = []
    for match in BLOCK.finditer(text):
        heading = re.findall(r"^## (.+)$", text[:match.start()], re.M)[-1]
        blocks.append((f"{heading} ({match[1]})", match[1], match[2]))
    return blocks


def test_the_guide_shows_each_task_in_curl_and_python():
    shown = {}
    for block_id, language, code in guide_blocks():
        shown.setdefault(block_id.rsplit(" (", 1)[0], set()).add(language)
        if language == "sh":
            assert "--fail" in code, block_id
        else:
            assert "raise_for_status()" in code, block_id
    tasks = ["One update", "A batch", "A correction", "A revision", "A spreadsheet upload",
             "Reading the change feed"]
    assert all(shown.get(task) == {"sh", "python"} for task in tasks), shown


@pytest.fixture(scope="module")
def guide_env(databases, tmp_path_factory):
    if shutil.which("curl") is None:
        pytest.fail("the guides' shell blocks need curl (.ci/run installs it)")
    engine = databases.create()
    upgrade(engine)
    with Session(engine) as session:
        load_demo(session)
    with live_server(engine) as server:
        token = server.token("guide-analyst")["Authorization"].removeprefix("Bearer ")
        yield {**os.environ, "ACCESSION_URL": server.url, "ACCESSION_TOKEN": token,
               # The venv's python3 first: the blocks parse JSON with it.
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    engine.dispose()


def test_every_block_of_the_guide_runs(guide_env, tmp_path):
    # One test, blocks in order: a later block may rely on what an earlier one wrote.
    for block_id, language, code in guide_blocks():
        command = (["bash", "-euo", "pipefail", "-c", code] if language == "sh"
                   else [sys.executable, "-c", code])
        result = subprocess.run(command, env=guide_env, cwd=tmp_path, capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, (
            f"{block_id} failed ({result.returncode}):\n{result.stdout[-2000:]}\n"
            f"{result.stderr[-2000:]}")
