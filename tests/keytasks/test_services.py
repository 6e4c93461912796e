"""Key-task services: status rules and the bad inputs the issue names."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from keytasks import services
from keytasks.models import KeyTask, Milestone, ProgressReport
from liaison.models import Role

from .conftest import NOW, YEAR

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Messages are matched in English; the default language is Chinese."""
    with translation.override("en"):
        yield


Status = KeyTask.Status


def test_it_creates_a_task_with_its_supporting_departments(make_task, district):
    task = make_task()

    assert task.status == Status.NOT_STARTED
    assert list(task.supporting_departments.all()) == [district.town]


def test_it_refuses_a_second_task_with_the_same_number(make_task):
    make_task(1)

    with pytest.raises(services.KeyTaskError, match="already has a key task No. 1"):
        make_task(1)
    assert KeyTask.objects.count() == 1


def test_only_the_office_creates_tasks(district, leader):
    with pytest.raises(services.KeyTaskError):
        services.key_task_create(
            actor=leader,
            year=YEAR,
            number=1,
            title="x",
            target="y",
            leader=leader,
            lead_department=district.department,
        )
    assert not KeyTask.objects.exists()


def test_a_task_is_led_by_a_district_leader(district, office):
    with pytest.raises(services.KeyTaskError, match="district leader"):
        services.key_task_create(
            actor=office,
            year=YEAR,
            number=1,
            title="x",
            target="y",
            leader=district.user(Role.DEPARTMENT_HEAD),
            lead_department=district.department,
        )


# --- milestones ----------------------------------------------------------------------


@pytest.mark.parametrize("due", [dt.date(YEAR - 1, 12, 31), dt.date(YEAR + 1, 1, 1)])
def test_it_refuses_a_milestone_outside_the_tasks_year(make_task, leader, due):
    task = make_task()

    with pytest.raises(services.KeyTaskError, match=f"must fall in {YEAR}"):
        services.milestone_add(actor=leader, task_id=task.pk, title="方案", due_date=due, now=NOW)
    assert not Milestone.objects.exists()


def test_a_milestone_on_the_last_day_of_the_year_is_accepted(make_task, leader):
    task = make_task()

    services.milestone_add(
        actor=leader, task_id=task.pk, title="验收", due_date=dt.date(YEAR, 12, 31), now=NOW
    )

    assert task.milestones.get().due_date == dt.date(YEAR, 12, 31)


def test_a_department_may_not_add_milestones(make_task, lead_staff):
    task = make_task()

    with pytest.raises(services.KeyTaskError, match="liaison office or the task's leader"):
        services.milestone_add(
            actor=lead_staff, task_id=task.pk, title="x", due_date=dt.date(YEAR, 9, 1), now=NOW
        )


def test_another_leader_may_not_add_milestones(make_task, district):
    task = make_task()

    with pytest.raises(services.KeyTaskError):
        services.milestone_add(
            actor=district.user(Role.PRINCIPAL),
            task_id=task.pk,
            title="x",
            due_date=dt.date(YEAR, 9, 1),
            now=NOW,
        )


def test_an_overdue_milestone_added_puts_the_task_at_risk(make_task, leader):
    task = make_task()

    services.milestone_add(
        actor=leader, task_id=task.pk, title="方案", due_date=dt.date(YEAR, 6, 10), now=NOW
    )

    task.refresh_from_db()
    assert task.status == Status.AT_RISK


def test_ticking_the_overdue_milestones_brings_the_task_back_on_track(make_task, leader):
    task = make_task()
    first = services.milestone_add(
        actor=leader, task_id=task.pk, title="一", due_date=dt.date(YEAR, 5, 1), now=NOW
    )
    second = services.milestone_add(
        actor=leader, task_id=task.pk, title="二", due_date=dt.date(YEAR, 6, 10), now=NOW
    )
    task.refresh_from_db()
    assert task.status == Status.BEHIND  # two overdue

    services.milestone_tick(
        actor=leader,
        milestone_id=first.pk,
        done_date=dt.date(YEAR, 6, 12),
        evidence="已印发",
        now=NOW,
    )
    task.refresh_from_db()
    assert task.status == Status.AT_RISK  # one overdue, 6 days late
    services.milestone_tick(
        actor=leader, milestone_id=second.pk, done_date=dt.date(YEAR, 6, 13), now=NOW
    )
    task.refresh_from_db()
    assert task.status == Status.ON_TRACK
    first.refresh_from_db()
    assert first.evidence == "已印发"


def test_a_milestone_cannot_be_done_in_the_future_or_twice(make_task, leader):
    task = make_task()
    milestone = services.milestone_add(
        actor=leader, task_id=task.pk, title="一", due_date=dt.date(YEAR, 9, 1), now=NOW
    )

    with pytest.raises(services.KeyTaskError, match="still to come"):
        services.milestone_tick(
            actor=leader, milestone_id=milestone.pk, done_date=dt.date(YEAR, 7, 1), now=NOW
        )
    services.milestone_tick(
        actor=leader, milestone_id=milestone.pk, done_date=dt.date(YEAR, 6, 1), now=NOW
    )
    with pytest.raises(services.KeyTaskError, match="already marked done by 李志强"):
        services.milestone_tick(
            actor=leader, milestone_id=milestone.pk, done_date=dt.date(YEAR, 6, 2), now=NOW
        )


# --- progress reports ------------------------------------------------------------------


def test_the_first_report_puts_a_not_started_task_on_track(make_task, lead_staff):
    task = make_task()

    report = services.progress_report_add(
        actor=lead_staff, task_id=task.pk, text="已召开部署会", percent=20, now=NOW
    )

    task.refresh_from_db()
    assert task.status == Status.ON_TRACK
    assert task.percent == 20
    assert report.department == lead_staff.profile.department


def test_a_supporting_department_may_report(make_task, district, lead_staff):
    task = make_task(
        lead_department=district.other_department, supporting_departments=[district.department]
    )

    services.progress_report_add(
        actor=lead_staff, task_id=task.pk, text="配合推进", percent=10, now=NOW
    )

    assert task.reports.count() == 1


def test_it_refuses_a_report_from_a_department_not_on_the_task(make_task, district, lead_staff):
    task = make_task(lead_department=district.other_department, supporting_departments=[])

    with pytest.raises(services.KeyTaskError, match="lead and supporting departments"):
        services.progress_report_add(
            actor=lead_staff, task_id=task.pk, text="x", percent=10, now=NOW
        )
    task.refresh_from_db()
    assert task.status == Status.NOT_STARTED
    assert not ProgressReport.objects.exists()


@pytest.mark.parametrize("role", [Role.OFFICE, Role.LEADER, Role.ENTERPRISE])
def test_only_departments_report(make_task, district, role):
    task = make_task()

    with pytest.raises(services.KeyTaskError):
        services.progress_report_add(
            actor=district.user(role), task_id=task.pk, text="x", percent=10, now=NOW
        )


@pytest.mark.parametrize("percent", [-1, 101, None])
def test_it_refuses_a_percent_outside_0_to_100(make_task, lead_staff, percent):
    task = make_task()

    with pytest.raises(services.KeyTaskError, match="from 0 to 100"):
        services.progress_report_add(
            actor=lead_staff, task_id=task.pk, text="x", percent=percent, now=NOW
        )
    assert not ProgressReport.objects.exists()


@pytest.mark.parametrize("percent", [0, 100])
def test_it_accepts_the_bounds(make_task, lead_staff, percent):
    task = make_task()

    services.progress_report_add(
        actor=lead_staff, task_id=task.pk, text="x", percent=percent, now=NOW
    )

    assert task.reports.get().percent == percent


def test_a_report_stores_checked_attachments(make_task, lead_staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    task = make_task()
    pdf = SimpleUploadedFile("方案.pdf", b"%PDF-1.4 demo", content_type="application/pdf")

    report = services.progress_report_add(
        actor=lead_staff, task_id=task.pk, text="见附件", percent=30, uploads=[pdf], now=NOW
    )

    attachment = report.attachments.get()
    assert attachment.original_name == "方案.pdf"
    assert (tmp_path / "attachments" / attachment.stored_name).exists()


def test_a_disguised_file_is_refused_and_nothing_is_written(
    make_task, lead_staff, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    task = make_task()
    fake = SimpleUploadedFile("方案.pdf", b"MZ\x90\x00 not a pdf")

    with pytest.raises(services.KeyTaskError, match="方案"):
        services.progress_report_add(
            actor=lead_staff, task_id=task.pk, text="x", percent=30, uploads=[fake], now=NOW
        )
    assert not ProgressReport.objects.exists()
    assert not (tmp_path / "attachments").exists() or not any((tmp_path / "attachments").iterdir())


def test_reports_are_append_only(make_task, lead_staff):
    task = make_task()
    report = services.progress_report_add(
        actor=lead_staff, task_id=task.pk, text="x", percent=5, now=NOW
    )

    report.text = "changed"
    with pytest.raises(ValueError, match="append-only"):
        report.save()
    with pytest.raises(ValueError, match="append-only"):
        report.delete()


# --- done ------------------------------------------------------------------------------


def test_the_leader_marks_a_task_done_once_every_milestone_is_done(make_task, leader, lead_staff):
    task = make_task()
    milestone = services.milestone_add(
        actor=leader, task_id=task.pk, title="一", due_date=dt.date(YEAR, 6, 30), now=NOW
    )
    services.progress_report_add(
        actor=lead_staff, task_id=task.pk, text="完成", percent=100, now=NOW
    )
    task.refresh_from_db()

    with pytest.raises(services.KeyTaskError, match="1 milestone"):
        services.key_task_complete(actor=leader, task_id=task.pk, version=task.version, now=NOW)
    services.milestone_tick(
        actor=leader, milestone_id=milestone.pk, done_date=dt.date(YEAR, 6, 15), now=NOW
    )
    task.refresh_from_db()
    services.key_task_complete(actor=leader, task_id=task.pk, version=task.version, now=NOW)

    task.refresh_from_db()
    assert task.status == Status.DONE
    assert task.done_at == NOW
    with pytest.raises(services.KeyTaskError, match="done; it takes no more"):
        services.progress_report_add(
            actor=lead_staff, task_id=task.pk, text="x", percent=100, now=NOW
        )


def test_a_stale_form_does_not_mark_a_task_done(make_task, leader):
    task = make_task()
    stale = task.version
    services.milestone_add(
        actor=leader, task_id=task.pk, title="一", due_date=dt.date(YEAR, 12, 1), now=NOW
    )

    with pytest.raises(services.KeyTaskError, match="changed this key task"):
        services.key_task_complete(actor=leader, task_id=task.pk, version=stale, now=NOW)
    task.refresh_from_db()
    assert task.status == Status.NOT_STARTED


def test_a_department_cannot_mark_a_task_done(make_task, lead_staff):
    task = make_task()

    with pytest.raises(services.KeyTaskError):
        services.key_task_complete(actor=lead_staff, task_id=task.pk, version=task.version, now=NOW)


def test_one_milestone_more_than_two_weeks_late_puts_the_task_behind(make_task, leader):
    task = make_task()

    services.milestone_add(
        actor=leader,
        task_id=task.pk,
        title="一",
        due_date=NOW.date() - dt.timedelta(days=15),
        now=NOW,
    )

    task.refresh_from_db()
    assert task.status == Status.BEHIND
