"""The same problem sent twice in the same instant through the API, on PostgreSQL: one
problem, and each request gets an answer (never a 500).

Real concurrent requests (two HTTP clients, each in its own thread with its own database
connection, released together), committed for real (transactional test).
"""

from __future__ import annotations

import pytest
from django.db import connection

from api import services
from api.models import Binding, Scope
from issues.models import Category, Problem
from liaison.models import Enterprise, Role
from tests.conftest import require_service, run_together
from tests.liaison.conftest import build_district, credit_code

from .conftest import as_client

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROUNDS = 5


@pytest.fixture
def setup(db):
    district = build_district()
    category = Category.objects.create(name_zh="用电", name_en="Power")
    other = Enterprise.objects.create(name="嘉兴远航物流有限公司", credit_code=credit_code(2))
    _, key = services.client_create(
        actor=district.user(Role.OFFICE),
        name="12345",
        contact="王工",
        binding=Binding.DISTRICT,
        scopes=[Scope.PROBLEMS_WRITE],
        rate_per_minute=6000,
    )
    return district, category, other, key


def _body(district, category, reference, enterprise=None):
    return {
        "enterprise": (enterprise or district.enterprise).pk,
        "title": "用电增容",
        "description": "新增生产线需要用电增容。",
        "category": category.pk,
        "channel": "hotline",
        "external_reference": reference,
    }


def test_the_same_external_reference_at_once_makes_one_problem(setup):
    require_service(connection.vendor == "postgresql", "the concurrency test needs PostgreSQL")
    district, category, other, key = setup
    clients = [as_client(key), as_client(key)]
    for round_ in range(ROUNDS):
        reference = f"same-{round_}"
        body = _body(district, category, reference)
        responses = run_together(
            *[lambda c=c, b=body: c.post("/api/v1/problems/", b, format="json") for c in clients]
        )
        assert sorted(r.status_code for r in responses) == [200, 201]
        assert Problem.objects.filter(external_reference=reference).count() == 1


def test_one_reference_for_two_enterprises_at_once_is_one_problem_and_a_conflict(setup):
    require_service(connection.vendor == "postgresql", "the concurrency test needs PostgreSQL")
    district, category, other, key = setup
    clients = [as_client(key), as_client(key)]
    for round_ in range(ROUNDS):
        reference = f"clash-{round_}"
        bodies = [
            _body(district, category, reference),
            _body(district, category, reference, enterprise=other),
        ]
        responses = run_together(
            *[
                lambda c=c, b=b: c.post("/api/v1/problems/", b, format="json")
                for c, b in zip(clients, bodies, strict=True)
            ]
        )
        assert sorted(r.status_code for r in responses) == [201, 409]
        assert Problem.objects.filter(external_reference=reference).count() == 1


def test_the_same_idempotency_key_at_once_makes_one_problem(setup):
    require_service(connection.vendor == "postgresql", "the concurrency test needs PostgreSQL")
    district, category, other, key = setup
    clients = [as_client(key), as_client(key)]
    for round_ in range(ROUNDS):
        body = {**_body(district, category, ""), "title": f"用电增容 {round_}"}
        responses = run_together(
            *[
                lambda c=c, b=body, k=f"k-{round_}": c.post(
                    "/api/v1/problems/", b, format="json", HTTP_IDEMPOTENCY_KEY=k
                )
                for c in clients
            ]
        )
        assert sorted(r.status_code for r in responses) == [200, 201]
        assert Problem.objects.filter(title=f"用电增容 {round_}").count() == 1
