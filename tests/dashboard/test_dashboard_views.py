"""The dashboard page and its export: who may see them, what they show, how many queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dashboard.models import DashboardRefresh
from dashboard.summary import dashboard_refresh
from issues.models import AppealType, Category, Problem, Status
from liaison import workdays
from liaison.models import Role
from tests.dates import iso_dates_in_text
from tests.twofactor import TWO_FACTOR_DEVICE

from .test_dashboard import world_fixture  # noqa: F401 - the hand-made data set, as `world`

URL = "/dashboard/"


def bulk_problems(district, n: int, first_reference: int = 0) -> None:
    """n problems received this year across statuses, departments, categories, leaders."""
    users = district.users
    categories = [
        Category.objects.get_or_create(name_zh=f"类别{i}", defaults={"name_en": f"Category {i}"})[0]
        for i in range(3)
    ]
    departments = [district.department, district.other_department]
    statuses = [Status.SUBMITTED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED]
    start = workdays.start_of_day(dt.date(workdays.local_date(timezone.now()).year, 1, 2))
    rows = []
    for i in range(n):
        status = statuses[i % len(statuses)]
        created = start + dt.timedelta(hours=i)
        accepted = status != Status.SUBMITTED
        due = created + dt.timedelta(days=14)
        answered = status in (Status.RESOLVED, Status.CLOSED)
        rows.append(
            Problem(
                reference=f"2099-{first_reference + i + 1:05d}",
                enterprise=district.enterprise,
                submitted_by=users[Role.OFFICE],
                title="用电增容",
                description="-",
                category=categories[i % 3],
                appeal_type=AppealType.values[i % len(AppealType.values)],
                status=status,
                created_at=created,
                lead_department=departments[i % 2] if accepted else None,
                responsible_leader=users[Role.LEADER] if accepted and i % 5 == 0 else None,
                clock_started_at=created if accepted else None,
                due_at=due if accepted else None,
                original_due_at=due if accepted else None,
                escalation_level=1 if status == Status.IN_PROGRESS and i % 3 == 0 else 0,
                first_resolved_at=created + dt.timedelta(days=3) if answered else None,
                last_resolved_at=created + dt.timedelta(days=3) if answered else None,
                first_resolved_due_at=due if answered else None,
                closed_at=created + dt.timedelta(days=4) if status == Status.CLOSED else None,
                satisfaction="satisfied" if status == Status.CLOSED else "",
            )
        )
    Problem.objects.bulk_create(rows)


@pytest.fixture
def warm_calendar(db):
    workdays.is_working_day(dt.date.today())


# Live path (the summary was never built): session, user, profile; whether the summary
# was built (DashboardRefresh); the cube (department x category x month), by town, by
# meeting, handling time (start days, answer days), departments, categories, meetings,
# escalated problems, overdue action items; the filter form's department, category,
# town, meeting and leader choices; the key-task panel (leaders' tasks by status). A department
# head has no key-task panel and adds two: their department (profile.department) and the
# forced department choice being validated; the burden-relief panel (RELIEF: one
# aggregate over the outcome lines, and the names of their departments and towns when
# there are any; none here).
# Officials: plus the device their session passed two-factor sign-in with.
RELIEF = 1
EXPECTED_QUERIES = {
    Role.LEADER: 20 + RELIEF + TWO_FACTOR_DEVICE,
    Role.OFFICE: 20 + RELIEF + TWO_FACTOR_DEVICE,
    Role.DEPARTMENT_HEAD: 21 + RELIEF + TWO_FACTOR_DEVICE,
}
# Summary path (after a refresh): instead of the five queries over the problems (cube,
# town, meeting, start days, answer days), one query summing the cells by department
# (with handling time), category, month, town and meeting: four fewer.
SUMMARY_SAVES = 4


@pytest.mark.parametrize("n", [3, 300])
@pytest.mark.parametrize("summary", [False, True], ids=["live", "summary"])
@pytest.mark.parametrize("persona", [Role.LEADER, Role.OFFICE, Role.DEPARTMENT_HEAD])
def test_it_counts_dashboard_queries(
    client, district, warm_calendar, django_assert_num_queries, persona, n, summary
):
    bulk_problems(district, n)
    if summary:
        dashboard_refresh(full=True)
    client.force_login(district.users[persona])
    with django_assert_num_queries(EXPECTED_QUERIES[persona] - (SUMMARY_SAVES if summary else 0)):
        response = client.get(URL)
    assert response.status_code == 200
    assert response.context["d"].headline.received == (
        n
        if persona != Role.DEPARTMENT_HEAD
        else Problem.objects.filter(lead_department=district.department).count()
    )
    assert (response.context["d"].as_of is not None) == summary
    assert ('id="dashboard-as-of"' in response.content.decode()) == summary


@pytest.mark.parametrize("n", [3, 300])
@pytest.mark.parametrize("summary", [False, True], ids=["live", "summary"])
def test_it_counts_filtered_dashboard_and_export_queries(
    client, district, warm_calendar, django_assert_num_queries, n, summary
):
    bulk_problems(district, n)
    if summary:
        dashboard_refresh(full=True)
    client.force_login(district.users[Role.LEADER])
    category = Category.objects.first()
    params = {
        "department": district.department.pk,
        "category": category.pk,
        "leader": district.users[Role.LEADER].pk,
    }
    saved = SUMMARY_SAVES if summary else 0
    # As the default page, plus the chosen department, category and leader validated.
    with django_assert_num_queries(20 + 3 - saved + RELIEF + TWO_FACTOR_DEVICE):
        response = client.get(URL, params)
    assert response.status_code == 200
    # The export: session, user, profile, the three validated choices, then the same
    # eleven figure queries (summary check included; four fewer from the summary); no
    # form is rendered; the burden-relief sheet; the audit trail's record of the export.
    with django_assert_num_queries(3 + 3 + 11 - saved + RELIEF + 1 + TWO_FACTOR_DEVICE):
        response = client.get(URL + "export.xlsx", params)
    assert response.status_code == 200


@pytest.mark.parametrize("n", [3, 300])
def test_a_period_not_in_whole_months_comes_from_the_summary_too(
    client, district, warm_calendar, django_assert_num_queries, n
):
    bulk_problems(district, n)
    dashboard_refresh(full=True)
    client.force_login(district.users[Role.LEADER])
    year = workdays.local_date(timezone.now()).year
    # As the default page from the summary: its month cells and day cells in one query.
    with django_assert_num_queries(20 - SUMMARY_SAVES + RELIEF + TWO_FACTOR_DEVICE):
        response = client.get(URL, {"date_from": f"{year}-01-02", "date_to": f"{year}-12-30"})
    assert response.status_code == 200
    assert response.context["d"].as_of is not None
    assert 'id="dashboard-as-of"' in response.content.decode()
    assert (
        response.context["d"].headline.received
        == Problem.objects.filter(
            created_at__gte=workdays.start_of_day(dt.date(year, 1, 2)),
            created_at__lt=workdays.start_of_day(dt.date(year, 12, 31)),
        ).count()
    )


def test_the_summary_shows_what_it_counted_at_its_last_refresh(client, district, warm_calendar):
    bulk_problems(district, 4)
    dashboard_refresh(full=True)
    bulk_problems(district, 8, first_reference=100)  # not refreshed yet
    client.force_login(district.users[Role.LEADER])

    before = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    dashboard_refresh()
    after = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")

    assert before.context["d"].headline.received == 4
    assert after.context["d"].headline.received == 12
    as_of = timezone.localtime(after.context["d"].as_of).strftime("%H:%M")
    assert f"Figures as of {as_of} (refreshed every minute)" in after.content.decode()


@pytest.mark.parametrize("summary", [False, True], ids=["live", "summary"])
def test_the_printed_page_says_the_date_and_time_of_its_figures(
    client, district, warm_calendar, summary
):
    bulk_problems(district, 4)
    if summary:
        dashboard_refresh(full=True)
    client.force_login(district.users[Role.LEADER])

    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")

    d = response.context["d"]
    assert (d.as_of is not None) == summary
    # The summary's time, or when the figures were counted live; date and time.
    as_of = timezone.localtime(d.as_of or d.now)
    assert (
        '<p class="d-none d-print-block small" id="dashboard-printed-as-of">'
        f"Figures as of {as_of:%-d %b %Y, %H:%M}.</p>"
    ) in response.content.decode()
    chinese = client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans")
    as_of = timezone.localtime(chinese.context["d"].as_of or chinese.context["d"].now)
    html = chinese.content.decode()
    assert f"{as_of.year}年{as_of.month}月{as_of.day}日 {as_of:%H:%M}" in html
    assert iso_dates_in_text(html) == []


@pytest.mark.parametrize(
    "persona, operational",
    [
        (Role.OFFICE, True),
        (Role.ADMIN, True),
        (Role.LEADER, False),
        (Role.PRINCIPAL, False),
        (Role.DEPARTMENT_HEAD, False),
    ],
)
def test_a_stale_summary_is_explained_to_each_reader(
    client, district, warm_calendar, persona, operational, monkeypatch
):
    queued = []
    monkeypatch.setattr("liaison.celery.send_or_false", lambda task: queued.append(task))
    bulk_problems(district, 4)
    dashboard_refresh(full=True)
    DashboardRefresh.objects.update(refreshed_at=timezone.now() - dt.timedelta(hours=2))
    client.force_login(district.users[persona])

    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    assert response.context["d"].summary_stale_since is not None
    assert 'id="dashboard-stale"' in html
    # The figures are the summary's, as of its time, never "refreshed every minute"; the
    # office and the administrator run the workers; officials only need to know that
    # later changes are not counted yet. A refresh was asked for.
    assert response.context["d"].as_of == response.context["d"].summary_stale_since
    assert 'id="dashboard-as-of"' not in html
    assert ("check that the Celery worker and beat are running." in html) == operational
    assert ("They are being brought up to date." in html) != operational
    assert "changes since then are not counted yet" in html
    assert "Celery" not in html or operational
    assert len(queued) <= 1  # at most once a minute, across pages (the cache)


@pytest.mark.parametrize("persona", [Role.ENTERPRISE, Role.DEPARTMENT_STAFF, None])
def test_it_is_not_there_for_others(client, district, persona):
    client.force_login(district.users[persona])

    assert client.get(URL).status_code == 404
    assert client.get(URL + "export.xlsx").status_code == 404


def test_it_sends_anonymous_visitors_to_log_in(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_shows_the_hand_computed_figures(client, world):
    district = world["district"]
    client.force_login(district.users[Role.PRINCIPAL])

    response = client.get(URL, {"year": "2025"}, HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-stat="received" href="/problems/?submitted_after=2025-01-01&amp;' in html
    cards = {key: value for key, value, *_ in response.context["cards"]}
    assert (cards["received"], cards["accepted"], cards["concluded"]) == (8, 6, 4)
    assert str(cards["conclusion_rate"]) == "66.7"
    assert "Problems received in 1 Jan 2025 – 31 Dec 2025" in html
    assert world["problems"][4].reference in html  # needs a leader
    assert 'id="dashboard-data"' in html
    assert "chart.js-4.6.1/chart.umd.min.js" in html


def test_a_department_head_sees_only_their_department(client, world):
    district = world["district"]
    client.force_login(district.users[Role.DEPARTMENT_HEAD])

    response = client.get(URL, {"year": "2025", "department": district.other_department.pk})

    assert response.status_code == 200
    assert response.context["d"].headline.received == 4
    assert [f.key for f in response.context["departments"]] == [district.department]
    assert "department=" not in response.context["export_query"]


def test_it_sorts_the_league_table(client, world):
    district = world["district"]
    client.force_login(district.users[Role.OFFICE])

    ascending = client.get(URL, {"year": "2025", "sort": "received", "dir": "asc"})
    descending = client.get(URL, {"year": "2025", "sort": "received"})

    assert [f.key for f in ascending.context["departments"]] == [
        district.other_department,
        district.department,
    ]
    assert [f.key for f in descending.context["departments"]] == [
        district.department,
        district.other_department,
    ]
    assert 'aria-sort="ascending"' in ascending.content.decode()


def test_a_bad_filter_shows_a_message_and_the_default_figures(client, world):
    client.force_login(world["district"].users[Role.LEADER])

    response = client.get(
        URL, {"date_from": "2025-06-01", "date_to": "2025-05-01"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "The start date is after the end date." in html
    assert "The filter was not applied" in html
    this_year = workdays.local_date(timezone.now()).year
    assert response.context["d"].period[0] == dt.date(this_year, 1, 1)


def test_the_nav_links_to_the_dashboard_for_those_who_may_see_it(client, district):
    client.force_login(district.users[Role.LEADER])
    assert 'href="/dashboard/"' in client.get("/").content.decode()
    client.force_login(district.users[Role.ENTERPRISE])
    assert 'href="/dashboard/"' not in client.get("/").content.decode()


# --- the period is bounded ---------------------------------------------------------------


@pytest.mark.parametrize(
    "period, field, message",
    [
        (
            {"date_from": "0001-01-01", "date_to": "9999-11-30"},
            "date_from",
            "Enter a date from 2000-01-01 to 2100-12-31.",
        ),
        ({"date_to": "9999-12-31"}, "date_to", "Enter a date from 2000-01-01 to 2100-12-31."),
        (
            {"date_from": "2000-01-01", "date_to": "2100-12-31"},
            "date_to",
            "A period may cover at most 10 years.",
        ),
    ],
    ids=["reported", "last-day-of-the-calendar", "a-century"],
)
def test_an_unbounded_period_is_refused_at_its_field(client, district, period, field, message):
    client.force_login(district.users[Role.LEADER])

    response = client.get(URL, period, HTTP_ACCEPT_LANGUAGE="en")

    # The page of the default period (this year), the user's dates kept with the error at
    # the field: a page of the usual size, never one row per month of eight millennia.
    assert response.status_code == 200
    assert response.context["filter_form"].errors[field] == [message]
    assert len(response.context["d"].months) == 12
    assert len(response.content) < 300_000
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    # The summary above the form names the field.
    label = {"date_from": "Received from", "date_to": "Received until"}[field]
    assert f"<div>{label}: {message}</div>" in html
    assert "The filter was not applied" in html


def test_the_period_is_told_in_the_users_language(client, district):
    client.force_login(district.users[Role.LEADER])

    response = client.get(URL, {"date_to": "9999-12-31"}, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert "请输入 2000-01-01 至 2100-12-31 之间的日期。" in response.content.decode()


def test_a_ten_year_period_has_one_row_a_month(client, district):
    client.force_login(district.users[Role.LEADER])

    response = client.get(URL, {"date_from": "2016-01-01", "date_to": "2025-12-31"})

    assert response.context["filter_form"].errors == {}
    assert response.context["d"].period == (dt.date(2016, 1, 1), dt.date(2025, 12, 31))
    assert len(response.context["d"].months) == 120


@pytest.mark.parametrize(
    "period",
    [
        {"date_from": "0001-01-01", "date_to": "9999-11-30"},
        {"date_to": "9999-12-31"},
        {"date_from": "2000-01-01", "date_to": "2100-12-31"},
    ],
)
def test_an_export_of_an_unbounded_period_is_refused_with_a_message(client, district, period):
    client.force_login(district.users[Role.LEADER])

    response = client.get(URL + "export.xlsx", period, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "The export was not made" in html
    assert "Enter a date from 2000-01-01 to 2100-12-31." in html or "at most 10 years" in html
