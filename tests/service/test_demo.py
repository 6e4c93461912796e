"""The demo district's commissioners and visits (service.demo, a step of seed_demo)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from issues.models import Channel
from liaison.models import Enterprise
from service.models import CommissionerAssignment, Visit, VisitProblem

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with transaction.atomic():
            call_command("seed_demo", allow_production=True, stdout=StringIO())
            yield
            transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def demo_settings(settings):
    settings.DEBUG = True


def test_every_demo_enterprise_has_a_commissioner():
    assert CommissionerAssignment.objects.filter(active=True).count() == Enterprise.objects.count()


def test_a_year_of_visits_with_leaders_and_problems_raised():
    done = Visit.objects.filter(status=Visit.Status.DONE)
    assert done.count() > 50
    assert done.filter(leader__isnull=False).exists()
    assert Visit.objects.filter(status=Visit.Status.PLANNED).exists()
    months = {d.month for d in done.values_list("visited_on", flat=True)}
    assert len(months) >= 10
    raised = VisitProblem.objects.select_related("problem")
    assert raised.count() >= 3
    assert all(link.problem.channel == Channel.VISIT for link in raised)
