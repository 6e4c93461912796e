"""What the demo district's problems read like after one run of seed_demo.

The command runs once for this module (it takes several seconds); every test reads the
result and writes nothing that outlives it. The module's transaction is rolled back at
the end, so other modules start from an empty database.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from issues import selectors
from issues.demo import MERGED_GROUP
from issues.demo_topics import INDUSTRY_TRAITS, TOPICS
from issues.models import EventKind, Problem, Status
from liaison import demo_data, workdays
from meetings.demo import SEVENTEEN, past_year
from meetings.statistics import year_statistics
from notifications.models import Notification
from policy.demo import UNGROUPED
from policy.models import CommonProblem

pytestmark = pytest.mark.django_db

MAX_TITLE_USES = 3
MAX_ANSWER_REPEATS = 2  # the same answer, dates and figures aside
TOWN_CODES = {row.name: row.code for row in demo_data.DEPARTMENTS}


@pytest.fixture(scope="module", autouse=True)
def demo(django_db_setup, django_db_blocker):
    """seed_demo once, in a transaction that stays open for the module's tests."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            call_command("seed_demo", allow_production=True, stdout=StringIO())
            yield
            transaction.set_rollback(True)


def problems():
    return Problem.objects.select_related("enterprise__town", "category", "lead_department")


def topic_of(problem):
    return {topic.title: topic for topic in (*TOPICS, *SEVENTEEN)}[problem.title]


def test_it_gives_problems_many_titles_each_used_rarely():
    titles = Counter(Problem.objects.values_list("title", flat=True))

    assert len(titles) >= 200
    title, uses = titles.most_common(1)[0]
    assert uses <= MAX_TITLE_USES, title


def test_it_answers_each_problem_specifically_from_its_lead_department():
    # A merged group (并单, issues.demo.seed_merged_problem) shares its main problem's
    # answer by design: its problems are the main problem's, counted once.
    answered = list(problems().exclude(answer="").filter(merged_into__isnull=True))

    assert len(answered) > 250
    # Dates and figures aside, an answer text comes back at most twice.
    shapes = Counter(re.sub(r"\d+", "#", p.answer) for p in answered)
    shape, repeats = shapes.most_common(1)[0]
    assert repeats <= MAX_ANSWER_REPEATS, shape
    for problem in answered:
        # Who did it: the lead department (or its town) names itself in the answer.
        assert problem.lead_department.short_name in problem.answer, problem.reference
        # By when: the day it was done.
        assert re.search(r"\d+月\d+日", problem.answer), problem.answer


def test_every_problem_fits_its_enterprises_industry_and_town():
    # The sweater firms' merged group (并单) is written out in issues.demo, not a topic.
    merged_titles = {row[1] for row in MERGED_GROUP}
    # The common problems' demo (policy.demo) adds three similar problems of any industry
    # (truck limits at the gate) and one enterprise's "this concerns us too".
    policy_titles = {title for title, _description in UNGROUPED} | set(
        CommonProblem.objects.exclude(published_title="").values_list("published_title", flat=True)
    )
    for problem in problems():
        if problem.title in merged_titles:
            assert "毛衫" in problem.enterprise.industry, problem.title
            continue
        if problem.title in policy_titles:
            continue
        topic = topic_of(problem)
        traits = INDUSTRY_TRAITS[problem.enterprise.industry]
        town_code = TOWN_CODES[problem.enterprise.town.name]
        assert topic.fits & (traits | {"any"}), (problem.title, problem.enterprise.industry)
        assert not topic.towns or town_code in topic.towns, (problem.title, town_code)
        assert problem.category.name_zh == topic.category, problem.title
        # The issue's two examples, read from the text rather than from the table.
        if "食品" in problem.title:
            assert traits & {"food", "agri", "coldchain"}, (problem.title, problem.enterprise)
        if re.search("危废|危险废物|油漆渣|废活性炭|废乳化液|废酸", problem.title):
            assert "waste" in traits, (problem.title, problem.enterprise.industry)


def test_this_years_problems_spread_over_the_last_twelve_months():
    today = timezone.localdate()
    year_ago = today - dt.timedelta(days=365)
    months = Counter(
        (today.year - day.year) * 12 + today.month - day.month
        for day in (
            workdays.local_date(created_at)
            for created_at in Problem.objects.exclude(meeting__year=past_year()).values_list(
                "created_at", flat=True
            )
        )
        if day > year_ago
    )

    assert sum(months.values()) >= 200
    assert len([m for m in range(12) if months[m]]) >= 10, sorted(months.items())


def test_last_years_closed_meetings_stay_last_year():
    stats = year_statistics(past_year())

    assert (stats.meetings_held, stats.enterprises_attended) == (9, 73)
    assert (stats.problems, stats.concluded, stats.on_time) == (180, 180, 180)
    dates = Problem.objects.filter(meeting__year=past_year()).values_list("created_at", flat=True)
    assert {workdays.local_date(d).year for d in dates} == {past_year()}


def test_it_keeps_the_readmes_promises():
    outside_meetings = Problem.objects.filter(meeting__isnull=True)
    statuses = set(outside_meetings.values_list("status", flat=True))

    assert 180 <= outside_meetings.count() <= 220  # "about 200 problems in every state"
    assert set(Status.values) <= statuses
    assert outside_meetings.filter(
        events__kind=EventKind.RETURNED, status=Status.SUBMITTED
    ).exists()
    assert selectors.overdue(Problem.objects.all()).exists()
    assert selectors.due_within(Problem.objects.all(), 2).exists()
    assert outside_meetings.filter(reopen_count__gt=0).exists()


def test_overdue_problems_are_escalated_and_their_leaders_told_at_once(client):
    overdue = list(selectors.overdue(Problem.objects.all()))

    assert overdue
    for problem in overdue:
        assert problem.escalation_level >= 1, problem.reference
        assert problem.events.filter(kind=EventKind.ESCALATED).exists(), problem.reference
    leaders = {
        (p.responsible_leader or p.lead_department.supervising_leader)
        for p in Problem.objects.filter(pk__in=[p.pk for p in overdue]).select_related(
            "responsible_leader", "lead_department__supervising_leader"
        )
    }
    for leader in leaders:
        assert Notification.objects.filter(
            recipient=leader, kind=EventKind.ESCALATED, channel=Notification.Channel.IN_APP
        ).exists(), leader.username
    # The leader with the most escalations finds them on their page.
    leader = max(leaders, key=lambda user: selectors.escalated_to(user).count())
    client.force_login(leader)
    html = client.get(reverse("issues:escalations")).content.decode()
    for problem in selectors.escalated_to(leader)[:10]:
        assert problem.reference in html


def test_it_has_call_backs_one_unsatisfied_reviewed_and_one_waiting():
    from issues.models import CallBack, EvaluationSource

    callbacks = CallBack.objects.select_related("problem")
    assert callbacks.count() >= 4
    closed = callbacks.get(review=CallBack.Review.CLOSED)
    assert closed.problem.status == Status.CLOSED and closed.review_reason
    assert closed.problem.events.filter(kind=EventKind.CALLBACK_CLOSED, is_public=False).exists()
    waiting = callbacks.get(review=CallBack.Review.PENDING)
    assert waiting.problem.status == Status.RESOLVED and waiting.problem.autoclose_at is None
    assert callbacks.filter(is_check=True).exists()
    assert Problem.objects.filter(evaluation_source=EvaluationSource.CALLBACK).count() == 3


def test_the_years_burden_relief_reads_like_the_seed_report():
    from decimal import Decimal

    year = workdays.local_date(timezone.now()).year
    totals = selectors.relief_totals(since=dt.date(year, 1, 1), until=dt.date(year, 12, 31))

    # 为企业减负31.63亿元，其中…减免税费19.61亿元；…1126家（户）企业…减免电费9100万元.
    assert totals.total.amount == Decimal("3163000000")
    assert totals.by_kind[0].key == "tax_fees"
    assert totals.amount_of("tax_fees") == Decimal("1961000000")
    power = next(row for row in totals.by_kind if row.key == "power")
    assert (power.amount, power.firms) == (Decimal("91000000"), 1126)
    # Only answered problems carry lines.
    assert not Problem.objects.filter(
        relief_outcomes__isnull=False, first_resolved_at__isnull=True
    ).exists()
