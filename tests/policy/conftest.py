"""Personas for the common-problem tests: those of the issues tests, and helpers."""

from __future__ import annotations

import pytest

from policy import publishing, services
from tests.issues.conftest import *  # noqa: F403  (the personas and make_problem)


@pytest.fixture(autouse=True)
def english():
    """Refusals are matched in English; the default language is Chinese."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def client(client):
    """Pages read in English."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def two_problems(make_problem, enterprise_user, other_enterprise_user):
    """One in-progress problem of each enterprise, on the same difficulty."""
    return [
        make_problem("in_progress", submitter=enterprise_user, title="危废处置渠道不畅"),
        make_problem("in_progress", submitter=other_enterprise_user, title="危废处置难，漆渣堆积"),
    ]


@pytest.fixture
def common_problem(office, category, lead_department, leader, two_problems):
    return services.common_problem_create(
        actor=office,
        title="小批量危废处置难",
        description="多家企业反映漆渣等小批量危废处置难。",
        category=category,
        lead_department=lead_department,
        responsible_leader=leader,
        problems=two_problems,
    )


@pytest.fixture
def published(office, common_problem):
    return publishing.common_problem_publish(
        actor=office,
        common_problem_id=common_problem.pk,
        expected_version=common_problem.version,
        title="小批量危废处置难",
        text="区生态环境分局正在建立小微企业危废统一收运。",
    )
