"""Dates read in the reader's language: 2025年10月16日 on Chinese pages, 16 Oct 2025 on
English ones, a deadline with its weekday, and e-mails in each recipient's language.

The problem is dispatched on Fri 2025-09-26 10:00, so it is due Thu 2025-10-16; an
extension of 3 working days moves that to Tue 2025-10-21; a coordination meeting sits on
Mon 2025-09-29 14:30 and gives an action item due Thu 2025-10-09.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import translation

from issues import deadlines, workflow
from issues.models import EventKind, Problem, Status
from liaison.models import Profile
from notifications.models import Notification
from tests.dates import iso_dates_in_text, visible_text
from tests.issues.conftest import NOW, at
from tests.meetings.fixtures_coordination import add_item, convene

EMAIL = "email"


def render(template: str, **context) -> str:
    return Template("{% load liaison_tags %}" + template).render(Context(context))


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "zh-hans",
            ["2026年12月6日", "2026年12月6日 14:30", "2026年12月6日（星期日）", "2026年12月"],
        ),
        ("en", ["6 Dec 2026", "6 Dec 2026, 14:30", "Sun 6 Dec 2026", "Dec 2026"]),
    ],
)
def test_the_formats_are_the_languages_own(language, expected):
    moment = at("2026-12-06 14:30")
    with translation.override(language):
        text = render(
            '{{ d|date }}|{{ t|date:"DATETIME_FORMAT" }}|{{ t|deadline_date }}'
            '|{{ d|date:"YEAR_MONTH_FORMAT" }}',
            d=moment.date(),
            t=moment,
        )
    assert text.split("|") == expected


def test_a_deadline_is_read_in_the_district_whatever_it_is_given_as():
    with translation.override("en"):
        # 23:59:59 in Shanghai is 15:59:59 UTC: still the Sunday.
        assert render("{{ t|deadline_date }}", t=at("2026-12-06 23:59:59")) == "Sun 6 Dec 2026"
        assert render("{{ s|deadline_date }}", s="2026-12-06T23:59:59+08:00") == "Sun 6 Dec 2026"
        assert render("{{ s|deadline_date }}", s="2026-12-06") == "Sun 6 Dec 2026"
        for nonsense in ("", None, "2026-13-01", "soon"):
            assert render("{{ s|deadline_date }}", s=nonsense) == ""


@pytest.fixture
def busy(make_problem, lead_staff, leader, office, lead_department):
    """A problem whose page shows every kind of date: submitted, deadline, first
    deadline, new deadline, escalation, a coordination meeting and an action item."""
    problem = make_problem(Status.IN_PROGRESS)
    meeting = convene(
        leader,
        [problem],
        starts_at=at("2025-09-29 14:30"),
        now=NOW,
        departments=[lead_department],
    )
    add_item(meeting, lead_department, problem=problem, due_date=dt.date(2025, 10, 9))
    request = workflow.problem_request_extension(
        problem_id=problem.pk, actor=lead_staff, days=3, reason="需协调", now=at("2025-10-10 09:00")
    )
    workflow.problem_decide_extension(
        extension_id=request.pk, actor=office, approve=True, now=at("2025-10-10 10:00")
    )
    deadlines.sweep(now=at("2025-10-22 00:00:01"))  # overdue: escalated to the leader
    problem = Problem.objects.get(pk=problem.pk)
    assert problem.due_at == at("2025-10-21 23:59:59")
    assert problem.escalation_level == 1
    return problem


PROBLEM_PAGE = {
    "zh-hans": [
        "2025年9月26日 10:00",  # submitted
        "2025年10月21日（星期二）",  # the deadline, with its weekday
        "2025年10月16日（星期四）",  # the first deadline
        "2025年9月29日 14:30",  # the coordination meeting on the timeline
        "2025年10月9日（星期四）",  # the action item's due date
        "2025年10月22日",  # escalated
    ],
    "en": [
        "26 Sep 2025, 10:00",
        "Tue 21 Oct 2025",
        "Thu 16 Oct 2025",
        "29 Sep 2025, 14:30",
        "Thu 9 Oct 2025",
        "22 Oct 2025",
    ],
}


@pytest.mark.parametrize("language", PROBLEM_PAGE)
@pytest.mark.parametrize("persona", ["lead_staff", "enterprise_user"])
def test_the_problem_page_prints_dates_in_the_readers_language(
    client_as, request, busy, language, persona
):
    client = client_as(request.getfixturevalue(persona))

    html = client.get(f"/problems/{busy.reference}/", HTTP_ACCEPT_LANGUAGE=language)

    text = visible_text(html.content.decode())
    shown = PROBLEM_PAGE[language]
    if persona == "enterprise_user":
        # The enterprise sees neither the action item (internal) nor the escalation.
        shown = [s for s in shown if "9日（" not in s and "9 Oct" not in s]
        shown = [s for s in shown if s not in ("2025年10月22日", "22 Oct 2025")]
    for date in shown:
        assert date in text
    assert iso_dates_in_text(html.content.decode()) == []
    # Machine values stay ISO: the deadline's <time datetime=…>.
    assert 'datetime="2025-10-21T23:59:59+08:00"' in html.content.decode()


@pytest.mark.parametrize(
    ("language", "due"),
    [("zh-hans", "2025年10月16日（星期四）"), ("en", "Thu 16 Oct 2025")],
)
def test_emails_give_the_deadline_in_the_recipients_language(
    make_problem, lead_head, enterprise_user, language, due
):
    for user in (lead_head, enterprise_user):
        user.email = f"{user.username}@example.cn"
        user.save(update_fields=["email"])
    Profile.objects.filter(user__in=[lead_head, enterprise_user]).update(language=language)

    problem = make_problem(Status.DISPATCHED)

    for user in (lead_head, enterprise_user):
        message = Notification.objects.get(
            recipient=user, channel=EMAIL, kind=EventKind.DISPATCHED, problem=problem
        )
        assert due in message.body
        assert iso_dates_in_text(message.body) == []


@pytest.mark.parametrize(
    ("language", "when", "item_due"),
    [
        ("zh-hans", "2025年9月29日 14:30", "2025年10月9日（星期四）"),
        ("en", "29 Sep 2025, 14:30", "Thu 9 Oct 2025"),
    ],
)
def test_coordination_emails_give_their_dates_in_the_recipients_language(
    make_problem, leader, lead_head, lead_department, language, when, item_due
):
    lead_head.email = "lead_head@example.cn"
    lead_head.save(update_fields=["email"])
    Profile.objects.filter(user=lead_head).update(language=language)
    problem = make_problem(Status.IN_PROGRESS)

    meeting = convene(
        leader, [problem], starts_at=at("2025-09-29 14:30"), now=NOW, departments=[lead_department]
    )
    add_item(meeting, lead_department, problem=problem, due_date=dt.date(2025, 10, 9))

    convened = Notification.objects.get(
        recipient=lead_head, channel=EMAIL, kind=EventKind.COORDINATION_CONVENED
    )
    assert when in convened.body
    item = Notification.objects.get(
        recipient=lead_head, channel=EMAIL, kind=EventKind.ACTION_ITEM_ADDED
    )
    assert item_due in item.body
    for message in (convened, item):
        assert iso_dates_in_text(message.body) == []
