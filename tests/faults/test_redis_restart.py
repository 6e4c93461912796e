"""Redis restarts under a running worker, and `make run`'s restart loop.

Before the fix, a worker holding received but unacknowledged messages (acks_late
tasks, countdowns) exited when Redis went away: kombu restored those messages through
a connection the worker had already dropped (AttributeError ... 'hostname').
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from liaison.celery import app
from liaison.tasks import ping

from .conftest import wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

# As long a stop as the issue's: the worker retries its connection the whole time.
REDIS_AWAY_SECONDS = 20


def send(redis_server, task, *args, **options):
    with app.connection_for_write(redis_server.url) as connection:
        return task.apply_async(args, connection=connection, **options)


def ran(log, result) -> bool:
    return f"[{result.id}] succeeded" in log.read_text(errors="replace")


def test_a_worker_holding_unacknowledged_messages_rides_out_a_redis_restart(stack, redis_server):
    worker, log = stack.worker("deadlines,celery", concurrency=2)
    # Held by the worker, unacknowledged, until their time comes.
    for _ in range(3):
        send(redis_server, ping, countdown=3600)
    wait_for(lambda: log.read_text().count("Task liaison.tasks.ping") >= 3, 10, "3 received")

    redis_server.kill()
    wait_for(lambda: "Connection to broker lost" in log.read_text(), 10, "the worker noticed")
    time.sleep(REDIS_AWAY_SECONDS)
    assert worker.poll() is None, stack.logs()
    redis_server.start()

    result = send(redis_server, ping)
    wait_for(lambda: ran(log, result) or worker.poll() is not None, 60, "a new task ran")
    assert worker.poll() is None, stack.logs()
    assert ran(log, result), stack.logs()
    assert "Unrecoverable error" not in log.read_text()


def test_the_restart_loop_restarts_a_killed_worker_and_stops_with_it(stack, redis_server):
    supervisor, log = stack.worker("deadlines,celery", supervised=True)
    worker_pid = _child_of(supervisor.pid)  # celery's main process

    def details() -> str:
        return f"{stack.logs()}\n{redis_server.state()}\n--- processes\n{_tree(supervisor.pid)}"

    os.kill(worker_pid, signal.SIGKILL)
    wait_for(
        lambda: "restarting in" in log.read_text(), 10, "the supervisor noticed", details=details
    )
    wait_for(
        lambda: log.read_text().count(" ready.") >= 2, 60, "a new worker ready", details=details
    )
    result = send(redis_server, ping)
    wait_for(lambda: ran(log, result), 60, "the new worker ran a task", details=details)
    new_pid = _child_of(supervisor.pid)
    assert new_pid != worker_pid

    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(timeout=30) == 0, log.read_text()  # the worker's warm shutdown
    assert not _alive(new_pid)
    assert log.read_text().count("restarting in") == 1


def _child_of(pid: int) -> int:
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        [child] = children.read().split()
    return int(child)


def _tree(pid: int) -> str:
    return subprocess.run(
        ["ps", "-ww", "-o", "pid,ppid,stat,etime,args", "-s", str(os.getsid(pid))],
        capture_output=True,
        text=True,
    ).stdout


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
