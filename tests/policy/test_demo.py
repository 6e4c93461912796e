"""The demo's common problems (policy.demo, a step of seed_demo): the seed's three, with
measures and several enterprises' problems, one published and co-signed; suggestions."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from policy import candidates
from policy.models import CommonProblem, CommonProblemLink

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


def test_the_seeds_three_common_problems():
    titles = list(CommonProblem.objects.order_by("pk").values_list("title", flat=True))
    assert len(titles) == 3
    assert "用工难" in titles[0] and "危废" in titles[1] and "电力直接交易" in titles[2]
    labour = CommonProblem.objects.get(title__startswith="用工难")
    assert labour.published and "定制式外出招聘" in labour.published_title
    assert labour.measures.filter(title__contains="定制式外出招聘").exists()
    for common_problem in CommonProblem.objects.all():
        enterprises = {link.problem.enterprise_id for link in common_problem.links.all()}
        assert len(enterprises) >= 3
        assert common_problem.measures.exists()
        assert common_problem.milestones.exists()


def test_one_enterprise_cosigned_the_published_one():
    (link,) = CommonProblemLink.objects.filter(cosigned_by__isnull=False)
    assert link.common_problem.published
    assert link.problem.status == "submitted"


def test_the_suggestions_show_the_ungrouped_problems():
    clusters = candidates.clusters()
    assert clusters and clusters[0].enterprises == 3


def test_a_second_run_adds_nothing():
    before = (CommonProblem.objects.count(), CommonProblemLink.objects.count())
    call_command("seed_demo", allow_production=True, stdout=StringIO())
    assert (CommonProblem.objects.count(), CommonProblemLink.objects.count()) == before
