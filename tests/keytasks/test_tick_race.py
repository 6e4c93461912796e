"""Two people ticking the same milestone in the same instant, on PostgreSQL: one tick.

Real concurrent requests: the office and the task's leader, each in a thread with its
own database connection, released together by a barrier; the data is committed for
real (transactional test). Ten rounds, one milestone each: exactly one tick succeeds,
the other is told who ticked it and when, and the first one's date and evidence stay.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.urls import reverse

from keytasks.models import Milestone
from liaison.templatetags.liaison_tags import person_name
from tests.conftest import require_service, run_together

from .conftest import YEAR

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROUNDS = 10
DONE = "The milestone was marked done."


def test_two_people_ticking_one_milestone_at_once_tick_it_once(make_task, office, leader):
    require_service(connection.vendor == "postgresql", "the concurrency test needs PostgreSQL")
    task = make_task()
    people = {"office": office, "leader": leader}
    clients = {}
    for name, user in people.items():
        clients[name] = Client(HTTP_ACCEPT_LANGUAGE="en")
        clients[name].force_login(user)

    rounds = []
    for round_ in range(ROUNDS):
        milestone = Milestone.objects.create(
            task=task, title=f"节点 {round_}", due_date=dt.date(YEAR, 3, 1)
        )
        url = reverse("keytasks:milestone_tick", args=[task.pk, milestone.pk])

        def tick(name, url=url):
            response = clients[name].post(
                url, {"done_date": f"{YEAR}-02-{10 + len(name)}", "evidence": f"{name} 的佐证"}
            )
            # The message this request added (earlier ones wait in the cookie, never shown).
            return name, [str(m) for m in get_messages(response.wsgi_request)][-1]

        rounds.append((milestone, dict(run_together(*[lambda n=n: tick(n) for n in people]))))

    ticked = [[name for name, said in outcomes.items() if said == DONE] for _, outcomes in rounds]
    assert [len(names) for names in ticked] == [1] * ROUNDS
    for (milestone, outcomes), (winner,) in zip(rounds, ticked, strict=True):
        (loser,) = set(people) - {winner}
        milestone.refresh_from_db()
        # The winner's date and evidence, not overwritten.
        assert milestone.evidence == f"{winner} 的佐证"
        assert milestone.done_date == dt.date(YEAR, 2, 10 + len(winner))
        assert milestone.done_by == people[winner]
        refusal = outcomes[loser]
        name = person_name(people[winner])
        assert refusal.startswith(f"This milestone was already marked done by {name} at ")
        assert refusal.endswith("Nothing was changed.")
