"""/readyz: 200 only when the database, the broker, a worker, the deadline sweep and the
dashboard summary are all well; 503 with JSON naming the failing check otherwise."""

from __future__ import annotations

import datetime as dt
import io
import json
import socket
import time
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from dashboard.models import DashboardRefresh
from dashboard.summary import dashboard_refresh
from issues.tasks import enforce_deadlines
from liaison import readiness
from liaison.models import Heartbeat
from liaison.tasks import heartbeat
from tests.conftest import require_service
from tests.liaison.test_settings import PRODUCTION, _python
from tests.test_services import redis_ping_error

CHECKS = {"database", "broker", "worker", "deadline_sweep", "dashboard_summary"}


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


@pytest.fixture
def broker_up(settings):
    """The configured broker answers (Redis when REDIS_URL is set, else the folders)."""
    if settings.CELERY_BROKER_URL.startswith("redis"):
        error = redis_ping_error(settings.CELERY_BROKER_URL)
        require_service(error is None, f"the broker must answer: {error}")


def _everything_recent(now=None) -> None:
    now = now or timezone.now()
    Heartbeat.objects.update_or_create(name="worker", defaults={"at": now, "detail": "w@host"})
    Heartbeat.objects.update_or_create(name="deadline_sweep", defaults={"at": now})
    DashboardRefresh.objects.update_or_create(
        pk=DashboardRefresh.SINGLETON, defaults={"refreshed_at": now, "full_at": now}
    )


def _readyz(client) -> tuple[int, dict]:
    response = client.get("/readyz")
    assert response["Content-Type"] == "application/json"
    return response.status_code, json.loads(response.content)


def _failing(body: dict) -> set[str]:
    return {name for name, check in body["checks"].items() if not check["ok"]}


@pytest.mark.django_db
def test_ready_when_every_check_passes(client, broker_up):
    _everything_recent()

    response = client.get("/readyz")
    body = json.loads(response.content)

    assert response.status_code == 200
    assert body["status"] == "ok"
    assert set(body["checks"]) == CHECKS
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["worker"]["detail"]["by"] == "w@host"
    # No login needed, and never cached by anything in between.
    assert "no-cache" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_only_get(client):
    assert client.post("/readyz").status_code == 405


@pytest.mark.django_db
def test_a_fresh_installation_is_not_ready_until_the_background_work_has_run(client, broker_up):
    status, body = _readyz(client)

    assert status == 503
    assert body["status"] == "fail"
    assert _failing(body) == {"worker", "deadline_sweep", "dashboard_summary"}
    assert body["checks"]["worker"]["detail"] == {"last": None, "max_age_seconds": 120}


@pytest.mark.django_db
def test_the_database_out_of_reach(client, broker_up):
    _everything_recent()
    secret = "password authentication failed for user liaison at db.internal"

    with mock.patch(
        "django.db.backends.base.base.BaseDatabaseWrapper.ensure_connection",
        side_effect=OperationalError(secret),
    ):
        response = client.get("/readyz")

    body = json.loads(response.content)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert body["checks"]["database"] == {
        "ok": False,
        "detail": "does not answer (OperationalError)",
    }
    # The checks that read the database say so; the broker does not need it.
    assert body["checks"]["broker"]["ok"] is True
    assert _failing(body) == {"database", "worker", "deadline_sweep", "dashboard_summary"}
    assert body["checks"]["worker"]["detail"] == "cannot read the database"
    # The error's text stays in the log.
    assert b"password" not in response.content and b"db.internal" not in response.content


def test_the_database_connection_gives_up_in_seconds(settings):
    """What makes /readyz fail fast when the database host does not answer: libpq is given
    a connect timeout (a dropped packet would otherwise wait for TCP's two minutes)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the connect timeout is PostgreSQL's")
    assert settings.DATABASES["default"]["OPTIONS"]["connect_timeout"] == 3
    assert connection.get_connection_params()["connect_timeout"] == 3


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db
def test_redis_out_of_reach(client, settings):
    _everything_recent()
    port = _closed_port()
    settings.CELERY_BROKER_URL = f"redis://:hunter2@127.0.0.1:{port}/0"

    started = time.monotonic()
    status, body = _readyz(client)

    assert time.monotonic() - started < 3
    assert status == 503
    assert _failing(body) == {"broker"}
    assert body["checks"]["broker"]["detail"].startswith("does not answer (")
    assert "hunter2" not in json.dumps(body) and str(port) not in json.dumps(body)


def _filesystem_broker(settings, folder) -> None:
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(folder / "out"),
        "data_folder_out": str(folder / "out"),
        "control_folder": str(folder / "control"),
        "processed_folder": str(folder / "processed"),
    }


@pytest.mark.django_db
def test_the_embedded_run_s_file_system_broker(client, settings, tmp_path):
    _everything_recent()
    _filesystem_broker(settings, tmp_path)

    status, body = _readyz(client)
    assert status == 503
    assert body["checks"]["broker"] == {
        "ok": False,
        "detail": "file-system broker: data_folder_in is missing or not writable",
    }

    (tmp_path / "out").mkdir()
    (tmp_path / "control").mkdir()
    status, body = _readyz(client)
    assert status == 200, body
    assert body["checks"]["broker"] == {"ok": True, "detail": "file-system broker writable"}


@pytest.mark.django_db
def test_a_worker_that_stopped_beating(client, broker_up, settings):
    settings.LIAISON_READYZ_WORKER_MAX_AGE = 120
    now = timezone.now()
    _everything_recent(now)
    Heartbeat.objects.filter(name="worker").update(at=now - dt.timedelta(seconds=200))

    status, body = _readyz(client)

    assert status == 503
    assert _failing(body) == {"worker"}
    detail = body["checks"]["worker"]["detail"]
    assert detail["max_age_seconds"] == 120
    assert 200 <= detail["age_seconds"] < 260


@pytest.mark.django_db
def test_the_heartbeat_task_records_its_worker(broker_up, client):
    _everything_recent()
    Heartbeat.objects.filter(name="worker").delete()

    heartbeat.apply()  # as a worker runs it

    beat = Heartbeat.objects.get(name="worker")
    assert beat.detail  # the worker's host name, for the operator
    assert timezone.now() - beat.at < dt.timedelta(seconds=5)
    assert _readyz(client)[0] == 200


@pytest.mark.django_db(transaction=True)
def test_the_sweep_s_last_run(client, broker_up, settings):
    settings.LIAISON_READYZ_SWEEP_MAX_AGE = 600
    now = timezone.now()
    _everything_recent(now)
    Heartbeat.objects.filter(name="deadline_sweep").update(at=now - dt.timedelta(seconds=700))

    status, body = _readyz(client)
    assert status == 503
    assert _failing(body) == {"deadline_sweep"}

    enforce_deadlines.apply()  # a sweep, as the worker runs it

    status, body = _readyz(client)
    assert status == 200, body
    assert body["checks"]["deadline_sweep"]["detail"]["age_seconds"] < 5


@pytest.mark.django_db
def test_the_enforce_deadlines_command_records_the_sweep_too(client):
    call_command("enforce_deadlines", stdout=io.StringIO())

    assert Heartbeat.objects.filter(name="deadline_sweep").exists()


@pytest.mark.django_db
def test_the_dashboard_summary_s_age(client, broker_up, settings):
    settings.LIAISON_READYZ_DASHBOARD_MAX_AGE = 600
    now = timezone.now()
    _everything_recent(now)
    DashboardRefresh.objects.update(refreshed_at=now - dt.timedelta(minutes=11))

    status, body = _readyz(client)
    assert status == 503
    assert _failing(body) == {"dashboard_summary"}

    dashboard_refresh()

    assert _readyz(client)[0] == 200


@pytest.mark.django_db
def test_a_check_that_raises_fails_without_a_traceback(client, broker_up, monkeypatch):
    _everything_recent()

    def broken():
        raise RuntimeError("secret internals")

    monkeypatch.setitem(readiness.CHECKS, "broken", broken)
    response = client.get("/readyz")

    body = json.loads(response.content)
    assert response.status_code == 503
    assert body["checks"]["broken"] == {
        "ok": False,
        "detail": "the check itself failed; see the server's log",
    }
    assert b"secret internals" not in response.content
    assert b"Traceback" not in response.content


@pytest.mark.django_db
def test_the_management_command_gives_the_same_answer(capsys, broker_up):
    with pytest.raises(CommandError) as failed:
        call_command("readyz")
    assert failed.value.returncode == 1
    assert json.loads(capsys.readouterr().out)["status"] == "fail"

    _everything_recent()
    call_command("readyz")
    assert json.loads(capsys.readouterr().out)["status"] == "ok"


PROBE = """
import django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
for path in ("/healthz", "/readyz", "/accounts/login/"):
    print(path, client.get(path, HTTP_HOST="liaison.example.gov.cn").status_code)
"""


def test_production_does_not_redirect_the_probes_to_https(tmp_path):
    # A health check asks over plain HTTP on the compose network, like /healthz.
    process = _python(
        "-c",
        PROBE,
        DJANGO_SETTINGS_MODULE="liaison.settings",
        LIAISON_VAR_DIR=str(tmp_path),
        **PRODUCTION,
    )

    assert process.returncode == 0, process.stderr
    statuses = dict(line.split() for line in process.stdout.strip().splitlines())
    assert statuses["/accounts/login/"] == "301"
    assert statuses["/healthz"] in ("200", "503")
    assert statuses["/readyz"] in ("200", "503")
