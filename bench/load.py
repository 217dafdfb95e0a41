"""Load on loopback: wrk for throughput and latency distributions (reads, and writes through a
generated Lua script), httpx for sequential timings and for freshness."""

import json
import re
import shutil
import subprocess
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
WRK_HINT = ("wrk is not installed: apt-get install -y wrk (Debian/Ubuntu) or brew install wrk")


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit(WRK_HINT)
    return path


@dataclass
class WrkResult:
    url: str
    connections: int
    duration: float
    requests: int
    rps: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: int
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def ok_requests(self) -> int:
        return self.requests - self.non_2xx

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * UNITS[match.group(2)]


def parse_wrk(output: str, url: str, connections: int) -> WrkResult:
    def find(pattern: str, default: str | None = None) -> str:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            if default is None:
                raise ValueError(f"wrk output lacks {pattern!r}:\n{output}")
            return default
        return match.group(1)

    done = re.search(r"^\s*(\d+) requests in ([\d.]+\w+),", output, re.MULTILINE)
    if done is None:
        raise ValueError(f"wrk output lacks the request count:\n{output}")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       output)
    return WrkResult(
        url=url, connections=connections, duration=_ms(done.group(2)) / 1000,
        requests=int(done.group(1)), rps=float(find(r"^Requests/sec:\s+([\d.]+)")),
        p50_ms=_ms(find(r"^\s+50%\s+(\S+)")), p75_ms=_ms(find(r"^\s+75%\s+(\S+)")),
        p90_ms=_ms(find(r"^\s+90%\s+(\S+)")), p99_ms=_ms(find(r"^\s+99%\s+(\S+)")),
        max_ms=_ms(find(r"^\s+Latency\s+\S+\s+\S+\s+(\S+)")),
        non_2xx=int(find(r"Non-2xx or 3xx responses: (\d+)", "0")),
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
        statuses={code: int(n) for code, n in re.findall(r"^status (\d+) (\d+)$", output,
                                                          re.MULTILINE)},
    )


def wrk(url: str, *, connections: int = 32, duration: float = 6, threads: int = 2,
        script: Path | None = None, timeout: str = "10s") -> WrkResult:
    """One bounded wrk run. The timeout is raised from wrk's 2 s so slow responses are counted
    in the latency distribution instead of dropped from it."""
    command = [require_wrk(), f"-t{threads}", f"-c{connections}", f"-d{duration:g}s",
               "--latency", f"--timeout={timeout}"]
    if script is not None:
        command += ["-s", str(script)]
    done = subprocess.run([*command, url], capture_output=True, text=True,
                          timeout=duration + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return parse_wrk(done.stdout, url, connections)


def lua_long_string(text: str) -> str:
    level = "=" * 4
    while f"]{level}]" in text:
        level += "="
    return f"[{level}[{text}]{level}]"


def post_script(path: Path, requests: list[tuple[str, str, str]]) -> Path:
    """A wrk script that cycles through prepared POSTs (path, bearer token, JSON body) and counts
    the answers by status code."""
    items = ",\n".join(
        f"{{path = {lua_long_string(p)}, token = {lua_long_string(t)}, "
        f"body = {lua_long_string(b)}}}"
        for p, t, b in requests
    )
    path.write_text(f"""
local items = {{
{items}
}}
local threads = {{}}
local prepared = {{}}
local n = 0

function setup(thread)
  thread:set("offset", #threads * 7)
  table.insert(threads, thread)
end

function init(args)
  statuses = {{}}
  for k, item in ipairs(items) do
    prepared[k] = wrk.format("POST", item.path, {{
      ["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. item.token,
    }}, item.body)
  end
  n = offset
end

function request()
  n = n + 1
  return prepared[(n % #prepared) + 1]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {{}}
  for _, thread in ipairs(threads) do
    for code, count in pairs(thread:get("statuses")) do
      total[code] = (total[code] or 0) + count
    end
  end
  for code, count in pairs(total) do
    io.write(string.format("status %d %d\\n", code, count))
  end
end
""")
    return path


class Trickle:
    """Background writer: one single update every `interval` seconds while a read load runs,
    so each one invalidates the rendering cache (an analyst at work during peak reading)."""

    def __init__(self, url: str, token: str, items: list[dict[str, object]],
                 interval: float = 1.0) -> None:
        self.url, self.token, self.items, self.interval = url, token, items, interval
        self.posted = 0
        self.failed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(timeout=30, headers=headers) as client:
            while not self._stop.is_set():
                item = self.items[self.posted % len(self.items)]
                try:
                    response = client.post(self.url, content=json.dumps(item),
                                           headers={"Content-Type": "application/json"})
                    if response.status_code == 201:
                        self.posted += 1
                    else:
                        self.failed += 1
                except httpx.HTTPError:
                    self.failed += 1
                self._stop.wait(self.interval)

    def __enter__(self) -> "Trickle":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=35)
