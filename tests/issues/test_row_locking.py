"""liaison.locking: one "lock the row, check the version, raise" for every app."""

from __future__ import annotations

import pytest
from django.db import transaction

from issues.models import Problem
from issues.workflow import NotAllowed, StaleProblem, lock_problem
from keytasks.services import StaleKeyTask
from liaison.locking import StaleVersion, check_version, lock_versioned
from meetings.coordination_services import StaleCoordination
from meetings.services import StaleMeeting


def test_every_apps_stale_error_is_a_stale_version():
    for error in (StaleProblem, StaleMeeting, StaleCoordination, StaleKeyTask):
        assert issubclass(error, StaleVersion)


def test_it_locks_the_row_at_the_expected_version(make_problem):
    problem = make_problem()
    missing, stale = LookupError("missing"), StaleProblem("stale")
    with transaction.atomic():
        row = lock_versioned(Problem.objects, problem.pk, problem.version, missing=missing)
        assert row == problem
        assert lock_versioned(Problem.objects, problem.pk, missing=missing) == problem
        with pytest.raises(StaleProblem) as raised:
            lock_versioned(
                Problem.objects, problem.pk, problem.version + 1, missing=missing, stale=stale
            )
        assert raised.value is stale
        with pytest.raises(LookupError):
            lock_versioned(Problem.objects, problem.pk + 1000, missing=missing, stale=stale)
    check_version(problem, None, stale)
    check_version(problem, problem.version, stale)
    with pytest.raises(StaleProblem):
        check_version(problem, problem.version - 1, stale)


def test_the_workflow_keeps_its_own_errors(make_problem):
    problem = make_problem()
    with transaction.atomic():
        with pytest.raises(StaleProblem):
            lock_problem(problem.pk, problem.version + 1)
        with pytest.raises(NotAllowed):
            lock_problem(problem.pk + 1000)
