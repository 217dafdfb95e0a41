"""What one change costs: the uncached computation of pages and API answers, this checkout
against another (a baseline commit checked out elsewhere), requests alternated.

    git worktree add /tmp/base <commit>
    .venv/bin/python -m bench.compare --base /tmp/base [--size small] [--samples 40]

Each checkout builds its own data set (`bench/fixtures.py` of that checkout, same size and seed)
and serves it with its own code (`accession serve --workers 1`, PYTHONPATH set to the checkout).
Then, round after round, each URL is asked of the baseline and of this checkout in turn with
`lang=en` (the answer sets the language cookie, so the response cache does not keep it): the
machine's drift hits both alike, and the ratio is taken pair by pair. Prints, per URL, the median
milliseconds of each and the median of the paired ratios (this checkout over the baseline)."""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from bench.fixtures import ACCESSION, PROJECT_ROOT
from bench.probes import uncached_url
from bench.servers import free_port, stop, wait_until_up

PATHS = {
    "candidate page": "/candidates/{slug}",
    "status API": "/api/v1/candidates/{slug}/status",
}
SLUGS = ("ukraine", "georgia", "bench-00001")


def checkout_env(checkout: Path, database_url: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(checkout), "ACCESSION_DATABASE_URL": database_url,
            "ACCESSION_ENVIRONMENT": "production", "ACCESSION_LOG_LEVEL": "warning"}


def build(checkout: Path, database_url: str, size: str) -> None:
    """The checkout's own fixture code builds its own schema and data."""
    code = ("import sys; from bench.fixtures import SIZES, build; "
            "build(sys.argv[1], SIZES[sys.argv[2]])")
    subprocess.run([sys.executable, "-c", code, database_url, size], cwd=checkout,
                   env=checkout_env(checkout, database_url), check=True)


def serve(stack: ExitStack, checkout: Path, database_url: str, workdir: Path, name: str) -> str:
    port = free_port()
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [ACCESSION, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            cwd=checkout, env=checkout_env(checkout, database_url), stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True)
    stack.callback(stop, process)
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url + "/health", process, log)
    return url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="the baseline's checkout")
    parser.add_argument("--size", default="small", choices=("small", "default", "large"))
    parser.add_argument("--samples", type=int, default=40, help="rounds of requests")
    args = parser.parse_args()
    checkouts = {"base": args.base.resolve(), "this": PROJECT_ROOT}
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        servers = {}
        for name, checkout in checkouts.items():
            url = f"sqlite:///{workdir / name}.db"
            build(checkout, url, args.size)
            servers[name] = serve(stack, checkout, url, workdir, name)
        urls = {(label, slug): path.format(slug=slug)
                for label, path in PATHS.items() for slug in SLUGS}
        times: dict[tuple[str, str], dict[str, list[float]]] = {
            key: {"base": [], "this": []} for key in urls}
        with httpx.Client(timeout=120) as client:
            for server in servers.values():  # imports, first connections: not timed
                for path in urls.values():
                    client.get(uncached_url(server + path, "warm")).raise_for_status()
            for i in range(args.samples):
                for key, path in urls.items():
                    order = ("base", "this") if i % 2 == 0 else ("this", "base")
                    for name in order:
                        started = time.perf_counter()
                        client.get(uncached_url(servers[name] + path, str(i))).raise_for_status()
                        times[key][name].append((time.perf_counter() - started) * 1000)
    print(f"{'what':<16} {'candidate':<14} {'base ms':>8} {'this ms':>8} {'ratio':>6}")
    for label in PATHS:
        ratios = []
        for slug in SLUGS:
            t = times[(label, slug)]
            pair = [a / b for a, b in zip(t["this"], t["base"], strict=True)]
            ratios.extend(pair)
            print(f"{label:<16} {slug:<14} {statistics.median(t['base']):8.1f} "
                  f"{statistics.median(t['this']):8.1f} {statistics.median(pair):6.2f}")
        print(f"{label:<16} {'(all)':<14} {'':>8} {'':>8} {statistics.median(ratios):6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
