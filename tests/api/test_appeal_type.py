"""The appeal type (诉求类型) in the API: read on every problem, suggested when creating one."""

from __future__ import annotations

import pytest

from api.models import Binding, Scope
from issues import workflow
from issues.models import AppealType, Problem
from liaison.models import Role

from .conftest import as_client
from .test_problems import URL, body

pytestmark = pytest.mark.django_db


def test_a_created_problem_carries_the_suggested_type(district, category, register):
    _, key = register(Binding.DISTRICT, [Scope.PROBLEMS_WRITE, Scope.PROBLEMS_READ], name="12345")

    response = as_client(key).post(
        URL, body(district, category, appeal_type="complaint"), format="json"
    )

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["appeal_type"] == "complaint"
    assert data["suggested_appeal_type"] == "complaint"
    problem = Problem.objects.get(reference=data["reference"])
    assert (problem.appeal_type, problem.suggested_appeal_type) == ("complaint", "complaint")


def test_without_a_type_the_problem_is_a_request(district, category, register):
    _, key = register(Binding.DISTRICT, [Scope.PROBLEMS_WRITE], name="12345")

    response = as_client(key).post(URL, body(district, category), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["appeal_type"] == AppealType.REQUEST
    assert response.json()["suggested_appeal_type"] == ""


def test_an_unknown_type_is_a_400_and_creates_nothing(district, category, register):
    _, key = register(Binding.DISTRICT, [Scope.PROBLEMS_WRITE], name="12345")

    response = as_client(key).post(
        URL,
        body(district, category, appeal_type="praise"),
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    assert response.status_code == 400
    assert "未知的诉求类型" in response.content.decode()
    assert not Problem.objects.exists()


def test_the_same_reference_with_another_suggested_type_is_a_conflict(district, category, register):
    _, key = register(Binding.DISTRICT, [Scope.PROBLEMS_WRITE], name="12345")
    http = as_client(key)
    first = http.post(URL, body(district, category, appeal_type="consultation"), format="json")
    again = http.post(URL, body(district, category, appeal_type="consultation"), format="json")
    other = http.post(URL, body(district, category, appeal_type="complaint"), format="json")

    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)


def test_the_office_choice_is_what_a_reader_sees(district, category, register):
    _, key = register(Binding.DISTRICT, [Scope.PROBLEMS_WRITE, Scope.PROBLEMS_READ], name="bi")
    http = as_client(key)
    reference = http.post(
        URL, body(district, category, appeal_type="consultation"), format="json"
    ).json()["reference"]
    problem = Problem.objects.get(reference=reference)
    workflow.problem_dispatch(
        problem_id=problem.pk,
        actor=district.user(Role.OFFICE),
        lead_department=district.department,
        appeal_type=AppealType.SUGGESTION,
    )

    data = http.get(f"{URL}{reference}/", HTTP_ACCEPT_LANGUAGE="en").json()

    assert data["appeal_type"] == "suggestion"
    assert data["appeal_type_display"] == "Suggestion"
    assert data["suggested_appeal_type"] == "consultation"
    listed = http.get(URL).json()["results"]
    assert [row["appeal_type"] for row in listed] == ["suggestion"]
