"""The deadline marker and the problem cards written in Python (issues.templatetags.
problem_tags) give the HTML their templates gave, in both languages: each marker state
against issues/includes/deadline.html, and whole pages against the old rendering path
(reference_problem_tags.py and reference_templates/: the inclusion tag and the card loop
as templates)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.template.loader import get_template
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from issues import workflow
from issues.models import Problem, Status
from issues.templatetags.problem_tags import DeadlineState, deadline_html
from tests import rendering
from tests.rendering import page

REFERENCE_TEMPLATES = Path(__file__).parent / "reference_templates"
LANGUAGES = ["zh-hans", "en"]
DUE = dt.datetime(2026, 12, 7, 15, 59, 59, tzinfo=dt.UTC)

STATES = {
    "no deadline": DeadlineState(None, False, False, False, 0, 0, False, None),
    "open, no deadline": DeadlineState(None, True, False, False, 0, 0, False, None),
    "clock waits for a meeting": DeadlineState(
        None, True, False, False, 0, 0, False, None, dt.date(2026, 12, 9)
    ),
    "overdue by days": DeadlineState(DUE, True, True, False, 0, 3, False, None),
    "overdue by one day": DeadlineState(DUE, True, True, False, 0, 1, False, None),
    "overdue today": DeadlineState(DUE, True, True, False, 0, 0, False, None),
    "due today": DeadlineState(DUE, True, False, True, 0, 0, False, None),
    "days left": DeadlineState(DUE, True, False, False, 5, 0, False, None),
    "one day left, warned": DeadlineState(DUE, True, False, True, 1, 0, True, None),
    "answered on time": DeadlineState(DUE, False, False, False, 0, 0, False, True),
    "answered late, provisional": DeadlineState(DUE, False, False, False, 0, 0, True, False),
    "never answered": DeadlineState(DUE, False, False, False, 0, 0, False, None),
}


@pytest.mark.parametrize("compact", [False, True])
@pytest.mark.parametrize("state", STATES.values(), ids=STATES.keys())
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_deadline_marker_is_the_templates(state, compact, language):
    template = get_template("issues/includes/deadline.html")
    with translation.override(language):
        expected = template.render({"state": state, "compact": compact})
        assert deadline_html(state, compact) == expected


@pytest.fixture(autouse=True)
def clock_stopped():
    with rendering.clock_stopped():
        yield


def old_rendering():
    """The site's templates with the old deadline tag and card loop."""
    engine = rendering.engine_with(REFERENCE_TEMPLATES)
    engine["OPTIONS"] = {
        **engine["OPTIONS"],
        "libraries": {"problem_tags": "tests.issues.reference_problem_tags"},
    }
    return override_settings(TEMPLATES=[engine])


@pytest.fixture
def variety(make_problem, lead_staff, office):
    """Problems in every state a card shows: escalated, overdue, with days left and
    warned, provisional, answered, rejected, a title to escape, no lead department."""
    make_problem(Status.SUBMITTED, title="漆渣 <b>&amp;</b> \"quoted\" 'single'")
    make_problem(Status.REJECTED)
    overdue = make_problem(Status.DISPATCHED)
    escalated = make_problem(Status.IN_PROGRESS)
    Problem.objects.filter(pk=escalated.pk).update(escalation_level=2)
    make_problem(Status.RESOLVED)
    make_problem(Status.CLOSED)
    fresh = make_problem(Status.SUBMITTED, now=timezone.now() - dt.timedelta(minutes=1))
    workflow.problem_dispatch(
        problem_id=fresh.pk, actor=office, lead_department=lead_staff.profile.department
    )
    warned = make_problem(Status.IN_PROGRESS, now=timezone.now() - dt.timedelta(minutes=1))
    Problem.objects.filter(pk=warned.pk).update(
        warn_at=timezone.now() - dt.timedelta(minutes=1), deadline_provisional=True
    )
    Problem.objects.filter(pk=overdue.pk).update(due_at=timezone.now() - dt.timedelta(minutes=1))
    return escalated


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "persona, url",
    [
        ("office", reverse("issues:list")),
        ("office", reverse("issues:list") + "?status=in_progress&status=dispatched&page=1"),
        ("office", reverse("issues:list") + "?q=nothing-matches"),
        ("office", reverse("issues:triage")),
        ("office", reverse("issues:escalations")),
        ("leader", reverse("issues:list")),
        ("lead_staff", reverse("issues:department") + "?tab=inbox"),
        ("lead_staff", reverse("issues:department") + "?tab=in_progress"),
        ("lead_staff", reverse("issues:department") + "?tab=co"),
        ("enterprise_user", reverse("issues:list")),
    ],
)
def test_a_list_page_is_as_the_templates_wrote_it(
    client_as, request, variety, persona, url, language
):
    client = client_as(request.getfixturevalue(persona))
    now = page(client, url, language)
    with old_rendering():
        before = page(client, url, language)
    assert now == before


def test_the_office_list_shows_every_kind_of_card(client_as, office, variety):
    """(What the comparisons above cover.)"""
    html = page(client_as(office), reverse("issues:list"), "en")
    for text in ["Escalated (level 2)", "overdue", "working day", "answered on time", "&lt;b&gt;"]:
        assert text in html, text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_problem_page_is_as_the_templates_wrote_it(client_as, office, variety, language):
    client = client_as(office)
    url = reverse("issues:detail", args=[variety.reference])
    now = page(client, url, language)
    with old_rendering():
        assert page(client, url, language) == now
