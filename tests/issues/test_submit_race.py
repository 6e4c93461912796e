"""Two copies of a submit form posted in the same instant, on PostgreSQL: one problem.

Real concurrent requests: two test clients, each in its own thread with its own
database connection, released together by a barrier; the data is committed for real
(transactional test). Ten rounds, each with its own text.
"""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test import Client

from issues.models import Problem
from tests.conftest import require_service, run_together

from .test_views_problem import SUBMIT_URL, detail_url

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROUNDS = 10


def test_a_refilled_form_sent_twice_at_once_saves_one_problem(enterprise_user, category):
    require_service(connection.vendor == "postgresql", "the concurrency test needs PostgreSQL")
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(enterprise_user)

    for round_ in range(ROUNDS):
        # The Back button refilled the text; each copy of the page has its own form key.
        def post(client, title=f"用电成本偏高（第{round_}轮）"):
            return client.post(
                SUBMIT_URL,
                {
                    "submission_key": str(uuid.uuid4()),
                    "title": title,
                    "category": category.pk,
                    "description": "峰谷电价调整后每月电费增加约三万元，希望了解优惠政策。",
                },
            )

        responses = run_together(*[lambda c=c: post(c) for c in clients])

        (problem,) = Problem.objects.filter(title=f"用电成本偏高（第{round_}轮）")
        assert [r.status_code for r in responses] == [302, 302]
        assert {r.url for r in responses} == {detail_url(problem)}
