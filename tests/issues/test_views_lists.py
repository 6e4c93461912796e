"""The problem lists: all problems (with every filter), triage, extensions, the desk, home."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from issues import selectors, workflow
from issues.models import Category, ExtensionRequest, Problem, Satisfaction, Status
from tests.twofactor import TWO_FACTOR_DEVICE

from .conftest import NOW, at, copy_problems

pytestmark = pytest.mark.django_db

LIST_URL = reverse("issues:list")
TRIAGE_URL = reverse("issues:triage")
EXTENSIONS_URL = reverse("issues:extensions")
DESK_URL = reverse("issues:department")
HOME_URL = reverse("home")
LOGIN_URL = reverse("login")

ALL_LISTS = [LIST_URL, TRIAGE_URL, EXTENSIONS_URL, DESK_URL, HOME_URL]


def listed(response) -> list[str]:
    """References of the problems on the page, in the order shown."""
    return [problem.reference for problem in response.context["page"].object_list]


def references(*problems) -> set[str]:
    return {problem.reference for problem in problems}


def returned_problem(make_problem, lead_staff) -> Problem:
    problem = make_problem(Status.DISPATCHED)
    workflow.problem_return(problem_id=problem.pk, actor=lead_staff, reason="不属本单位职责")
    return Problem.objects.get(pk=problem.pk)


def with_pending_extension(problem: Problem, lead_staff) -> ExtensionRequest:
    return workflow.problem_request_extension(
        problem_id=problem.pk, actor=lead_staff, days=3, reason="需等待检测报告"
    )


# --- who may open which list -----------------------------------------------------------


@pytest.mark.parametrize("url", ALL_LISTS)
def test_it_redirects_anonymous_users_to_login(client_as, url):
    response = client_as(None).get(url)

    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next={url}"


@pytest.mark.parametrize(
    "url, persona",
    [
        (LIST_URL, "enterprise_user"),
        (TRIAGE_URL, "office"),
        (EXTENSIONS_URL, "leader"),
        (DESK_URL, "lead_staff"),
        (HOME_URL, "office"),
    ],
)
def test_it_refuses_post(client_as, request, url, persona):
    response = client_as(request.getfixturevalue(persona)).post(url)

    assert response.status_code == 405


@pytest.mark.parametrize(
    "url, persona",
    [
        (TRIAGE_URL, "enterprise_user"),
        (TRIAGE_URL, "lead_head"),
        (TRIAGE_URL, "leader"),
        (TRIAGE_URL, "no_profile_user"),
        (EXTENSIONS_URL, "enterprise_user"),
        (EXTENSIONS_URL, "lead_head"),
        (EXTENSIONS_URL, "no_profile_user"),
        (DESK_URL, "enterprise_user"),
        (DESK_URL, "office"),
        (DESK_URL, "leader"),
        (DESK_URL, "superuser"),
        (DESK_URL, "no_profile_user"),
    ],
)
def test_it_hides_a_list_from_other_roles(client_as, request, url, persona):
    response = client_as(request.getfixturevalue(persona)).get(url)

    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["office", "superuser"])
def test_it_shows_triage_to_the_office(client_as, request, persona):
    assert client_as(request.getfixturevalue(persona)).get(TRIAGE_URL).status_code == 200


@pytest.mark.parametrize("persona", ["office", "superuser", "leader", "principal"])
def test_it_shows_extensions_to_the_office_and_leaders(client_as, request, persona):
    assert client_as(request.getfixturevalue(persona)).get(EXTENSIONS_URL).status_code == 200


# --- all problems ----------------------------------------------------------------------


@pytest.fixture
def spread(make_problem, co_department, other_staff, other_enterprise_user):
    """Problems in different hands.

    led      lead_department leads, co_department helps; the enterprise's
    other    other_department leads; the other enterprise's
    waiting  not dispatched; the enterprise's
    """
    return SimpleNamespace(
        led=make_problem(Status.IN_PROGRESS, co_departments=[co_department]),
        other=make_problem(Status.DISPATCHED, submitter=other_enterprise_user, lead=other_staff),
        waiting=make_problem(),
    )


@pytest.mark.parametrize("persona", ["office", "superuser", "leader", "principal"])
def test_it_lists_every_problem_for_the_office_and_leaders(client_as, request, spread, persona):
    response = client_as(request.getfixturevalue(persona)).get(LIST_URL)

    assert response.status_code == 200
    assert set(listed(response)) == references(spread.led, spread.other, spread.waiting)
    html = response.content.decode()
    assert "All problems" in html
    assert "3 problems" in html
    assert spread.other.enterprise.name in html
    assert spread.led.title in html


def test_it_offers_registering_to_the_office_only(client_as, office, leader, spread):
    register = reverse("issues:register")

    assert register in client_as(office).get(LIST_URL).content.decode()
    assert register not in client_as(leader).get(LIST_URL).content.decode()


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("lead_staff", {"led"}),
        ("lead_head", {"led"}),
        ("co_staff", {"led"}),
        ("other_head", {"other"}),
    ],
)
def test_it_lists_the_departments_problems(client_as, request, spread, persona, expected):
    response = client_as(request.getfixturevalue(persona)).get(LIST_URL)

    assert set(listed(response)) == {getattr(spread, name).reference for name in expected}


def test_it_lists_the_enterprises_own_problems(client_as, enterprise_user, spread):
    response = client_as(enterprise_user).get(LIST_URL)

    assert set(listed(response)) == references(spread.led, spread.waiting)
    html = response.content.decode()
    assert "My problems" in html
    assert reverse("issues:submit") in html
    assert spread.other.title not in html
    # Its own name is not repeated on every row; the office's filters are not offered.
    assert spread.led.enterprise.name not in html
    assert 'name="lead_department"' not in html
    assert 'name="enterprise"' not in html
    assert 'name="q"' in html


def test_it_does_not_widen_an_enterprises_list_by_filter(
    client_as, enterprise_user, other_enterprise, spread
):
    response = client_as(enterprise_user).get(LIST_URL, {"enterprise": other_enterprise.pk})

    # The enterprise filter is not offered to enterprises and is ignored: only its own.
    own = set(
        Problem.objects.filter(enterprise=enterprise_user.profile.enterprise).values_list(
            "reference", flat=True
        )
    )
    assert set(listed(response)) <= own


def test_it_ignores_internal_filters_for_an_enterprise(client_as, enterprise_user, leader, spread):
    everything = listed(client_as(enterprise_user).get(LIST_URL))

    response = client_as(enterprise_user).get(LIST_URL, {"responsible_leader": leader.pk})

    assert listed(response) == everything


def test_it_lists_nothing_for_a_user_without_a_role(client_as, no_profile_user, spread):
    response = client_as(no_profile_user).get(LIST_URL)

    assert response.status_code == 200
    assert listed(response) == []


@pytest.fixture
def variety(
    make_problem,
    office,
    principal,
    other_staff,
    other_department,
    other_enterprise_user,
):
    """Four problems that each filter tells apart (all times Asia/Shanghai).

    electricity  submitted 2025-03-03, not dispatched; the enterprise's
    hiring       employment category, other_department leads since NOW (overdue by now);
                 the other enterprise's
    waste        answered by lead_department
    fresh        dispatched today to lead_department, principal responsible: due in 10
                 working days
    """
    employment = Category.objects.create(
        name_zh="用工", name_en="Employment", default_lead_department=other_department
    )
    electricity = make_problem(now=at("2025-03-03 09:00"), title="电费成本偏高")
    hiring = make_problem(
        Status.IN_PROGRESS, submitter=other_enterprise_user, lead=other_staff, title="技术工人短缺"
    )
    Problem.objects.filter(pk=hiring.pk).update(category=employment)  # arranged, not a transition
    waste = make_problem(Status.RESOLVED, title="危废处置渠道不畅")
    fresh = make_problem(now=timezone.now(), title="厂房消防验收")
    workflow.problem_dispatch(
        problem_id=fresh.pk,
        actor=office,
        lead_department=fresh.category.default_lead_department,
        responsible_leader=principal,
    )
    return SimpleNamespace(
        electricity=electricity,
        hiring=hiring,
        waste=waste,
        fresh=fresh,
        employment=employment,
        other_department=other_department,
        other_enterprise=other_enterprise_user.profile.enterprise,
        principal=principal,
        leader=other_department.supervising_leader,
    )


FILTER_CASES = {
    "status": ({"status": "submitted"}, {"electricity"}),
    "two statuses": ({"status": ["submitted", "resolved"]}, {"electricity", "waste"}),
    "lead department": ({"lead_department": "other_department"}, {"hiring"}),
    "category": ({"category": "employment"}, {"hiring"}),
    "responsible leader": ({"responsible_leader": "principal"}, {"fresh"}),
    # The responsible leader, else the lead department's supervising leader.
    "district leader: named": ({"district_leader": "principal"}, {"fresh"}),
    "district leader: supervising": ({"district_leader": "leader"}, {"hiring", "waste"}),
    "enterprise": ({"enterprise": "other_enterprise"}, {"hiring"}),
    "overdue": ({"overdue": "on"}, {"hiring"}),
    "overdue unticked": ({"overdue": ""}, {"electricity", "hiring", "waste", "fresh"}),
    "due within 10 working days": ({"due_within": "10"}, {"fresh"}),
    "due within 9 working days": ({"due_within": "9"}, set()),
    "submitted after": ({"submitted_after": "2025-09-26"}, {"hiring", "waste", "fresh"}),
    "submitted before": ({"submitted_before": "2025-03-03"}, {"electricity"}),
    "submitted between": (
        {"submitted_after": "2025-03-04", "submitted_before": "2025-09-26"},
        {"hiring", "waste"},
    ),
    "q: title": ({"q": "电费"}, {"electricity"}),
    "q: enterprise name": ({"q": "南湖新材料"}, {"hiring"}),
    "q: description": ({"q": "漆渣"}, {"electricity", "hiring", "waste", "fresh"}),
    "q: blank": ({"q": "  "}, {"electricity", "hiring", "waste", "fresh"}),
    "q: nothing": ({"q": "无此内容"}, set()),
}


@pytest.mark.parametrize("params, expected", FILTER_CASES.values(), ids=FILTER_CASES.keys())
def test_it_filters_problems(client_as, office, variety, params, expected):
    # Object-valued parameters name an attribute of `variety`; use its primary key.
    query = {
        name: getattr(variety, value).pk if hasattr(variety, str(value)) else value
        for name, value in params.items()
    }

    response = client_as(office).get(LIST_URL, query)

    assert response.status_code == 200
    assert response.context["filter"].form.errors == {}
    assert set(listed(response)) == {getattr(variety, name).reference for name in expected}


@pytest.mark.parametrize(
    "params, shown",
    [
        ({}, []),
        ({"ordering": "due", "page": "1"}, []),
        (
            {"district_leader": "principal", "status": ["dispatched", "in_progress"]},
            ["Status: Dispatched, In progress", "District leader: principal"],
        ),
        (
            {"overdue": "on", "lead_department": "other_department"},
            ["Lead department: 区人力资源和社会保障局", "Overdue now"],
        ),
        ({"due_within": "2", "q": "漆渣"}, ["Search: 漆渣", "Due within N working days: 2"]),
        ({"town": "0"}, ["Town or street: (none)"]),
    ],
)
def test_it_says_what_the_list_is_narrowed_to(client_as, office, variety, params, shown):
    query = {
        name: getattr(variety, value).pk if hasattr(variety, str(value)) else value
        for name, value in params.items()
    }

    response = client_as(office).get(LIST_URL, query)

    html = response.content.decode()
    chips = re.findall(r'<span class="badge[^"]*liaison-filter-chip">([^<]*)</span>', html)
    assert chips == shown
    assert ('id="active-filters"' in html) == bool(shown)


def test_it_finds_a_problem_by_its_reference(client_as, office, variety):
    response = client_as(office).get(LIST_URL, {"q": variety.waste.reference})

    assert listed(response) == [variety.waste.reference]


def test_it_lists_newest_first_by_default(client_as, office, variety):
    response = client_as(office).get(LIST_URL)

    assert listed(response) == [
        variety.fresh.reference,
        variety.waste.reference,
        variety.hiring.reference,
        variety.electricity.reference,
    ]


@pytest.mark.parametrize(
    "ordering, expected",
    [
        ("reference", ["electricity", "hiring", "waste", "fresh"]),
        ("-reference", ["fresh", "waste", "hiring", "electricity"]),
        ("created", ["electricity", "hiring", "waste", "fresh"]),
        ("-due", None),
    ],
)
def test_it_orders_problems(client_as, office, variety, ordering, expected):
    response = client_as(office).get(LIST_URL, {"ordering": ordering})

    shown = listed(response)
    if expected is None:  # by deadline, latest first: the open and answered ones are ordered
        due = {p.reference: p.due_at for p in Problem.objects.exclude(due_at=None)}
        with_deadline = [reference for reference in shown if reference in due]
        assert with_deadline == sorted(with_deadline, key=due.get, reverse=True)
        assert set(shown) == {p.reference for p in Problem.objects.all()}
    else:
        assert shown == [getattr(variety, name).reference for name in expected]


def test_it_lists_the_most_overdue_first(client_as, office, make_problem):
    now = timezone.now()
    late = {days: make_problem(Status.IN_PROGRESS) for days in (2, 9, 5)}
    for days, problem in late.items():  # arranged, not a transition
        Problem.objects.filter(pk=problem.pk).update(due_at=now - dt.timedelta(days=days))
    most_overdue_first = [late[9].reference, late[5].reference, late[2].reference]
    client = client_as(office)

    shown = listed(client.get(LIST_URL, {"overdue": "on"}))
    # An order the person chose still wins.
    chosen = listed(client.get(LIST_URL, {"overdue": "on", "ordering": "-due"}))

    assert shown == most_overdue_first
    assert chosen == most_overdue_first[::-1]


def test_it_filters_by_status_without_distinct(client_as, office, variety):
    # The choice filters read the problem's own columns: no DISTINCT, which would make the
    # database sort every matching row before taking a page.
    query = {"status": ["submitted", "resolved", "in_progress"]}
    query["lead_department"] = variety.other_department.pk

    response = client_as(office).get(LIST_URL, query)

    assert listed(response) == [variety.hiring.reference]
    assert not response.context["page"].paginator.object_list.query.distinct


@pytest.mark.parametrize(
    "params, field, error",
    [
        ({"status": "bogus"}, "status", "Select a valid choice."),
        ({"lead_department": "999999"}, "lead_department", "Select a valid choice."),
        ({"lead_department": "abc"}, "lead_department", "Select a valid choice."),
        ({"category": "999999"}, "category", "Select a valid choice."),
        ({"enterprise": "999999"}, "enterprise", "Select a valid choice."),
        ({"responsible_leader": "999999"}, "responsible_leader", "Select a valid choice."),
        ({"due_within": "31"}, "due_within", "less than or equal to 30"),
        ({"due_within": "-1"}, "due_within", "greater than or equal to 0"),
        ({"due_within": "soon"}, "due_within", "Enter a number."),
        ({"submitted_after": "2025-13-01"}, "submitted_after", "Enter a valid date."),
        ({"submitted_before": "yesterday"}, "submitted_before", "Enter a valid date."),
        ({"submitted_after": "0001-01-01"}, "submitted_after", "from 2000-01-01 to 2100-12-31"),
        ({"submitted_before": "9999-12-31"}, "submitted_before", "from 2000-01-01 to 2100-12-31"),
        ({"ordering": "password"}, "ordering", "Select a valid choice."),
    ],
)
def test_it_shows_an_invalid_filter_as_a_form_error(
    client_as, office, variety, params, field, error
):
    response = client_as(office).get(LIST_URL, params)

    assert response.status_code == 200
    assert field in response.context["filter"].form.errors
    assert error in response.content.decode()
    assert listed(response) == []


@pytest.fixture
def thirty(make_problem):
    first = make_problem(Status.IN_PROGRESS)
    return [first, *copy_problems(first, 29)]


def test_it_pages_by_25(client_as, office, thirty):
    client = client_as(office)

    first = client.get(LIST_URL)
    second = client.get(LIST_URL, {"page": "2"})

    assert len(listed(first)) == 25
    assert len(listed(second)) == 5
    assert set(listed(first)) | set(listed(second)) == references(*thirty)
    assert 'href="?page=2"' in first.content.decode()


@pytest.mark.parametrize("ordering", ["due", "-due", "created", "-reference"])
def test_it_pages_without_losing_or_repeating_a_problem(client_as, office, thirty, ordering):
    # Every copy has the same deadline and submission time: a page boundary must not
    # depend on how the database breaks ties.
    client = client_as(office)

    first = listed(client.get(LIST_URL, {"ordering": ordering}))
    second = listed(client.get(LIST_URL, {"ordering": ordering, "page": "2"}))

    assert len(first) + len(second) == 30
    assert set(first) | set(second) == references(*thirty)


def test_it_keeps_the_filter_in_the_page_links(client_as, office, thirty):
    response = client_as(office).get(LIST_URL, {"status": "in_progress", "page": "2"})

    assert len(listed(response)) == 5
    assert 'href="?status=in_progress&amp;page=1"' in response.content.decode()


@pytest.fixture
def small_cap(monkeypatch):
    """Lists of 2 a page whose counts stop after 4 (liaison.pages.COUNT_CAP is 1000)."""
    monkeypatch.setattr("liaison.pages.PAGE_SIZE", 2)
    monkeypatch.setattr("liaison.pages.COUNT_CAP", 4)


def test_it_says_more_than_the_cap_and_still_pages_to_the_end(
    client_as, office, small_cap, make_problem
):
    first = make_problem(Status.IN_PROGRESS)
    copy_problems(first, 6)
    client = client_as(office)

    response = client.get(LIST_URL)
    page3 = client.get(LIST_URL, {"page": "3"})
    page4 = client.get(LIST_URL, {"page": "4"})

    assert "4+ problems" in response.content.decode()
    assert "Page 1 of 2+" in response.content.decode()
    assert "page=2" in response.content.decode()
    # Beyond the cap the count reaches the page asked for, and one more row: "Next" shows.
    assert len(listed(page3)) == 2 and "page=4" in page3.content.decode()
    assert len(listed(page4)) == 1
    assert "7 problems" in page4.content.decode() and "Page 4 of 4" in page4.content.decode()


def test_it_counts_exactly_under_the_cap(client_as, office, small_cap, make_problem):
    first = make_problem(Status.IN_PROGRESS)
    copy_problems(first, 3)

    response = client_as(office).get(LIST_URL)

    assert "4 problems" in response.content.decode()
    assert "Page 1 of 2<" in response.content.decode()


def test_it_caps_the_desk_counts(client_as, lead_staff, small_cap, make_problem):
    first = make_problem(Status.DISPATCHED)
    copy_problems(first, 5)

    response = client_as(lead_staff).get(DESK_URL)

    assert str(response.context["counts"]["inbox"]) == "4+"
    assert response.context["counts"]["in_progress"] == 0


@pytest.mark.parametrize("persona", ["office", "lead_staff", "co_staff"])
@pytest.mark.parametrize("ordering", [None, "due", "-reference"])
def test_it_shows_every_page_in_the_lists_order(
    client_as, request, small_cap, rows, make_problem, persona, ordering
):
    # Past the first page the paginator reads the page's keys, then those rows with their
    # relations (liaison.pages.CappedPaginator.page): each page still holds exactly the
    # rows the list's order puts there, ties broken by id, co-handled problems included.
    rows(7)
    make_problem(Status.IN_PROGRESS, now=at("2025-09-25 09:00"))
    user = request.getfixturevalue(persona)
    keys = {None: ("-created_at", "-id"), "due": ("due_at", "id"), "-reference": ("-reference",)}
    expected = list(
        selectors.visible_to(user)
        .order_by(*keys[ordering], "-id")
        .values_list("reference", flat=True)
    )
    client = client_as(user)
    params = {"ordering": ordering} if ordering else {}

    shown = [
        reference
        for number in range(1, 5)
        for reference in listed(client.get(LIST_URL, {**params, "page": number}))
    ]

    assert len(expected) == (8 if persona != "co_staff" else 7)
    assert shown == expected


def test_it_shows_every_page_of_a_search_in_order(client_as, office, small_cap, rows, make_problem):
    # The keys of a page past the first are read with the search's own conditions.
    rows(5)
    make_problem(Status.IN_PROGRESS, title="电力增容", now=at("2025-09-25 09:00"))
    expected = list(
        selectors.visible_to(office)
        .filter(title__contains="危废")
        .order_by("-created_at", "-id")
        .values_list("reference", flat=True)
    )
    client = client_as(office)

    shown = [
        reference
        for number in range(1, 4)
        for reference in listed(client.get(LIST_URL, {"q": "危废", "page": number}))
    ]

    assert len(expected) == 5
    assert shown == expected


@pytest.mark.parametrize(
    "page, expected_number",
    [("abc", 1), ("0", 2), ("999", 2), ("", 1), ("99999999999999999999", 2), ("1e999", 1)],
)
def test_it_survives_a_bad_page_number(client_as, office, thirty, page, expected_number):
    response = client_as(office).get(LIST_URL, {"page": page})

    assert response.status_code == 200
    assert response.context["page"].number == expected_number


# --- triage ----------------------------------------------------------------------------


def test_it_shows_new_problems_in_triage(client_as, office, make_problem, lead_staff):
    new = make_problem()
    returned = returned_problem(make_problem, lead_staff)
    make_problem(Status.DISPATCHED)

    response = client_as(office).get(TRIAGE_URL)

    assert listed(response) == [new.reference]
    assert response.context["new_count"] == 1
    assert response.context["returned_count"] == 1
    assert returned.title not in response.content.decode()


def test_it_shows_returned_problems_in_triage(client_as, office, make_problem, lead_staff):
    make_problem()
    returned = returned_problem(make_problem, lead_staff)

    response = client_as(office).get(TRIAGE_URL, {"show": "returned"})

    assert listed(response) == [returned.reference]
    assert returned.title in response.content.decode()


def test_it_caps_the_triage_counts(client_as, office, small_cap, make_problem, lead_staff):
    copy_problems(make_problem(), 5)
    returned_problem(make_problem, lead_staff)

    response = client_as(office).get(TRIAGE_URL)

    assert str(response.context["new_count"]) == "4+"
    assert response.context["returned_count"] == 1


def test_it_orders_only_the_counts_asked_to_read_an_index_in_order(make_problem):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from issues import selectors
    from liaison.pages import capped_counts

    make_problem()
    with CaptureQueriesContext(connection) as captured:
        counts = capped_counts(
            in_order=("new",), new=selectors.triage_new(), returned=selectors.triage_returned()
        )

    assert counts == {"new": 1, "returned": 0}
    # The "new" subquery keeps its order (its partial index's), the other has none.
    assert captured.captured_queries[0]["sql"].count("ORDER BY") == 1


def test_the_offices_escalation_count_reads_its_index_in_order_a_leaders_does_not(
    client_as, office, leader, make_problem
):
    """The office's escalation list is exactly problem_open_escalated's rows in its order:
    its capped count keeps that order (the database walks the index and stops at the
    cap). A leader's list is only part of those rows: its count has no order."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    problem = make_problem(Status.IN_PROGRESS)
    Problem.objects.filter(pk=problem.pk).update(
        escalation_level=1, due_at=NOW - dt.timedelta(days=3)
    )

    for user, ordered in ((office, True), (leader, False)):
        with CaptureQueriesContext(connection) as captured:
            response = client_as(user).get("/problems/escalations/")
        assert response.status_code == 200
        (count,) = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"]]
        assert ("ORDER BY" in count) is ordered
        assert problem.reference in response.content.decode()


def test_it_lists_triage_oldest_first(client_as, office, make_problem):
    older = make_problem(now=at("2025-09-25 09:00"))
    newer = make_problem(now=NOW)

    assert listed(client_as(office).get(TRIAGE_URL)) == [older.reference, newer.reference]


def test_it_treats_an_unknown_triage_tab_as_new(client_as, office, make_problem):
    new = make_problem()

    response = client_as(office).get(TRIAGE_URL, {"show": "<b>x</b>"})

    assert listed(response) == [new.reference]
    assert "<b>x</b>" not in response.content.decode()


# --- extension requests ----------------------------------------------------------------


def test_it_lists_pending_extension_requests(client_as, office, make_problem, lead_staff, leader):
    pending = make_problem(Status.IN_PROGRESS)
    extension = with_pending_extension(pending, lead_staff)
    decided = make_problem(Status.IN_PROGRESS)
    workflow.problem_decide_extension(
        extension_id=with_pending_extension(decided, lead_staff).pk, actor=leader, approve=False
    )

    response = client_as(office).get(EXTENSIONS_URL)

    assert [e.pk for e in response.context["page"].object_list] == [extension.pk]
    html = response.content.decode()
    assert pending.title in html
    assert "需等待检测报告" in html
    assert "3 more working days" in html
    assert reverse("issues:extension_decide", args=[extension.pk]) in html
    assert decided.title not in html


def test_it_says_when_no_extension_waits(client_as, leader):
    response = client_as(leader).get(EXTENSIONS_URL)

    assert "No extension request waits for a decision." in response.content.decode()


# --- the department desk ---------------------------------------------------------------


@pytest.fixture
def desk(make_problem, co_department, other_staff):
    """One problem in each tab of lead_department's desk, and some that are not its."""
    return SimpleNamespace(
        inbox=make_problem(Status.DISPATCHED),
        in_progress=make_problem(Status.IN_PROGRESS),
        resolved=make_problem(Status.RESOLVED),
        other=make_problem(Status.DISPATCHED, lead=other_staff),
        co=make_problem(Status.IN_PROGRESS, lead=other_staff, co_departments=[co_department]),
    )


@pytest.mark.parametrize(
    "persona, tab, expected",
    [
        ("lead_staff", None, "inbox"),
        ("lead_staff", "inbox", "inbox"),
        ("lead_head", "in_progress", "in_progress"),
        ("lead_staff", "nonsense", "inbox"),
        ("co_staff", "co", "co"),
    ],
)
def test_it_shows_a_tab_of_the_department_desk(client_as, request, desk, persona, tab, expected):
    params = {"tab": tab} if tab else {}

    response = client_as(request.getfixturevalue(persona)).get(DESK_URL, params)

    assert response.status_code == 200
    assert response.context["tab"] == expected
    assert listed(response) == [getattr(desk, expected).reference]


def test_it_counts_the_desk_tabs(client_as, lead_staff, desk):
    response = client_as(lead_staff).get(DESK_URL)

    counts = response.context["counts"]
    assert (counts["inbox"], counts["in_progress"], counts["co"]) == (1, 1, 0)
    # Both open problems were dispatched at NOW, a year and more ago.
    assert counts["overdue"] == 2
    assert "2 problems are overdue." in response.content.decode()


def test_it_leaves_the_co_tab_to_the_co_department(client_as, lead_staff, co_staff, desk):
    assert listed(client_as(lead_staff).get(DESK_URL, {"tab": "co"})) == []
    assert listed(client_as(co_staff).get(DESK_URL, {"tab": "inbox"})) == []


# --- home ------------------------------------------------------------------------------


def test_it_shows_the_offices_figures_at_home(client_as, office, make_problem, lead_staff):
    make_problem()
    returned_problem(make_problem, lead_staff)
    with_pending_extension(make_problem(Status.IN_PROGRESS), lead_staff)
    make_problem(Status.RESOLVED)
    make_problem(Status.CLOSED)
    reviewed = make_problem(Status.RESOLVED)
    workflow.callback_record(
        problem_id=reviewed.pk,
        actor=office,
        outcome="reached",
        satisfaction=Satisfaction.UNSATISFIED,
        said="不满意",
        called_at=NOW + dt.timedelta(days=1),
        now=NOW + dt.timedelta(days=1),
    )

    response = client_as(office).get(HOME_URL)

    figures = response.context["problems"]
    assert figures == {
        "new": 1,
        "returned": 1,
        "open": 1,
        "overdue": 1,
        "extensions": 1,
        # Call-backs: one answered to call; one unsatisfied call-back to review.
        "to_call_back": 1,
        "to_review": 1,
    }
    assert f'href="{TRIAGE_URL}?show=returned"' in response.content.decode()


def test_it_shows_the_enterprises_figures_at_home(
    client_as, enterprise_user, other_enterprise_user, make_problem
):
    make_problem()
    make_problem(Status.RESOLVED)
    make_problem(Status.CLOSED)
    make_problem(Status.IN_PROGRESS, submitter=other_enterprise_user)

    response = client_as(enterprise_user).get(HOME_URL)

    assert response.context["problems"] == {"open": 1, "to_evaluate": 1, "concluded": 2}


def test_it_shows_the_desk_figures_at_a_departments_home(client_as, lead_head, desk):
    response = client_as(lead_head).get(HOME_URL)

    assert response.context["problems"] == {"inbox": 1, "in_progress": 1, "co": 0, "overdue": 2}


def test_it_shows_a_leaders_own_area_at_home(client_as, leader, principal, desk):
    # Every department here is supervised by `leader`, and no problem names a
    # responsible leader: all four open problems are the leader's, none the principal's.
    response = client_as(principal).get(HOME_URL)

    figures = response.context["problems"]
    assert figures["open"] == 4
    assert figures["my_open"] == 0
    assert client_as(leader).get(HOME_URL).context["problems"]["my_open"] == 4


def test_it_counts_the_problems_of_a_leaders_inactive_department(client_as, leader, desk):
    # "Mine" reads the ids of every department the leader supervises, one no longer
    # active too; the page lists only the active ones.
    from liaison.models import Department

    Department.objects.filter(pk=desk.inbox.lead_department_id).update(is_active=False)

    response = client_as(leader).get(HOME_URL)

    assert response.context["problems"]["my_open"] == 4
    assert desk.inbox.lead_department_id not in {
        d.pk for d in response.context["supervised_departments"]
    }


# --- query counts: constant in the number of rows --------------------------------------

SIZES = [2, 30]


@pytest.fixture
def rows(make_problem, co_department):
    """`rows(n, state)`: n problems of the enterprise, lead_department leading, co helping."""

    def make(n: int, state: str = Status.IN_PROGRESS) -> list[Problem]:
        first = make_problem(state, co_departments=[co_department])
        return [first, *copy_problems(first, n - 1)]

    return make


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("persona", ["office", "leader", "lead_staff", "co_staff"])
def test_it_counts_list_queries_for_officials(
    client_as, request, rows, warm_calendar, django_assert_num_queries, persona, n
):
    client = client_as(request.getfixturevalue(persona))
    rows(n)

    # 1 session, 2 user, 3 profile, 4 count of the problems shown; the filter's choices:
    # 5 departments, 6 categories, 7 leaders, 8 enterprises; 9 the page of problems with
    # their enterprise, category and lead department
    with django_assert_num_queries(9 + TWO_FACTOR_DEVICE):
        response = client.get(LIST_URL)
    assert len(listed(response)) == min(n, 25)


def test_it_counts_the_queries_of_a_page_past_the_first(
    client_as, office, rows, warm_calendar, django_assert_num_queries
):
    client = client_as(office)
    rows(30)

    # The 9 of the first page: the second reads its keys in the page's own query
    with django_assert_num_queries(9 + TWO_FACTOR_DEVICE) as captured:
        response = client.get(LIST_URL, {"page": "2"})
    assert len(listed(response)) == 5
    assert "OFFSET 25" in captured.captured_queries[-1]["sql"]


def test_it_counts_triage_in_the_order_of_its_index(
    client_as, office, make_problem, django_assert_num_queries
):
    make_problem()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client_as(office).get(TRIAGE_URL)
        client_as(office).get(LIST_URL)

    # The paginator's count of a triage tab keeps the tab's order (its partial index);
    # the main list's count has none (no index orders every filter's rows).
    paged = [q["sql"] for q in captured.captured_queries if ") subquery" in q["sql"]]
    assert len(paged) == 2
    assert "ORDER BY" in paged[0] and "ORDER BY" not in paged[1]


@pytest.mark.parametrize("n", SIZES)
def test_it_counts_list_queries_for_an_enterprise(
    client_as, enterprise_user, rows, warm_calendar, django_assert_num_queries, n
):
    client = client_as(enterprise_user)
    rows(n)

    # 1 session, 2 user, 3 profile, 4 count of its problems, 5 categories (the only
    # choice its filter offers), 6 the page of problems
    with django_assert_num_queries(6):
        response = client.get(LIST_URL)
    assert len(listed(response)) == min(n, 25)


@pytest.mark.parametrize("n", SIZES)
def test_it_counts_filtered_list_queries(
    client_as, office, rows, warm_calendar, django_assert_num_queries, n
):
    client = client_as(office)
    rows(n)
    params = {
        "status": "in_progress",
        "overdue": "on",
        "q": "危废",
        "ordering": "due",
        "appeal_type": ["request", "complaint"],
    }

    # The same 9 as unfiltered: filters narrow the two problem queries, add none
    with django_assert_num_queries(9 + TWO_FACTOR_DEVICE):
        response = client.get(LIST_URL, params)
    assert len(listed(response)) == min(n, 25)


@pytest.mark.parametrize("n", SIZES)
def test_it_counts_the_queries_of_a_leaders_area(
    client_as, leader, rows, warm_calendar, django_assert_num_queries, n
):
    client = client_as(leader)
    rows(n)
    # What "overdue in my area" on a leader's home page links to.
    params = {"district_leader": leader.pk, "status": ["in_progress"], "overdue": "on"}

    # The 9 of every list (both leader selects share one query for their choices), and
    # 10 the chosen leader (validating the choice; the list then names them)
    with django_assert_num_queries(10 + TWO_FACTOR_DEVICE):
        response = client.get(LIST_URL, params)
    assert len(listed(response)) == min(n, 25)
    assert "District leader: leader" in response.content.decode()


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("show", ["new", "returned"])
def test_it_counts_triage_queries(
    client_as, office, make_problem, lead_staff, warm_calendar, django_assert_num_queries, show, n
):
    client = client_as(office)
    first = returned_problem(make_problem, lead_staff) if show == "returned" else make_problem()
    copy_problems(first, n - 1)

    # 1 session, 2 user, 3 profile, 4 count of the tab shown (paginator, capped), 5 the
    # counts of new and of returned (one query, each capped: liaison.pages.capped_counts),
    # 6 the page of problems, 7 the open problems compared for possible duplicates (并单,
    # issues.similarity: one bounded query for the page)
    with django_assert_num_queries(7 + TWO_FACTOR_DEVICE):
        response = client.get(TRIAGE_URL, {"show": show})
    assert len(listed(response)) == min(n, 25)


@pytest.mark.parametrize("show", ["new", "returned"])
def test_it_counts_triage_queries_with_possible_duplicates(
    client_as,
    office,
    make_problem,
    lead_staff,
    other_enterprise_user,
    warm_calendar,
    django_assert_num_queries,
    show,
):
    client = client_as(office)
    first = returned_problem(make_problem, lead_staff) if show == "returned" else make_problem()
    copy_problems(first, 3)
    # Another enterprise's open problem, the same description: shown beside each of them.
    alike = make_problem(Status.IN_PROGRESS, submitter=other_enterprise_user)

    # The queries of test_it_counts_triage_queries: the duplicates shown (reference,
    # title, enterprise) come with query 7, nothing more is read for them.
    with time_machine.travel(alike.created_at + dt.timedelta(hours=5), tick=False):
        with django_assert_num_queries(7 + TWO_FACTOR_DEVICE):
            response = client.get(TRIAGE_URL, {"show": show})
    panel = response.content.decode().split('id="triage-duplicates"')[1]
    assert panel.count(f'data-merge-into="{alike.reference}"') == 4
    assert alike.title in panel and alike.enterprise.name in panel


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("persona", ["office", "leader"])
def test_it_counts_extension_list_queries(
    client_as, request, rows, lead_staff, warm_calendar, django_assert_num_queries, persona, n
):
    client = client_as(request.getfixturevalue(persona))
    problems = rows(n)
    ExtensionRequest.objects.bulk_create(
        ExtensionRequest(problem=p, requested_by=lead_staff, days=2, reason="等待检测报告")
        for p in problems
    )

    # 1 session, 2 user, 3 profile, 4 count of pending requests, 5 the page of requests
    # with their problem, its enterprise and lead department, and who asked
    with django_assert_num_queries(5 + TWO_FACTOR_DEVICE):
        response = client.get(EXTENSIONS_URL)
    assert len(response.context["page"].object_list) == min(n, 25)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize(
    "persona, tab, state",
    [
        ("lead_staff", "inbox", Status.DISPATCHED),
        ("lead_head", "in_progress", Status.IN_PROGRESS),
        ("co_staff", "co", Status.IN_PROGRESS),
    ],
)
def test_it_counts_department_desk_queries(
    client_as,
    request,
    rows,
    warm_calendar,
    django_assert_num_queries,
    persona,
    tab,
    state,
    n,
):
    client = client_as(request.getfixturevalue(persona))
    rows(n, state)

    # 1 session, 2 user, 3 profile, 4 the tab counts (one aggregate), 5 count of the tab
    # shown (paginator), 6 the page of problems, 7 the department's open action items
    with django_assert_num_queries(7 + TWO_FACTOR_DEVICE):
        response = client.get(DESK_URL, {"tab": tab})
    assert len(listed(response)) == min(n, 25)


# Officials: plus the device their session passed two-factor sign-in with.
HOME_QUERIES = {
    # 1 session, 2 user, 3 profile, 4 the problem figures (one aggregate), then:
    # 5 the enterprise with its town, 6 its coming meetings, 7 its commissioner (service)
    "enterprise_user": 7,
    "lead_staff": 5 + TWO_FACTOR_DEVICE,  # 5 the department with its supervising leader
    "lead_head": 5 + TWO_FACTOR_DEVICE,
    # 5 the departments they supervise, 6 their meetings' action items, 7 the
    # consultation requests waiting for their answer, 8 their key tasks
    "leader": 8 + TWO_FACTOR_DEVICE,
    "principal": 8 + TWO_FACTOR_DEVICE,
    # 5 confirmed calendar years, 6 active departments, 7 enterprises
    "office": 7 + TWO_FACTOR_DEVICE,
    "superuser": 7 + TWO_FACTOR_DEVICE,  # (as the office; its profile query finds nothing)
    "no_profile_user": 3,  # (no figures: the profile query finds nothing)
}


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("persona, queries", HOME_QUERIES.items(), ids=HOME_QUERIES.keys())
def test_it_counts_home_queries(
    client_as, request, rows, warm_calendar, django_assert_num_queries, persona, queries, n
):
    client = client_as(request.getfixturevalue(persona))
    rows(n)

    with django_assert_num_queries(queries):
        assert client.get(HOME_URL).status_code == 200


def test_it_pins_counts_with_real_time_deadlines(
    client_as, office, make_problem, warm_calendar, django_assert_num_queries
):
    # A problem due soon makes the deadline marker count working days; the calendar is
    # cached, so that costs no query.
    fresh = make_problem(now=timezone.now() - dt.timedelta(minutes=1))
    workflow.problem_dispatch(
        problem_id=fresh.pk, actor=office, lead_department=fresh.category.default_lead_department
    )
    client = client_as(office)

    with django_assert_num_queries(9 + TWO_FACTOR_DEVICE):
        response = client.get(LIST_URL)
    assert "working days left" in response.content.decode()
