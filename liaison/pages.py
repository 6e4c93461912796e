"""Helpers every app's views share: role-checked pages, pagination (and counts that stop
at a cap), "next" links and refused forms' errors as messages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property, wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connections, router
from django.db.models import QuerySet
from django.http import Http404
from django.utils.http import url_has_allowed_host_and_scheme
from psycopg2.extensions import TRANSACTION_STATUS_INERROR

PAGE_SIZE = 25
# A list a person waits for counts its rows up to this many and then says "1000+": a
# count that read every matching row would grow with the table (issue 18).
COUNT_CAP = 1000
# How far "Next" reaches: rows beyond are found by narrowing the filters.
DEEPEST = 100 * COUNT_CAP


@contextmanager
def joins_planned_as_written(model) -> Iterator[None]:
    """The queries inside (reads only) planned with their joins in the order written.

    For a page's one row with the rows it points to (a problem by its reference, joined
    to its enterprise, category, department, people and meeting): PostgreSQL otherwise
    weighs every order of the seven joins against each of the problem table's indexes,
    and spent 2.4 ms (quiet) to 6.9 ms (busy) planning a read that takes 0.3 ms; in the
    order written, the row by its unique index then each joined row by its key, 1.6 ms
    at most (issue 18). Only for reads that start from one row: a list filtered on a
    joined table needs the planner's choice of order.

    The setting is the connection's, set before and set back after: no transaction of
    its own. A savepoint (SET LOCAL's way) cost nothing alone, but rolled back inside a
    transaction that had written much, it took PostgreSQL milliseconds that grew with
    what was written (bench_pages' one transaction: the problem page 25 ms at 100,000
    problems, 101 ms at 1,000,000). If a query inside fails and leaves a transaction
    aborted, that transaction's rollback undoes the SET (PostgreSQL's SET is
    transactional), so it is not set back here. Other databases: nothing to do.
    """
    connection = connections[router.db_for_read(model)]
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET join_collapse_limit = 1")
    try:
        yield
    finally:
        if not _transaction_aborted(connection):
            with connection.cursor() as cursor:
                cursor.execute("SET join_collapse_limit TO DEFAULT")


def _transaction_aborted(connection) -> bool:
    """The connection is in a transaction a failed query aborted (or is closed)."""
    if connection.connection is None:
        return True
    return connection.connection.get_transaction_status() == TRANSACTION_STATUS_INERROR


def page_of(request, queryset):
    paginator = Paginator(queryset, PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


class MoreThan(int):
    """A count that stopped after `shown` (its value is `shown` + 1, so that it compares
    and pluralises as "more"): it reads "1000+"."""

    def __new__(cls, shown: int):
        number = super().__new__(cls, shown + 1)
        number.shown = shown
        return number

    def __str__(self) -> str:
        return f"{self.shown}+"

    __repr__ = __str__


def capped(counted: int, cap: int) -> int:
    """`counted` (of at most cap + 1 rows) as it is shown: exact, or MoreThan(cap)."""
    return MoreThan(cap) if counted > cap else counted


def _up_to(queryset: QuerySet, limit: int, *, keep_order: bool = False) -> QuerySet:
    # Only the keys, in no order: the database stops after `limit` matching rows. With
    # keep_order, a queryset's explicit order stays (not the model's default one).
    if not (keep_order and queryset.query.order_by):
        queryset = queryset.order_by()
    return queryset.values("pk")[:limit]


class CappedPaginator(Paginator):
    """A paginator whose count reads at most COUNT_CAP + 1 rows (or, on a page beyond,
    up to that page's end + 1): a page costs the same whatever the table's size. Past the
    cap the count and the number of pages read "1000+" and "40+"; every page stays
    reachable by "Next" (the person narrows the filters to see fewer)."""

    limit = COUNT_CAP

    def get_page(self, number):
        try:
            wanted = max(int(number), 1)
        except (TypeError, ValueError):
            wanted = 1
        # Count through the page asked for, and one row more: its "Next" link shows. A
        # page number past any list's end counts no further than DEEPEST rows.
        self.limit = max(COUNT_CAP, min(wanted * self.per_page, DEEPEST))
        return super().get_page(number)

    # Count in the list's order (see capped_page_of).
    count_in_order = False

    @cached_property
    def count(self) -> int:
        return capped(
            _up_to(self.object_list, self.limit + 1, keep_order=self.count_in_order).count(),
            self.limit,
        )

    def page(self, number):
        """A page past the first reads its rows' keys first (the list's query, only its
        keys, OFFSET rows skipped), then those rows with their relations: the rows it
        skips are not joined to every related table (page 50 read 1,250 rows through five
        joins). Same rows, same order, one query."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        queryset = self.object_list
        if (
            bottom == 0
            or not isinstance(queryset, QuerySet)
            or queryset.query.distinct
            or not queryset.query.order_by
        ):
            return super().page(number)
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys = queryset.values("pk")[bottom:top]
        return self._get_page(queryset.filter(pk__in=keys), number, self)

    @cached_property
    def num_pages(self) -> int:
        if isinstance(self.count, MoreThan):
            return MoreThan(self.limit // self.per_page)
        return super().num_pages


def capped_page_of(request, queryset, *, count_in_order: bool = False):
    """A page of a list that may be long (the problem lists): its count is capped.

    count_in_order: the count keeps the list's order, for a list whose order is that of
    a (partial) index holding exactly its rows: the database reads that index and stops
    after the cap, where unordered it may prefer a larger index and filter it (triage's
    returned problems read half the table's unfinished ones, issue 18). Not for a list
    an index does not order: its count would read it in order, row by row."""
    paginator = CappedPaginator(queryset, PAGE_SIZE)
    paginator.count_in_order = count_in_order
    return paginator.get_page(request.GET.get("page"))


def capped_counts(
    cap: int | None = None,
    in_order: tuple[str, ...] = (),
    **querysets: QuerySet | tuple[QuerySet, ...],
) -> dict[str, int]:
    """Each queryset's count, up to `cap` (then MoreThan(cap)), in one query: a scalar
    subquery over at most cap + 1 rows each, so no count reads a whole table. A tuple of
    disjoint querysets counts their sum (an OR the database could not read by index,
    split into parts that it can).

    The querysets named in `in_order` keep their explicit order inside their subquery:
    when it is the order of a (partial) index holding exactly their rows, the LIMIT makes
    the database read that index and stop, where unordered it may prefer another index
    and read every matching row of it (the triage counts, issue 18). Name no other: an
    order no index gives would sort every matching row."""
    cap = COUNT_CAP if cap is None else cap
    parts = {name: qs if isinstance(qs, tuple) else (qs,) for name, qs in querysets.items()}
    database = next(iter(parts.values()))[0].db
    sql_parts, params = [], []
    for name, queryset in ((name, qs) for name, group in parts.items() for qs in group):
        query = _up_to(queryset, cap + 1, keep_order=name in in_order).query
        sql, subquery_params = query.get_compiler(using=database).as_sql()
        sql_parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{len(sql_parts)})")
        params.extend(subquery_params)
    with connections[database].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(sql_parts), params)
        counted = iter(cursor.fetchone())
    return {name: capped(sum(next(counted) for _ in group), cap) for name, group in parts.items()}


def safe_next(request, fallback: str) -> str:
    """The "next" page the form names if it is on this site, else `fallback`."""
    back = request.POST.get("next", "")
    # Only a page of this site: "//host/" and "/\host/" start with a slash too.
    if url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return fallback


def form_errors_to_messages(request, form) -> None:
    """A refused action form's errors as messages on the page it redirects back to."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def role_required(predicate):
    """Only users for whom `predicate(user)` holds; for others the page does not exist (404)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not predicate(request.user):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
