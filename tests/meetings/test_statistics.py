"""Meeting statistics (meetings.statistics) and the statistics page and its .xlsx export."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from issues.models import Status
from liaison import workdays
from liaison.models import Role
from meetings import list_views
from meetings.models import Meeting
from meetings.statistics import meeting_years, year_statistics
from tests.meetings.fixtures_stats import *  # noqa: F403 - fixtures
from tests.meetings.fixtures_stats import at, invite, make_enterprise, make_meeting, make_problem
from tests.twofactor import TWO_FACTOR_DEVICE

pytestmark = pytest.mark.django_db

URL = reverse("meetings:statistics")
XLSX_URL = reverse("meetings:statistics_xlsx")


@pytest.fixture
def year_2025(district, category):
    """Two held meetings and a planned one in 2025, one meeting in 2024.

    No. 1: 3 invited, 2 attended (A, B); problems: 2 closed on time, 1 closed late,
    1 in progress, 1 rejected. No. 2: A and C attended, D absent; 1 problem resolved
    on time. No. 3 (planned): E invited; 1 problem submitted.
    """
    a, b, c, d, e = (make_enterprise(district, f"企业{x}") for x in "ABCDE")
    first = make_meeting(district, number=1, theme="危废处置专题")
    second = make_meeting(district, number=2, theme="用工专题")
    planned = make_meeting(
        district,
        number=3,
        status=Meeting.Status.PLANNED,
        starts_at=at("2025-12-09 09:00"),
        theme="融资专题",
    )
    earlier = make_meeting(district, year=2024, number=5, theme="去年的会议")
    invite(first, a, b)
    invite(first, c, attended=False)
    invite(second, a, c)
    invite(second, d, attended=False)
    invite(planned, e, attended=None)
    invite(earlier, b)

    def problem(meeting, status, **fields):
        return make_problem(district, category, status, meeting=meeting, **fields)

    problem(first, Status.CLOSED)
    problem(first, Status.CLOSED)
    problem(
        first,
        Status.CLOSED,
        first_resolved_at=at("2025-10-17 09:00"),
        last_resolved_at=at("2025-10-17 09:00"),
    )
    problem(first, Status.IN_PROGRESS)
    problem(first, Status.REJECTED)
    problem(second, Status.RESOLVED)
    problem(planned, Status.SUBMITTED)
    problem(earlier, Status.CLOSED)
    make_problem(district, category, Status.CLOSED)  # not raised at a meeting
    return {"first": first, "second": second, "planned": planned, "earlier": earlier}


def test_it_counts_each_meeting(year_2025):
    stats = year_statistics(2025)

    rows = {row.meeting.number: row for row in stats.meetings}
    assert list(rows) == [1, 2, 3]
    first, second, planned = rows[1], rows[2], rows[3]
    assert (first.invited, first.attended) == (3, 2)
    assert (first.problems, first.accepted, first.concluded, first.on_time) == (5, 4, 3, 2)
    assert first.conclusion_rate == Decimal("75.0")  # 3 of the 4 accepted
    assert first.on_time_rate == Decimal("66.7")  # 2 of the 3 concluded
    assert (second.invited, second.attended, second.problems, second.concluded) == (3, 2, 1, 1)
    assert second.conclusion_rate == Decimal("100.0")
    assert (planned.invited, planned.attended, planned.problems, planned.accepted) == (1, 0, 1, 0)
    assert planned.conclusion_rate is None


def test_it_sums_up_the_year(year_2025):
    stats = year_statistics(2025)

    assert stats.meetings_held == 2  # the planned meeting is not held
    assert stats.enterprises_attended == 3  # A (twice), B, C; D was absent, E not yet
    assert (stats.problems, stats.accepted, stats.concluded, stats.on_time) == (7, 5, 4, 3)
    assert stats.conclusion_rate == Decimal("80.0")
    assert stats.on_time_rate == Decimal("75.0")


def test_it_keeps_years_apart(year_2025):
    stats = year_statistics(2024)

    assert [row.meeting.theme for row in stats.meetings] == ["去年的会议"]
    assert (stats.meetings_held, stats.enterprises_attended, stats.problems) == (1, 1, 1)
    assert meeting_years() == [2025, 2024]


def test_it_shows_an_empty_year():
    stats = year_statistics(2030)

    assert stats.meetings == []
    assert (stats.meetings_held, stats.enterprises_attended, stats.problems) == (0, 0, 0)
    assert stats.conclusion_rate is None


def nine_meetings(district, category, n: int) -> None:
    for number in range(1, n + 1):
        meeting = make_meeting(district, number=number)
        invite(meeting, make_enterprise(district, f"企业{number}"))
        make_problem(district, category, Status.CLOSED, meeting=meeting)


@pytest.mark.parametrize("n", [1, 9])
def test_it_takes_four_queries_whatever_the_number_of_meetings(
    district, category, n, django_assert_num_queries
):
    nine_meetings(district, category, n)

    with django_assert_num_queries(4):
        # the year's meetings; invitations grouped by meeting; problems grouped by
        # meeting; distinct enterprises that attended
        stats = year_statistics(2025)

    assert (stats.meetings_held, stats.enterprises_attended, stats.problems) == (n, n, n)


# --- the page ------------------------------------------------------------------------------


@pytest.fixture
def client_as(client):
    def login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return login


def summary_of(response) -> dict[str, object]:
    return {key: value for key, value, _label in response.context["summary"]}


@pytest.mark.parametrize(
    "role", [Role.OFFICE, Role.LEADER, Role.PRINCIPAL, Role.DEPARTMENT_HEAD, Role.ADMIN]
)
def test_it_shows_the_statistics_to_officials(client_as, district, year_2025, role):
    response = client_as(district.user(role)).get(URL, {"year": 2025})

    assert response.status_code == 200
    assert summary_of(response) == {
        "meetings_held": 2,
        "enterprises_attended": 3,
        "problems": 7,
        "concluded": 4,
        "on_time": 3,
        "conclusion_rate": "80%",
    }
    html = response.content.decode()
    assert "危废处置专题" in html and "去年的会议" not in html
    assert "75%" in html  # meeting No. 1: 3 of 4 concluded


@pytest.mark.parametrize("role", [Role.DEPARTMENT_STAFF, Role.ENTERPRISE, None])
def test_it_hides_the_statistics_from_others(client_as, district, year_2025, role):
    response = client_as(district.user(role)).get(URL)

    assert response.status_code == 404


def test_it_sends_anonymous_users_to_log_in(client_as, year_2025):
    response = client_as(None).get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_shows_this_year_by_default_and_offers_the_years_with_meetings(
    client_as, district, year_2025
):
    this_year = timezone.localdate().year

    response = client_as(district.user(Role.OFFICE)).get(URL)

    assert response.context["year"] == this_year
    assert response.context["years"] == sorted({this_year, 2025, 2024}, reverse=True)
    assert f"No face-to-face meetings in {this_year}" in response.content.decode()


@pytest.mark.parametrize("year", ["abc", "1999", "99999", "2025-01"])
def test_it_explains_a_bad_year_and_shows_this_year(client_as, district, year_2025, year):
    response = client_as(district.user(Role.OFFICE)).get(URL, {"year": year}, follow=True)

    assert response.status_code == 200
    assert response.context["year"] == timezone.localdate().year
    [message] = [str(m) for m in response.context["messages"]]
    assert "is not a year with statistics" in message


@pytest.mark.parametrize("n", [1, 9])
def test_the_page_takes_the_same_queries_for_one_or_nine_meetings(
    client_as, district, category, n, django_assert_num_queries
):
    nine_meetings(district, category, n)
    client = client_as(district.user(Role.OFFICE))

    with django_assert_num_queries(8 + TWO_FACTOR_DEVICE):
        # session; user; profile (role); the year's meetings; invitations by meeting;
        # problems by meeting; distinct enterprises attended; the years with meetings
        response = client.get(URL, {"year": 2025})

    assert len(response.context["stats"].meetings) == n
    with django_assert_num_queries(8 + TWO_FACTOR_DEVICE):
        # the same, without the years: the export has no year picker; the audit trail's
        # record of the export
        response = client.get(XLSX_URL, {"year": 2025})
    assert load_workbook(io.BytesIO(response.content)).worksheets[1].max_row == 1 + n


def test_the_export_has_the_summary_and_a_row_per_meeting(client_as, district, year_2025):
    response = client_as(district.user(Role.LEADER)).get(XLSX_URL, {"year": 2025})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    summary, meetings = workbook.worksheets
    assert [tuple(r) for r in summary.iter_rows(values_only=True)] == [
        ("Year", "2025"),
        ("Meetings held", 2),
        ("Enterprises attended (distinct)", 3),
        ("Problems raised", 7),
        ("Concluded", 4),
        ("Concluded on time", 3),
        ("Conclusion rate", 0.8),
        ("On-time rate", 0.75),
    ]
    rows = list(meetings.iter_rows(values_only=True))
    assert rows[0][:3] == ("Meeting", "Date", "Theme")
    assert [row[0] for row in rows[1:]] == ["No. 1", "No. 2", "No. 3"]
    first = rows[1]
    assert first[1].date() == workdays.local_date(year_2025["first"].starts_at)
    assert first[2:] == ("危废处置专题", "Closed", 3, 2, 5, 3, 2, 0.75)
    assert meetings.freeze_panes == "A2"
    assert meetings["J2"].number_format == "0.0%"


def test_the_export_translates_every_header(client_as, district, year_2025, monkeypatch):
    # The catalogues are filled in later; what matters here is that every header goes
    # through gettext, so it is Chinese when the catalogue is.
    monkeypatch.setattr(list_views, "_", lambda text: f"«{text}»")

    response = client_as(district.user(Role.OFFICE)).get(XLSX_URL, {"year": 2025})

    workbook = load_workbook(io.BytesIO(response.content))
    summary, meetings = workbook.worksheets
    headers = next(meetings.iter_rows(values_only=True))
    assert all(h.startswith("«") for h in headers), headers
    labels = [row[0] for row in summary.iter_rows(values_only=True)]
    assert all(label.startswith("«") for label in labels), labels
    assert summary.title.startswith("«") and meetings.title.startswith("«")


def test_the_export_is_refused_to_enterprises(client_as, district, year_2025):
    response = client_as(district.user(Role.ENTERPRISE)).get(XLSX_URL)

    assert response.status_code == 404
