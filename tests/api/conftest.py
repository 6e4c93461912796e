"""API tests: the core tests' small district, and API clients registered as the office does."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient as HttpClient

from api import services
from api.models import Binding, Scope
from liaison.models import Role
from tests.liaison.conftest import PASSWORD, USERNAMES, District, build_district

ALL_SCOPES = list(Scope.values)

__all__ = ["ALL_SCOPES", "PASSWORD", "USERNAMES", "District"]


@pytest.fixture
def district(db) -> District:
    return build_district()


@pytest.fixture
def register(district):
    """register(binding, scopes=ALL_SCOPES, **kw) -> (ApiClient, key), as the office would."""

    def _register(binding=Binding.DISTRICT, scopes=None, **kwargs):
        if binding == Binding.DEPARTMENT:
            kwargs.setdefault("department", district.department)
        if binding == Binding.ENTERPRISE:
            kwargs.setdefault("enterprise", district.enterprise)
        kwargs.setdefault("name", f"client {binding} {len(kwargs)}")
        return services.client_create(
            actor=district.user(Role.OFFICE),
            contact="王工 13800000009",
            binding=binding,
            scopes=ALL_SCOPES if scopes is None else scopes,
            **kwargs,
        )

    return _register


@pytest.fixture
def http():
    """An HTTP client; `http.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")` to use a key."""
    return HttpClient()


def as_client(key: str) -> HttpClient:
    http = HttpClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return http


@pytest.fixture
def category(district):
    from issues.models import Category

    return Category.objects.create(
        name_zh="环保", name_en="Environment", default_lead_department=district.department
    )


@pytest.fixture
def other_enterprise(district):
    from liaison.models import Enterprise
    from tests.liaison.conftest import credit_code

    return Enterprise.objects.create(name="嘉兴远航物流有限公司", credit_code=credit_code(2))


@pytest.fixture
def make_problem(district, category):
    """make_problem(state="submitted", enterprise=..., department=...) -> Problem, through the
    workflow as the office and the lead department would (state: submitted, dispatched,
    in_progress, resolved)."""
    from issues import workflow

    def _make(state="submitted", *, enterprise=None, department=None, title="危废处置难"):
        office = district.user(Role.OFFICE)
        problem = workflow.problem_submit(
            actor=office,
            enterprise=enterprise or district.enterprise,
            title=title,
            description="喷涂产生的漆渣无处处置，请求协调。",
            category=category,
            channel="phone",
        )
        if state == "submitted":
            return problem
        department = department or district.department
        workflow.problem_dispatch(problem_id=problem.pk, actor=office, lead_department=department)
        if state == "dispatched":
            return _fresh(problem)
        staff = _staff_of(district, department)
        workflow.problem_acknowledge(problem_id=problem.pk, actor=staff)
        if state == "in_progress":
            return _fresh(problem)
        workflow.problem_resolve(problem_id=problem.pk, actor=staff, answer="已联系危废处置单位。")
        return _fresh(problem)

    return _make


def _fresh(problem):
    problem.refresh_from_db()
    return problem


def _staff_of(district, department):
    from django.contrib.auth import get_user_model

    from liaison.services import profile_set_role

    if department == district.department:
        return district.user(Role.DEPARTMENT_STAFF)
    User = get_user_model()
    user, created = User.objects.get_or_create(username=f"staff-{department.pk}")
    if created:
        profile_set_role(user=user, role=Role.DEPARTMENT_STAFF, department=department)
    return user


def as_user(user) -> HttpClient:
    """A browser session of `user` (the API takes the session as the web pages do)."""
    http = HttpClient()
    http.force_login(user)
    return http
