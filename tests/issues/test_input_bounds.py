"""Every free text of the problem forms has a length limit: longer is refused at the field,
and nothing changes (the limits are in issues.models)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from issues import workflow
from issues.models import (
    ANSWER_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    Problem,
    Status,
)

from .conftest import messages_of, snapshot
from .test_views_problem import (
    ACTIONS,
    act,  # noqa: F401 - the fixture, used by name
    action_url,
)

pytestmark = pytest.mark.django_db


def too_long(limit: int) -> str:
    return "字" * (limit + 1)


def refusal(limit: int) -> str:
    return f"Ensure this value has at most {limit} characters (it has {limit + 1})."


# The problem page's actions (tests/issues/test_views_problem.py's ACTIONS): the text field,
# its label and its limit.
TEXTS = {
    "dispatch": ("note", "Note to the department", NOTE_MAX_LENGTH),
    "reject": ("reason", "Reason (shown to the enterprise)", NOTE_MAX_LENGTH),
    "return": ("reason", "Reason", NOTE_MAX_LENGTH),
    "progress": ("text", "Progress", ANSWER_MAX_LENGTH),
    "extension": ("reason", "Reason", NOTE_MAX_LENGTH),
    "resolve": ("answer", "Answer to the enterprise", ANSWER_MAX_LENGTH),
    "evaluate": ("reason", "Comment", NOTE_MAX_LENGTH),
    "instruct": ("text", "Instruction", NOTE_MAX_LENGTH),
}


@pytest.mark.parametrize("name", TEXTS)
def test_an_over_long_text_on_the_problem_page_is_refused(act, name):  # noqa: F811
    problem, client, data = act(name)
    field, label, limit = TEXTS[name]
    before = snapshot(problem)

    response = client.post(
        action_url(ACTIONS[name].url_name, problem), {**data, field: too_long(limit)}
    )

    # The problem page again with the form as filled and the refusal at the field.
    assert response.status_code == 200
    form = response.context["actions"][name]
    assert form.errors[field] == [refusal(limit)]
    assert label in response.content.decode()
    assert snapshot(problem) == before


@pytest.mark.parametrize("name", TEXTS)
def test_a_text_at_the_limit_is_accepted(act, name):  # noqa: F811
    problem, client, data = act(name)
    field, _label, limit = TEXTS[name]
    events = problem.events.count()

    response = client.post(
        action_url(ACTIONS[name].url_name, problem), {**data, field: "字" * limit}, follow=True
    )

    assert [level for level, _text in messages_of(response)] == ["success"]
    assert problem.events.count() == events + 1


def test_an_over_long_extension_note_is_refused(client_as, office, make_problem, lead_staff):
    problem = make_problem(Status.IN_PROGRESS)
    extension = workflow.problem_request_extension(
        problem_id=problem.pk, actor=lead_staff, days=3, reason="等待检测报告"
    )
    before = snapshot(problem)

    response = client_as(office).post(
        reverse("issues:extension_decide", args=[extension.pk]),
        {"approve": "1", "note": too_long(NOTE_MAX_LENGTH)},
        follow=True,
    )

    assert messages_of(response) == [("error", "Note: " + refusal(NOTE_MAX_LENGTH))]
    assert snapshot(problem) == before


@pytest.mark.parametrize(
    "persona, url_name",
    [("enterprise_user", "issues:submit"), ("office", "issues:register")],
)
@pytest.mark.parametrize("field, limit", [("title", 120), ("description", DESCRIPTION_MAX_LENGTH)])
def test_an_over_long_problem_is_refused_at_its_field(
    request, client_as, category, enterprise, persona, url_name, field, limit
):
    data = {
        "submission_key": "8a0f1f4e-6a57-4c1d-9d3e-2b7f9c0f5a11",
        "title": "用电成本偏高",
        "category": category.pk,
        "description": "峰谷电价调整后每月电费增加约三万元。",
        "enterprise": enterprise.pk,
        "channel": "visit",
        field: too_long(limit),
    }

    response = client_as(request.getfixturevalue(persona)).post(reverse(url_name), data)

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [
        f"Ensure this value has at most {limit} characters (it has {limit + 1})."
    ]
    assert f'maxlength="{limit}"' in response.content.decode()
    assert not Problem.objects.exists()


def test_a_two_megabyte_description_is_refused(client_as, enterprise_user, category):
    response = client_as(enterprise_user).post(
        reverse("issues:submit"),
        {
            "submission_key": "8a0f1f4e-6a57-4c1d-9d3e-2b7f9c0f5a11",
            "title": "用电成本偏高",
            "category": category.pk,
            "description": "x" * 2_000_000,
        },
    )

    assert "description" in response.context["form"].errors
    assert not Problem.objects.exists()
