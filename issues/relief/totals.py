"""Burden relief totals (减负) for a period: by kind, lead department, town and year.

One aggregate query over the outcome lines whatever their number (grouped by year, kind,
department and town: at most a few thousand groups), rolled up here, and one for the
names of those departments and towns. A direct aggregate,
not a summary table: see README (benchmark at 100,000 lines).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import ExtractYear

from liaison.models import Department

from .models import ReliefKind, ReliefOutcome


@dataclass
class ReliefRow:
    """The totals of one kind, department, town or year (`key`: its value, None: none)."""

    key: object
    label: str
    amount: Decimal = Decimal(0)
    firms: int = 0
    jobs: int = 0
    lines: int = 0

    def add(self, amount: Decimal, firms: int, jobs: int, lines: int) -> None:
        self.amount += amount
        self.firms += firms
        self.jobs += jobs
        self.lines += lines


@dataclass
class ReliefTotals:
    since: dt.date
    until: dt.date
    total: ReliefRow
    by_kind: list[ReliefRow] = field(default_factory=list)
    by_department: list[ReliefRow] = field(default_factory=list)
    by_town: list[ReliefRow] = field(default_factory=list)
    by_year: list[ReliefRow] = field(default_factory=list)

    def amount_of(self, kind: str) -> Decimal:
        return next((row.amount for row in self.by_kind if row.key == kind), Decimal(0))


def relief_totals(
    *, since: dt.date, until: dt.date, department: Department | int | None = None
) -> ReliefTotals:
    """Burden relief counted from `since` to `until` (inclusive, the first answer's local
    date), of one lead department's problems if given. Two queries (one if none).

    Rows are sorted by amount, largest first (kinds: every kind, zero included, in that
    order); a department or town that is None is the problems without one.
    """
    outcomes = ReliefOutcome.objects.filter(counted_on__gte=since, counted_on__lte=until)
    if department is not None:
        department_id = department if isinstance(department, int) else department.pk
        outcomes = outcomes.filter(problem__lead_department_id=department_id)
    groups = list(
        outcomes.annotate(year=ExtractYear("counted_on"))
        .values("year", "kind", "problem__lead_department_id", "problem__enterprise__town_id")
        .annotate(amount=Sum("amount"), firms=Sum("firms"), jobs=Sum("jobs"), lines=Count("id"))
        .order_by()
    )
    # Grouped by ids only (names in the GROUP BY made PostgreSQL sort the joined rows on
    # disk: 5x slower at 100,000 lines); the names of departments and towns (both are
    # Department rows) in a second query.
    ids = {g["problem__lead_department_id"] for g in groups}
    ids |= {g["problem__enterprise__town_id"] for g in groups}
    ids.discard(None)
    names = dict(Department.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    total = ReliefRow(None, "")
    kinds = {kind.value: ReliefRow(kind.value, str(kind.label)) for kind in ReliefKind}
    departments: dict = {}
    towns: dict = {}
    years: dict = {}
    for g in groups:
        values = (g["amount"] or Decimal(0), g["firms"] or 0, g["jobs"] or 0, g["lines"])
        total.add(*values)
        kinds[g["kind"]].add(*values)
        department_id, town_id = g["problem__lead_department_id"], g["problem__enterprise__town_id"]
        for into, key, label in (
            (departments, department_id, names.get(department_id, "")),
            (towns, town_id, names.get(town_id, "")),
            (years, g["year"], str(g["year"])),
        ):
            if into.get(key) is None:
                into[key] = ReliefRow(key, label)
            into[key].add(*values)

    def ranked(rows) -> list[ReliefRow]:
        return sorted(rows, key=lambda row: (-row.amount, row.label))

    return ReliefTotals(
        since=since,
        until=until,
        total=total,
        by_kind=ranked(kinds.values()),
        by_department=ranked(departments.values()),
        by_town=ranked(towns.values()),
        by_year=sorted(years.values(), key=lambda row: row.key),
    )
