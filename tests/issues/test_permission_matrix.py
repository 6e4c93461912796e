"""Every role against every page and every action, as DESIGN.md §3 and §4 say.

A problem the user may not see does not exist for them (404, never 403); a problem they
see but may not act on answers the action with a message and stays as it was. Pages that
belong to a role (triage, extensions, the desk, the forms) do not exist for other roles.
The administrator (a superuser without a profile) is the liaison office, with the same
rights; instructing stays with the district leaders.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from issues import workflow
from issues.models import Attachment, Problem, Satisfaction, Status
from issues.services import problem_attach

from .conftest import messages_of, pdf_bytes, png_bytes, snapshot, upload

pytestmark = pytest.mark.django_db

# The roles, by the conftest persona that plays each (None: not logged in).
ROLES = {
    "enterprise own": "enterprise_user",
    "enterprise other": "other_enterprise_user",
    "lead staff": "lead_staff",
    "lead head": "lead_head",
    "co staff": "co_staff",
    "unrelated head": "other_head",
    "office": "office",
    "leader": "leader",
    "principal": "principal",
    "admin": "superuser",
    "no profile": "no_profile_user",
    "anonymous": None,
}

OK = "200"
LISTED = "200, listed"
UNLISTED = "200, not listed"
GONE = "404"
LOGIN = "login"
DONE = "done"  # the problem changed, no error
REFUSED = "refused"  # an error message, nothing changed

# Short names for the tables below.
S, Y, N, G, L, D, M = OK, LISTED, UNLISTED, GONE, LOGIN, DONE, REFUSED

# --- pages -----------------------------------------------------------------------------

# The problem is in progress: lead_department leads, co_department helps; it has a public
# and an internal file.
PAGES = (
    "detail",
    "list",
    "triage",
    "extensions",
    "department",
    "submit",
    "register",
    "file",
    "internal file",
    "dispatch sheet",
)

# S 200 (shown), Y 200 and listed, N 200 and not listed, G 404, L redirected to log in
# fmt: off
PAGE_OUTCOMES = {
    #                   detail list triage extensions desk submit register file internal-  dispatch
    #                                                                           file       sheet
    "enterprise own":   (S,     Y,   G,     G,         G,   S,     G,       S,   G,         G),
    "enterprise other": (G,     N,   G,     G,         G,   S,     G,       G,   G,         G),
    "lead staff":       (S,     Y,   G,     G,         S,   G,     G,       S,   S,         S),
    "lead head":        (S,     Y,   G,     G,         S,   G,     G,       S,   S,         S),
    "co staff":         (S,     Y,   G,     G,         S,   G,     G,       S,   S,         S),
    "unrelated head":   (G,     N,   G,     G,         S,   G,     G,       G,   G,         G),
    "office":           (S,     Y,   S,     S,         G,   G,     S,       S,   S,         S),
    "leader":           (S,     Y,   G,     S,         G,   G,     G,       S,   S,         S),
    "principal":        (S,     Y,   G,     S,         G,   G,     G,       S,   S,         S),
    "admin":            (S,     Y,   S,     S,         G,   G,     S,       S,   S,         S),
    "no profile":       (G,     N,   G,     G,         G,   G,     G,       G,   G,         G),
    "anonymous":        (L,     L,   L,     L,         L,   L,     L,       L,   L,         L),
}
# fmt: on


@pytest.fixture
def shown(make_problem, co_department, lead_staff, enterprise_user, media_root):
    problem = make_problem(Status.IN_PROGRESS, co_departments=[co_department])
    (public,) = problem_attach(
        problem_id=problem.pk, actor=enterprise_user, uploads=[upload("厂区照片.png", png_bytes())]
    )
    (internal,) = problem_attach(
        problem_id=problem.pk,
        actor=lead_staff,
        uploads=[upload("内部报价.pdf", pdf_bytes())],
        is_public=False,
    )
    return problem, public, internal


def page_urls(problem: Problem, public: Attachment, internal: Attachment) -> dict[str, str]:
    return {
        "detail": reverse("issues:detail", args=[problem.reference]),
        "list": reverse("issues:list"),
        "triage": reverse("issues:triage"),
        "extensions": reverse("issues:extensions"),
        "department": reverse("issues:department"),
        "submit": reverse("issues:submit"),
        "register": reverse("issues:register"),
        "file": reverse("issues:attachment", args=[public.pk]),
        "internal file": reverse("issues:attachment", args=[internal.pk]),
        "dispatch sheet": reverse("issues:dispatch_sheet", args=[problem.reference]),
    }


def page_outcome(page: str, response, problem: Problem) -> str:
    if response.status_code == 302 and response.url.startswith(reverse("login")):
        return LOGIN
    if page == "list" and response.status_code == 200:
        shown = [p.pk for p in response.context["page"].object_list]
        return LISTED if problem.pk in shown else UNLISTED
    return str(response.status_code)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_it_opens_a_page_only_for_those_it_is_for(client_as, request, shown, role, page):
    persona = ROLES[role]
    client = client_as(request.getfixturevalue(persona) if persona else None)

    response = client.get(page_urls(*shown)[page])

    assert page_outcome(page, response, shown[0]) == PAGE_OUTCOMES[role][PAGES.index(page)]


# --- actions ---------------------------------------------------------------------------

ACTIONS = (
    "dispatch",
    "reject",
    "return",
    "acknowledge",
    "progress",
    "extension",
    "resolve",
    "evaluate",
    "instruct",
    "assign",
    "attach",
    "decide",
    "appeal_type",
)

# Each action is tried on a problem in the state where it is allowed; the state is
# enough for someone: a submitted problem has no department yet.
ACTION_STATES = {
    "dispatch": Status.SUBMITTED,
    "reject": Status.SUBMITTED,
    "return": Status.DISPATCHED,
    "acknowledge": Status.DISPATCHED,
    "progress": Status.IN_PROGRESS,
    "extension": Status.IN_PROGRESS,
    "resolve": Status.IN_PROGRESS,
    "evaluate": Status.RESOLVED,
    "instruct": Status.IN_PROGRESS,
    "assign": Status.IN_PROGRESS,
    "attach": Status.IN_PROGRESS,
    "decide": Status.IN_PROGRESS,  # with a pending extension request
    "appeal_type": Status.IN_PROGRESS,
}

# D done (the problem changed, no error), M refused with a message (nothing changed),
# G 404 (nothing changed), L redirected to log in (nothing changed). Columns: dispatch,
# reject, return, acknowledge, progress, extension (request), resolve, evaluate, instruct,
# assign (a handler), attach (files), decide (an extension request), type (the appeal
# type, changed after triage).
# fmt: off
ACTION_OUTCOMES = {
    #                   disp rej  ret  ack  prog ext  res  eval inst asgn att  dec  type
    "enterprise own":   (M,   M,   M,   M,   M,   M,   M,   D,   M,   M,   D,   G,   M),
    "enterprise other": (G,   G,   G,   G,   G,   G,   G,   G,   G,   G,   G,   G,   G),
    "lead staff":       (G,   G,   D,   D,   D,   D,   D,   M,   M,   M,   D,   G,   M),
    "lead head":        (G,   G,   D,   D,   D,   D,   D,   M,   M,   D,   D,   G,   M),
    "co staff":         (G,   G,   M,   M,   D,   M,   M,   M,   M,   M,   D,   G,   M),
    "unrelated head":   (G,   G,   G,   G,   G,   G,   G,   G,   G,   G,   G,   G,   G),
    "office":           (D,   D,   M,   M,   M,   M,   M,   M,   M,   M,   D,   D,   D),
    "leader":           (M,   M,   M,   M,   M,   M,   M,   M,   D,   M,   M,   D,   M),
    "principal":        (M,   M,   M,   M,   M,   M,   M,   M,   D,   M,   M,   D,   M),
    "admin":            (D,   D,   M,   M,   M,   M,   M,   M,   M,   M,   D,   D,   D),
    "no profile":       (G,   G,   G,   G,   G,   G,   G,   G,   G,   G,   G,   G,   G),
    "anonymous":        (L,   L,   L,   L,   L,   L,   L,   L,   L,   L,   L,   L,   L),
}
# fmt: on

URL_NAMES = {"extension": "request_extension"}


def action_request(action: str, problem: Problem, people) -> tuple[str, dict]:
    """The URL and valid input of `action` on `problem`."""
    if action == "decide":
        extension = problem.extensions.get()
        return reverse("issues:extension_decide", args=[extension.pk]), {"approve": "1"}
    data = {
        "dispatch": {"lead_department": people.lead_department.pk},
        "reject": {"reason": "不属于政府职能范围"},
        "return": {"reason": "应由其他部门主办"},
        "acknowledge": {},
        "progress": {"text": "已现场踏勘", "is_public": "on"},
        "extension": {"days": "3", "reason": "等待检测报告"},
        "resolve": {"answer": "已协调解决"},
        "evaluate": {"satisfaction": Satisfaction.SATISFIED},
        "instruct": {"text": "请加快办理"},
        "assign": {"handler": people.lead_head.pk},
        "appeal_type": {"appeal_type": "complaint"},
        "attach": {"files": [upload("补充材料.pdf", pdf_bytes())]},
    }[action]
    if action != "attach":
        data["version"] = problem.version
    url = reverse(f"issues:{URL_NAMES.get(action, action)}", args=[problem.reference])
    return url, data


class People:
    """The fixtures an action's input names, looked up on demand."""

    def __init__(self, request):
        self._request = request

    def __getattr__(self, name):
        return self._request.getfixturevalue(name)


@pytest.fixture
def target(make_problem, co_department, lead_staff, media_root):
    """`target(action)`: a problem in the state where `action` is allowed."""

    def make(action: str) -> Problem:
        problem = make_problem(ACTION_STATES[action], co_departments=[co_department])
        if action == "decide":
            workflow.problem_request_extension(
                problem_id=problem.pk, actor=lead_staff, days=3, reason="等待检测报告"
            )
        return Problem.objects.get(pk=problem.pk)

    return make


def action_outcome(response, before: dict, after: dict) -> str:
    if response.status_code == 302 and response.url.startswith(reverse("login")):
        return LOGIN
    if response.status_code != 302:
        return str(response.status_code)
    errors = [
        text for level, text in messages_of(response.client.get(response.url)) if level == "error"
    ]
    if after != before and not errors:
        return DONE
    if after == before and errors:
        return REFUSED
    return f"changed={after != before} errors={errors}"


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_it_lets_only_the_right_role_act(client_as, request, target, role, action):
    persona = ROLES[role]
    client = client_as(request.getfixturevalue(persona) if persona else None)
    problem = target(action)
    url, data = action_request(action, problem, People(request))
    before = snapshot(problem)

    response = client.post(url, data)

    assert (
        action_outcome(response, before, snapshot(problem))
        == ACTION_OUTCOMES[role][ACTIONS.index(action)]
    )


# --- guessing --------------------------------------------------------------------------


def all_problem_urls(reference: str) -> list[str]:
    names = ["detail", *(URL_NAMES.get(a, a) for a in ACTIONS if a != "decide")]
    return [reverse(f"issues:{name}", args=[reference]) for name in names]


@pytest.mark.parametrize("reference", ["2025-99999", "2024-00001", "9999-00001", "not-a-ref"])
@pytest.mark.parametrize("persona", ["office", "leader", "enterprise_user"])
def test_it_answers_a_guessed_reference_with_404(client_as, request, reference, persona):
    client = client_as(request.getfixturevalue(persona))

    for url in all_problem_urls(reference):
        response = client.get(url) if url.endswith(f"{reference}/") else client.post(url, {})
        assert response.status_code == 404, url


def comparable(page: bytes, reference: str) -> bytes:
    """A 404 page without what differs by design: the address asked for (the language
    switcher returns to it) and the CSRF token, masked afresh on every page."""
    page = page.replace(reference.encode(), b"<reference>")
    return re.sub(rb'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")\w+', rb"\1<token>", page)


def test_it_answers_another_enterprises_reference_as_if_it_did_not_exist(
    client_as, make_problem, other_enterprise_user, enterprise_user
):
    theirs = make_problem(Status.RESOLVED, submitter=other_enterprise_user)
    nonexistent = "2025-99999"
    client = client_as(enterprise_user)
    before = snapshot(theirs)

    for url, guess in zip(
        all_problem_urls(theirs.reference), all_problem_urls(nonexistent), strict=True
    ):
        method = client.get if url.endswith(f"{theirs.reference}/") else client.post
        response, unknown = method(url, {}), method(guess, {})
        assert response.status_code == unknown.status_code == 404, url
        assert comparable(response.content, theirs.reference) == comparable(
            unknown.content, nonexistent
        ), url

    assert snapshot(theirs) == before


def test_it_answers_guessed_attachment_ids_with_404(
    client_as, make_problem, other_enterprise_user, enterprise_user, office, media_root
):
    theirs = make_problem(Status.IN_PROGRESS, submitter=other_enterprise_user)
    (their_file,) = problem_attach(
        problem_id=theirs.pk,
        actor=other_enterprise_user,
        uploads=[upload("营业执照.pdf", pdf_bytes())],
    )
    client = client_as(enterprise_user)

    for pk in (their_file.pk, their_file.pk + 1, 0, 2**31 - 1):
        assert client.get(reverse("issues:attachment", args=[pk])).status_code == 404, pk
    # The office sees the file itself, but no file that does not exist.
    office_client = client_as(office)
    assert office_client.get(reverse("issues:attachment", args=[their_file.pk])).status_code == 200
    assert (
        office_client.get(reverse("issues:attachment", args=[their_file.pk + 1])).status_code == 404
    )
