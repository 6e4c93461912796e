"""Row locks with optimistic versions: lock the row, check the version the page read, raise.

A page carries the `version` of the row it was rendered with; a write locks the row until
the end of its transaction and refuses if the row moved on meanwhile. Each app raises its
own "changed meanwhile" error (StaleProblem, StaleMeeting, StaleCoordination,
StaleKeyTask), with its own message; all of them are a `StaleVersion`.

Named locks between processes are in `liaison.locks`.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Model, QuerySet


class StaleVersion(Exception):
    """The row changed since the page read it; each app's stale error is one of these."""


def check_version(row: Model, expected_version: int | None, stale: Exception) -> None:
    """Raise `stale` if `row` is no longer at `expected_version` (None: no check)."""
    if expected_version is not None and row.version != expected_version:
        raise stale


def lock_versioned(
    queryset: QuerySet,
    pk,
    expected_version: int | None = None,
    *,
    missing: Exception,
    stale: Exception | None = None,
    of: Sequence[str] = (),
):
    """The row `pk` of `queryset`, locked until the end of the transaction.

    Raises `missing` if there is no such row, `stale` if it is no longer at
    `expected_version` (None: no check; then `stale` may be left out).
    """
    try:
        row = queryset.select_for_update(of=of).get(pk=pk)
    except queryset.model.DoesNotExist:
        raise missing from None
    if expected_version is not None:
        check_version(row, expected_version, stale)
    return row
