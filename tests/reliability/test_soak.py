"""The soak test of bench/soak.py at CI size: mixed readers and writers against the real
server (two workers) — zero errors, no lost update, memory flat."""

import json
import os
import subprocess
import sys

from tests.live import free_port

DURATION = os.environ.get("ACCESSION_SOAK_SECONDS", "45")


def test_soak_has_no_errors_no_lost_update_and_flat_memory():
    result = subprocess.run(
        [sys.executable, "-m", "bench.soak", "--duration", DURATION, "--warmup", "10",
         "--readers", "4", "--writers", "2", "--port", str(free_port())],
        capture_output=True, text=True, timeout=600,
    )
    report = json.loads(result.stdout)
    print(json.dumps(report, indent=2))
    assert report["errors"] == 0, report["first_errors"]
    assert report["updates_lost"] == 0
    assert report["updates_acknowledged"] > 0 and report["reads"] > 0
    assert report["passed"], f"RSS grew {report['rss_growth_mb']} MB"
