"""The dashboard page's figures kept for a few seconds in each process (dashboard.kept):
the same filter is answered from them, never another department's, filter's or
language's, and a user who just wrote gets them counted again."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard import kept
from dashboard.summary import dashboard_refresh
from issues.models import Category, Problem
from liaison import workdays
from liaison.models import Role
from liaison.replicas import pin_to_primary
from tests.twofactor import TWO_FACTOR_DEVICE

from .test_dashboard_views import URL, bulk_problems

SECONDS = 10


@pytest.fixture
def warm_calendar(db):
    workdays.is_working_day(dt.date.today())


@pytest.fixture
def keeping(settings, monkeypatch):
    """Figures kept for SECONDS, on a clock the test moves (`keeping.advance(s)`)."""
    settings.LIAISON_DASHBOARD_KEEP_SECONDS = SECONDS
    clock = {"now": 1000.0}
    monkeypatch.setattr(kept.time, "monotonic", lambda: clock["now"])

    class Clock:
        @staticmethod
        def advance(seconds: float) -> None:
            clock["now"] += seconds

    return Clock


def received(client, params=None, **headers) -> int:
    response = client.get(URL, params or {}, **headers)
    assert response.status_code == 200
    return response.context["d"].headline.received


def test_the_same_filter_is_answered_from_the_kept_figures_until_they_expire(
    client, district, warm_calendar, keeping
):
    bulk_problems(district, 4)
    client.force_login(district.users[Role.LEADER])
    assert received(client) == 4

    bulk_problems(district, 3, first_reference=100)
    keeping.advance(SECONDS - 1)
    assert received(client) == 4  # kept: as of the first count (the page says when)

    keeping.advance(1)
    assert received(client) == 7  # expired: counted again


@pytest.mark.parametrize("summary", [False, True], ids=["live", "summary"])
def test_kept_figures_cost_no_figure_query(
    client, district, warm_calendar, keeping, django_assert_num_queries, summary
):
    bulk_problems(district, 30)
    if summary:
        dashboard_refresh(full=True)
    client.force_login(district.users[Role.LEADER])
    client.get(URL)
    # Session, user, profile and the session's device; the filter's choice lists are kept
    # too (liaison.choices); whether the user just wrote (the cache, no query). None of the
    # figures, relief totals or key tasks.
    with django_assert_num_queries(3 + TWO_FACTOR_DEVICE):
        response = client.get(URL)
    assert response.status_code == 200
    assert response.context["d"].headline.received == 30


def test_a_user_who_just_wrote_gets_figures_counted_now_and_shares_them(
    client, district, warm_calendar, keeping
):
    bulk_problems(district, 4)
    leader, principal = district.users[Role.LEADER], district.users[Role.PRINCIPAL]
    client.force_login(principal)
    assert received(client) == 4

    bulk_problems(district, 2, first_reference=100)
    client.force_login(leader)
    pin_to_primary(leader)  # as after a form the leader sent (liaison.replicas)
    assert received(client) == 6

    client.force_login(principal)
    assert received(client) == 6  # the newer count replaced the kept one


def test_a_department_head_never_gets_the_districts_figures_nor_another_departments(
    client, district, warm_calendar, keeping
):
    bulk_problems(district, 8)
    own = Problem.objects.filter(lead_department=district.department).count()
    assert 0 < own < 8

    client.force_login(district.users[Role.LEADER])
    assert received(client) == 8
    client.force_login(district.users[Role.DEPARTMENT_HEAD])
    assert received(client) == own
    # The head's own page, whatever department the address asks for.
    assert received(client, {"department": district.other_department.pk}) == own
    client.force_login(district.users[Role.OFFICE])
    assert received(client) == 8
    other = Problem.objects.filter(lead_department=district.other_department).count()
    assert received(client, {"department": district.other_department.pk}) == other


def test_each_filter_and_period_has_its_own_figures(client, district, warm_calendar, keeping):
    bulk_problems(district, 9)
    category = Category.objects.get(name_zh="类别0")
    client.force_login(district.users[Role.LEADER])
    assert received(client) == 9
    assert received(client, {"category": category.pk}) == 3
    year = Problem.objects.first().created_at.year
    assert received(client, {"year": year - 1}) == 0
    assert received(client) == 9


def test_each_language_has_its_own_figures(client, district, warm_calendar, keeping):
    bulk_problems(district, 3)
    client.force_login(district.users[Role.LEADER])

    def categories(language: str) -> list[str]:
        response = client.get(URL, HTTP_ACCEPT_LANGUAGE=language)
        return sorted(row.label for row in response.context["d"].categories)

    assert categories("zh-hans") == ["类别0", "类别1", "类别2"]
    assert categories("en") == ["Category 0", "Category 1", "Category 2"]
    assert categories("zh-hans") == ["类别0", "类别1", "类别2"]


def test_nothing_is_kept_when_the_setting_is_zero(client, district, warm_calendar, settings):
    settings.LIAISON_DASHBOARD_KEEP_SECONDS = 0
    bulk_problems(district, 2)
    client.force_login(district.users[Role.LEADER])
    assert received(client) == 2
    bulk_problems(district, 1, first_reference=100)
    assert received(client) == 3


def test_at_most_max_kept_filters_are_kept_the_least_recently_used_going_first(monkeypatch):
    monkeypatch.setattr(kept, "MAX_KEPT", 3)
    counted = []

    def count(key):
        def run():
            counted.append(key)
            return key

        return run

    for key in "abc":
        assert kept.kept(key, count(key), seconds=60) == key
    assert kept.kept("a", count("a"), seconds=60) == "a"  # kept; now the most recent
    kept.kept("d", count("d"), seconds=60)  # "b" goes
    assert counted == ["a", "b", "c", "d"]
    kept.kept("a", count("a"), seconds=60)
    kept.kept("c", count("c"), seconds=60)
    kept.kept("b", count("b"), seconds=60)
    assert counted == ["a", "b", "c", "d", "b"]
    assert kept.kept("x", count("x"), seconds=0) == "x"
    assert kept.kept("x", count("x"), seconds=0) == "x"  # never kept
    assert counted[-2:] == ["x", "x"]
