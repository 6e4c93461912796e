"""The deadline marker, the problem cards and the problem page's timeline written in
Python (issues.templatetags.problem_tags) give the HTML their templates gave, in both
languages: each marker state against issues/includes/deadline.html, and whole pages
against the old rendering path (reference_problem_tags.py and reference_templates/: the
inclusion tag, the card loop, the timeline loop and triage's duplicates as templates)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.template.loader import get_template
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from issues import workflow
from issues.models import EventKind, Problem, ProblemEvent, Status
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


@pytest.fixture
def alike(make_problem, other_enterprise_user):
    """New problems each alike another enterprise's open ones (triage's possible
    duplicates, with their links to merge), with a title and a name to escape."""
    hostile = "漆渣 <b>&amp;</b> \"quoted\" 'single' 危废处置渠道不畅"
    enterprise = other_enterprise_user.profile.enterprise
    enterprise.name = '<i>恶意</i> & "企业"'
    enterprise.save()
    earlier = timezone.now() - dt.timedelta(hours=4)
    for k in range(3):
        make_problem(
            Status.IN_PROGRESS, submitter=other_enterprise_user, title=f"{hostile} {k}", now=earlier
        )
    for k in range(2):
        make_problem(Status.SUBMITTED, title=f"{hostile} 新 {k}", now=earlier)


@pytest.mark.parametrize("language", LANGUAGES)
def test_triages_possible_duplicates_are_as_the_template_wrote_them(
    client_as, office, alike, language
):
    client = client_as(office)
    url = reverse("issues:triage")
    now = page(client, url, language)
    with old_rendering():
        assert page(client, url, language) == now
    assert now.count("data-merge-into=") == 2 * 3
    assert "&lt;i&gt;恶意&lt;/i&gt; &amp; &quot;企业&quot;" in now
    assert "<i>恶意" not in now


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_problem_page_is_as_the_templates_wrote_it(client_as, office, variety, language):
    client = client_as(office)
    url = reverse("issues:detail", args=[variety.reference])
    now = page(client, url, language)
    with old_rendering():
        assert page(client, url, language) == now


# --- the problem page's timeline (issues.templatetags.problem_tags.problem_timeline) ----

HOSTILE = "<script>alert(1)</script> & \"quoted\" 'single'"
TO = "complaint"


@pytest.fixture
def every_event(make_problem, office, lead_staff, enterprise_user, superuser):
    """A problem whose timeline has every kind of event and every line an event shows:
    each kind of actor (none, department, enterprise, office, no role), public and
    internal, text to escape, data missing, empty, odd or None."""
    problem = make_problem(Status.IN_PROGRESS)
    start = timezone.now() - dt.timedelta(days=3)
    names = ["张伟", HOSTILE]
    entries = [
        (EventKind.SUBMITTED, enterprise_user, True, "not shown", {}),
        (EventKind.DISPATCHED, office, True, "", {"lead_department_name": HOSTILE}),
        (EventKind.DISPATCHED, office, True, "", {}),
        (EventKind.PROGRESS, lead_staff, True, HOSTILE + "\n第二行", {}),
        (EventKind.PROGRESS, lead_staff, False, "内部", {"internal_note": HOSTILE}),
        (EventKind.APPEAL_TYPE_CHANGED, office, False, "", {"from": "consultation", "to": TO}),
        (EventKind.APPEAL_TYPE_CHANGED, office, False, "", {"from": "", "to": "nonsense"}),
        (EventKind.APPEAL_TYPE_CHANGED, office, False, "", {}),
        (
            EventKind.COORDINATION_CONVENED,
            lead_staff,
            True,
            "协调",
            {"starts_at": "2025-10-09T09:30:00+00:00", "item_due_date": "2025-10-20"},
        ),
        (EventKind.MEETING_HELD, None, True, "", {"starts_at": "2025-10-09T14:00:00"}),
        (EventKind.ACTION_ITEM_ADDED, None, True, "", {"item_due_date": "not a date"}),
        (EventKind.EXTENSION_REQUESTED, lead_staff, False, "理由", {"days": 1}),
        (EventKind.EXTENSION_APPROVED, office, False, "", {"days": 5, "due_date": "2025-10-21"}),
        (EventKind.EVALUATED, enterprise_user, True, "", {"satisfaction": "satisfied"}),
        (EventKind.REOPENED, enterprise_user, True, "不满意", {"satisfaction": "unsatisfied"}),
        (EventKind.EVALUATED_BY_CALLBACK, office, True, "", {"satisfaction": "basically"}),
        (EventKind.EVALUATED, enterprise_user, True, "", {}),
        (EventKind.ESCALATED, None, False, "", {"level": 1, "recipients": names, "told": names}),
        (EventKind.ESCALATED, None, False, "", {"level": 2, "recipients": []}),
        (EventKind.ESCALATED, None, False, "", {"level": None}),
        (EventKind.WARNED, None, False, "", {"recipients": names}),
        (EventKind.ESCALATION_WITHDRAWN, None, False, "", {}),
        (EventKind.INSTRUCTED, superuser, True, "批示", ["not", "a", "dict"]),
        (EventKind.REMINDED, superuser, False, "", {"internal_note": ""}),
    ]
    ProblemEvent.objects.bulk_create(
        ProblemEvent(
            problem=problem,
            actor=actor,
            kind=kind,
            text=text,
            is_public=public,
            data=data,
            created_at=start + dt.timedelta(minutes=i),
        )
        for i, (kind, actor, public, text, data) in enumerate(entries)
    )
    return problem


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("persona", ["office", "lead_staff", "enterprise_user"])
def test_the_timeline_is_as_the_template_wrote_it(
    client_as, request, every_event, persona, language
):
    client = client_as(request.getfixturevalue(persona))
    url = reverse("issues:detail", args=[every_event.reference])
    now = page(client, url, language)
    with old_rendering():
        before = page(client, url, language)
    assert now == before
    assert (
        "<script>" not in now.split('<ol class="list-group list-group-flush liaison-timeline">')[1]
    )


def test_the_timeline_comparison_sees_every_line(client_as, office, every_event):
    """(What the comparison above covers.)"""
    html = page(client_as(office), reverse("issues:detail", args=[every_event.reference]), "en")
    for text in [
        "To &lt;script&gt;",
        "liaison-internal",
        "From “Consultation” to “Complaint”",
        "Due ",
        "New deadline: ",
        "1 working day<",
        "5 working days",
        "Basically satisfied",
        "Unsatisfied",
        "Level 1, to 张伟、&lt;script&gt;",
        "<br>Also told: ",
        "no district leader is set",
        "Told: 张伟",
        "System",
    ]:
        assert text in html, text
