"""The HTTP benchmark's pieces that need no server: wrk's script, its figures, the log count."""

from __future__ import annotations

import json

import pytest

from liaison.bench_http import (
    MARKER,
    Case,
    children_of,
    cpu_seconds,
    logged_requests,
    parse_wrk_output,
)


def test_it_writes_the_cases_settings_into_the_script():
    script = Case(
        "submit",
        "/problems/new/",
        expect=302,
        cookie='sessionid=abc; csrftoken="x"',
        method="POST",
        body="category=3&description=%E5%9F%BA",
        csrf_secret="S" * 32,
    ).lua()
    assert "CONFIG" not in script
    assert 'method = "POST"' in script
    assert 'path = "/problems/new/"' in script
    assert "expect = 302" in script
    assert '["Cookie"] = "sessionid=abc; csrftoken=\\"x\\""' in script
    assert '["Content-Type"] = "application/x-www-form-urlencoded"' in script
    assert f'csrf_secret = "{"S" * 32}"' in script
    for function in ("setup", "init", "request", "response", "done"):
        assert f"function {function}(" in script


def test_a_get_sends_no_form():
    script = Case("login", "/accounts/login/").lua()
    assert 'method = "GET"' in script and "Content-Type" not in script


def test_it_reads_the_scripts_figures_from_wrks_output():
    raw = {
        "requests": 2000,
        "duration_us": 20_000_000,
        "expected": 1998,
        "unexpected": 2,
        "last_unexpected_status": 500,
        "socket_errors": 1,
        "timeouts": 1,
        "p50_us": 12_345,
        "p90_us": 20_000,
        "p99_us": 45_678,
        "max_us": 99_999,
        "mean_us": 13000.5,
    }
    output = f"Running 20s test @ http://127.0.0.1:8101/\n{MARKER}{json.dumps(raw)}\n"
    figures = parse_wrk_output(output)
    assert figures == {
        "requests": 2000,
        "rps": 100.0,
        "p50_ms": 12.3,
        "p90_ms": 20.0,
        "p99_ms": 45.7,
        "max_ms": 100.0,
        "errors": 2,
        "unexpected_status": 2,
        "last_unexpected_status": 500,
    }
    with pytest.raises(ValueError):
        parse_wrk_output("wrk: connection refused")


def test_it_counts_the_requests_the_server_logged(tmp_path):
    def line(method, path, status, logger="liaison.requests"):
        return json.dumps({"logger": logger, "method": method, "path": path, "status": status})

    log = tmp_path / "gunicorn.log"
    log.write_text(
        "\n".join(
            [
                line("POST", "/problems/new/", 302),
                line("POST", "/problems/new/", 302),
                line("POST", "/problems/new/", 200),
                line("GET", "/problems/new/", 302),
                line("POST", "/problems/new/", 302, logger="other"),
                "[2026-12-07 01:00:00] [1] [INFO] Booting worker",
                '{"logger": "liaison.requests", broken',
            ]
        )
    )
    assert logged_requests(log, method="POST", path="/problems/new/", status=302) == 2


def test_it_reads_the_cpu_time_of_processes_and_finds_a_processs_children():
    import os
    import subprocess
    import sys

    if not os.path.exists("/proc/self/stat"):
        pytest.skip("no /proc here")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        assert child.pid in children_of(os.getpid())
    finally:
        child.kill()
        child.wait()
    assert cpu_seconds([os.getpid()]) > 0
    assert cpu_seconds([]) is None
    assert children_of(2**22 + 1) == []
