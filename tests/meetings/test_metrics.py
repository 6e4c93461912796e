"""issues.metrics: each definition of DESIGN.md §7 on a hand-made set of problems."""

from __future__ import annotations

from decimal import Decimal

import pytest

from issues import metrics
from issues.models import Problem, Satisfaction, Status
from liaison import workdays
from liaison.models import Department
from meetings.models import Meeting
from tests.meetings.fixtures_stats import *  # noqa: F403 - fixtures
from tests.meetings.fixtures_stats import at, make_meeting, make_problem

pytestmark = pytest.mark.django_db

NOW = at("2025-10-20 12:00")
PAST_DUE = at("2025-10-17 23:59:59")
FUTURE_DUE = at("2025-10-30 23:59:59")


@pytest.fixture
def problems(district, category) -> dict[str, Problem]:
    """Twelve problems, one per case; the expected figures are counted by hand below."""

    def make(status, **fields):
        return make_problem(district, category, status, **fields)

    return {
        "submitted": make(Status.SUBMITTED),
        "rejected": make(Status.REJECTED),
        # Returned to the office with its clock running and past due: still not "open".
        "returned_late": make(
            Status.SUBMITTED,
            lead_department=district.department,
            clock_started_at=at("2025-09-26 10:00"),
            due_at=PAST_DUE,
        ),
        "dispatched": make(Status.DISPATCHED, due_at=FUTURE_DUE),
        "overdue": make(Status.IN_PROGRESS, due_at=PAST_DUE),
        # Dispatched for a meeting not yet held: no clock, no deadline.
        "waiting_for_meeting": make(
            Status.DISPATCHED,
            clock_started_at=None,
            due_at=None,
            original_due_at=None,
            meeting=make_meeting(district, status=Meeting.Status.PLANNED),
        ),
        "answered": make(Status.RESOLVED),
        "late": make(
            Status.CLOSED,
            first_resolved_at=at("2025-10-17 09:00"),
            last_resolved_at=at("2025-10-17 09:00"),
            satisfaction=Satisfaction.SATISFIED,
        ),
        "at_the_deadline": make(
            Status.CLOSED,
            first_resolved_at=at("2025-10-16 23:59:59"),
            last_resolved_at=at("2025-10-16 23:59:59"),
            satisfaction=Satisfaction.BASICALLY,
        ),
        "auto_closed": make(Status.CLOSED, satisfaction=Satisfaction.NOT_EVALUATED),
        # Answered on time, found unsatisfactory, handling again: evaluated, not concluded.
        "reopened": make(
            Status.IN_PROGRESS,
            due_at=FUTURE_DUE,
            first_resolved_at=at("2025-10-09 16:00"),
            last_resolved_at=at("2025-10-09 16:00"),
            first_resolved_due_at=at("2025-10-16 23:59:59"),
            satisfaction=Satisfaction.UNSATISFIED,
            reopen_count=1,
        ),
        # Answered at the meeting, before any clock started: no deadline was missed.
        "answered_before_the_clock": make(
            Status.CLOSED,
            clock_started_at=at("2025-10-09 10:00"),
            first_resolved_due_at=None,
            satisfaction=Satisfaction.SATISFIED,
        ),
    }


def names(problems: dict[str, Problem], condition) -> set[str]:
    ids = set(Problem.objects.filter(condition).values_list("pk", flat=True))
    return {name for name, problem in problems.items() if problem.pk in ids}


def test_accepted_is_every_problem_but_submitted_and_rejected(problems):
    assert names(problems, metrics.ACCEPTED) == set(problems) - {
        "submitted",
        "rejected",
        "returned_late",
    }


def test_concluded_is_resolved_or_closed(problems):
    assert names(problems, metrics.CONCLUDED) == {
        "answered",
        "late",
        "at_the_deadline",
        "auto_closed",
        "answered_before_the_clock",
    }


def test_on_time_is_concluded_and_first_answered_by_the_deadline_then(problems):
    # "late" was answered after its deadline; "reopened" was answered on time once
    # but is not concluded now.
    assert names(problems, metrics.ON_TIME) == {
        "answered",
        "at_the_deadline",
        "auto_closed",
        "answered_before_the_clock",
    }


def test_on_time_is_one_rule_for_a_problem_and_for_sets(problems):
    on_time = set(Problem.objects.filter(metrics.ON_TIME).values_list("pk", flat=True))
    answered = set(Problem.objects.filter(metrics.ANSWERED_ON_TIME).values_list("pk", flat=True))
    for problem in Problem.objects.all():
        assert metrics.is_on_time(problem) == (problem.pk in on_time)
        if problem.first_resolved_at is None:
            assert metrics.answered_on_time(problem) is None
        else:
            assert metrics.answered_on_time(problem) == (problem.pk in answered)


def test_on_time_compares_with_the_deadline_in_force_when_first_answered(district, category):
    # Answered late against the first deadline; an extension approved afterwards (due_at
    # moved) does not make it on time.
    problem = make_problem(
        district,
        category,
        Status.CLOSED,
        first_resolved_at=at("2025-10-20 09:00"),
        last_resolved_at=at("2025-10-20 09:00"),
        first_resolved_due_at=at("2025-10-16 23:59:59"),
        due_at=at("2025-10-23 23:59:59"),
    )

    assert not Problem.objects.filter(metrics.ON_TIME, pk=problem.pk).exists()


def test_overdue_now_is_open_with_the_deadline_passed(problems):
    assert names(problems, metrics.overdue_now(NOW)) == {"overdue"}
    # A week earlier nothing was overdue.
    assert names(problems, metrics.overdue_now(at("2025-10-13 12:00"))) == set()


def test_open_is_dispatched_or_in_progress(problems):
    assert names(problems, metrics.OPEN) == {
        "dispatched",
        "overdue",
        "waiting_for_meeting",
        "reopened",
    }


def test_evaluated_and_satisfied(problems):
    assert names(problems, metrics.EVALUATED) == {
        "late",
        "at_the_deadline",
        "reopened",
        "answered_before_the_clock",
    }
    assert names(problems, metrics.SATISFIED) == {
        "late",
        "at_the_deadline",
        "answered_before_the_clock",
    }


def test_it_counts_everything_in_one_query(problems, django_assert_num_queries):
    with django_assert_num_queries(1):  # SELECT COUNT(...) FILTER (...) x 8 FROM problem
        summary = metrics.summarise(Problem.objects.all(), NOW)

    assert summary == {
        "received": 12,
        "accepted": 9,
        "concluded": 5,
        "on_time": 4,
        "open": 4,
        "overdue": 1,
        "evaluated": 4,
        "satisfied": 3,
        "evaluated_by_callback": 0,
        "affected": 9,  # enterprises affected: accepted, merged problems too (none here)
        "conclusion_rate": Decimal("55.6"),  # 5 / 9 = 55.55…
        "on_time_rate": Decimal("80.0"),  # 4 / 5
        "satisfaction_rate": Decimal("75.0"),  # 3 / 4
    }


def test_it_counts_per_group_with_the_same_definitions(problems, district, category):
    make_problem(district, category, Status.CLOSED, lead_department=district.other_department)

    rows = {
        row["lead_department"]: metrics.with_rates(row)
        for row in Problem.objects.filter(lead_department__isnull=False)
        .order_by()
        .values("lead_department")
        .annotate(**metrics.totals(NOW))
    }

    assert rows[district.department.pk]["concluded"] == 5
    assert rows[district.department.pk]["conclusion_rate"] == Decimal("55.6")
    other = rows[district.other_department.pk]
    assert (other["accepted"], other["concluded"], other["on_time"]) == (1, 1, 1)
    assert other["conclusion_rate"] == Decimal("100.0")


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (180, 180, Decimal("100.0")),
        (179, 180, Decimal("99.4")),
        (1999, 2000, Decimal("99.9")),  # 99.95: never 100% unless every one
        (2, 3, Decimal("66.7")),
        (13, 17, Decimal("76.5")),
        (0, 7, Decimal("0.0")),
        (0, 0, None),
    ],
)
def test_rate_is_a_percentage_rounded_half_up_but_never_100_unless_all(part, whole, expected):
    assert metrics.rate(part, whole) == expected


def test_rates_are_none_when_there_is_nothing_to_rate():
    rates = metrics.with_rates({"accepted": 0, "concluded": 0, "on_time": 0})

    assert rates["conclusion_rate"] is None
    assert rates["on_time_rate"] is None
    assert rates["satisfaction_rate"] is None


# --- handling time -------------------------------------------------------------------------


def test_handling_time_counts_working_days_from_clock_start_to_first_answer(
    problems, django_assert_num_queries
):
    workdays.is_working_day(NOW.date())  # the calendar is in the process cache already

    with django_assert_num_queries(2):  # problems grouped by start day; by first-answer day
        result = metrics.handling_time(Problem.objects.all())

    # Started Fri 2025-09-26: Sun 09-28 (a make-up working day), Mon 29, Tue 30, then the
    # National Day holiday, Thu 10-09: 4 working days. Then Fri 10-10, Sat 10-11 (make-up),
    # Mon 13 to Thu 16: 10 on the deadline day 10-16, 11 on Fri 10-17. Started 10-09 and
    # answered 10-09: 0.
    handled = {
        "answered": 4,
        "late": 11,
        "at_the_deadline": 10,
        "auto_closed": 4,
        "reopened": 4,
        "answered_before_the_clock": 0,
    }
    assert result == {None: metrics.HandlingTime(6, sum(handled.values()))}
    assert result[None].average == Decimal("5.5")  # 33 / 6


def test_handling_time_agrees_with_the_calendar_row_by_row(problems):
    expected = [
        workdays.working_days_between(
            workdays.local_date(p.clock_started_at), workdays.local_date(p.first_resolved_at)
        ).value
        for p in Problem.objects.filter(metrics.HAS_HANDLING_TIME)
    ]

    result = metrics.handling_time(Problem.objects.all())[None]

    assert (result.count, result.total_working_days) == (len(expected), sum(expected))


def test_handling_time_per_group(problems, district, category, django_assert_num_queries):
    make_problem(
        district,
        category,
        Status.CLOSED,
        lead_department=district.other_department,
        clock_started_at=at("2025-10-13 15:00"),
        first_resolved_at=at("2025-10-15 09:00"),
        last_resolved_at=at("2025-10-15 09:00"),
    )

    workdays.is_working_day(NOW.date())

    with django_assert_num_queries(2):
        result = metrics.handling_time(Problem.objects.all(), by="lead_department")

    assert result[district.other_department.pk] == metrics.HandlingTime(1, 2)
    assert result[district.department.pk] == metrics.HandlingTime(6, 33)
    assert not Department.objects.exclude(
        pk__in=[district.department.pk, district.other_department.pk]
    ).filter(pk__in=result)


def test_a_problem_reopened_after_its_first_answer_is_left_out_not_counted_negative(
    problems, district, category
):
    """Reopening (the enterprise unsatisfied) starts a new clock: clock_started_at is the
    reopening, after the first answer. Counted from it, the handling time was negative
    (-2 here) and lowered the department's average; the problem is left out instead."""
    make_problem(
        district,
        category,
        Status.IN_PROGRESS,
        due_at=FUTURE_DUE,
        clock_started_at=at("2025-10-14 10:00"),
        first_resolved_at=at("2025-10-10 09:00"),
        last_resolved_at=at("2025-10-10 09:00"),
        first_resolved_due_at=at("2025-10-16 23:59:59"),
        satisfaction=Satisfaction.UNSATISFIED,
        reopen_count=1,
    )

    result = metrics.handling_time(Problem.objects.all(), by="lead_department")

    assert result[district.department.pk] == metrics.HandlingTime(6, 33)
    assert all(h.total_working_days >= 0 for h in result.values())


def test_handling_time_of_nothing():
    result = metrics.handling_time(Problem.objects.none())

    assert result == {None: metrics.HandlingTime(0, 0)}
    assert result[None].average is None
