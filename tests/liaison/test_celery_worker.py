"""A real Celery worker process runs a task sent through the configured broker.

The broker and result store are whatever the settings say: Redis when
REDIS_URL is set (required under REQUIRE_SERVICES=1), else the embedded
file-system broker and result store under var/. A queue of the test's own
keeps any other worker on the same broker (e.g. `make run`) from taking the task.
"""

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery.result import AsyncResult, EagerResult
from django.conf import settings
from kombu import Exchange, Queue

from liaison.celery import app
from liaison.tasks import ping
from tests.conftest import REQUIRE_SERVICES, require_service
from tests.test_services import redis_ping_error

pytestmark = pytest.mark.services

CELERY = Path(sys.executable).with_name("celery")
WORKER_DEADLINE_SECONDS = 60


def _require_usable_broker() -> None:
    broker_url = settings.CELERY_BROKER_URL
    if REQUIRE_SERVICES or not broker_url.startswith("filesystem://"):
        error = redis_ping_error(broker_url)
        require_service(error is None, f"the Celery broker must be Redis: {error}")


def _start_worker(queue: str, log: Path, **environment: str) -> subprocess.Popen:
    command = [
        str(CELERY),
        "-A",
        "liaison",
        "worker",
        "--pool=solo",
        f"--queues={queue}",
        f"--hostname={queue}@%h",
        # Nothing to coordinate with: start fast and talk only to this test.
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=INFO",
    ]
    with log.open("wb") as out:
        return subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env={**os.environ, **environment},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()  # warm shutdown
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)


def _wait_for(result: AsyncResult, worker: subprocess.Popen, log: Path) -> object:
    deadline = time.monotonic() + WORKER_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if result.ready():
            return result.get(timeout=5)
        if worker.poll() is not None:
            pytest.fail(f"the worker exited with {worker.returncode}:\n{log.read_text()}")
        time.sleep(0.2)
    pytest.fail(f"no result within {WORKER_DEADLINE_SECONDS} s; worker log:\n{log.read_text()}")


def _delete_queue(name: str) -> None:
    """Remove the test's queue and its binding from the broker (Redis keeps them)."""
    queue = Queue(name, Exchange(name), routing_key=name)
    with app.connection_for_write() as connection:
        bound = queue(connection.default_channel)
        bound.declare()
        bound.delete()


def test_it_runs_a_task_sent_through_the_broker(tmp_path):
    _require_usable_broker()
    queue = f"test-worker-{uuid.uuid4().hex}"
    log = tmp_path / "worker.log"

    worker = _start_worker(queue, log)
    try:
        result = ping.apply_async(queue=queue)
        # An eager result would mean no broker and no worker were involved.
        assert not isinstance(result, EagerResult)
        assert _wait_for(result, worker, log) == "pong"

        # The worker's health check in docker-compose.yml, against this worker.
        node = f"{queue}@{socket.gethostname()}"  # what %h expands to
        health_check = f"inspect ping --destination {node} --timeout 10"
        inspect = subprocess.run(
            [str(CELERY), "-A", "liaison", *health_check.split()],
            cwd=settings.BASE_DIR,
            env=os.environ.copy(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert inspect.returncode == 0, inspect.stdout + inspect.stderr
        assert f"{node}: OK" in inspect.stdout
    finally:
        _stop_worker(worker)
        _delete_queue(queue)

    assert worker.returncode == 0, log.read_text()
    assert f"liaison.tasks.ping[{result.id}] succeeded" in log.read_text()
    result.forget()


def test_the_worker_logs_a_task_with_the_id_of_the_request_that_queued_it(tmp_path):
    from liaison.logs import request_id_var

    _require_usable_broker()
    queue = f"test-worker-{uuid.uuid4().hex}"
    log = tmp_path / "worker.log"

    worker = _start_worker(queue, log, LIAISON_LOG_FORMAT="json")
    token = request_id_var.set("req-4f2a9c01d3")  # as RequestLogMiddleware does
    try:
        result = ping.apply_async(queue=queue)
        request_id_var.reset(token)
        assert _wait_for(result, worker, log) == "pong"
    finally:
        _stop_worker(worker)
        _delete_queue(queue)

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    (done,) = [line for line in lines if "succeeded" in line["message"]]
    assert done["logger"] == "celery.app.trace"
    assert (done["request_id"], done["task_id"]) == ("req-4f2a9c01d3", result.id)
