"""The problem page, its action URLs, the submit and register forms, and file downloads."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import uuid
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import translation

from issues import workflow
from issues.models import (
    Attachment,
    Channel,
    EventKind,
    ExtensionRequest,
    Problem,
    ProblemEvent,
    Satisfaction,
    Status,
)
from issues.services import problem_attach
from liaison.models import Role
from tests.queries import JOIN_ORDER
from tests.twofactor import TWO_FACTOR_DEVICE

from .conftest import make_user, messages_of, pdf_bytes, png_bytes, snapshot, upload

pytestmark = pytest.mark.django_db

EXE_AS_PDF = ("报价单.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56)


def detail_url(problem: Problem) -> str:
    return reverse("issues:detail", args=[problem.reference])


def action_url(name: str, problem: Problem) -> str:
    return reverse(f"issues:{name}", args=[problem.reference])


def errors(response) -> list[str]:
    return [text for level, text in messages_of(response) if level == "error"]


@pytest.fixture
def problem_in(make_problem, co_department):
    """A problem of the enterprise in `state`; lead_department leads, co_department helps."""

    def make(state: str) -> Problem:
        return make_problem(state, co_departments=[co_department])

    return make


# --- who sees what ---------------------------------------------------------------------


@pytest.fixture
def busy(problem_in, media_root, lead_staff, leader, enterprise_user):
    """In progress, with a public and an internal note, an instruction and two files."""
    problem = problem_in(Status.IN_PROGRESS)
    workflow.problem_add_progress(
        problem_id=problem.pk, actor=lead_staff, text="已联系处置单位，下周上门", is_public=True
    )
    workflow.problem_add_progress(
        problem_id=problem.pk, actor=lead_staff, text="处置单位报价偏高，内部协调", is_public=False
    )
    workflow.problem_instruct(problem_id=problem.pk, actor=leader, text="请生态环境分局加快办理")
    problem_attach(
        problem_id=problem.pk, actor=enterprise_user, uploads=[upload("漆渣照片.png", png_bytes())]
    )
    problem_attach(
        problem_id=problem.pk,
        actor=lead_staff,
        uploads=[upload("处置报价单.pdf", pdf_bytes())],
        is_public=False,
    )
    return Problem.objects.get(pk=problem.pk)


INTERNAL_TEXTS = ["处置单位报价偏高，内部协调", "请生态环境分局加快办理", "处置报价单.pdf"]


def test_it_shows_the_enterprise_only_public_events_and_files(client_as, enterprise_user, busy):
    response = client_as(enterprise_user).get(detail_url(busy))

    assert response.status_code == 200
    html = response.content.decode()
    assert busy.title in html
    assert "已联系处置单位，下周上门" in html
    assert "漆渣照片.png" in html
    for text in INTERNAL_TEXTS:
        assert text not in html
    assert {e.is_public for e in response.context["events"]} == {True}
    assert [a.original_name for a in response.context["attachments"]] == ["漆渣照片.png"]
    # Officials are named to each other only: the enterprise sees "Department".
    assert "lead_staff" not in html
    assert "Responsible leader" not in html


@pytest.mark.parametrize(
    "persona", ["lead_staff", "co_staff", "office", "leader", "principal", "superuser"]
)
def test_it_shows_officials_internal_events_and_files(client_as, request, busy, persona):
    response = client_as(request.getfixturevalue(persona)).get(detail_url(busy))

    html = response.content.decode()
    for text in [*INTERNAL_TEXTS, "已联系处置单位，下周上门", "漆渣照片.png"]:
        assert text in html
    assert "lead_staff" in html
    assert "Responsible leader" in html


# Which action forms each persona finds on a problem in each state.
OFFERED = {
    (Status.SUBMITTED, "office"): {"dispatch", "reject", "attach"},
    (Status.SUBMITTED, "superuser"): {"dispatch", "reject", "attach"},
    (Status.SUBMITTED, "leader"): {"instruct"},
    (Status.SUBMITTED, "enterprise_user"): {"attach"},
    (Status.DISPATCHED, "lead_head"): {"acknowledge", "return", "assign", "attach"},
    (Status.DISPATCHED, "lead_staff"): {"acknowledge", "return", "attach"},
    (Status.DISPATCHED, "co_staff"): {"attach"},
    (Status.DISPATCHED, "office"): {"appeal_type", "attach"},
    (Status.DISPATCHED, "principal"): {"instruct"},
    (Status.IN_PROGRESS, "lead_staff"): {"progress", "resolve", "extension", "attach"},
    (Status.IN_PROGRESS, "lead_head"): {"progress", "resolve", "extension", "assign", "attach"},
    (Status.IN_PROGRESS, "co_staff"): {"progress", "attach"},
    (Status.IN_PROGRESS, "co_head"): {"progress", "attach"},
    (Status.IN_PROGRESS, "enterprise_user"): {"attach"},
    (Status.IN_PROGRESS, "office"): {"appeal_type", "attach"},
    (Status.IN_PROGRESS, "leader"): {"instruct"},
    (Status.RESOLVED, "enterprise_user"): {"evaluate", "attach"},
    (Status.RESOLVED, "lead_staff"): {"attach"},
    (Status.RESOLVED, "leader"): {"instruct"},
    (Status.CLOSED, "enterprise_user"): set(),
    (Status.CLOSED, "lead_head"): set(),
    (Status.CLOSED, "office"): {"appeal_type"},
    (Status.CLOSED, "leader"): set(),
    (Status.REJECTED, "enterprise_user"): set(),
    (Status.REJECTED, "office"): {"appeal_type"},
}

ACTION_URL_NAMES = {
    "dispatch": "dispatch",
    "reject": "reject",
    "acknowledge": "acknowledge",
    "return": "return",
    "progress": "progress",
    "resolve": "resolve",
    "extension": "request_extension",
    "assign": "assign",
    "evaluate": "evaluate",
    "instruct": "instruct",
    "attach": "attach",
    "appeal_type": "appeal_type",
}


@pytest.mark.parametrize("state, persona", OFFERED.keys(), ids=[f"{s}-{p}" for s, p in OFFERED])
def test_it_offers_the_actions_the_user_may_take(
    client_as, request, make_problem, co_department, state, persona
):
    problem = make_problem(state, co_departments=[co_department])

    response = client_as(request.getfixturevalue(persona)).get(detail_url(problem))

    expected = OFFERED[(state, persona)]
    assert set(response.context["actions"]) == expected
    html = response.content.decode()
    for name, url_name in ACTION_URL_NAMES.items():
        assert (f'action="{action_url(url_name, problem)}"' in html) == (name in expected), name


@pytest.mark.parametrize(
    "persona, offered",
    [
        ("office", {"appeal_type", "attach", "decide_extension"}),
        ("leader", {"instruct", "decide_extension"}),
        ("lead_staff", {"progress", "resolve", "attach"}),  # no second request
    ],
)
def test_it_offers_deciding_a_pending_extension(
    client_as, request, problem_in, lead_staff, persona, offered
):
    problem = problem_in(Status.IN_PROGRESS)
    extension = workflow.problem_request_extension(
        problem_id=problem.pk, actor=lead_staff, days=3, reason="等待检测报告"
    )

    response = client_as(request.getfixturevalue(persona)).get(detail_url(problem))

    assert set(response.context["actions"]) == offered
    html = response.content.decode()
    assert "等待检测报告" in html
    decide = reverse("issues:extension_decide", args=[extension.pk])
    assert (decide in html) == ("decide_extension" in offered)


def test_each_viewer_s_kept_page_query_shows_them_what_they_may_see(
    client_as,
    problem_in,
    make_problem,
    office,
    leader,
    lead_staff,
    co_staff,
    other_staff,
    enterprise_user,
    other_enterprise_user,
    no_profile_user,
):
    """The problem page's query is built once per role, department and enterprise and
    kept (problem_page.problem_page_queryset): whoever read a page before, each sees their
    own problems and a 404 for the others', in either order."""
    problem = problem_in(Status.IN_PROGRESS)
    others = make_problem(Status.IN_PROGRESS, submitter=other_enterprise_user, lead=other_staff)
    sees = {
        office: {problem, others},
        leader: {problem, others},
        lead_staff: {problem},
        co_staff: {problem},
        other_staff: {others},
        enterprise_user: {problem},
        other_enterprise_user: {others},
        no_profile_user: set(),
    }
    for viewers in (list(sees), list(reversed(sees))):
        for user in viewers:
            client = client_as(user)
            for shown in (problem, others):
                expected = 200 if shown in sees[user] else 404
                assert client.get(detail_url(shown)).status_code == expected, (user, shown)


def test_the_kept_page_query_is_copied_for_each_use(lead_staff, problem_in):
    from issues import problem_page

    problem = problem_in(Status.IN_PROGRESS)
    first = problem_page.problem_page_queryset(lead_staff)
    assert list(first) == [problem]
    second = problem_page.problem_page_queryset(lead_staff)
    assert second is not first and second._result_cache is None
    assert list(second.filter(pk=problem.pk)) == [problem]


def test_it_hides_a_pending_extension_from_the_enterprise(
    client_as, enterprise_user, problem_in, lead_staff
):
    problem = problem_in(Status.IN_PROGRESS)
    workflow.problem_request_extension(
        problem_id=problem.pk, actor=lead_staff, days=3, reason="等待检测报告"
    )

    response = client_as(enterprise_user).get(detail_url(problem))

    assert response.context["pending_extension"] is None
    assert "等待检测报告" not in response.content.decode()


def test_it_proposes_the_categorys_lead_department(client_as, office, problem_in, lead_department):
    response = client_as(office).get(detail_url(problem_in(Status.SUBMITTED)))

    form = response.context["actions"]["dispatch"]
    assert form["lead_department"].value() in (lead_department, lead_department.pk)


@pytest.mark.parametrize("persona", ["office", "lead_staff", "principal"])
def test_it_names_the_district_leader_and_why(
    client_as, request, office, problem_in, leader, principal, persona
):
    supervised = problem_in(Status.IN_PROGRESS)
    named = problem_in(Status.SUBMITTED)
    workflow.problem_dispatch(
        problem_id=named.pk,
        actor=office,
        lead_department=named.category.default_lead_department,
        responsible_leader=principal,
    )
    client = client_as(request.getfixturevalue(persona))

    # No leader named: the lead department's supervising leader, as the escalation list,
    # the dashboard and the handling list say.
    html = client.get(detail_url(supervised)).content.decode()
    assert '<dd class="col-7 col-lg-12 col-xl-7" id="problem-district-leader">leader ' in html
    assert "leader (supervising leader of the lead department)" in html
    assert "principal (named for this problem)" in client.get(detail_url(named)).content.decode()


def test_it_hides_the_district_leader_from_the_enterprise(client_as, enterprise_user, problem_in):
    html = client_as(enterprise_user).get(detail_url(problem_in(Status.IN_PROGRESS))).content

    assert b"problem-district-leader" not in html


def test_it_shows_why_a_problem_was_not_accepted(client_as, enterprise_user, problem_in):
    response = client_as(enterprise_user).get(detail_url(problem_in(Status.REJECTED)))

    html = response.content.decode()
    assert "Not accepted" in html
    assert "不属于政府职能范围" in html


def test_it_refuses_post_on_the_problem_page(client_as, office, problem_in):
    assert client_as(office).post(detail_url(problem_in(Status.SUBMITTED))).status_code == 405


def test_it_sends_anonymous_users_to_login_from_the_problem_page(client_as, problem_in):
    url = detail_url(problem_in(Status.SUBMITTED))

    response = client_as(None).get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


# --- query counts ----------------------------------------------------------------------

_event_serial = itertools.count()


def add_events(problem: Problem, n: int, actors: list) -> None:
    """`n` more timeline entries by turns of `actors` (None: the system), every third internal."""
    kinds = [EventKind.PROGRESS, EventKind.INSTRUCTED, EventKind.EXTENSION_APPROVED]
    start = problem.events.order_by("-created_at").first().created_at
    ProblemEvent.objects.bulk_create(
        ProblemEvent(
            problem=problem,
            actor=actor,
            kind=kind,
            text=f"进展 {next(_event_serial)}",
            is_public=i % 3 != 0,
            data={"days": 2, "due_date": "2025-10-20"} if kind.startswith("extension") else {},
            created_at=start + dt.timedelta(minutes=i + 1),
        )
        for i, (actor, kind) in enumerate(
            zip(itertools.islice(itertools.cycle(actors), n), itertools.cycle(kinds), strict=False)
        )
    )


# 1 session, 2 user, 3 profile, 4 the problem if visible (the 404 check) with
# enterprise, category, lead department, leaders, handler and meeting, in the order
# written (JOIN_ORDER: PostgreSQL's SET before and after) (for
# officials also whether it has a pending extension request, key tasks, coordination
# meetings and consultation requests: each is read only if there are some, see
# test_it_reads_what_the_problem_has), 5 its co-departments, 6 the visible events with
# actors and their profiles, 7 the visible attachments; then for officials 8 the audit
# trail's record of the official's read (audit.record: one INSERT); for the lead
# department's head 9 the members it may assign.
# Officials: plus the device their session passed two-factor sign-in with.
DETAIL_QUERIES = {
    "enterprise_user": 7 + JOIN_ORDER,
    "lead_staff": 8 + TWO_FACTOR_DEVICE + JOIN_ORDER,
    "lead_head": 9 + TWO_FACTOR_DEVICE + JOIN_ORDER,
    "co_staff": 8 + TWO_FACTOR_DEVICE + JOIN_ORDER,
    "office": 8 + TWO_FACTOR_DEVICE + JOIN_ORDER,
    "leader": 8 + TWO_FACTOR_DEVICE + JOIN_ORDER,
    "principal": 8 + TWO_FACTOR_DEVICE + JOIN_ORDER,
    "superuser": 8 + TWO_FACTOR_DEVICE + JOIN_ORDER,
}


@pytest.mark.parametrize("events", [2, 30])
@pytest.mark.parametrize("persona, queries", DETAIL_QUERIES.items(), ids=DETAIL_QUERIES.keys())
def test_it_counts_problem_page_queries(
    client_as,
    request,
    busy,
    superuser,
    warm_calendar,
    django_assert_num_queries,
    persona,
    queries,
    events,
):
    actors = [request.getfixturevalue(name) for name in ("lead_staff", "co_staff", "leader")]
    add_events(busy, events, [*actors, busy.submitted_by, superuser, None])
    client = client_as(request.getfixturevalue(persona))

    with django_assert_num_queries(queries):
        response = client.get(detail_url(busy))
    visible = busy.events.filter(is_public=True) if persona == "enterprise_user" else busy.events
    assert len(response.context["events"]) == visible.count()


@pytest.mark.parametrize("events", [2, 30])
def test_it_counts_problem_page_queries_for_dispatching(
    client_as, office, problem_in, warm_calendar, django_assert_num_queries, events
):
    problem = problem_in(Status.SUBMITTED)
    add_events(problem, events, [office, problem.submitted_by])
    client = client_as(office)

    # The 7 of every page (DETAIL_QUERIES: no pending extension, coordination meeting,
    # consultation request or key task to read), 8 the audit trail's record of the read,
    # then the dispatch form's choices: 9 departments, 10 co-departments, 11 leaders, 12
    # the open problems compared for possible duplicates (并单, issues.similarity: one
    # query, bounded)
    with django_assert_num_queries(12 + TWO_FACTOR_DEVICE + JOIN_ORDER):
        client.get(detail_url(problem))


# --- actions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Pk:
    """Stands for the primary key of the fixture of this name."""

    fixture: str


@dataclass
class Action:
    url_name: str
    persona: str
    state: str  # where the action is allowed
    data: dict  # valid input; a (name, content) pair is a file
    invalid: dict  # merged into `data`
    invalid_message: str
    wrong_state: str
    wrong_state_message: str = "This cannot be done while the problem is"
    versioned: bool = True


ACTIONS = {
    "dispatch": Action(
        "dispatch",
        "office",
        Status.SUBMITTED,
        {"lead_department": Pk("lead_department"), "co_departments": [Pk("co_department")]},
        {"lead_department": ""},
        "Lead department: This field is required.",
        Status.IN_PROGRESS,
    ),
    "reject": Action(
        "reject",
        "office",
        Status.SUBMITTED,
        {"reason": "属于司法程序，不予受理"},
        {"reason": "   "},
        "Reason (shown to the enterprise): This field is required.",
        Status.DISPATCHED,
    ),
    "return": Action(
        "return",
        "lead_staff",
        Status.DISPATCHED,
        {"reason": "应由人社局主办"},
        {"reason": ""},
        "Reason: This field is required.",
        Status.IN_PROGRESS,
    ),
    "acknowledge": Action(
        "acknowledge",
        "lead_staff",
        Status.DISPATCHED,
        {},
        {"version": "abc"},
        "Enter a whole number.",
        Status.IN_PROGRESS,
    ),
    "progress": Action(
        "progress",
        "co_staff",
        Status.IN_PROGRESS,
        {"text": "已组织现场踏勘", "is_public": "on"},
        {"text": ""},
        "Progress: This field is required.",
        Status.DISPATCHED,
    ),
    "extension": Action(
        "request_extension",
        "lead_staff",
        Status.IN_PROGRESS,
        {"days": "3", "reason": "等待第三方检测报告"},
        {"days": "11"},
        "Extra working days: Ensure this value is less than or equal to 10.",
        Status.DISPATCHED,
    ),
    "resolve": Action(
        "resolve",
        "lead_staff",
        Status.IN_PROGRESS,
        {"answer": "已协调有资质单位上门收运漆渣。"},
        {"answer": ""},
        "Answer to the enterprise: This field is required.",
        Status.DISPATCHED,
    ),
    "evaluate": Action(
        "evaluate",
        "enterprise_user",
        Status.RESOLVED,
        {"satisfaction": Satisfaction.SATISFIED},
        {"satisfaction": Satisfaction.UNSATISFIED, "reason": ""},
        "Comment: Say why you are not satisfied.",
        Status.IN_PROGRESS,
    ),
    "instruct": Action(
        "instruct",
        "leader",
        Status.IN_PROGRESS,
        {"text": "请本周内办结"},
        {"text": ""},
        "Instruction: This field is required.",
        Status.CLOSED,
    ),
    "assign": Action(
        "assign",
        "lead_head",
        Status.IN_PROGRESS,
        {"handler": Pk("lead_head")},
        {"handler": Pk("other_staff")},
        "Handler: Select a valid choice.",
        Status.RESOLVED,
    ),
    "attach": Action(
        "attach",
        "enterprise_user",
        Status.IN_PROGRESS,
        {"files": [("现场照片.png", png_bytes())]},
        {"files": [EXE_AS_PDF]},
        "does not contain what its name says",
        Status.CLOSED,
        wrong_state_message="You may not add files to this problem.",
        versioned=False,
    ),
}


def resolve(request, value):
    """Form input from an Action's description: fixtures' keys and fresh uploads."""
    if isinstance(value, Pk):
        return request.getfixturevalue(value.fixture).pk
    if isinstance(value, tuple):
        return upload(*value)
    if isinstance(value, list):
        return [resolve(request, item) for item in value]
    return value


def form_data(request, problem: Problem, values: dict, *, versioned: bool) -> dict:
    data = {name: resolve(request, value) for name, value in values.items()}
    if versioned:
        data.setdefault("version", problem.version)
    return data


@pytest.fixture
def act(request, client_as, make_problem, co_department, media_root):
    """`act(name)`: the problem, the client of the action's persona and valid input."""

    def prepare(name: str, state: str | None = None):
        action = ACTIONS[name]
        problem = make_problem(state or action.state, co_departments=[co_department])
        client = client_as(request.getfixturevalue(action.persona))
        return problem, client, form_data(request, problem, action.data, versioned=action.versioned)

    return prepare


@pytest.mark.parametrize("name", ACTIONS)
def test_it_applies_an_action(request, act, name):
    problem, client, data = act(name)
    before = snapshot(problem)

    response = client.post(action_url(ACTIONS[name].url_name, problem), data, follow=True)

    # Back to the problem page, which shows the new state; a department that returned a
    # problem no longer sees it, so it goes back to its desk, told where the problem went.
    if name == "return":
        assert response.redirect_chain == [(reverse("issues:department"), 302)]
        assert messages_of(response) == [
            ("success", "The problem was returned to the liaison office.")
        ]
    else:
        assert response.redirect_chain == [(detail_url(problem), 302)]
        # One success message says what happened.
        assert [level for level, _ in messages_of(response)] == ["success"]
        assert response.context["problem"].status == Problem.objects.get(pk=problem.pk).status
    assert snapshot(problem) != before
    assert problem.events.count() == len(before["events"]) + 1


def error_summary(html: str) -> str | None:
    """The error summary at the top of a refused form (liaison/includes/error_summary.html)."""
    found = re.search(
        r'<div class="alert alert-danger py-2 liaison-error-summary" role="alert" '
        r'tabindex="-1" data-error-summary>(.*?)</div>',
        html,
        re.S,
    )
    return found.group(1) if found else None


@pytest.mark.parametrize("name", ACTIONS)
def test_it_reports_invalid_input(request, act, name):
    problem, client, data = act(name)
    invalid = form_data(request, problem, ACTIONS[name].invalid, versioned=False)
    before = snapshot(problem)

    response = client.post(action_url(ACTIONS[name].url_name, problem), {**data, **invalid})

    # The problem page again (as the other forms of the site do), with the form as the
    # user filled it: its errors at the top of the form and at their fields.
    assert response.status_code == 200
    assert response.templates[0].name == "issues/problem_detail.html"
    form = response.context["actions"][name]
    assert form.is_bound and form.errors
    assert ACTIONS[name].invalid_message in error_summary(response.content.decode())
    assert errors(response) == []
    assert snapshot(problem) == before


def test_it_keeps_an_unsatisfied_evaluation_and_asks_why_at_the_field(
    client_as, enterprise_user, problem_in
):
    problem = problem_in(Status.RESOLVED)
    url = action_url("evaluate", problem)

    response = client_as(enterprise_user).post(
        url, {"satisfaction": Satisfaction.UNSATISFIED, "reason": "  ", "version": problem.version}
    )

    html = response.content.decode()
    assert response.status_code == 200
    # The choice is kept ...
    assert re.search(
        r'<input type="radio" name="satisfaction" value="unsatisfied"[^>]*checked', html
    )
    assert not re.search(r'value="satisfied"[^>]*checked', html)
    # ... and the error is at the comment field, which points to it, and in the summary,
    # whose link leads to the field.
    assert re.search(
        r'<textarea name="reason"[^>]* class="form-control is-invalid" aria-invalid="true" '
        r'aria-describedby="evaluateform_reason_helptext evaluateform_reason_error"',
        html,
    )
    assert (
        '<div class="invalid-feedback d-block" id="evaluateform_reason_error">'
        "<div>Say why you are not satisfied.</div></div>"
    ) in html
    assert (
        '<a class="alert-link fw-normal" href="#evaluateform_reason">'
        "Comment: Say why you are not satisfied.</a>"
    ) in error_summary(html)
    # Not a banner: the page has no error message, and switching language returns to
    # the problem page (the action's URL takes only POST).
    assert errors(response) == []
    assert f'<input type="hidden" name="next" value="{detail_url(problem)}">' in html
    assert Problem.objects.get(pk=problem.pk).status == Status.RESOLVED


@pytest.mark.parametrize("events", [2, 30])
def test_it_counts_the_queries_of_a_refused_form(
    client_as, enterprise_user, problem_in, warm_calendar, django_assert_num_queries, events
):
    problem = problem_in(Status.RESOLVED)
    add_events(problem, events, [problem.submitted_by, None])
    client = client_as(enterprise_user)
    data = {"satisfaction": Satisfaction.UNSATISFIED, "version": problem.version}

    # The enterprise's problem page (DETAIL_QUERIES): the form is checked without one;
    # the action loads the problem (the 404 check) before the page reads it again with
    # its relations (one query, planned as the database chooses: not JOIN_ORDER); an
    # answered problem's page also reads its burden-relief lines (one query).
    with django_assert_num_queries(DETAIL_QUERIES["enterprise_user"] - JOIN_ORDER + 2):
        response = client.post(action_url("evaluate", problem), data)
    assert response.status_code == 200


def test_it_opens_a_folded_form_that_was_refused(client_as, lead_staff, problem_in):
    problem = problem_in(Status.IN_PROGRESS)

    response = client_as(lead_staff).post(
        action_url("request_extension", problem),
        {"days": "30", "reason": "", "version": problem.version},
    )

    html = response.content.decode()
    assert (
        '<details class="mb-2" open><summary class="fw-semibold mb-2">Request an extension' in html
    )
    summary = error_summary(html)
    assert 'href="#extensionrequestform_days"' in summary
    assert 'href="#extensionrequestform_reason"' in summary
    # The other folded forms stay folded.
    assert '<details class="mb-2"><summary class="fw-semibold mb-2">Return' not in html
    assert '<details class="mb-2"><summary class="fw-semibold mb-2">Add files' in html


def test_it_tells_refused_input_for_an_action_no_longer_offered_as_a_message(
    client_as, enterprise_user, problem_in
):
    # Answered, then reopened by someone else meanwhile: no evaluation form to show.
    problem = problem_in(Status.IN_PROGRESS)

    response = client_as(enterprise_user).post(
        action_url("evaluate", problem),
        {"satisfaction": Satisfaction.UNSATISFIED, "version": problem.version},
        follow=True,
    )

    assert response.redirect_chain == [(detail_url(problem), 302)]
    assert errors(response) == ["Comment: Say why you are not satisfied."]


@pytest.mark.parametrize("name", ACTIONS)
def test_it_reports_the_wrong_state(request, act, name):
    problem, client, data = act(name, ACTIONS[name].wrong_state)
    before = snapshot(problem)

    response = client.post(action_url(ACTIONS[name].url_name, problem), data, follow=True)

    assert response.redirect_chain == [(detail_url(problem), 302)]
    assert any(ACTIONS[name].wrong_state_message in text for text in errors(response))
    assert snapshot(problem) == before


@pytest.mark.parametrize("name", [n for n, a in ACTIONS.items() if a.versioned])
def test_it_refuses_an_action_from_a_stale_page(request, act, principal, name):
    problem, client, data = act(name)
    page = client.get(detail_url(problem))
    form = page.context["actions"][name]
    # Someone else acts meanwhile: an instruction changes the version, not the state.
    workflow.problem_instruct(problem_id=problem.pk, actor=principal, text="请抓紧办理")
    before = snapshot(problem)

    response = client.post(
        action_url(ACTIONS[name].url_name, problem),
        {**data, "version": form["version"].value()},
        follow=True,
    )

    assert response.redirect_chain == [(detail_url(problem), 302)]
    assert any("changed" in text for text in errors(response))
    assert snapshot(problem) == before


@pytest.mark.parametrize("name", ACTIONS)
def test_it_refuses_get_on_an_action(act, name):
    problem, client, _ = act(name)

    assert client.get(action_url(ACTIONS[name].url_name, problem)).status_code == 405


def test_it_dispatches(
    client_as, office, problem_in, lead_department, co_department, leader, request
):
    problem = problem_in(Status.SUBMITTED)

    response = client_as(office).post(
        action_url("dispatch", problem),
        {
            "lead_department": lead_department.pk,
            "co_departments": [co_department.pk],
            "responsible_leader": leader.pk,
            "note": "请于十个工作日内答复",
            "version": problem.version,
        },
    )

    assert response.status_code == 302
    assert response.url == detail_url(problem)
    problem.refresh_from_db()
    assert problem.status == Status.DISPATCHED
    assert problem.lead_department == lead_department
    assert list(problem.co_departments.all()) == [co_department]
    assert problem.responsible_leader == leader
    assert problem.due_at is not None


def test_it_refuses_a_lead_department_as_its_own_co_department(
    client_as, office, problem_in, lead_department
):
    problem = problem_in(Status.SUBMITTED)

    response = client_as(office).post(
        action_url("dispatch", problem),
        {"lead_department": lead_department.pk, "co_departments": [lead_department.pk]},
        follow=True,
    )

    summary = error_summary(response.content.decode())
    assert "Co-departments: The lead department cannot also be a co-department." in summary
    assert 'href="#dispatchform_co_departments_0"' in summary
    assert Problem.objects.get(pk=problem.pk).status == Status.SUBMITTED


def test_it_rejects_a_duplicate(client_as, office, problem_in):
    original = problem_in(Status.IN_PROGRESS)
    problem = problem_in(Status.SUBMITTED)

    client_as(office).post(
        action_url("reject", problem),
        {"reason": "与已受理问题重复", "duplicate_of": original.reference},
    )

    problem.refresh_from_db()
    assert problem.status == Status.REJECTED
    assert problem.duplicate_of == original


@pytest.mark.parametrize(
    "duplicate_of, message",
    [
        ("2025-99999", "There is no problem 2025-99999."),
        ("self", "A problem cannot duplicate itself."),
    ],
)
def test_it_refuses_a_wrong_duplicate(client_as, office, problem_in, duplicate_of, message):
    problem = problem_in(Status.SUBMITTED)
    reference = problem.reference if duplicate_of == "self" else duplicate_of

    response = client_as(office).post(
        action_url("reject", problem),
        {"reason": "重复", "duplicate_of": reference},
        follow=True,
    )

    html = response.content.decode()
    assert f"Duplicate of (reference): {message}" in error_summary(html)
    assert f'id="rejectform_duplicate_of_error"><div>{message}</div>' in html
    assert Problem.objects.get(pk=problem.pk).status == Status.SUBMITTED


def test_it_does_not_tell_the_enterprise_whether_another_problem_exists(
    client_as, enterprise_user, other_enterprise_user, make_problem, problem_in
):
    # Only the office rejects; an enterprise trying it must not learn from the form's
    # error which references exist beyond its own problems.
    theirs = make_problem(submitter=other_enterprise_user)
    problem = problem_in(Status.SUBMITTED)
    client = client_as(enterprise_user)

    answers = [
        errors(
            client.post(
                action_url("reject", problem),
                {"reason": "重复", "duplicate_of": reference},
                follow=True,
            )
        )
        for reference in (theirs.reference, "2025-99999")
    ]

    assert answers == [
        [f"Duplicate of (reference): There is no problem {theirs.reference}."],
        ["Duplicate of (reference): There is no problem 2025-99999."],
    ]
    assert Problem.objects.get(pk=problem.pk).status == Status.SUBMITTED


def test_it_takes_a_returning_department_back_to_its_desk(client_as, lead_staff, problem_in):
    problem = problem_in(Status.DISPATCHED)

    response = client_as(lead_staff).post(
        action_url("return", problem), {"reason": "应由人社局主办"}, follow=True
    )

    assert response.redirect_chain == [(reverse("issues:department"), 302)]
    assert messages_of(response) == [("success", "The problem was returned to the liaison office.")]
    problem.refresh_from_db()
    assert (problem.status, problem.lead_department) == (Status.SUBMITTED, None)
    assert problem.clock_started_at is not None  # the clock keeps running


def test_it_acknowledges(client_as, lead_staff, problem_in):
    problem = problem_in(Status.DISPATCHED)

    client_as(lead_staff).post(action_url("acknowledge", problem), {"version": problem.version})

    problem.refresh_from_db()
    assert (problem.status, problem.handler) == (Status.IN_PROGRESS, lead_staff)


def test_it_records_an_internal_note(client_as, co_staff, enterprise_user, problem_in):
    problem = problem_in(Status.IN_PROGRESS)

    client_as(co_staff).post(action_url("progress", problem), {"text": "发改局已出具意见"})

    event = problem.events.get(kind=EventKind.PROGRESS)
    assert (event.actor, event.is_public, event.text) == (co_staff, False, "发改局已出具意见")
    html = client_as(enterprise_user).get(detail_url(problem)).content.decode()
    assert "发改局已出具意见" not in html


def test_it_requests_an_extension(client_as, lead_staff, problem_in):
    problem = problem_in(Status.IN_PROGRESS)

    client_as(lead_staff).post(
        action_url("request_extension", problem), {"days": "3", "reason": "等待检测报告"}
    )

    extension = problem.extensions.get()
    assert (extension.days, extension.decision) == (3, ExtensionRequest.Decision.PENDING)


def test_it_refuses_a_second_extension_request(client_as, lead_staff, problem_in):
    problem = problem_in(Status.IN_PROGRESS)
    client = client_as(lead_staff)
    client.post(action_url("request_extension", problem), {"days": "3", "reason": "检测"})

    response = client.post(
        action_url("request_extension", problem), {"days": "2", "reason": "再等等"}, follow=True
    )

    assert errors(response) == ["An extension request is already waiting for a decision."]
    assert problem.extensions.count() == 1


def test_it_resolves(client_as, lead_staff, problem_in):
    problem = problem_in(Status.IN_PROGRESS)

    client_as(lead_staff).post(action_url("resolve", problem), {"answer": "已上门收运"})

    problem.refresh_from_db()
    assert (problem.status, problem.answer) == (Status.RESOLVED, "已上门收运")


@pytest.mark.parametrize(
    "satisfaction, state",
    [
        (Satisfaction.SATISFIED, Status.CLOSED),
        (Satisfaction.BASICALLY, Status.CLOSED),
        (Satisfaction.UNSATISFIED, Status.IN_PROGRESS),
    ],
)
def test_it_evaluates(client_as, enterprise_user, problem_in, satisfaction, state):
    problem = problem_in(Status.RESOLVED)

    client_as(enterprise_user).post(
        action_url("evaluate", problem),
        {"satisfaction": satisfaction, "reason": "收运后仍有残渣"},
    )

    problem.refresh_from_db()
    assert (problem.status, problem.satisfaction) == (state, satisfaction)
    assert problem.reopen_count == (1 if state == Status.IN_PROGRESS else 0)


def test_it_records_an_instruction_for_officials_only(client_as, leader, problem_in):
    problem = problem_in(Status.SUBMITTED)

    client_as(leader).post(action_url("instruct", problem), {"text": "请尽快分派"})

    event = problem.events.get(kind=EventKind.INSTRUCTED)
    assert (event.actor, event.is_public) == (leader, False)
    assert Problem.objects.get(pk=problem.pk).status == Status.SUBMITTED


def test_it_assigns_a_handler(client_as, lead_head, lead_department, problem_in):
    colleague = make_user("lead_staff_2", Role.DEPARTMENT_STAFF, department=lead_department)
    problem = problem_in(Status.IN_PROGRESS)

    client_as(lead_head).post(action_url("assign", problem), {"handler": colleague.pk})

    assert Problem.objects.get(pk=problem.pk).handler == colleague


@pytest.mark.parametrize("persona, is_public", [("lead_staff", False), ("enterprise_user", True)])
def test_it_attaches_files(client_as, request, media_root, problem_in, persona, is_public):
    # An enterprise's files are always public; a department may keep one internal.
    problem = problem_in(Status.IN_PROGRESS)

    client_as(request.getfixturevalue(persona)).post(
        action_url("attach", problem), {"files": [upload("现场照片.png", png_bytes())]}
    )

    attachment = problem.attachments.get()
    assert (attachment.original_name, attachment.is_public) == ("现场照片.png", is_public)


def test_it_asks_for_a_file_to_attach(client_as, enterprise_user, problem_in):
    problem = problem_in(Status.IN_PROGRESS)

    response = client_as(enterprise_user).post(action_url("attach", problem), {}, follow=True)

    assert errors(response) == ["Choose at least one file."]
    assert not problem.attachments.exists()


# --- deciding an extension -------------------------------------------------------------


@pytest.fixture
def pending(problem_in, lead_staff):
    problem = problem_in(Status.IN_PROGRESS)
    return workflow.problem_request_extension(
        problem_id=problem.pk, actor=lead_staff, days=3, reason="等待检测报告"
    )


def decide_url(extension: ExtensionRequest) -> str:
    return reverse("issues:extension_decide", args=[extension.pk])


@pytest.mark.parametrize("persona", ["office", "leader"])
def test_it_approves_an_extension(client_as, request, pending, persona):
    problem = pending.problem
    due_at = problem.due_at

    response = client_as(request.getfixturevalue(persona)).post(
        decide_url(pending), {"approve": "1", "note": "同意"}, follow=True
    )

    assert response.redirect_chain == [(detail_url(problem), 302)]
    assert messages_of(response) == [("success", "The decision was recorded.")]
    pending.refresh_from_db()
    problem.refresh_from_db()
    assert pending.decision == ExtensionRequest.Decision.APPROVED
    assert problem.due_at > due_at


def test_it_denies_an_extension_and_returns_to_the_list(client_as, office, pending):
    due_at = pending.problem.due_at
    extensions = reverse("issues:extensions")

    response = client_as(office).post(decide_url(pending), {"approve": "0", "next": extensions})

    assert response.url == extensions
    pending.refresh_from_db()
    assert pending.decision == ExtensionRequest.Decision.DENIED
    assert Problem.objects.get(pk=pending.problem_id).due_at == due_at


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:x"]
)
def test_it_never_redirects_a_decision_off_the_site(client_as, office, pending, next_url):
    response = client_as(office).post(decide_url(pending), {"approve": "1", "next": next_url})

    assert response.url == detail_url(pending.problem)


def test_it_asks_to_approve_or_deny(client_as, office, pending):
    before = snapshot(pending.problem)

    response = client_as(office).post(decide_url(pending), {"approve": "maybe"}, follow=True)

    assert errors(response) == ["Choose approve or deny."]
    assert snapshot(pending.problem) == before


def test_it_refuses_deciding_twice(client_as, office, leader, pending):
    # The second decision comes from a page rendered before the first.
    client_as(leader).post(decide_url(pending), {"approve": "0"})
    before = snapshot(pending.problem)

    response = client_as(office).post(decide_url(pending), {"approve": "1"}, follow=True)

    assert errors(response) == ["This extension request has already been decided."]
    assert snapshot(pending.problem) == before


def test_it_refuses_deciding_after_the_answer(client_as, office, lead_staff, pending):
    workflow.problem_resolve(problem_id=pending.problem_id, actor=lead_staff, answer="已办结")
    before = snapshot(pending.problem)

    response = client_as(office).post(decide_url(pending), {"approve": "1"}, follow=True)

    assert errors(response) == ["This extension request has already been decided."]
    assert snapshot(pending.problem) == before


def test_it_refuses_get_on_a_decision(client_as, office, pending):
    assert client_as(office).get(decide_url(pending)).status_code == 405


def test_it_hides_an_unknown_extension_request(client_as, office):
    response = client_as(office).post(reverse("issues:extension_decide", args=[999999]))

    assert response.status_code == 404


# --- submit and register ---------------------------------------------------------------

SUBMIT_URL = reverse("issues:submit")
REGISTER_URL = reverse("issues:register")


@pytest.fixture
def submission(category):
    def data(**changes):
        return {
            "submission_key": "8a0f1f4e-6a57-4c1d-9d3e-2b7f9c0f5a11",
            "title": "用电成本偏高",
            "category": category.pk,
            "description": "峰谷电价调整后每月电费增加约三万元，希望了解优惠政策。",
            **changes,
        }

    return data


def test_it_shows_the_submit_form(client_as, enterprise_user, category):
    response = client_as(enterprise_user).get(SUBMIT_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "For 嘉禾精密机械有限公司." in html
    assert 'name="submission_key"' in html
    assert 'enctype="multipart/form-data"' in html


def test_it_submits_a_problem_with_a_file(
    client_as, enterprise_user, media_root, submission, warm_calendar
):
    response = client_as(enterprise_user).post(
        SUBMIT_URL,
        submission(files=[upload("电费单.pdf", pdf_bytes())]),
        follow=True,
    )

    problem = Problem.objects.get()
    assert response.redirect_chain == [(detail_url(problem), 302)]
    assert messages_of(response) == [
        (
            "success",
            f"Problem {problem.reference} was submitted. The liaison office will dispatch it.",
        )
    ]
    assert (problem.title, problem.status, problem.channel) == (
        "用电成本偏高",
        Status.SUBMITTED,
        Channel.WEB,
    )
    assert problem.enterprise == enterprise_user.profile.enterprise
    assert problem.submitted_by == enterprise_user
    assert [a.original_name for a in problem.attachments.all()] == ["电费单.pdf"]
    assert "电费单.pdf" in response.content.decode()


def test_it_saves_a_double_submitted_form_once(client_as, enterprise_user, submission):
    client = client_as(enterprise_user)
    first = client.post(SUBMIT_URL, submission())

    second = client.post(SUBMIT_URL, submission(), follow=True)

    problem = Problem.objects.get()
    assert first.url == detail_url(problem)
    assert second.redirect_chain == [(detail_url(problem), 302)]
    assert messages_of(second)[-1] == (
        "info",
        "This form was already submitted; the problem was saved once.",
    )


def test_the_same_problem_sent_again_from_a_refilled_form_is_saved_once(
    client_as, enterprise_user, submission
):
    # Back, then submit again: the browser refills the text, the page has a new form key.
    client = client_as(enterprise_user)
    client.post(SUBMIT_URL, submission())

    again = client.post(
        SUBMIT_URL, submission(submission_key="5b8f2d3c-1e4a-4f6b-9c7d-0a1b2c3d4e5f"), follow=True
    )

    problem = Problem.objects.get()
    assert again.redirect_chain == [(detail_url(problem), 302)]
    # A different problem from the same enterprise is a new one.
    client.post(
        SUBMIT_URL,
        submission(submission_key="6c9f3e4d-2f5b-4a7c-8d8e-1b2c3d4e5f60", title="另一个问题"),
    )
    assert Problem.objects.count() == 2


def test_a_refilled_form_is_compared_with_the_enterprise_s_latest_problems_only(
    client_as, enterprise_user, submission
):
    """An enterprise that sent many problems lately (a script, an import): the refilled
    form is compared with its RESUBMIT_RECENT latest (still one query), and the
    form's own key is still found however old its problem."""
    client = client_as(enterprise_user)
    client.post(SUBMIT_URL, submission())
    oldest = Problem.objects.get()
    for n in range(workflow.RESUBMIT_RECENT):
        client.post(SUBMIT_URL, submission(submission_key=uuid.uuid4(), title=f"另一个问题 {n}"))
    latest = Problem.objects.latest("pk")

    # The latest one's text with a new key: caught.
    again = client.post(SUBMIT_URL, submission(submission_key=uuid.uuid4(), title=latest.title))
    assert again.url == detail_url(latest)
    # The oldest one's form sent again (its key): caught.
    assert client.post(SUBMIT_URL, submission()).url == detail_url(oldest)
    # The oldest one's text with a new key, past the latest 50: a new problem.
    count = Problem.objects.count()
    client.post(SUBMIT_URL, submission(submission_key=uuid.uuid4()))
    assert Problem.objects.count() == count + 1


def test_another_enterprise_reusing_a_form_key_gets_its_own_problem(
    client_as, enterprise_user, other_enterprise_user, submission
):
    ours = client_as(enterprise_user)
    ours.post(SUBMIT_URL, submission())
    first = Problem.objects.get()

    # The same key, even the same words: another enterprise's problem is its own.
    response = client_as(other_enterprise_user).post(SUBMIT_URL, submission(), follow=True)

    theirs = Problem.objects.exclude(pk=first.pk).get()
    assert theirs.enterprise == other_enterprise_user.profile.enterprise
    assert theirs.submission_key == first.submission_key
    assert response.redirect_chain == [(detail_url(theirs), 302)]
    assert messages_of(response)[-1][0] == "success"
    assert first.reference not in response.content.decode()
    # Each enterprise's double submission is still caught, each in its own.
    again = client_as(other_enterprise_user).post(SUBMIT_URL, submission())
    assert again.url == detail_url(theirs)
    assert Problem.objects.count() == 2


def test_a_form_sent_again_with_other_words_is_a_new_problem(
    client_as, enterprise_user, submission
):
    # Back, then an edit: the browser kept the form's key, the text is another problem's.
    client = client_as(enterprise_user)
    client.post(SUBMIT_URL, submission())
    edited = submission(title="招工难", description="旺季前需招熟练挡车工三十名。")

    response = client.post(SUBMIT_URL, edited, follow=True)

    first, second = Problem.objects.order_by("pk")
    assert response.redirect_chain == [(detail_url(second), 302)]
    assert (second.title, second.submission_key) == ("招工难", None)
    # And that edited form, sent twice, is still saved once.
    assert client.post(SUBMIT_URL, edited).url == detail_url(second)
    assert Problem.objects.count() == 2


def test_a_form_key_is_unique_within_an_enterprise_only(make_problem, other_enterprise_user):
    key = uuid.uuid4()
    ours = make_problem()
    theirs = make_problem(submitter=other_enterprise_user)
    Problem.objects.filter(pk__in=[ours.pk, theirs.pk]).update(submission_key=key)

    with pytest.raises(IntegrityError), transaction.atomic():
        Problem.objects.filter(pk=make_problem().pk).update(submission_key=key)


@pytest.mark.parametrize(
    "changes, field_name, error",
    [
        ({"title": "  "}, "title", "This field is required."),
        ({"description": ""}, "description", "This field is required."),
        ({"category": "999999"}, "category", "Select a valid choice."),
        ({"files": [upload(*EXE_AS_PDF)]}, "files", "does not contain what its name says"),
        (
            {"files": [upload(f"照片{i}.png", png_bytes()) for i in range(11)]},
            "files",
            "At most 10 files per problem.",
        ),
    ],
)
def test_it_refuses_an_invalid_submission(
    client_as, enterprise_user, media_root, submission, changes, field_name, error
):
    response = client_as(enterprise_user).post(SUBMIT_URL, submission(**changes))

    assert response.status_code == 200
    assert field_name in response.context["form"].errors
    assert error in response.content.decode()
    assert not Problem.objects.exists()
    assert not Attachment.objects.exists()
    assert not (media_root / "attachments").exists()


@pytest.mark.parametrize("url", [SUBMIT_URL, REGISTER_URL])
def test_it_starts_the_category_blank(client_as, office, enterprise_user, category, url):
    user = enterprise_user if url == SUBMIT_URL else office

    html = client_as(user).get(url).content.decode()

    select = re.search(r'<select name="category"[^>]*>(.*?)</select>', html, re.S)
    assert "required" in select.group(0).split(">")[0]
    options = re.findall(r"<option[^>]*>[^<]*</option>", select.group(1))
    assert options[0] == '<option value="" selected>Choose…</option>'
    assert "selected" not in "".join(options[1:])


@pytest.mark.parametrize("url", [SUBMIT_URL, REGISTER_URL])
def test_it_requires_a_category(client_as, office, enterprise_user, enterprise, submission, url):
    user = enterprise_user if url == SUBMIT_URL else office
    data = submission(category="", enterprise=enterprise.pk, channel=Channel.PHONE)

    response = client_as(user).post(url, data)

    assert response.status_code == 200
    assert response.context["form"].errors["category"] == ["This field is required."]
    assert not Problem.objects.exists()


def test_it_sums_up_a_refused_submission_at_the_top_of_the_form(
    client_as, enterprise_user, submission
):
    response = client_as(enterprise_user).post(
        SUBMIT_URL, submission(title="", category="", description="")
    )

    summary = error_summary(response.content.decode())
    assert re.findall(r'href="#([^"]+)"', summary) == ["id_title", "id_category", "id_description"]


def test_it_refuses_a_tampered_submission_key(client_as, enterprise_user, submission):
    response = client_as(enterprise_user).post(SUBMIT_URL, submission(submission_key="not-a-uuid"))

    assert response.status_code == 200
    assert "submission_key" in response.context["form"].errors
    assert not Problem.objects.exists()


def test_it_registers_a_problem_from_a_visit(client_as, office, enterprise, media_root, submission):
    response = client_as(office).post(
        REGISTER_URL, submission(enterprise=enterprise.pk, channel=Channel.VISIT)
    )

    problem = Problem.objects.get()
    assert response.url == detail_url(problem)
    assert (problem.enterprise, problem.channel, problem.submitted_by) == (
        enterprise,
        Channel.VISIT,
        office,
    )


def test_it_tells_the_office_what_a_registered_problem_needs_next(
    client_as, office, enterprise, submission
):
    response = client_as(office).post(
        REGISTER_URL, submission(enterprise=enterprise.pk, channel=Channel.PHONE), follow=True
    )

    problem = Problem.objects.get()
    url = detail_url(problem)
    [(level, text)] = messages_of(response)
    assert level == "success"
    assert text == (
        f"{problem.reference} is registered for 嘉禾精密机械有限公司 and waits for dispatch. "
        f'<a href="{url}#dispatch">Dispatch it now</a> · '
        f'<a href="{REGISTER_URL}">Register another</a>'
    )
    html = response.content.decode()
    # Not the enterprise's "the liaison office will dispatch it"; the link leads to the
    # dispatch form on the page it lands on.
    assert "will dispatch it" not in html
    assert f'<a href="{url}#dispatch">Dispatch it now</a>' in html
    assert '<h3 class="h6" id="dispatch">Dispatch</h3>' in html


def test_it_registers_only_offline_channels(client_as, office, enterprise, submission):
    response = client_as(office).post(
        REGISTER_URL, submission(enterprise=enterprise.pk, channel=Channel.WEB)
    )

    assert "channel" in response.context["form"].errors
    assert not Problem.objects.exists()


@pytest.mark.parametrize("url", [SUBMIT_URL, REGISTER_URL])
def test_it_refuses_other_methods_on_the_forms(client_as, office, enterprise_user, url):
    user = enterprise_user if url == SUBMIT_URL else office

    assert client_as(user).put(url).status_code == 405


def test_it_counts_submit_page_queries(
    client_as, enterprise_user, warm_calendar, django_assert_num_queries
):
    client = client_as(enterprise_user)

    # 1 session, 2 user, 3 profile, 4 its enterprise, 5 the planned meetings it is
    # invited to (the meeting choice), 6 categories
    with django_assert_num_queries(6):
        client.get(SUBMIT_URL)


def test_it_counts_register_page_queries(
    client_as, office, enterprise, warm_calendar, django_assert_num_queries
):
    client = client_as(office)

    # 1 session, 2 user, 3 profile, 4 meetings open for problems (the meeting choice),
    # 5 enterprises, 6 categories
    with django_assert_num_queries(6 + TWO_FACTOR_DEVICE):
        client.get(REGISTER_URL)


# --- downloads -------------------------------------------------------------------------


@pytest.fixture
def files(busy):
    return {a.original_name: a for a in busy.attachments.all()}


def download_url(attachment: Attachment) -> str:
    return reverse("issues:attachment", args=[attachment.pk])


def test_it_downloads_a_file_under_its_original_name(client_as, enterprise_user, files):
    photo = files["漆渣照片.png"]

    response = client_as(enterprise_user).get(download_url(photo))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == (
        f"attachment; filename*=utf-8''{quote('漆渣照片.png')}"
    )
    assert b"".join(response.streaming_content) == png_bytes()


def test_it_downloads_an_internal_file_for_officials(client_as, co_staff, files):
    response = client_as(co_staff).get(download_url(files["处置报价单.pdf"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == pdf_bytes()


def test_it_hides_an_internal_file_from_the_enterprise(client_as, enterprise_user, files):
    assert client_as(enterprise_user).get(download_url(files["处置报价单.pdf"])).status_code == 404


def test_it_hides_a_file_whose_content_is_gone(client_as, office, files, media_root):
    for path in (media_root / "attachments").iterdir():
        path.unlink()

    assert client_as(office).get(download_url(files["漆渣照片.png"])).status_code == 404


def test_it_refuses_post_on_a_download(client_as, office, files):
    assert client_as(office).post(download_url(files["漆渣照片.png"])).status_code == 405


def test_it_counts_download_queries(client_as, lead_staff, files, django_assert_num_queries):
    client = client_as(lead_staff)

    # 1 session, 2 user, 3 profile, 4 the attachment with its problem, 5 whether the
    # user may see the problem, 6 the audit trail's record of the download
    with django_assert_num_queries(6 + TWO_FACTOR_DEVICE):
        response = client.get(download_url(files["处置报价单.pdf"]))
    response.close()


def test_officials_see_the_key_tasks_a_problem_is_linked_to(
    client_as, make_problem, leader, lead_department, enterprise_user
):
    from keytasks.models import KeyTask

    problem = make_problem(Status.IN_PROGRESS)
    task = KeyTask.objects.create(
        year=2025,
        number=3,
        title="毛衫市场转型升级",
        target="市场改造完成",
        leader=leader,
        lead_department=lead_department,
    )
    task.problems.add(problem)

    page = client_as(leader).get(f"/problems/{problem.reference}/").content.decode()
    assert f'href="/tasks/{task.pk}/"' in page
    assert "毛衫市场转型升级" in page
    # Key tasks are internal: the enterprise's page does not show them.
    page = client_as(enterprise_user).get(f"/problems/{problem.reference}/").content.decode()
    assert "毛衫市场转型升级" not in page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_events_kind_label_is_djangos(language):
    """ProblemEvent.get_kind_display keeps its labels' dict (Django's builds it at each
    call): the same label in each language, the value itself if unknown."""
    field = ProblemEvent._meta.get_field("kind")
    with translation.override(language):
        for kind in [*EventKind.values, "no-such-kind"]:
            event = ProblemEvent(kind=kind)
            assert event.get_kind_display() == Model._get_FIELD_display(event, field)


def test_it_counts_submit_post_queries(
    client_as, enterprise_user, office, submission, warm_calendar, django_assert_num_queries
):
    client = client_as(enterprise_user)

    # 1 session, 2 user, 3 profile, 4 its enterprise, 5 the meetings it is invited to
    # (the meeting choice), 6 the category chosen; in one transaction (7 BEGIN; no
    # savepoint without files) 8 the enterprise's row locked (its submissions take turns),
    # 9 its earlier submissions (the double-submit check), 10 the year's reference
    # counted on (one statement), 11 the problem, 12 its timeline event, then the
    # notifications: 13 who is told (the office, read with what their messages need),
    # 14 the outbox rows (one INSERT), 15 COMMIT. The submitter and the new problem are
    # not read again for the messages: they are in hand.
    with django_assert_num_queries(15):
        response = client.post(SUBMIT_URL, submission())
    assert response.status_code == 302
    assert Problem.objects.count() == 1
