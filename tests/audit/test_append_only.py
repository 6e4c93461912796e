"""Audit records cannot be changed or deleted, except by the purge of those past retention."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessEvent, Action, AppendOnlyError
from audit.services import audit_purge
from audit.tasks import purge_audit
from liaison.models import Enterprise

from .conftest import credit_code, make_user

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger is PostgreSQL's (SQLite: the model)"
)


def event(*, days_ago: float = 0, **fields) -> AccessEvent:
    at = timezone.now() - dt.timedelta(days=days_ago)
    return AccessEvent.objects.create(at=at, action=Action.SIGNED_IN, username="x", **fields)


def entry(*, days_ago: float = 0) -> LogEntry:
    enterprise = Enterprise.objects.create(
        name=f"企业{days_ago}", credit_code=credit_code(900 + int(days_ago))
    )
    log = LogEntry.objects.filter(object_id=enterprise.pk).latest("id")
    # Made old the way a test can: a fresh row with an old time (rows are never updated).
    old = LogEntry.objects.create(
        content_type=log.content_type,
        object_pk=log.object_pk,
        object_id=log.object_id,
        object_repr=log.object_repr,
        action=log.action,
        changes=log.changes,
        timestamp=timezone.now() - dt.timedelta(days=days_ago),
    )
    return old


# --- the model -----------------------------------------------------------------------------


def test_a_saved_record_cannot_be_saved_again():
    record = event()
    record.username = "someone else"

    with pytest.raises(AppendOnlyError):
        record.save()

    assert AccessEvent.objects.get().username == "x"


def test_a_record_cannot_be_deleted_one_by_one_or_in_bulk():
    record = event()

    with pytest.raises(AppendOnlyError):
        record.delete()
    with pytest.raises(AppendOnlyError):
        AccessEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AccessEvent.objects.update(username="y")

    assert AccessEvent.objects.count() == 1


def test_the_admin_offers_no_way_to_change_a_record(client, office):
    from django.contrib import admin

    record = event()
    model_admin = admin.site._registry[AccessEvent]
    request = type("R", (), {"user": office})()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, record)
    assert not model_admin.has_delete_permission(request, record)
    entries_admin = admin.site._registry[LogEntry]
    assert not entries_admin.has_delete_permission(request, None)


# --- the PostgreSQL trigger --------------------------------------------------------------


def raw(sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@on_postgresql
@pytest.mark.parametrize(
    "table, column",
    [("audit_accessevent", "username"), ("auditlog_logentry", "object_repr")],
)
def test_the_database_refuses_to_change_or_delete_a_record(table, column):
    event()
    entry()

    with pytest.raises(DatabaseError, match="append-only"):
        raw(f"UPDATE {table} SET {column} = 'forged'")  # noqa: S608 - fixed names
    with pytest.raises(DatabaseError, match="append-only"):
        raw(f"DELETE FROM {table}")  # noqa: S608


@on_postgresql
def test_the_database_refuses_a_purge_of_records_younger_than_six_months():
    event(days_ago=100)
    entry(days_ago=100)
    before = (timezone.now() - dt.timedelta(days=30)).isoformat()

    for table, column in (("audit_accessevent", "at"), ("auditlog_logentry", "timestamp")):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT set_config('audit.purge_before', %s, true)", [before])
                cursor.execute(f"DELETE FROM {table} WHERE {column} < %s", [before])  # noqa: S608

    assert AccessEvent.objects.count() == 1


@on_postgresql
def test_the_database_lets_a_deleted_users_id_become_null_and_nothing_else(office):
    record = event(actor=office)

    with pytest.raises(DatabaseError, match="append-only"):
        raw(
            "UPDATE audit_accessevent SET actor_id = NULL, username = 'y' WHERE id = %s",
            [record.pk],
        )
    get_user_model().objects.filter(pk=office.pk).delete()

    record = AccessEvent.objects.get()
    assert (record.actor_id, record.username) == (None, "x")


# --- the purge -----------------------------------------------------------------------------


def test_the_purge_removes_only_records_older_than_the_retention(settings):
    settings.LIAISON_AUDIT_RETENTION_DAYS = 365
    kept = [event(days_ago=0), event(days_ago=364)]
    event(days_ago=366)
    event(days_ago=3000)
    kept_entry = entry(days_ago=10)
    entry(days_ago=400)

    result = audit_purge()

    assert (result.access_records, result.change_entries) == (2, 1)
    assert list(AccessEvent.objects.order_by("id")) == kept
    assert not LogEntry.objects.filter(timestamp__lt=timezone.now() - dt.timedelta(days=365))
    assert LogEntry.objects.filter(pk=kept_entry.pk).exists()


def test_the_purge_never_keeps_less_than_six_months():
    old = event(days_ago=100)

    with pytest.raises(ValueError):
        audit_purge(days=30)
    with pytest.raises(CommandError):
        call_command("purge_audit", "--days", "30")

    assert AccessEvent.objects.filter(pk=old.pk).exists()


def test_the_command_and_the_nightly_task_purge(capsys):
    event(days_ago=2000)
    event(days_ago=1)

    call_command("purge_audit", "--days", "1000")
    assert "deleted 1 access records" in capsys.readouterr().out

    event(days_ago=settings.LIAISON_AUDIT_RETENTION_DAYS + 1)
    purge_audit()
    assert AccessEvent.objects.count() == 1


def test_the_nightly_purge_is_scheduled():
    schedule = settings.CELERY_BEAT_SCHEDULE["purge-audit"]
    assert schedule["task"] == purge_audit.name == "audit.tasks.purge_audit"


def test_a_retention_under_six_months_is_refused_at_startup():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=Path(settings.BASE_DIR),
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "liaison.settings",
            "LIAISON_AUDIT_RETENTION_DAYS": "90",
        },
        capture_output=True,
        text=True,
    )

    assert result.returncode != 0
    assert "at least 180 days" in result.stderr


def test_a_user_deleted_keeps_its_change_entries_by_name():
    user = make_user("temporary")
    user.first_name = "临时"
    user.save(update_fields=["first_name"])

    get_user_model().objects.filter(pk=user.pk).delete()

    assert list(
        LogEntry.objects.filter(object_repr="temporary")
        .order_by("id")
        .values_list("action", flat=True)
    ) == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE, LogEntry.Action.DELETE]


@pytest.mark.parametrize("model", ["audit_accessevent", "auditlog_logentry"])
def test_an_administrator_reads_the_records_in_the_admin_and_cannot_delete_them(
    client_as, superuser, model
):
    event()
    entry()
    record = (AccessEvent if model == "audit_accessevent" else LogEntry).objects.first()
    client = client_as(superuser)

    assert client.get(reverse(f"admin:{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:{model}_change", args=[record.pk])).status_code == 200
    assert client.post(reverse(f"admin:{model}_delete", args=[record.pk])).status_code == 403
    assert type(record).objects.filter(pk=record.pk).exists()
