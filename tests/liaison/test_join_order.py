"""liaison.pages.joins_planned_as_written: the join order fixed for the reads inside, and
only for them (PostgreSQL; elsewhere the block does nothing)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from issues.models import Problem
from liaison.pages import joins_planned_as_written
from tests.conftest import require_service


def join_collapse_limit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW join_collapse_limit")
        return cursor.fetchone()[0]


@pytest.fixture
def postgresql():
    require_service(connection.vendor == "postgresql", "join_collapse_limit is PostgreSQL's")


@pytest.mark.django_db(transaction=True)
def test_the_order_is_fixed_inside_the_block_only(postgresql):
    default = join_collapse_limit()
    with joins_planned_as_written(Problem):
        assert join_collapse_limit() == "1"
        assert not connection.in_atomic_block  # no transaction of its own
    assert join_collapse_limit() == default


@pytest.mark.django_db
def test_inside_another_transaction_the_setting_is_undone_too(postgresql):
    default = join_collapse_limit()
    with transaction.atomic():
        with joins_planned_as_written(Problem):
            assert join_collapse_limit() == "1"
        assert join_collapse_limit() == default


@pytest.mark.django_db(transaction=True)
def test_an_error_inside_leaves_the_connection_as_it_was(postgresql):
    default = join_collapse_limit()
    with pytest.raises(Problem.DoesNotExist):
        with joins_planned_as_written(Problem):
            Problem.objects.get(reference="no-such-problem")
    assert join_collapse_limit() == default
    assert Problem.objects.count() == 0  # the connection still answers


@pytest.mark.django_db(transaction=True)
def test_a_query_failing_inside_a_transaction_is_rolled_back_with_the_setting(postgresql):
    """The failed query aborts the caller's transaction: its rollback undoes the SET
    (setting it back would fail, and hide the error)."""
    default = join_collapse_limit()
    with pytest.raises(DatabaseError, match="division by zero"):
        with transaction.atomic():
            with joins_planned_as_written(Problem):
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1 / 0")
    assert join_collapse_limit() == default


@pytest.mark.django_db(transaction=True)
def test_a_failure_rolled_back_inside_the_block_leaves_it_set_back_after(postgresql):
    default = join_collapse_limit()
    with transaction.atomic():
        with joins_planned_as_written(Problem):
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SELECT 1 / 0")
            except DatabaseError:
                pass
            assert join_collapse_limit() == "1"
        assert join_collapse_limit() == default
    assert join_collapse_limit() == default


@pytest.mark.django_db
def test_elsewhere_the_block_reads_as_usual():
    with joins_planned_as_written(Problem):
        assert list(Problem.objects.all()) == []
