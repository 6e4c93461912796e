"""The problem list's text search (`q`): reference, title, description, enterprise name.

What it finds is the plain substring match: the reference starts with the text, or the
title, the description or the enterprise's name contains it, Latin letters in either case
(Django's startswith / icontains). On SQLite that is the whole query. On PostgreSQL the
same predicate is joined by one the indexes can answer, so that a search does not read
every problem:

- the title, description and enterprise name through the GIN index problem_text_grams
  (migration 0013) on the column text_grams, which triggers keep: the three texts'
  characters and character pairs. A row the term is in has all its pairs there (its one
  character, when it is one character long); the index is asked for the rarest of them
  by the column's statistics (issues_index_grams, migration 0017), then the substring
  test confirms. Chinese words are mostly two characters, which pg_trgm cannot look up
  (a pattern under three characters gives it no trigram);
- the reference through its pattern index (Django's `_like` index; a prefix).

Both are constants to the planner, which can therefore estimate how many rows match: it
combines the two index scans for a rare term, and reads the list's order testing each row
with the cheap substring predicate for a common one (the first page fills at once). Asked
for all of a longer term's pairs, it would multiply their frequencies as if they were
independent, which the pairs of one word are not, and expect a common term (危废处置, in
1.6 % of the rows) in a few dozen rows: it then read all 16,000 through the index and
sorted them (227 ms at 1,000,000 problems). The rarest pair's frequency bounds the
term's from above; pairs too rare to be in the statistics are all asked for (each is
rare, and together they narrow the scan), and the column's statistics (1,000, not the
default 100) count pairs down to a few in a thousand rows, so that one not counted is
known to be rare: with the default, a rare pair was estimated in 0.5 % of the rows and a
term of two characters found nowhere read the whole table in the list's order (22 s at
1,000,000 problems for 量子, on a loaded machine).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import BooleanField, Case, F, Func, Q, Value, When

from liaison.models import Enterprise

_plain = False


@contextmanager
def plain_search() -> Iterator[None]:
    """Only the plain substring predicate, as on SQLite: the benchmark's "before" and the
    reference the tests compare the fast predicate with."""
    global _plain
    saved, _plain = _plain, True
    try:
        yield
    finally:
        _plain = saved


class _HasTextGrams(Func):
    """The row's title, description and enterprise name have the rarest pairs (or the one
    character) of `term`, as issues_index_grams chooses them while the query is planned:
    the column `text_grams` (migration 0013; not a model field, a trigger fills it) holds
    them, and the index problem_text_grams answers the test."""

    output_field = BooleanField()

    def __init__(self, term: str) -> None:
        super().__init__(F("id"), Value(term))

    def as_sql(self, compiler, connection, **extra):
        (id_column, _), (term, params) = (
            compiler.compile(expression) for expression in self.source_expressions
        )
        table = id_column.rsplit(".", 1)[0]  # the problem table as this query names it
        return f'{table}."text_grams" @> issues_index_grams({term})', params


class _EnterpriseNamed(Func):
    """The problem's enterprise is one whose name contains `term`: the enterprises are
    looked up once (an init plan, when a row first needs it), not joined."""

    output_field = BooleanField()

    def __init__(self, term: str) -> None:
        named = Enterprise.objects.filter(name__icontains=term).values("pk")
        super().__init__(F("enterprise_id"), ArraySubquery(named))

    def as_sql(self, compiler, connection, **extra):
        (column, column_params), (ids, ids_params) = (
            compiler.compile(expression) for expression in self.source_expressions
        )
        return f"{column} = ANY({ids})", [*column_params, *ids_params]


class _ReferenceFrom(Func):
    """The reference sorts, byte by byte, at or after `text` and before `text` with its
    last character's successor: every reference that starts with `text` (UTF-8 keeps the
    characters' order). Written with the operators of the reference's pattern index
    (Django's `_like` index), so that the planner sees the index scan's own condition and
    need not test it again on each row, as it must a LIKE."""

    output_field = BooleanField()

    def __init__(self, text: str) -> None:
        following = ord(text[-1]) + 1
        if 0xD800 <= following <= 0xDFFF:  # surrogates are not characters
            following = 0xE000
        upper = text[:-1] + chr(following) if following <= 0x10FFFF else None
        super().__init__(F("reference"), Value(text), Value(upper))

    def as_sql(self, compiler, connection, **extra):
        (column, _), (lower, lower_params), (upper, upper_params) = (
            compiler.compile(expression) for expression in self.source_expressions
        )
        if upper_params == [None]:
            return f"{column}::text ~>=~ {lower}", lower_params
        return (
            f"({column}::text ~>=~ {lower} AND {column}::text ~<~ {upper})",
            [*lower_params, *upper_params],
        )


def plain_match(text: str) -> Q:
    return (
        Q(reference__startswith=text)
        | Q(title__icontains=text)
        | Q(description__icontains=text)
        | Q(enterprise__name__icontains=text)
    )


def problems_matching(queryset, text: str):
    """The problems of `queryset` that `text` (stripped, not empty) finds."""
    if _plain or connection.vendor != "postgresql":
        return queryset.filter(plain_match(text))
    found_by_index = Q(_ReferenceFrom(text)) | Q(_HasTextGrams(text))
    exact = (
        Q(reference__startswith=text)
        | Q(title__icontains=text)
        | Q(description__icontains=text)
        | Q(_EnterpriseNamed(text))
    )
    # Both: `exact` is what is found (it implies `found_by_index`); `found_by_index` is
    # what the indexes answer, written as their scans' conditions, so that a plan combining
    # them tests only `exact` on the rows it reads. The planner would multiply the two
    # estimates as if they were independent and expect far too few rows (a common term
    # read whole through the index, then sorted); as a CASE, `exact` counts as one row in
    # two, and the count of matching rows is the index condition's, which the column's
    # statistics estimate well (exact for a term of one or two characters).
    exact_case = Case(When(exact, then=Value(True)), default=Value(False))
    return queryset.filter(found_by_index, exact_case)
