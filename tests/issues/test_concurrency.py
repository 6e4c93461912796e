"""Two requests applying one transition at the same moment: exactly one wins (PostgreSQL).

Each contender runs in its own thread with its own database connection, and a barrier
releases them together. SQLite serialises writers with IMMEDIATE transactions, so the
row locks these tests exercise only exist on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from issues import workflow
from issues.models import EventKind, ExtensionRequest, Problem, ProblemEvent, Satisfaction, Status
from issues.services import problem_submit_with_files
from issues.workflow import StaleProblem, TransitionError, WrongState
from tests.conftest import require_service

from .conftest import NOW, at, upload

# serialized_rollback: the flush after a transactional test empties every table, the
# working-day calendar loaded by the data migration included; this puts it back.
pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LATER = at("2025-09-29 10:00")
THREAD_TIMEOUT_SECONDS = 60


@pytest.fixture(autouse=True)
def postgresql():
    require_service(connection.vendor == "postgresql", "the concurrency tests need PostgreSQL")


def race(*calls: Callable[[], object]) -> list[object]:
    """Run the calls at once, one thread and connection each; their results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            connection.ensure_connection()  # connect before the start line, not after it
            barrier.wait(timeout=THREAD_TIMEOUT_SECONDS)
            results[index] = call()
        except BaseException as error:  # noqa: BLE001 - handed to the test to judge
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(THREAD_TIMEOUT_SECONDS)
        assert not thread.is_alive(), "a contender hung (deadlock?)"
    return results


def one_winner(results: list[object], error: type[Exception] = TransitionError) -> object:
    """Exactly one result is a success; every other is `error`. Return the winner's."""
    failures = [r for r in results if isinstance(r, BaseException)]
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1, results
    assert all(isinstance(f, error) for f in failures), failures
    return winners[0]


def kinds(problem: Problem) -> Counter:
    return Counter(ProblemEvent.objects.filter(problem=problem).values_list("kind", flat=True))


def test_it_dispatches_once(make_problem, office, lead_department, other_department):
    problem = make_problem()

    winner = one_winner(
        race(
            lambda: workflow.problem_dispatch(
                problem_id=problem.pk, actor=office, lead_department=lead_department, now=NOW
            ),
            lambda: workflow.problem_dispatch(
                problem_id=problem.pk, actor=office, lead_department=other_department, now=NOW
            ),
        ),
        WrongState,
    )

    problem.refresh_from_db()
    assert problem.status == Status.DISPATCHED
    assert problem.lead_department == winner.lead_department
    assert problem.version == 2
    assert kinds(problem)[EventKind.DISPATCHED] == 1


def test_it_dispatches_once_from_two_copies_of_the_same_page(make_problem, office, lead_department):
    problem = make_problem()

    def dispatch():
        return workflow.problem_dispatch(
            problem_id=problem.pk,
            actor=office,
            lead_department=lead_department,
            expected_version=1,
            now=NOW,
        )

    one_winner(race(dispatch, dispatch), StaleProblem)

    assert kinds(problem)[EventKind.DISPATCHED] == 1


def test_it_acknowledges_once(make_problem, lead_staff, lead_head):
    problem = make_problem(Status.DISPATCHED)

    winner = one_winner(
        race(
            lambda: workflow.problem_acknowledge(
                problem_id=problem.pk, actor=lead_staff, now=LATER
            ),
            lambda: workflow.problem_acknowledge(problem_id=problem.pk, actor=lead_head, now=LATER),
        ),
        WrongState,
    )

    problem.refresh_from_db()
    assert problem.status == Status.IN_PROGRESS
    assert problem.handler == winner.handler
    assert kinds(problem)[EventKind.ACKNOWLEDGED] == 1


def test_it_resolves_once(make_problem, lead_staff, lead_head):
    problem = make_problem(Status.IN_PROGRESS)

    winner = one_winner(
        race(
            lambda: workflow.problem_resolve(
                problem_id=problem.pk, actor=lead_staff, answer="答复一", now=LATER
            ),
            lambda: workflow.problem_resolve(
                problem_id=problem.pk, actor=lead_head, answer="答复二", now=LATER
            ),
        ),
        WrongState,
    )

    problem.refresh_from_db()
    assert problem.status == Status.RESOLVED
    assert problem.answer == winner.answer
    assert problem.version == 4
    assert kinds(problem)[EventKind.RESOLVED] == 1


def test_it_evaluates_once(make_problem, enterprise_user):
    problem = make_problem(Status.RESOLVED)

    winner = one_winner(
        race(
            lambda: workflow.problem_evaluate(
                problem_id=problem.pk,
                actor=enterprise_user,
                satisfaction=Satisfaction.SATISFIED,
                now=LATER,
            ),
            lambda: workflow.problem_evaluate(
                problem_id=problem.pk,
                actor=enterprise_user,
                satisfaction=Satisfaction.UNSATISFIED,
                reason="未解决",
                now=LATER,
            ),
        ),
        WrongState,
    )

    problem.refresh_from_db()
    assert problem.status == winner.status
    assert problem.reopen_count == (1 if winner.status == Status.IN_PROGRESS else 0)
    assert kinds(problem)[EventKind.EVALUATED] + kinds(problem)[EventKind.REOPENED] == 1


def test_it_records_a_double_clicked_progress_note_once(make_problem, lead_staff):
    problem = make_problem(Status.IN_PROGRESS)

    def add_progress():
        return workflow.problem_add_progress(
            problem_id=problem.pk,
            actor=lead_staff,
            text="已踏勘",
            is_public=True,
            expected_version=3,
            now=LATER,
        )

    one_winner(race(add_progress, add_progress), StaleProblem)

    assert kinds(problem)[EventKind.PROGRESS] == 1


def test_it_keeps_one_pending_extension_request(make_problem, lead_staff, lead_head):
    problem = make_problem(Status.IN_PROGRESS)

    one_winner(
        race(
            *(
                lambda actor=actor: workflow.problem_request_extension(
                    problem_id=problem.pk, actor=actor, days=3, reason="需协调", now=LATER
                )
                for actor in (lead_staff, lead_head)
            )
        ),
        WrongState,
    )

    assert problem.extensions.count() == 1
    assert kinds(problem)[EventKind.EXTENSION_REQUESTED] == 1


@pytest.mark.parametrize("attempt", range(5))
def test_it_decides_an_extension_while_the_problem_is_answered(
    attempt, make_problem, lead_staff, office
):
    # The answer closes a pending request while the office decides it: whichever goes
    # first, the other waits for it, and nobody gets a deadlock error.
    problem = make_problem(Status.IN_PROGRESS)
    extension = workflow.problem_request_extension(
        problem_id=problem.pk, actor=lead_staff, days=3, reason="需协调", now=LATER
    )

    decided, resolved = race(
        lambda: workflow.problem_decide_extension(
            extension_id=extension.pk, actor=office, approve=True, now=LATER
        ),
        lambda: workflow.problem_resolve(
            problem_id=problem.pk, actor=lead_staff, answer="已办结", now=LATER
        ),
    )

    assert isinstance(resolved, Problem), resolved
    problem.refresh_from_db()
    extension.refresh_from_db()
    assert problem.status == Status.RESOLVED
    if isinstance(decided, ExtensionRequest):  # decided first, then answered
        assert extension.decision == ExtensionRequest.Decision.APPROVED
        assert kinds(problem)[EventKind.EXTENSION_APPROVED] == 1
    else:  # answered first: the request was already closed
        assert isinstance(decided, WrongState), decided
        assert extension.decision == ExtensionRequest.Decision.DENIED
        assert kinds(problem)[EventKind.EXTENSION_APPROVED] == 0


def submitter(actor, *, category, bad_file: bool = False):
    uploads = [upload("setup.pdf", b"MZ" * 40)] if bad_file else []

    def submit():
        return problem_submit_with_files(
            uploads=uploads,
            actor=actor,
            enterprise=actor.profile.enterprise,
            category=category,
            title="用工需求",
            description="急需数控操作工。",
            now=NOW,
        )

    return submit


def test_it_numbers_concurrent_submissions_without_gaps(
    enterprise_user, other_enterprise_user, category
):
    results = race(
        *(
            submitter(actor, category=category)
            for actor in (enterprise_user, other_enterprise_user)
            for _ in range(10)
        )
    )

    assert all(isinstance(r, Problem) for r in results), results
    references = sorted(r.reference for r in results)
    assert references == [f"2025-{n:05d}" for n in range(1, 21)]
    assert Problem.objects.count() == 20


def test_it_numbers_concurrent_submissions_without_gaps_when_some_fail(
    settings, tmp_path, enterprise_user, other_enterprise_user, category
):
    settings.MEDIA_ROOT = tmp_path
    results = race(
        *(
            submitter(actor, category=category, bad_file=n % 4 == 0)
            for actor in (enterprise_user, other_enterprise_user)
            for n in range(10)
        )
    )

    problems = [r for r in results if isinstance(r, Problem)]
    failures = [r for r in results if not isinstance(r, Problem)]
    assert len(problems) == 14
    assert all(isinstance(f, ValidationError) for f in failures), failures
    assert sorted(p.reference for p in problems) == [f"2025-{n:05d}" for n in range(1, 15)]
    assert Problem.objects.count() == 14
