"""Burden relief (减负): outcome lines with the answer, their edits, who may, and totals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from issues import selectors, workflow
from issues.models import EventKind, ReliefOutcome, Status
from issues.relief.money import format_yuan
from issues.workflow import OutcomeLine
from liaison.models import Department, Enterprise

from .conftest import NOW, at, copy_problems, messages_of

TAX = OutcomeLine("tax_fees", Decimal("1961000.00"), firms=1, jobs=20)
POWER = OutcomeLine("power", Decimal("91000.50"), firms=3)


def resolve(problem, actor, outcomes=None, **kwargs):
    return workflow.problem_resolve(
        problem_id=problem.pk,
        actor=actor,
        answer="已协调处置单位接收。",
        outcomes=outcomes,
        now=at("2025-09-26 14:00"),
        **kwargs,
    )


def form_data(problem, lines, *, answer="已协调处置单位接收。", initial=0, extra=()):
    data = {
        "answer": answer,
        "version": problem.version,
        "relief-TOTAL_FORMS": len(lines) + len(extra),
        "relief-INITIAL_FORMS": initial,
        "relief-MIN_NUM_FORMS": 0,
        "relief-MAX_NUM_FORMS": 20,
    }
    for i, line in enumerate([*lines, *extra]):
        for name, value in line.items():
            data[f"relief-{i}-{name}"] = value
    return data


# --- the workflow --------------------------------------------------------------------------


def test_it_records_outcome_lines_with_the_answer(make_problem, lead_staff):
    problem = make_problem(Status.IN_PROGRESS)

    resolve(problem, lead_staff, [TAX, POWER])

    lines = list(problem.relief_outcomes.order_by("id"))
    assert [(o.kind, o.amount, o.firms, o.jobs) for o in lines] == [
        ("tax_fees", Decimal("1961000.00"), 1, 20),
        ("power", Decimal("91000.50"), 3, 0),
    ]
    # Counted on the day of the first answer, in Asia/Shanghai.
    assert {o.counted_on for o in lines} == {dt.date(2025, 9, 26)}
    problem.refresh_from_db()
    assert problem.status == Status.RESOLVED


def test_an_answer_without_lines_records_none(make_problem, lead_staff):
    problem = make_problem(Status.IN_PROGRESS)
    resolve(problem, lead_staff, None)
    assert not problem.relief_outcomes.exists()


@pytest.mark.parametrize(
    "line, message",
    [
        (OutcomeLine("tax_fees", Decimal("-1")), "cannot be negative"),
        (OutcomeLine("tax_fees", Decimal("100000000000.01")), "typing mistake"),
        (OutcomeLine("tax_fees", Decimal("1e15")), "typing mistake"),
        (OutcomeLine("lottery", Decimal("10")), "Choose a kind"),
        (OutcomeLine("tax_fees", Decimal("0")), "needs an amount, firms or jobs"),
        (OutcomeLine("tax_fees", Decimal("1.001")), "two decimals"),
        (OutcomeLine("tax_fees", Decimal("NaN")), "cannot be negative"),
        (OutcomeLine("tax_fees", Decimal("1"), firms=-1), "Firms affected"),
        (OutcomeLine("tax_fees", Decimal("1"), jobs=10**9), "jobs affected"),
        (OutcomeLine("tax_fees", Decimal("1"), note="长" * 201), "at most 200"),
    ],
)
def test_bad_lines_are_refused_and_nothing_changes(make_problem, lead_staff, line, message):
    problem = make_problem(Status.IN_PROGRESS)

    # In the user's language (here English), whether formatted when raised or when read.
    with translation.override("en"):
        with pytest.raises(workflow.TransitionError) as error:
            resolve(problem, lead_staff, [TAX, line])
        assert message in str(error.value.message)
    problem.refresh_from_db()
    assert problem.status == Status.IN_PROGRESS
    assert not ReliefOutcome.objects.exists()


def test_too_many_lines_are_refused(make_problem, lead_staff):
    problem = make_problem(Status.IN_PROGRESS)
    with translation.override("zh-hans"), pytest.raises(workflow.TransitionError) as error:
        resolve(problem, lead_staff, [TAX] * 21)
    with translation.override("zh-hans"):
        message = str(error.value.message)
    assert "每个问题最多填写 20 行" in message


def test_the_lead_department_and_the_office_edit_until_closed(make_problem, lead_staff, office):
    problem = make_problem(Status.IN_PROGRESS)
    resolve(problem, lead_staff, [TAX])
    problem.refresh_from_db()
    version = problem.version

    workflow.relief_outcomes_set(
        problem_id=problem.pk, actor=office, lines=[POWER], expected_version=version
    )

    assert list(problem.relief_outcomes.values_list("kind", flat=True)) == ["power"]
    # Still counted on the day of the first answer.
    assert problem.relief_outcomes.get().counted_on == dt.date(2025, 9, 26)
    event = problem.events.get(kind=EventKind.RELIEF_EDITED)
    assert event.is_public is False
    assert event.data == {"before": [["tax_fees", "1961000.00"]], "after": [["power", "91000.50"]]}
    problem.refresh_from_db()
    assert problem.version == version + 1
    # The stale page that still holds the old version is refused.
    with pytest.raises(workflow.StaleProblem):
        workflow.relief_outcomes_set(
            problem_id=problem.pk, actor=lead_staff, lines=[], expected_version=version
        )
    workflow.relief_outcomes_set(problem_id=problem.pk, actor=lead_staff, lines=[])
    assert not problem.relief_outcomes.exists()


@pytest.mark.parametrize("persona", ["other_staff", "co_staff", "enterprise_user", "leader"])
def test_others_may_not_edit(request, make_problem, lead_staff, co_department, persona):
    problem = make_problem(Status.IN_PROGRESS, co_departments=[co_department])
    resolve(problem, lead_staff, [TAX])

    with (
        translation.override("en"),
        pytest.raises(workflow.NotAllowed, match="lead department or the liaison office"),
    ):
        workflow.relief_outcomes_set(
            problem_id=problem.pk, actor=request.getfixturevalue(persona), lines=[POWER]
        )
    assert list(problem.relief_outcomes.values_list("kind", flat=True)) == ["tax_fees"]


def test_an_unanswered_problem_has_no_relief_to_edit(make_problem, office):
    problem = make_problem(Status.IN_PROGRESS)
    with translation.override("en"), pytest.raises(workflow.NotAllowed, match="not been answered"):
        workflow.relief_outcomes_set(problem_id=problem.pk, actor=office, lines=[TAX])
    assert not ReliefOutcome.objects.exists()


def test_a_closed_problem_keeps_its_relief(make_problem, office):
    problem = make_problem(Status.CLOSED)
    with translation.override("en"), pytest.raises(workflow.NotAllowed, match="closed"):
        workflow.relief_outcomes_set(problem_id=problem.pk, actor=office, lines=[TAX])


# --- pages --------------------------------------------------------------------------------

LINE_TAX = {"kind": "tax_fees", "amount": "1961000", "firms": "1", "jobs": "20", "note": ""}
LINE_POWER = {"kind": "power", "amount": "91000.5", "firms": "3", "jobs": "", "note": "直接交易"}
BLANK = {"kind": "", "amount": "", "firms": "1", "jobs": "", "note": ""}


def test_a_department_records_two_lines_while_answering(client_as, make_problem, lead_staff):
    problem = make_problem(Status.IN_PROGRESS)
    client = client_as(lead_staff)
    page = client.get(reverse("issues:detail", args=[problem.reference]))
    assert 'name="relief-0-amount"' in page.content.decode()

    response = client.post(
        reverse("issues:resolve", args=[problem.reference]),
        form_data(problem, [LINE_TAX, LINE_POWER], extra=[BLANK]),
        follow=True,
    )

    assert ("success", "The answer was sent; the enterprise is asked to evaluate it.") in (
        messages_of(response)
    )
    assert sorted(problem.relief_outcomes.values_list("kind", "amount")) == [
        ("power", Decimal("91000.50")),
        ("tax_fees", Decimal("1961000.00")),
    ]
    html = response.content.decode()
    assert 'id="relief-outcomes"' in html
    assert "1,961,000 yuan" in html


@pytest.mark.parametrize(
    "line, error",
    [
        ({**LINE_TAX, "amount": "-5"}, "An amount cannot be negative."),
        ({**LINE_TAX, "amount": "200000000000"}, "surely a typing mistake"),
        ({**LINE_TAX, "kind": "lottery"}, "Select a valid choice."),
        ({**LINE_TAX, "amount": ""}, "This field is required."),
        ({**LINE_TAX, "amount": "0", "firms": "0", "jobs": ""}, "needs an amount, firms or jobs"),
    ],
)
def test_a_refused_line_keeps_the_answer_unsent(client_as, make_problem, lead_staff, line, error):
    problem = make_problem(Status.IN_PROGRESS)

    response = client_as(lead_staff).post(
        reverse("issues:resolve", args=[problem.reference]), form_data(problem, [line])
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Check the burden relief lines below the answer." in html
    assert error in html
    problem.refresh_from_db()
    assert problem.status == Status.IN_PROGRESS
    assert not ReliefOutcome.objects.exists()


def test_an_answer_without_the_formset_still_goes(client_as, make_problem, lead_staff):
    problem = make_problem(Status.IN_PROGRESS)
    client_as(lead_staff).post(
        reverse("issues:resolve", args=[problem.reference]),
        {"answer": "已答复。", "version": problem.version},
    )
    problem.refresh_from_db()
    assert problem.status == Status.RESOLVED


def test_the_edit_page(client_as, make_problem, lead_staff, office):
    problem = make_problem(Status.IN_PROGRESS)
    resolve(problem, lead_staff, [TAX])
    problem.refresh_from_db()
    url = reverse("issues:relief", args=[problem.reference])
    client = client_as(office)

    page = client.get(url)
    assert page.status_code == 200
    assert 'value="1961000.00"' in page.content.decode()
    data = form_data(problem, [LINE_POWER], initial=1, extra=[])
    data = {
        **form_data(problem, [{**LINE_TAX, "DELETE": "on"}, LINE_POWER], initial=1),
        "version": problem.version,
    }
    data.pop("answer")
    response = client.post(url, data, follow=True)

    assert ("success", "The burden relief was saved.") in messages_of(response)
    assert list(problem.relief_outcomes.values_list("kind", flat=True)) == ["power"]


def test_the_edit_page_refuses_an_absurd_amount(client_as, make_problem, lead_staff):
    problem = make_problem(Status.IN_PROGRESS)
    resolve(problem, lead_staff, [TAX])
    problem.refresh_from_db()
    url = reverse("issues:relief", args=[problem.reference])
    data = form_data(problem, [{**LINE_TAX, "amount": "1e13"}], initial=1)
    data.pop("answer")

    response = client_as(lead_staff).post(url, data)

    assert response.status_code == 200
    assert "surely a typing mistake" in response.content.decode()
    assert problem.relief_outcomes.get().amount == Decimal("1961000.00")


def test_the_edit_page_is_not_for_others(client_as, make_problem, lead_staff, enterprise_user):
    problem = make_problem(Status.IN_PROGRESS)
    resolve(problem, lead_staff, [TAX])
    url = reverse("issues:relief", args=[problem.reference])

    response = client_as(enterprise_user).get(url, follow=True)

    assert response.redirect_chain[-1][0] == reverse("issues:detail", args=[problem.reference])
    assert messages_of(response)[0][0] == "error"


def test_the_edit_page_of_a_problem_out_of_sight_is_404(client_as, make_problem, other_staff):
    problem = make_problem(Status.RESOLVED)
    response = client_as(other_staff).get(reverse("issues:relief", args=[problem.reference]))
    assert response.status_code == 404


def test_the_enterprise_sees_its_problems_relief_read_only(
    client_as, make_problem, lead_staff, enterprise_user
):
    problem = make_problem(Status.IN_PROGRESS)
    resolve(problem, lead_staff, [TAX, POWER])

    html = client_as(enterprise_user).get(reverse("issues:detail", args=[problem.reference]))
    html = html.content.decode()

    assert 'id="relief-outcomes"' in html
    assert "91,001 yuan" in html
    assert 'id="relief-edit-link"' not in html


# --- totals ----------------------------------------------------------------------------------


def test_totals_match_hand_computed_figures(
    make_problem, lead_staff, other_staff, enterprise, django_assert_num_queries
):
    town = Department.objects.create(name="王江泾镇", kind=Department.Kind.TOWN)
    enterprise.town = town
    enterprise.save()
    a = make_problem(Status.IN_PROGRESS)
    b = make_problem(Status.IN_PROGRESS, lead=other_staff)
    c = make_problem(Status.IN_PROGRESS, now=at("2024-12-27 10:00"))
    resolve(a, lead_staff, [TAX, POWER])  # 2025-09-26
    resolve(b, other_staff, [OutcomeLine("tax_fees", Decimal("39000"), firms=2, jobs=5)])
    workflow.problem_resolve(
        problem_id=c.pk,
        actor=lead_staff,
        answer="已答复。",
        outcomes=[OutcomeLine("land", Decimal("5000000"), firms=1)],
        now=at("2024-12-31 10:00"),
    )

    # The lines grouped by year, kind, department and town; the departments' and towns' names.
    with django_assert_num_queries(2):
        totals = selectors.relief_totals(since=dt.date(2025, 1, 1), until=dt.date(2025, 12, 31))

    assert totals.total.amount == Decimal("1961000") + Decimal("91000.50") + Decimal("39000")
    assert (totals.total.firms, totals.total.jobs, totals.total.lines) == (6, 25, 3)
    assert [(r.key, r.amount) for r in totals.by_kind if r.lines] == [
        ("tax_fees", Decimal("2000000")),
        ("power", Decimal("91000.50")),
    ]
    assert len(totals.by_kind) == 7  # every kind, the empty ones last
    assert [(r.label, r.amount) for r in totals.by_department] == [
        ("区生态环境分局", Decimal("2052000.50")),
        ("区人力资源和社会保障局", Decimal("39000")),
    ]
    assert [(r.label, r.amount) for r in totals.by_town] == [("王江泾镇", Decimal("2091000.50"))]
    assert [(r.key, r.amount) for r in totals.by_year] == [(2025, Decimal("2091000.50"))]

    both_years = selectors.relief_totals(
        since=dt.date(2024, 1, 1), until=dt.date(2025, 12, 31), department=a.lead_department
    )
    assert [(r.key, r.amount) for r in both_years.by_year] == [
        (2024, Decimal("5000000")),
        (2025, Decimal("2052000.50")),
    ]
    assert both_years.amount_of("land") == Decimal("5000000")


def test_totals_take_two_queries_whatever_the_number_of_lines(
    make_problem, lead_staff, django_assert_num_queries
):
    problem = make_problem(Status.IN_PROGRESS)
    resolve(problem, lead_staff, [TAX])
    others = copy_problems(problem, 30)
    ReliefOutcome.objects.bulk_create(
        ReliefOutcome(
            problem=p,
            kind=kind,
            amount=Decimal(10),
            counted_on=dt.date(2025, 9, 26),
            recorded_by=lead_staff,
        )
        for p in others
        for kind in ("power", "land", "other")
    )
    with django_assert_num_queries(2):
        totals = selectors.relief_totals(since=dt.date(2025, 1, 1), until=dt.date(2025, 12, 31))
    assert totals.total.lines == 91


@pytest.mark.parametrize(
    "amount, zh, en",
    [
        ("3163000000", "31.63 亿元", "3,163,000,000 yuan"),
        ("91000000", "9,100 万元", "91,000,000 yuan"),
        ("12345", "1.23 万元", "12,345 yuan"),
        ("5000.5", "5,000.5 元", "5,001 yuan"),
        ("0", "0 元", "0 yuan"),
    ],
)
def test_yuan_read_as_people_read_them(amount, zh, en):
    assert format_yuan(Decimal(amount), "zh-hans") == zh
    assert format_yuan(Decimal(amount), "en") == en


def test_an_enterprise_without_town_counts_under_none(make_problem, lead_staff):
    assert Enterprise.objects.filter(town__isnull=True).exists()
    problem = make_problem(Status.IN_PROGRESS)
    resolve(problem, lead_staff, [TAX])
    totals = selectors.relief_totals(since=NOW.date(), until=NOW.date())
    assert [(r.key, r.amount) for r in totals.by_town] == [(None, Decimal("1961000"))]


@pytest.mark.parametrize("lines", [1, 20])
@pytest.mark.parametrize("persona", ["enterprise_user", "lead_staff"])
def test_an_answered_problem_page_reads_its_lines_in_one_query(
    request, client_as, make_problem, lead_staff, django_assert_num_queries, persona, lines
):
    problem = make_problem(Status.IN_PROGRESS)
    resolve(problem, lead_staff, [TAX] * lines)
    client = client_as(request.getfixturevalue(persona))
    url = reverse("issues:detail", args=[problem.reference])
    client.get(url)  # warm the calendar and the session

    with CaptureQueriesContext(connection) as first:
        client.get(url)
    relief_queries = [q for q in first.captured_queries if "issues_reliefoutcome" in q["sql"]]
    assert len(relief_queries) == 1
    with django_assert_num_queries(len(first)):
        response = client.get(url)
    assert len(response.context["relief_outcomes"]) == lines
