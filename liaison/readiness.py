"""Readiness: is this installation doing its work? (/readyz, `manage.py readyz`)

/healthz says the web process is alive and reaches the database. /readyz asks more:
the database, the broker, a worker (its heartbeat is recent), and whatever the apps
above register here in their AppConfig.ready (issues: the deadline sweep's last run;
dashboard: the summary's age), since liaison may import none of them (.importlinter).

A check is a function of no arguments returning a Result, or None when it does not apply
here (the read replica's, without one). It must be quick (at most
CHECK_TIMEOUT_SECONDS) and its detail is shown to anyone who asks /readyz: say what is
wrong in words an operator acts on, never an exception's text (it can carry host
names, user names or a password), a URL or a traceback. An exception a check raises is
a failed check, logged here with its traceback.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 2

# Heartbeat names (liaison.models.Heartbeat).
WORKER = "worker"


@dataclass(frozen=True)
class Result:
    ok: bool
    detail: str | dict
    # A check that is not required is shown but does not make the installation unready:
    # the read replica (pages fall back to the primary without it).
    required: bool = True

    def as_dict(self) -> dict:
        shown = {"ok": self.ok, "detail": self.detail}
        if not self.required:
            shown["required"] = False
        return shown


CHECKS: dict[str, Callable[[], Result | None]] = {}


def register_check(name: str, check: Callable[[], Result | None]) -> None:
    """Run `check` in every readiness check under `name` (registering it again replaces it)."""
    CHECKS[name] = check


def run_checks() -> dict:
    """{"status": "ok" | "fail", "checks": {name: {"ok": ..., "detail": ...}}}."""
    results = {}
    required = []
    for name, check in list(CHECKS.items()):
        try:
            result = check()
            if result is None:
                continue
        except DatabaseError as error:
            # The database check says so already; no traceback for each check reading it.
            logger.warning("readiness check %s could not read the database: %s", name, error)
            result = Result(False, "cannot read the database")
        except Exception:
            logger.exception("readiness check %s raised", name)
            result = Result(False, "the check itself failed; see the server's log")
        results[name] = result.as_dict()
        if result.required:
            required.append(result.ok)
    status = "ok" if all(required) else "fail"
    return {"status": status, "checks": results}


# --- Heartbeats ------------------------------------------------------------------------


def heartbeat_record(name: str, *, detail: str = "", now: dt.datetime | None = None) -> None:
    """Note that `name` ran now (a worker, a completed sweep)."""
    from .models import Heartbeat

    Heartbeat.objects.update_or_create(
        name=name, defaults={"at": now or timezone.now(), "detail": detail[:200]}
    )


def heartbeat_age_check(name: str, max_age_seconds: int) -> Result:
    """Passes when `name`'s heartbeat is at most `max_age_seconds` old."""
    from .models import Heartbeat

    beat = Heartbeat.objects.filter(name=name).first()
    if beat is None:
        return age_result(None, max_age_seconds)
    return age_result(beat.at, max_age_seconds, by=beat.detail)


def age_result(at: dt.datetime | None, max_age_seconds: int, *, by: str = "") -> Result:
    """Passes when `at` is at most `max_age_seconds` ago; the detail gives the figures."""
    if at is None:
        return Result(False, {"last": None, "max_age_seconds": max_age_seconds})
    age = max(0, int((timezone.now() - at).total_seconds()))
    detail = {"last": at.isoformat(), "age_seconds": age, "max_age_seconds": max_age_seconds}
    if by:
        detail["by"] = by
    return Result(age <= max_age_seconds, detail)


# --- The checks of this app --------------------------------------------------------------


def check_database() -> Result:
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute(
                        "SET LOCAL statement_timeout = %s", [CHECK_TIMEOUT_SECONDS * 1000]
                    )
                cursor.execute("SELECT 1")
                cursor.fetchone()
    except Exception as error:
        logger.warning("readyz: the database does not answer: %s", error)
        return Result(False, f"does not answer ({type(error).__name__})")
    return Result(True, "answers")


def check_replica() -> Result | None:
    """The read replica (DATABASE_REPLICA_URL): does it answer, and how far behind is it?

    Not required: while it is out of reach the pages that may lag read from the primary.
    The lag is the time since the last transaction it replayed (so it also grows while
    the primary has nothing to write).
    """
    from . import replicas

    if not replicas.replica_configured():
        return None
    replica = connections[replicas.REPLICA]
    try:
        with transaction.atomic(using=replicas.REPLICA), replica.cursor() as cursor:
            if replica.vendor != "postgresql":
                cursor.execute("SELECT 1")
                cursor.fetchone()
                return Result(True, {"answers": True}, required=False)
            cursor.execute("SET LOCAL statement_timeout = %s", [CHECK_TIMEOUT_SECONDS * 1000])
            cursor.execute(
                "SELECT pg_is_in_recovery(), "
                "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())"
            )
            in_recovery, lag = cursor.fetchone()
    except Exception as error:
        logger.warning("readyz: the read replica does not answer: %s", error)
        return Result(
            False,
            {
                "answers": False,
                "error": type(error).__name__,
                "meanwhile": "the pages that may lag read from the primary",
            },
            required=False,
        )
    detail = {"answers": True, "in_recovery": in_recovery}
    if lag is not None:
        detail["lag_seconds"] = round(max(float(lag), 0.0), 1)
    return Result(True, detail, required=False)


def check_broker() -> Result:
    url = settings.CELERY_BROKER_URL
    scheme = urlsplit(url).scheme
    try:
        if scheme in ("redis", "rediss", "unix"):
            import redis

            client = redis.Redis.from_url(
                url,
                socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
                socket_timeout=CHECK_TIMEOUT_SECONDS,
            )
            try:
                client.ping()
            finally:
                client.close()
            return Result(True, "Redis answers")
        if scheme == "filesystem":
            # The embedded run: the broker is folders under var/ that every process shares.
            options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
            for key in ("data_folder_in", "data_folder_out", "control_folder"):
                folder = options[key]
                if not (os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK)):
                    return Result(False, f"file-system broker: {key} is missing or not writable")
            return Result(True, "file-system broker writable")
        from .celery import app

        options = {
            **(app.conf.broker_transport_options or {}),
            "max_retries": 0,
            "socket_connect_timeout": CHECK_TIMEOUT_SECONDS,
            "socket_timeout": CHECK_TIMEOUT_SECONDS,
        }
        with app.connection_for_write(transport_options=options) as broker:
            broker.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_SECONDS)
        return Result(True, "answers")
    except Exception as error:
        logger.warning("readyz: the broker does not answer: %s", error)
        return Result(False, f"does not answer ({type(error).__name__})")


def check_worker() -> Result:
    return heartbeat_age_check(WORKER, settings.LIAISON_READYZ_WORKER_MAX_AGE)


register_check("database", check_database)
register_check("broker", check_broker)
register_check("worker", check_worker)
register_check("replica", check_replica)
