"""What the HTTP throughput benchmark (dashboard's bench_http) needs from the core: a
gunicorn server run as production runs it, in a process of its own, and wrk driven by a
Lua script that signs its requests, counts the answers and prints its figures as JSON."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

# The line of wrk's output that carries the Lua script's figures.
MARKER = "BENCH_HTTP_JSON "

# The script wrk runs. CONFIG is replaced by a Lua table of the case's settings. Each
# thread counts the answers with the expected status; a POST gets a fresh form: a CSRF
# token masked anew (as Django masks it in every form), a new submission key and a title
# of its own (the submit form refuses the same text twice as a double submission).
LUA = r"""
local cfg = CONFIG
local CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

function init(args)
  math.randomseed(os.time() + thread_no * 7919)
  expected, unexpected, last_unexpected, counter = 0, 0, 0, 0
end

local function char_index(c)
  return string.find(CHARS, c, 1, true) - 1
end

local function masked_token(secret)
  local salt, cipher = {}, {}
  for i = 1, 32 do
    local s = math.random(0, 61)
    salt[i] = string.sub(CHARS, s + 1, s + 1)
    local x = (char_index(string.sub(secret, i, i)) + s) % 62
    cipher[i] = string.sub(CHARS, x + 1, x + 1)
  end
  return table.concat(salt) .. table.concat(cipher)
end

local function uuid4()
  local hex = "0123456789abcdef"
  local out = {}
  for i = 1, 32 do
    local v = math.random(0, 15)
    if i == 13 then v = 4 elseif i == 17 then v = 8 + (v % 4) end
    out[#out + 1] = string.sub(hex, v + 1, v + 1)
    if i == 8 or i == 12 or i == 16 or i == 20 then out[#out + 1] = "-" end
  end
  return table.concat(out)
end

function request()
  if cfg.method == "GET" then
    return wrk.format("GET", cfg.path, cfg.headers)
  end
  counter = counter + 1
  local key = uuid4()
  local body = cfg.body
    .. "&title=" .. cfg.title_prefix .. thread_no .. "-" .. counter .. "-" .. key
    .. "&submission_key=" .. key
    .. "&csrfmiddlewaretoken=" .. masked_token(cfg.csrf_secret)
  return wrk.format("POST", cfg.path, cfg.headers, body)
end

function response(status, headers, body)
  if status == cfg.expect then
    expected = expected + 1
  else
    unexpected = unexpected + 1
    last_unexpected = status
  end
end

function done(summary, latency, requests)
  local ok, bad, last = 0, 0, 0
  for _, t in ipairs(threads) do
    ok = ok + t:get("expected")
    bad = bad + t:get("unexpected")
    if t:get("last_unexpected") ~= 0 then last = t:get("last_unexpected") end
  end
  local e = summary.errors
  io.write(string.format(
    '%s{"requests": %d, "duration_us": %d, "expected": %d, "unexpected": %d, ' ..
    '"last_unexpected_status": %d, "socket_errors": %d, "timeouts": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    cfg.marker, summary.requests, summary.duration, ok, bad, last,
    e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string of ASCII is a valid Lua string literal


@dataclass
class Case:
    """One wrk run: a GET of `path`, or a POST of a form (`body` and a fresh token, key and
    title per request), with `cookie` sent and `expect` the status every answer must have."""

    name: str
    path: str
    expect: int = 200
    cookie: str = ""
    method: str = "GET"
    body: str = ""
    csrf_secret: str = ""
    title_prefix: str = "bench-http-"
    headers: dict = field(default_factory=dict)

    def lua(self) -> str:
        headers = {"Accept-Language": "zh-hans", **self.headers}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if self.method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        header_table = ", ".join(
            f"[{_lua_string(name)}] = {_lua_string(value)}" for name, value in headers.items()
        )
        config = (
            "{"
            f"method = {_lua_string(self.method)}, path = {_lua_string(self.path)}, "
            f"expect = {int(self.expect)}, body = {_lua_string(self.body)}, "
            f"csrf_secret = {_lua_string(self.csrf_secret)}, "
            f"title_prefix = {_lua_string(self.title_prefix)}, "
            f"marker = {_lua_string(MARKER)}, headers = {{{header_table}}}"
            "}"
        )
        return LUA.replace("CONFIG", config, 1)


def parse_wrk_output(output: str) -> dict:
    """The Lua script's figures, in milliseconds and requests a second."""
    for line in output.splitlines():
        if line.startswith(MARKER):
            raw = json.loads(line[len(MARKER) :])
            break
    else:
        raise ValueError(f"wrk printed no figures:\n{output}")
    seconds = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "rps": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p90_ms": round(raw["p90_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
        "max_ms": round(raw["max_us"] / 1000, 1),
        "errors": raw["socket_errors"] + raw["timeouts"],
        "unexpected_status": raw["unexpected"],
        "last_unexpected_status": raw["last_unexpected_status"] or None,
    }


def run_wrk(
    case: Case, *, url: str, threads: int, connections: int, seconds: int, workdir: Path
) -> dict:
    script = workdir / "bench.lua"
    script.write_text(case.lua())
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url + case.path,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr or result.stdout}")
    return parse_wrk_output(result.stdout)


class GunicornServer:
    """`gunicorn -c gunicorn.conf.py` in a process of its own, on 127.0.0.1:`port`, with
    `env` (the environment it runs in) and its log (standard error) in `log_path`."""

    def __init__(self, *, port: int, env: dict, log_path: Path) -> None:
        self.port = port
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, wait_seconds: float = 90) -> None:
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "gunicorn.conf.py",
                # Here the command line wins over the file: localhost only.
                "--bind",
                f"127.0.0.1:{self.port}",
                "liaison.wsgi:application",
            ],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited ({self.process.returncode}); see {self.log_path}"
                )
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(
            f"gunicorn did not answer /healthz in {wait_seconds} s; see {self.log_path}"
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if getattr(self, "log", None) is not None:
            self.log.close()
            self.log = None


def logged_requests(log_path: Path, *, method: str, path: str, status: int) -> int:
    """How many requests of `method` to `path` answered `status`, by the app's own log line
    (liaison.requests, JSON), which the server writes once per request it handled."""
    count = 0
    with log_path.open(encoding="utf-8", errors="replace") as log:
        for line in log:
            if '"liaison.requests"' not in line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if (record.get("method"), record.get("path"), record.get("status")) == (
                method,
                path,
                status,
            ):
                count += 1
    return count


def children_of(pid: int) -> list[int]:
    """The processes `pid` started (gunicorn's workers), on Linux; else none."""
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(child) for child in (task / "children").read_text().split()]
    except OSError:
        return []
    return found


def cpu_seconds(pids) -> float | None:
    """User and system CPU time the processes used so far (Linux /proc), or None."""
    tick = os.sysconf("SC_CLK_TCK")
    total, read = 0.0, False
    for pid in pids:
        try:
            # After "pid (command)": state is field 3, utime and stime fields 14 and 15.
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
        read = True
    return total if read else None


def load_average() -> float:
    return round(os.getloadavg()[0], 2)
