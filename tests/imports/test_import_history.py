"""A past year imported from the templates: the statistics, idempotency, all or nothing."""

import datetime as dt
import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils import timezone

from dashboard.figures import dashboard
from dashboard.summary import dashboard_refresh
from imports.exports import export_xlsx
from imports.history import PROBLEM_SHEET
from imports.services import import_workbook
from issues.models import AppealType, Problem, ProblemEvent, Status
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
        summary={"day__gte": dt.date(year, 1, 1), "day__lte": dt.date(year, 12, 31)},
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


def test_it_imports_the_appeal_types(office):
    assert run("history", history_xlsx(), actor=office).ok

    by_type = dict(Problem.objects.values_list("appeal_type").annotate(n=Count("pk")).order_by())
    # 20 problems a meeting, p = 0..19: p % 7 == 1 at 1, 8, 15; 3 at 3, 10, 17; 5 at 5, 12, 19.
    assert by_type == {
        AppealType.CONSULTATION: 27,
        AppealType.COMPLAINT: 27,
        AppealType.SUGGESTION: 27,
        AppealType.REQUEST: 180 - 81,
    }
    assert not Problem.objects.exclude(suggested_appeal_type="").exists()


def test_an_unknown_appeal_type_is_a_row_error_and_nothing_is_written(office):
    content = history_xlsx()
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book[PROBLEM_SHEET]
    column = [cell.value for cell in sheet[1]].index("诉求类型") + 1
    sheet.cell(row=3, column=column, value="表扬")
    out = io.BytesIO()
    book.save(out)

    report = run("history", out.getvalue(), actor=office)

    assert not report.ok
    assert any("诉求类型" in str(error) and "表扬" in str(error) for error in report.errors)
    assert not Problem.objects.exists()


def test_its_export_is_imported_back_unchanged(office):
    assert run("history", history_xlsx(), actor=office).ok
    for kind in ("departments", "enterprises", "officials", "history"):
        report = run(kind, export_xlsx(kind), actor=office)
        assert report.ok, (kind, report.file_error, report.errors[:3])
        assert report.created == report.updated == 0, kind
