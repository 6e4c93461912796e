"""The read replica (liaison.replicas): which reads go there, the pin after a write, the
fall-back when it is down, /readyz's report, and the settings (DATABASE_REPLICA_URL).

The "replica" alias is a test mirror of the test database (tests/conftest.py), a second
connection to it: the tests here commit (transactional) so that it sees their rows, and
count each connection's queries to say which one a request read from.
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import contextmanager
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import OperationalError, connections, router, transaction
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver

from api.models import Binding, Scope
from issues.models import Category, Problem
from liaison import readiness, replicas
from liaison.models import Role
from tests.api.conftest import as_client
from tests.liaison.conftest import build_district
from tests.liaison.test_settings import _python

REPLICA_AND_PRIMARY = pytest.mark.django_db(transaction=True, databases=["default", "replica"])
PIN_MIDDLEWARE = "liaison.replicas.ReplicaPinMiddleware"
WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def replica_on(settings):
    """The router and the pin middleware as DATABASE_REPLICA_URL sets them (settings/base.py)."""
    settings.DATABASE_ROUTERS = ["liaison.replicas.ReplicaRouter"]
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(
        middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        PIN_MIDDLEWARE,
    )
    settings.MIDDLEWARE = middleware
    settings.LIAISON_REPLICA_PIN_SECONDS = 10
    replicas.replica_reset()
    yield
    replicas.replica_reset()


@pytest.fixture
def district(transactional_db, replica_on):
    district = build_district()
    yield district
    cache.delete_many([replicas._pin_key(user.pk) for user in district.users.values()])


def _signed_in(user) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(user)
    return client


@contextmanager
def _queries():
    """(primary's, replica's) captured queries of the block."""
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        yield primary, replica


def _sql(captured) -> list[str]:
    return [query["sql"] for query in captured.captured_queries]


def _writes(captured) -> list[str]:
    return [sql for sql in _sql(captured) if sql.lstrip().upper().startswith(WRITES)]


def _reads_of(captured, table: str) -> list[str]:
    return [sql for sql in _sql(captured) if f'"{table}"' in sql]


def _get(client, url, **extra):
    with _queries() as (primary, replica):
        response = client.get(url, **extra)
    return response, primary, replica


# --- which reads go where ------------------------------------------------------------------


@REPLICA_AND_PRIMARY
def test_the_dashboard_and_its_export_read_from_the_replica(district):
    office = _signed_in(district.user(Role.OFFICE))

    for url in ("/dashboard/", "/dashboard/export.xlsx"):
        response, primary, replica = _get(office, url)

        assert response.status_code == 200, url
        assert _reads_of(replica, "issues_problem"), url
        assert not _writes(replica), url
        # Who is asking (session, user, profile, device) is read before the view, on the
        # primary; the view's own ORM reads of problems are not.
        assert not [sql for sql in _reads_of(primary, "issues_problem") if "FROM" in sql], url

    # The export's one write, its audit line, went to the primary.
    assert any("audit_" in sql for sql in _writes(primary))


@REPLICA_AND_PRIMARY
def test_statistics_pages_read_from_the_replica_and_other_pages_from_the_primary(district):
    """One test for them all: each transactional test empties every table after it."""
    office = _signed_in(district.user(Role.OFFICE))

    for url in (
        "/dashboard/assessment/",
        "/dashboard/assessment/year/",
        "/dashboard/assessment/export.xlsx",
        "/bulletins/",
        "/service/statistics/",
    ):
        response, primary, replica = _get(office, url)
        assert response.status_code == 200, url
        assert _sql(replica), url
        assert not _writes(replica), url

    for url in ("/problems/", "/", "/accounts/notifications/"):
        response, primary, replica = _get(office, url)
        assert response.status_code == 200, url
        assert _sql(primary), url
        assert _sql(replica) == [], url


@REPLICA_AND_PRIMARY
def test_the_api_s_lists_read_from_the_replica_and_the_rest_from_the_primary(district):
    from api import services

    _client, key = services.client_create(
        actor=district.user(Role.OFFICE),
        contact="王工 13800000009",
        binding=Binding.DISTRICT,
        scopes=list(Scope.values),
        name="BI",
    )
    http = as_client(key)

    for url in ("/api/v1/problems/", "/api/v1/enterprises/", "/api/v1/meetings/"):
        response, primary, replica = _get(http, url)
        assert response.status_code == 200, url
        assert _sql(replica), url
        # The key is checked on the primary (a client registered a moment ago works).
        assert _reads_of(primary, "api_apiclient"), url
        assert not _reads_of(replica, "api_apiclient"), url

    for url in ("/api/v1/me/", f"/api/v1/enterprises/{district.enterprise.credit_code}/"):
        response, primary, replica = _get(http, url)
        assert response.status_code == 200, url
        assert _sql(replica) == [], url


@REPLICA_AND_PRIMARY
def test_the_api_s_figures_read_from_the_replica(district):
    response, primary, replica = _get(_signed_in(district.user(Role.LEADER)), "/api/v1/figures/")

    assert response.status_code == 200
    assert _sql(replica)


@REPLICA_AND_PRIMARY
def test_the_assessment_s_live_count_follows_the_router(district):
    """Its transaction (SET LOCAL jit = off) is opened where its reads go."""
    import datetime as dt

    from django.utils import timezone

    from dashboard.assessment.figures import count_month

    for may_lag in (True, False):
        with _queries() as (primary, replica):
            if may_lag:
                with replicas.replica_reads():
                    count_month(dt.date(2026, 11, 1), timezone.now())
            else:
                count_month(dt.date(2026, 11, 1), timezone.now())
        (read_from, other) = (replica, primary) if may_lag else (primary, replica)
        assert _reads_of(read_from, "issues_problem"), may_lag
        assert not _reads_of(other, "issues_problem"), may_lag


# --- the pin: a user's own writes are read back from the primary --------------------------


def _save_notification_settings(client) -> None:
    response = client.post(
        "/accounts/notifications/", {"email_notifications": "on", "language": "en"}
    )
    assert response.status_code == 302


@REPLICA_AND_PRIMARY
def test_after_a_write_the_user_reads_from_the_primary_until_the_pin_ends(district, settings):
    settings.LIAISON_REPLICA_PIN_SECONDS = 1
    office = _signed_in(district.user(Role.OFFICE))

    _save_notification_settings(office)
    response, primary, pinned = _get(office, "/dashboard/")
    assert response.status_code == 200
    assert _sql(pinned) == []
    assert _reads_of(primary, "issues_problem")

    time.sleep(1.5)  # the pin's time in the cache (Redis or local memory) runs out
    response, primary, replica = _get(office, "/dashboard/")
    assert response.status_code == 200
    assert _reads_of(replica, "issues_problem")


@REPLICA_AND_PRIMARY
def test_another_user_is_not_pinned_by_someone_else_s_write(district):
    _save_notification_settings(_signed_in(district.user(Role.OFFICE)))

    response, primary, replica = _get(_signed_in(district.user(Role.LEADER)), "/dashboard/")

    assert response.status_code == 200
    assert _reads_of(replica, "issues_problem")


@REPLICA_AND_PRIMARY
def test_a_refused_request_does_not_pin(district):
    office = _signed_in(district.user(Role.OFFICE))

    assert office.post("/dashboard/").status_code == 405
    response, primary, replica = _get(office, "/dashboard/")

    assert _reads_of(replica, "issues_problem")


@REPLICA_AND_PRIMARY
def test_a_write_through_the_api_pins_the_client(district):
    from api import services

    category = Category.objects.create(
        name_zh="环保", name_en="Environment", default_lead_department=district.department
    )
    _client, key = services.client_create(
        actor=district.user(Role.OFFICE),
        contact="王工 13800000009",
        binding=Binding.DISTRICT,
        scopes=list(Scope.values),
        name="12345",
    )
    http = as_client(key)
    _response, _primary, replica = _get(http, "/api/v1/problems/")
    assert _sql(replica)

    created = http.post(
        "/api/v1/problems/",
        {
            "enterprise": district.enterprise.pk,
            "title": "漆渣无处处置",
            "description": "现有处置单位停止接收。",
            "category": category.pk,
            "channel": "hotline",
        },
        format="json",
    )
    assert created.status_code == 201
    response, primary, replica = _get(http, "/api/v1/problems/")

    # Read back from the primary: the new problem is in the list at once.
    assert _sql(replica) == []
    assert [row["reference"] for row in response.json()["results"]] == [created.json()["reference"]]


@REPLICA_AND_PRIMARY
def test_when_the_cache_cannot_say_the_user_reads_from_the_primary(district):
    office = _signed_in(district.user(Role.OFFICE))

    with mock.patch.object(replicas.cache, "get", side_effect=ConnectionError("redis down")):
        response, primary, replica = _get(office, "/dashboard/")

    assert response.status_code == 200
    assert _sql(replica) == []


# --- writes, transactions, migrations -------------------------------------------------------


@REPLICA_AND_PRIMARY
def test_writes_and_reads_inside_a_transaction_never_go_to_the_replica(district):
    category = Category.objects.create(name_zh="环保", name_en="Environment")

    with _queries() as (primary, replica), replicas.replica_reads():
        assert replicas.reading_from_replica()
        assert router.db_for_write(Problem) == "default"
        Category.objects.filter(pk=category.pk).update(name_en="Ecology")
        category.name_zh = "生态"
        category.save(update_fields=["name_zh"])
        with transaction.atomic():
            assert not replicas.reading_from_replica()
            assert Category.objects.get(pk=category.pk).name_en == "Ecology"
        Category.objects.filter(pk=category.pk).exists()

    assert not _writes(replica)
    assert len(_sql(replica)) == 1  # the last exists(), outside the transaction
    assert len(_writes(primary)) == 2


@REPLICA_AND_PRIMARY
def test_an_object_read_from_the_replica_is_saved_to_the_primary(district):
    with replicas.replica_reads():
        category = Category.objects.create(name_zh="环保", name_en="Environment")
        again = Category.objects.get(pk=category.pk)
    assert again._state.db == "replica"

    with _queries() as (primary, replica):
        again.name_en = "Ecology"
        again.save(update_fields=["name_en"])
        # Outside a marked view, what it refers to is read from the primary.
        Category.objects.filter(pk=again.pk).exists()

    assert _writes(primary) and not _sql(replica)
    assert router.allow_relation(again, district.department)


def test_migrations_run_on_the_primary_only(replica_on):
    assert router.allow_migrate("default", "issues", model_name="problem")
    assert not router.allow_migrate("replica", "issues", model_name="problem")


# --- the replica out of reach -------------------------------------------------------------


@contextmanager
def _replica_out_of_reach():
    """The replica's connection settings point nowhere: a closed port (PostgreSQL), a file
    in a folder that does not exist (SQLite)."""
    replica = connections["replica"]
    replica.close()
    changed = (
        {"PORT": "1", "HOST": "127.0.0.1"}
        if replica.vendor == "postgresql"
        else {"NAME": "/nonexistent-folder/liaison-replica.sqlite3"}
    )
    kept = {key: replica.settings_dict.get(key) for key in changed}
    replica.settings_dict.update(changed)
    try:
        yield
    finally:
        replica.close()
        replica.settings_dict.update(kept)


@REPLICA_AND_PRIMARY
def test_a_replica_that_is_down_does_not_break_the_dashboard(district, caplog):
    office = _signed_in(district.user(Role.OFFICE))

    with _replica_out_of_reach(), caplog.at_level(logging.WARNING, logger="liaison.replicas"):
        # (Not counting the replica's queries: that would connect to it.)
        with CaptureQueriesContext(connections["default"]) as primary:
            response = office.get("/dashboard/")
        assert response.status_code == 200
        assert _reads_of(primary, "issues_problem")
        assert "the read replica does not answer" in caplog.text

        # It is left alone for a while: the next page does not wait to connect again.
        with mock.patch.object(connections["replica"], "ensure_connection") as connect:
            response = office.get("/dashboard/")
        assert response.status_code == 200
        connect.assert_not_called()


@REPLICA_AND_PRIMARY
def test_a_replica_that_fails_during_the_view_reads_the_page_again_from_the_primary(
    district, caplog
):
    calls = []

    @replicas.reads_may_lag
    def view(request):
        calls.append(replicas.reading_from_replica())
        if replicas.reading_from_replica():
            raise OperationalError("canceling statement due to conflict with recovery")
        return "read from the primary"

    request = RequestFactory().get("/dashboard/")
    request.user = district.user(Role.OFFICE)
    with caplog.at_level(logging.WARNING, logger="liaison.replicas"):
        assert view(request) == "read from the primary"

    assert calls == [True, False]
    assert "reading from the primary" in caplog.text


# --- /readyz ------------------------------------------------------------------------------


@REPLICA_AND_PRIMARY
def test_readyz_reports_the_replica_without_failing_for_it(district):
    client = Client()

    body = json.loads(client.get("/readyz").content)
    assert body["checks"]["replica"]["ok"] is True
    assert body["checks"]["replica"]["required"] is False
    assert body["checks"]["replica"]["detail"]["answers"] is True

    with _replica_out_of_reach():
        down = json.loads(client.get("/readyz").content)
    assert down["checks"]["replica"]["ok"] is False
    assert down["checks"]["replica"]["detail"]["answers"] is False
    # Not required: the other checks alone decide the status.
    others = [check["ok"] for name, check in down["checks"].items() if name != "replica"]
    assert down["status"] == ("ok" if all(others) else "fail")


@pytest.mark.django_db
def test_without_a_replica_readyz_has_no_replica_check():
    assert "replica" not in readiness.run_checks()["checks"]


# --- which views may lag: the whole list ---------------------------------------------------

MAY_LAG = {
    "dashboard",
    "dashboard_xlsx",
    "assessment:ranking",
    "assessment:year",
    "assessment:problems",
    "assessment:xlsx",
    "bulletin_archive",
    "bulletin_detail",
    "bulletin_xlsx",
    "service:statistics",
    "meetings:handling_list_xlsx",
    "keytasks:year_xlsx",
    "audit:xlsx",
}


def _marked(callback) -> bool:
    while callback is not None:
        if getattr(callback, "reads_may_lag", False):
            return True
        callback = getattr(callback, "__wrapped__", None)
    return False


def _named_patterns(resolver, namespace=""):
    for pattern in resolver.url_patterns:
        if hasattr(pattern, "url_patterns"):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _named_patterns(pattern, inner)
        elif pattern.name:
            yield f"{namespace}{pattern.name}", pattern.callback


def test_only_the_pages_of_figures_statistics_and_exports_may_lag():
    """Everything not on this list reads from the primary (the API's lists are marked on
    their viewsets' list actions: the tests above)."""
    marked = {name for name, callback in _named_patterns(get_resolver()) if _marked(callback)}

    assert marked == MAY_LAG


# --- settings --------------------------------------------------------------------------

SETTINGS_REPORT = """
import json
import django
django.setup()
from django.conf import settings
print(json.dumps({
    "aliases": sorted(settings.DATABASES),
    "routers": settings.DATABASE_ROUTERS,
    "pinned_by": [m for m in settings.MIDDLEWARE if "Replica" in m],
    "after": settings.MIDDLEWARE[settings.MIDDLEWARE.index(
        "liaison.replicas.ReplicaPinMiddleware") - 1]
        if "liaison.replicas.ReplicaPinMiddleware" in settings.MIDDLEWARE else None,
    "replica": {k: settings.DATABASES["replica"].get(k) for k in ("HOST", "NAME", "TEST")}
        if "replica" in settings.DATABASES else None,
    "replica_timeout": settings.DATABASES.get("replica", {}).get("OPTIONS", {}).get(
        "connect_timeout"),
    "pin_seconds": settings.LIAISON_REPLICA_PIN_SECONDS,
}))
"""

PRIMARY = "postgres://liaison:secret@db:5432/liaison"
REPLICA = "postgres://liaison:secret@replica:5432/liaison"


def _settings_with(**environment) -> dict:
    result = _python(
        "-c", SETTINGS_REPORT, DJANGO_SETTINGS_MODULE="liaison.settings", **environment
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_database_replica_url_there_is_one_database_and_nothing_changes():
    report = _settings_with(DATABASE_URL=PRIMARY, REDIS_URL="redis://redis:6379/0")

    assert report["aliases"] == ["default"]
    assert report["routers"] == []
    assert report["pinned_by"] == []
    assert report["pin_seconds"] == 10


def test_database_replica_url_adds_the_replica_its_router_and_the_pin():
    report = _settings_with(
        DATABASE_URL=PRIMARY,
        DATABASE_REPLICA_URL=REPLICA,
        REDIS_URL="redis://redis:6379/0",
        LIAISON_REPLICA_PIN_SECONDS="5",
    )

    assert report["aliases"] == ["default", "replica"]
    assert report["routers"] == ["liaison.replicas.ReplicaRouter"]
    assert report["pinned_by"] == [PIN_MIDDLEWARE]
    assert report["after"] == "django.contrib.auth.middleware.AuthenticationMiddleware"
    assert report["replica"]["HOST"] == "replica"
    assert report["replica"]["NAME"] == "liaison"
    # Tests never make a database there: the alias reads the test database.
    assert report["replica"]["TEST"]["MIRROR"] == "default"
    assert report["replica_timeout"] == 3
    assert report["pin_seconds"] == 5


@pytest.mark.parametrize(
    "environment, message",
    [
        ({"DATABASE_URL": PRIMARY, "DATABASE_REPLICA_URL": REPLICA}, "needs REDIS_URL"),
        ({"DATABASE_REPLICA_URL": REPLICA, "REDIS_URL": "redis://redis:6379/0"}, "PostgreSQL"),
        (
            {
                "DATABASE_URL": PRIMARY,
                "REDIS_URL": "redis://r/0",
                "LIAISON_REPLICA_PIN_SECONDS": "0",
            },
            "at least 1",
        ),
    ],
)
def test_a_replica_that_cannot_work_is_refused_with_a_message(environment, message):
    result = _python(
        "-c", SETTINGS_REPORT, DJANGO_SETTINGS_MODULE="liaison.settings", **environment
    )

    assert result.returncode != 0
    assert message in result.stderr
