"""Changes to organisations, people, roles, the calendar and key tasks: who, when, what."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from keytasks.models import KeyTask
from liaison.models import CalendarDay, Enterprise, Profile, Role

pytestmark = pytest.mark.django_db


def entries_of(obj) -> list[LogEntry]:
    return list(LogEntry.objects.get_for_object(obj).order_by("id"))


def post(client, url, data):
    # A correlation-id header is no one's to set: ignored, however long.
    return client.post(url, data, headers={"accept-language": "en", "x-correlation-id": "x" * 1000})


def test_an_enterprise_edited_in_the_admin_says_who_what_and_from_where(
    client_as, office, enterprise
):
    response = post(
        client_as(office),
        reverse("admin:liaison_enterprise_change", args=[enterprise.pk]),
        {
            "name": enterprise.name,
            "credit_code": enterprise.credit_code,
            "contact_person": "周敏",
            "contact_phone": "13912345678",
        },
    )

    assert response.status_code == 302
    change = entries_of(enterprise)[-1]
    assert (change.action, change.actor, change.remote_addr) == (
        LogEntry.Action.UPDATE,
        office,
        "127.0.0.1",
    )
    assert change.changes_dict["contact_person"] == ["", "周敏"]
    assert change.changes_dict["contact_phone"] == ["", "13912345678"]
    assert change.cid is None


def test_a_role_changed_in_the_admin_is_recorded(client_as, office, lead_staff):
    profile = lead_staff.profile

    response = post(
        client_as(office),
        reverse("admin:liaison_profile_change", args=[profile.pk]),
        {"role": "leader", "email_notifications": "on", "language": "zh-hans"},
    )

    assert response.status_code == 302
    change = entries_of(Profile.objects.get(pk=profile.pk))[-1]
    assert change.actor == office
    assert change.changes_dict["role"] == [Role.DEPARTMENT_STAFF, Role.LEADER]


def test_a_password_or_a_sign_in_is_no_change_entry(lead_staff):
    before = len(entries_of(lead_staff))

    lead_staff.set_password("Another-password-42")
    lead_staff.last_login = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    lead_staff.save()

    assert len(entries_of(lead_staff)) == before
    assert not LogEntry.objects.filter(changes_text__contains="password").exists()
    assert all("password" not in (e.changes_dict or {}) for e in LogEntry.objects.all())


def test_a_calendar_day_entered_in_the_admin_is_recorded(client_as, office):
    response = post(
        client_as(office),
        reverse("admin:liaison_calendarday_add"),
        {"date": "2031-10-08", "kind": "holiday", "name": "国庆节", "source": "manual"},
    )

    assert response.status_code == 302
    (created,) = entries_of(CalendarDay.objects.get(date=dt.date(2031, 10, 8)))
    assert (created.action, created.actor) == (LogEntry.Action.CREATE, office)
    assert created.changes_dict["kind"] == ["None", "holiday"]


def test_a_key_task_created_and_edited_is_recorded(
    client_as, office, leader, lead_department, co_department
):
    response = post(
        client_as(office),
        reverse("keytasks:task_create"),
        {
            "year": 2025,
            "number": 4,
            "title": "毛衫市场转型升级",
            "target": "市场改造完成",
            "leader": leader.pk,
            "lead_department": lead_department.pk,
            "supporting_departments": [co_department.pk],
        },
    )
    assert response.status_code == 302
    task = KeyTask.objects.get(number=4)
    task.title = "毛衫市场改造提升"
    task.save(update_fields=["title"])

    created, departments, edited = entries_of(task)
    assert (created.action, created.actor) == (LogEntry.Action.CREATE, office)
    assert departments.changes_dict["supporting_departments"]["objects"] == [str(co_department)]
    assert edited.changes_dict["title"] == ["毛衫市场转型升级", "毛衫市场改造提升"]
    assert edited.actor is None  # not in a request: no one to name
    assert "version" not in created.changes_dict


def test_a_deleted_enterprise_keeps_its_history(enterprise):
    pk = enterprise.pk
    enterprise.delete()

    actions = LogEntry.objects.filter(content_type__model="enterprise", object_id=pk).order_by("id")
    assert [e.action for e in actions] == [LogEntry.Action.CREATE, LogEntry.Action.DELETE]
    assert not Enterprise.objects.filter(pk=pk).exists()
