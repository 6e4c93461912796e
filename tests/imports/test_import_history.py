"""A past year imported from the templates: the statistics, idempotency, all or nothing."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from dashboard.figures import dashboard
from dashboard.summary import dashboard_refresh
from imports.exports import export_xlsx
from imports.services import import_workbook
from issues.models import Problem, ProblemEvent, Status
from meetings.models import Meeting
from meetings.statistics import year_statistics
from notifications.models import Notification

from .conftest import (
    departments_xlsx,
    enterprises_xlsx,
    history_xlsx,
    officials_xlsx,
)

pytestmark = pytest.mark.django_db


def run(kind, content, actor=None, dry_run=False, name="file.xlsx"):
    return import_workbook(kind=kind, name=name, content=content, actor=actor, dry_run=dry_run)


def load_reference_data():
    for kind, content in (
        ("officials", officials_xlsx(leaders_only=True)),
        ("departments", departments_xlsx()),
        ("enterprises", enterprises_xlsx()),
        ("officials", officials_xlsx()),
    ):
        report = run(kind, content)
        assert report.ok, (kind, report.file_error, report.errors[:3])
    return get_user_model().objects.get(username="office1")


@pytest.fixture
def office(calendar, categories):
    dashboard_refresh(full=True)  # the summary exists: the import must refresh it
    return load_reference_data()


def test_it_imports_a_past_year_that_the_statistics_show(office):
    report = run("history", history_xlsx(), actor=office)
    assert report.ok, (report.file_error, report.errors[:3])
    assert (report.created, report.skipped) == (9 + 180, 0)
    year = timezone.localdate().year - 1
    stats = year_statistics(year)
    assert (stats.meetings_held, stats.enterprises_attended, stats.problems) == (9, 73, 180)
    assert (stats.concluded, stats.on_time, stats.on_time_rate) == (180, 180, 100)
    problems = Problem.objects.filter(created_at__year=year)
    assert problems.filter(status=Status.CLOSED).count() == 180
    figures = dashboard(
        problems,
        period=(dt.date(year, 1, 1), dt.date(year, 12, 31)),
        list_params={},
        summary={"month__gte": dt.date(year, 1, 1), "month__lte": dt.date(year, 12, 1)},
    )
    assert figures.headline.received == 180
    assert figures.headline.concluded == 180
    assert figures.headline.on_time == 180
    assert not Notification.objects.exists()
    # The real sequence on each timeline.
    kinds = list(
        ProblemEvent.objects.filter(problem=problems.first()).values_list("kind", flat=True)
    )
    assert kinds == ["submitted", "dispatched", "acknowledged", "resolved", "evaluated"]


def test_it_changes_nothing_when_the_same_file_is_imported_again(office):
    content = history_xlsx()
    assert run("history", content, actor=office).ok
    events = ProblemEvent.objects.count()
    again = run("history", content, actor=office)
    assert again.ok and (again.created, again.skipped) == (0, 189)
    assert ProblemEvent.objects.count() == events
    for kind, file in (("enterprises", enterprises_xlsx()), ("officials", officials_xlsx())):
        report = run(kind, file)
        assert report.ok and report.created == report.updated == 0


def test_a_dry_run_writes_nothing(office):
    report = run("history", history_xlsx(), actor=office, dry_run=True)
    assert report.ok and report.created == 189
    assert not Meeting.objects.exists() and not Problem.objects.exists()


def test_its_export_is_imported_back_unchanged(office):
    assert run("history", history_xlsx(), actor=office).ok
    for kind in ("departments", "enterprises", "officials", "history"):
        report = run(kind, export_xlsx(kind), actor=office)
        assert report.ok, (kind, report.file_error, report.errors[:3])
        assert report.created == report.updated == 0, kind
