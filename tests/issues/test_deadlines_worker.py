"""A real Celery worker runs the beat task `enforce_deadlines` sent through the broker.

The broker is the configured one (Redis when REDIS_URL is set, else the file-system
broker). The worker is a separate process, so it must see the test's data: on
PostgreSQL it connects to the test database (the data is committed: transactional
test); on SQLite, whose test database lives in this process's memory, it gets a copy
in a file, and the test reads the outcome from that file.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid

import pytest
from celery.result import EagerResult
from django.db import connection
from django.utils import timezone

from issues.models import EventKind, Problem, ProblemEvent, Status
from issues.tasks import enforce_deadlines
from tests.liaison.test_celery_worker import (
    _delete_queue,
    _require_usable_broker,
    _start_worker,
    _stop_worker,
    _wait_for,
)

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _database_url_for_worker(tmp_path) -> str:
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        user = settings["USER"] or ""
        password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
        host = settings["HOST"] or "localhost"
        port = settings["PORT"] or 5432
        return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"
    copy = tmp_path / "worker.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(copy)
    connection.connection.backup(target)
    target.close()
    return f"sqlite:///{copy}"


def _escalations_seen_by_worker(database_url: str, problem: Problem) -> list[tuple]:
    if connection.vendor == "postgresql":
        return list(
            ProblemEvent.objects.filter(problem=problem, kind=EventKind.ESCALATED).values_list(
                "dedupe_key", "is_public"
            )
        )
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
        return db.execute(
            "SELECT dedupe_key, is_public FROM issues_problemevent "
            "WHERE problem_id = ? AND kind = ?",
            (problem.pk, EventKind.ESCALATED.value),
        ).fetchall()


def test_the_worker_escalates_an_overdue_problem(
    make_problem, office, leader, lead_head, tmp_path, monkeypatch
):
    _require_usable_broker()
    # Dispatched 30 days ago: well past its 10 working days, whatever today is.
    problem = make_problem(Status.IN_PROGRESS, now=timezone.now() - dt.timedelta(days=30))
    database_url = _database_url_for_worker(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    queue = f"test-deadlines-{uuid.uuid4().hex}"
    log = tmp_path / "worker.log"

    worker = _start_worker(queue, log)
    try:
        result = enforce_deadlines.apply_async(queue=queue)
        assert not isinstance(result, EagerResult)
        counts = _wait_for(result, worker, log)
    finally:
        _stop_worker(worker)
        _delete_queue(queue)

    assert counts["escalated"] == 1, log.read_text()
    assert counts["failed"] == []
    assert _escalations_seen_by_worker(database_url, problem) == [("escalate1:1", False)]
    assert f"issues.tasks.enforce_deadlines[{result.id}] succeeded" in log.read_text()
    result.forget()
