"""Benchmark the department assessment at scale: counting a month (the figures of every lead
department, through issues.metrics), the beat task counting the provisional months (this
month and last month) ahead, freezing a month (count, score, store), the ranking page
(frozen, and provisional: the beat task's snapshot), the drill-down page, the year and the
.xlsx export.

    python manage.py bench_assessment --problems 1000000 [--repeats 7] [--json]

Builds the data of bench_dashboard (the problems of this year, rolled back at the end) and
adds what the assessment reads besides: an acknowledgement event for each problem whose
clock started (most within a working day, some late), approved extensions, reopened
problems and call-back evaluations. The month measured is last month (the latest a beat
task freezes). Use PostgreSQL (DATABASE_URL) for figures that mean something.
"""

from __future__ import annotations

import datetime as dt
import random
import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from dashboard.assessment import figures, selectors
from dashboard.assessment.models import DEFAULT_WEIGHTS, AssessmentMonth
from dashboard.assessment.services import month_freeze, provisionals_refresh_due
from issues.models import ExtensionRequest, Problem, ProblemEvent
from liaison import workdays
from liaison.bench import Report, Rollback, page_getter, time_calls, vacuum_rolled_back

from .bench_dashboard import Command as DashboardBench

_EVENTS_SQL = """
INSERT INTO issues_problemevent (
    problem_id, actor_id, created_at, kind, from_status, to_status, text, is_public, data,
    dedupe_key
)
SELECT id, NULL,
       clock_started_at + (CASE WHEN id % 10 = 0 THEN 80 ELSE 2 + id % 20 END) * interval '1 hour',
       'acknowledged', 'dispatched', 'in_progress', '', true, '{}'::jsonb, ''
FROM issues_problem
WHERE clock_started_at IS NOT NULL AND status <> 'dispatched'
"""
_EXTENSIONS_SQL = """
INSERT INTO issues_extensionrequest (
    problem_id, requested_by_id, requested_at, days, reason, decision, decided_by_id,
    decided_at, decision_note
)
SELECT id, %(owner)s, clock_started_at + interval '3 days', 3, '基准', 'approved', %(owner)s,
       clock_started_at + interval '4 days', ''
FROM issues_problem
WHERE clock_started_at IS NOT NULL AND id %% 17 = 0
"""
_UPDATES_SQL = [
    "UPDATE issues_problem SET reopen_count = 1 "
    "WHERE first_resolved_at IS NOT NULL AND id % 19 = 0",
    "UPDATE issues_problem SET evaluation_source = 'callback' WHERE satisfaction IN "
    "('satisfied', 'basically', 'unsatisfied') AND id % 7 = 0",
    "UPDATE issues_problem SET evaluation_source = 'enterprise' WHERE satisfaction IN "
    "('satisfied', 'basically', 'unsatisfied') AND id % 7 <> 0",
]


class Command(BaseCommand):
    help = "Time the department assessment with N problems (rolled back afterwards)."

    def add_arguments(self, parser):
        parser.add_argument("--problems", type=int, default=100_000)
        parser.add_argument("--repeats", type=int, default=7)
        parser.add_argument("--json", action="store_true", help="one JSON object per line")

    def handle(self, *args, problems: int, repeats: int, json: bool, **options):
        self.report = Report(self, "assessment", as_json=json)
        try:
            with transaction.atomic():
                started = time.monotonic()
                context = DashboardBench.build(DashboardBench(), problems)
                self.add_assessment_data(context, problems)
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute(
                            "ANALYZE issues_problem; ANALYZE issues_problemevent; "
                            "ANALYZE issues_extensionrequest;"
                        )
                now = timezone.now()
                today = workdays.local_date(now)
                month = figures.month_start(figures.month_start(today) - dt.timedelta(days=1))
                in_month = figures.month_problems(month).count()
                self.report.header(
                    f"Built {problems:,} problems in {time.monotonic() - started:.1f} s "
                    f"on {connection.vendor}; {in_month:,} received in {month:%Y-%m}; "
                    f"{repeats} timed runs per case."
                )
                self.measure(context, month, now, repeats, problems)
                raise Rollback
        except Rollback:
            pass
        vacuum_rolled_back(Problem, ProblemEvent)

    def add_assessment_data(self, context: dict, n: int) -> None:
        office = context["office"]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(_EVENTS_SQL)
                cursor.execute(_EXTENSIONS_SQL, {"owner": office.pk})
                for sql in _UPDATES_SQL:
                    cursor.execute(sql)
            return
        rng = random.Random(11)
        events, extensions = [], []
        started = Problem.objects.filter(clock_started_at__isnull=False).exclude(
            status="dispatched"
        )
        for pk, clock in started.values_list("pk", "clock_started_at").iterator():
            hours = 80 if pk % 10 == 0 else 2 + rng.randint(0, 20)
            events.append(
                ProblemEvent(
                    problem_id=pk,
                    created_at=clock + dt.timedelta(hours=hours),
                    kind="acknowledged",
                    from_status="dispatched",
                    to_status="in_progress",
                )
            )
            if pk % 17 == 0:
                extensions.append(
                    ExtensionRequest(
                        problem_id=pk,
                        requested_by=office,
                        requested_at=clock + dt.timedelta(days=3),
                        days=3,
                        reason="基准",
                        decision="approved",
                        decided_by=office,
                        decided_at=clock + dt.timedelta(days=4),
                    )
                )
        ProblemEvent.objects.bulk_create(events, batch_size=5000)
        ExtensionRequest.objects.bulk_create(extensions, batch_size=5000)
        with connection.cursor() as cursor:
            for sql in _UPDATES_SQL:
                cursor.execute(sql)

    def measure(self, c: dict, month: dt.date, now, repeats: int, n: int) -> None:
        param = f"{month:%Y-%m}"
        self.time_case(
            "count a month (all departments)", lambda: figures.count_month(month, now), repeats, n
        )
        self.time_case(
            "score and rank a month",
            lambda: figures.standings(figures.count_month(month, now), DEFAULT_WEIGHTS),
            repeats,
            n,
        )

        base = "/dashboard/assessment/"
        # Last month before its freezing day, and this month: the pages read the snapshot
        # the beat task keeps (counted here first, at the real now).
        self.time_case("provisional refresh (beat task)", provisionals_refresh_due, repeats, n)
        self.time_case(
            "ranking page (last month, snapshot)",
            page_getter(c["leader"], f"{base}?month={param}"),
            repeats,
            n,
        )

        def freeze():
            AssessmentMonth.objects.filter(month=month).delete()
            return month_freeze(month=month, now=now)

        self.time_case("freeze a month (count, score, store)", freeze, repeats, n)
        self.time_case(
            "frozen ranking (selector)", lambda: selectors.frozen_ranking(month), repeats, n
        )
        department = c["department"].pk
        for case, user, url in (
            ("ranking page (frozen month)", c["leader"], f"{base}?month={param}"),
            (
                "ranking page (this month, snapshot)",
                c["leader"],
                f"{base}?month={workdays.local_date(now):%Y-%m}",
            ),
            (
                "drill-down (acknowledged late)",
                c["leader"],
                f"{base}{param}/department/{department}/acknowledged_late/",
            ),
            (
                "drill-down (head, on time)",
                c["head"],
                f"{base}{param}/department/{department}/on_time/",
            ),
            ("year page", c["leader"], f"{base}year/"),
            ("export .xlsx (frozen month)", c["office"], f"{base}export.xlsx?month={param}"),
        ):
            self.time_case(case, page_getter(user, url), repeats, n)

    def time_case(self, case: str, call, repeats: int, n: int) -> None:
        self.report.row(case, n, *time_calls(call, repeats))
