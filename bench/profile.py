"""Profiles of the running server under a given load, taken with py-spy from outside the
process (no change to the application), summarised as the functions that hold the most
samples: inclusive (on the stack) and self (at the top of it)."""

import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench.servers import Server

PY_SPY_HINT = "py-spy is not installed: uv pip install --python .venv/bin/python py-spy"


def py_spy() -> str:
    path = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(path).exists():
        raise SystemExit(PY_SPY_HINT)
    return path


def record(server: Server, out: Path, load: Callable[[], object]) -> Path:
    """Samples every worker of `server` while `load()` runs; writes collapsed stacks to `out`."""
    command = [py_spy(), "record", "--pid", str(server.process.pid), "--subprocesses",
               "--rate", "250", "--format", "raw", "--nonblocking", "--output", str(out)]
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        time.sleep(1)  # py-spy attaches to each worker
        load()
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes what it has on SIGINT
        _, stderr = spy.communicate(timeout=60)
    if not out.exists():
        raise RuntimeError(f"py-spy failed: {stderr.decode(errors='replace')}")
    return out


def _function(frame: str) -> str:
    """'name (path/to/file.py:12)' -> 'name (file path without line)', shortened to the part of
    the path that says which package it is."""
    name, _, location = frame.partition(" (")
    path = location.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/main/", "python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})"


def summarise(collapsed: Path, top: int = 25) -> str:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue  # a process's command line can span lines
        count = int(count_text)
        frames = [_function(f) for f in stack.split(";") if not f.startswith("process ")]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for function in set(frames):
            inclusive[function] += count
    if not total:
        return "(no samples)\n"

    def table(counter: Counter[str], title: str, keep: Callable[[str], bool]) -> list[str]:
        lines = [f"  {title}"]
        for function, count in [(f, c) for f, c in counter.most_common() if keep(f)][:top]:
            lines.append(f"    {100 * count / total:5.1f} %  {function}")
        return lines

    def is_app(function: str) -> bool:
        return "(app/" in function or "(bench/" in function

    def is_busy(function: str) -> bool:
        # Idle workers wait in the event loop's selector or on a queue: not where time goes.
        return not any(idle in function for idle in ("select (selectors.py", "wait (threading",
                                                     "_worker (concurrent", "run_forever",
                                                     "run (asyncio/runners.py",
                                                     "_run_once", "get (queue"))

    lines = [f"  {total} samples"]
    lines += table(inclusive, "application functions, inclusive (share of all samples):",
                   is_app)
    lines += table(own, "self time, any code (share of all samples):", is_busy)
    return "\n".join(lines) + "\n"
