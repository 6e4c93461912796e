"""Advisory locks (liaison.locks): held until the transaction ends, shared or exclusive.

On PostgreSQL another thread, with its own connection, holds the lock while this one
tries it; on SQLite the lock takes nothing (IMMEDIATE transactions serialise writers).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from liaison.locks import advisory_lock, hold_advisory_lock, lock_key
from tests.conftest import require_service

NAME = "test.lock"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_refuses_to_be_taken_outside_a_transaction():
    with pytest.raises(transaction.TransactionManagementError):
        hold_advisory_lock(NAME)


def test_the_key_is_a_stable_signed_64_bit_number():
    assert lock_key(NAME) == lock_key("test.lock")
    assert lock_key(NAME) != lock_key("test.lock2")
    assert -(2**63) <= lock_key(NAME) < 2**63


@pytest.mark.django_db
def test_on_a_database_without_advisory_locks_it_takes_nothing(monkeypatch):
    """SQLite (the embedded default) has no advisory locks: the block runs, held."""
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with CaptureQueriesContext(connection) as queries:
        with advisory_lock(NAME, wait=False) as held:
            assert held is True
    assert not [q for q in queries if "advisory" in q["sql"]]


def _held_elsewhere(*, shared: bool):
    """A thread that holds the lock in its own transaction until `release` is set."""
    holding, release = threading.Event(), threading.Event()

    def hold():
        try:
            with advisory_lock(NAME, shared=shared):
                holding.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert holding.wait(30)
    return thread, release


def _try(*, shared: bool) -> bool:
    with advisory_lock(NAME, shared=shared, wait=False) as held:
        return held


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_exclusive_holder_keeps_everyone_out_until_its_transaction_ends():
    require_service(connection.vendor == "postgresql", "advisory locks need PostgreSQL")
    thread, release = _held_elsewhere(shared=False)

    assert (_try(shared=False), _try(shared=True)) == (False, False)
    release.set()
    thread.join(30)
    assert (_try(shared=False), _try(shared=True)) == (True, True)


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_shared_holders_keep_only_an_exclusive_one_out():
    require_service(connection.vendor == "postgresql", "advisory locks need PostgreSQL")
    thread, release = _held_elsewhere(shared=True)

    assert (_try(shared=True), _try(shared=False)) == (True, False)
    release.set()
    thread.join(30)
    assert _try(shared=False) is True


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_nested_in_a_transaction_the_lock_lasts_until_that_transaction_ends():
    require_service(connection.vendor == "postgresql", "advisory locks need PostgreSQL")
    seen = []

    def try_elsewhere():
        try:
            seen.append(_try(shared=True))
        finally:
            connections.close_all()

    with transaction.atomic():
        with advisory_lock(NAME):
            pass
        thread = threading.Thread(target=try_elsewhere)
        thread.start()
        thread.join(30)
    assert seen == [False]
