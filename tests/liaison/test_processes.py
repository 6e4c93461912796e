"""The processes of `make run` (Procfile) and their queues: delivery cannot hold up the sweep,
a dying worker or beat is restarted instead of taking the web server down with it."""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from liaison.beat import BEAT_LOCK
from liaison.celery import app
from liaison.locks import ProcessLock

BASE_DIR = Path(settings.BASE_DIR)

QUEUES = {
    "issues.tasks.enforce_deadlines": "deadlines",
    "issues.tasks.recompute_deadlines": "deadlines",
    "issues.tasks.send_daily_digest": "deadlines",
    "dashboard.tasks.refresh_dashboard": "deadlines",
    "dashboard.tasks.refresh_dashboard_full": "deadlines",
    "dashboard.tasks.freeze_assessments": "deadlines",
    "dashboard.tasks.generate_monthly_bulletin": "deadlines",
    "dashboard.tasks.refresh_provisional_assessments": "deadlines",
    "notifications.tasks.deliver_notification": "notifications",
    "notifications.tasks.requeue_pending_notifications": "notifications",
    "api.tasks.deliver_webhooks": "notifications",
    "api.tasks.requeue_pending_webhooks": "notifications",
    "liaison.tasks.ping": "celery",
    "liaison.tasks.heartbeat": "celery",
    "audit.tasks.purge_audit": "deadlines",
    "service.tasks.remind_follow_ups": "deadlines",
}


def procfile() -> dict[str, list[str]]:
    lines = (BASE_DIR / "Procfile").read_text().splitlines()
    return {
        name: shlex.split(command)
        for name, command in (line.split(":", 1) for line in lines if line.strip())
    }


def option(command: list[str], name: str) -> str:
    [value] = [arg.split("=", 1)[1] for arg in command if arg.startswith(f"{name}=")]
    return value


@pytest.mark.parametrize("task, queue", QUEUES.items())
def test_each_task_goes_to_its_queue(task, queue):
    assert app.amqp.router.route({}, task)["queue"].name == queue


def test_every_beat_task_has_a_queue_some_worker_consumes():
    consumed = set()
    for command in procfile().values():
        if "worker" in command:
            consumed |= set(option(command, "--queues").split(","))
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert QUEUES[entry["task"]] in consumed, entry["task"]


def test_the_sweep_and_delivery_have_workers_of_their_own():
    processes = procfile()
    workers = {name: cmd for name, cmd in processes.items() if "worker" in cmd}

    assert {name: option(cmd, "--queues") for name, cmd in workers.items()} == {
        "worker": "deadlines,celery",
        "mailer": "notifications",
    }
    # Two workers on one machine need node names of their own.
    assert len({option(cmd, "--hostname") for cmd in workers.values()}) == 2


def test_worker_and_beat_run_under_the_restart_loop_and_the_web_server_does_not():
    processes = procfile()

    for name in ("worker", "mailer", "beat"):
        assert processes[name][:3] == [".venv/bin/python", "-m", "liaison.supervise"], name
    assert "liaison.supervise" not in processes["web"]


def test_the_restart_loop_restarts_a_command_that_dies_and_stops_when_told(tmp_path):
    starts = tmp_path / "starts"
    # A command that dies at once the first two times, then stays up.
    script = (
        "import pathlib, sys, time\n"
        f"p = pathlib.Path({str(starts)!r})\n"
        "n = len(p.read_text()) if p.exists() else 0\n"
        "p.write_text('x' * (n + 1))\n"
        "sys.exit(3) if n < 2 else time.sleep(60)\n"
    )
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "liaison.supervise", sys.executable, "-c", script],
        cwd=BASE_DIR,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (not starts.exists() or len(starts.read_text()) < 3):
            time.sleep(0.1)
        assert starts.exists() and len(starts.read_text()) == 3
    finally:
        supervisor.terminate()
        supervisor.wait(timeout=10)
    output = supervisor.stderr.read()
    assert "exited with status 3; restarting in 1 s" in output
    assert "exited with status 3; restarting in 2 s" in output
    assert supervisor.returncode == 128 + 15  # the command's own end: SIGTERM passed on


@pytest.mark.django_db(transaction=True)
def test_one_process_at_a_time_holds_the_beat_lock(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    first, second = ProcessLock(BEAT_LOCK), ProcessLock(BEAT_LOCK)
    try:
        assert first.acquire()
        assert first.acquire()  # still held
        assert not second.acquire()
        first.release()
        assert second.acquire()
        assert not first.acquire()
    finally:
        first.release()
        second.release()


@pytest.mark.django_db(transaction=True)
def test_a_beat_that_lost_its_database_connection_takes_the_lock_again(settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the lock of a database connection: PostgreSQL's")
    lock = ProcessLock(BEAT_LOCK)
    try:
        assert lock.acquire()
        lock._connection.connection.close()  # the server went away, or ended the session

        assert lock.acquire()
        with lock._connection.cursor() as cursor:
            # Of this database only: other test runs share the server.
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"
            )
            assert cursor.fetchone()[0] == 1
    finally:
        lock.release()
