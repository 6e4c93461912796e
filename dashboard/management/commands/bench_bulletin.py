"""Benchmark the monthly bulletin at scale: counting a month's figures (every section), the
bulletin generated and stored, then its page, its .xlsx and the archive, time and queries.

    python manage.py bench_bulletin --problems 1000000 [--repeats 5] [--json]

Builds the same data as bench_dashboard (every problem received this year, up to now)
inside one transaction and rolls it back at the end, so it can run beside real data. The
month is last month; run it from February on (in January last month has no problems).
Use PostgreSQL (DATABASE_URL) for figures that mean something.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from dashboard.bulletin.models import Bulletin, BulletinThresholds
from dashboard.bulletin.sections import build_snapshot, previous_month, received_in
from dashboard.bulletin.services import bulletin_generate
from issues.models import Problem, ProblemEvent
from liaison import workdays
from liaison.bench import Report, Rollback, page_getter, time_calls, vacuum_rolled_back

from .bench_dashboard import Command as DashboardBench


class Command(BaseCommand):
    help = "Time the monthly bulletin with N problems (rolled back afterwards)."

    def add_arguments(self, parser):
        parser.add_argument("--problems", type=int, default=100_000)
        parser.add_argument("--repeats", type=int, default=5)
        parser.add_argument("--json", action="store_true", help="one JSON object per line")

    def handle(self, *args, problems: int, repeats: int, json: bool, **options):
        report = Report(self, "bulletin", as_json=json)
        try:
            with transaction.atomic():
                started = time.monotonic()
                context = DashboardBench().build(problems)
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("ANALYZE issues_problem; ANALYZE liaison_enterprise;")
                now = timezone.now()
                month = previous_month(workdays.local_date(now))
                # Any bulletin of that month in the database: set aside for the benchmark.
                Bulletin.objects.filter(month=month).delete()
                in_month = received_in(month).count()
                report.header(
                    f"Built {problems:,} problems in {time.monotonic() - started:.1f} s on "
                    f"{connection.vendor}; the bulletin of {month:%Y-%m} counts {in_month:,} "
                    f"received that month; {repeats} timed runs per case."
                )
                thresholds = BulletinThresholds.current()

                def count():
                    build_snapshot(month, now=now, thresholds=thresholds)

                report.row(
                    "figures of a month (every section)", problems, *time_calls(count, repeats)
                )
                bulletin = None

                def generate():
                    nonlocal bulletin
                    bulletin, _created = bulletin_generate(month=month, now=now)

                report.row("generate and store (once)", problems, *time_calls(generate, 1))
                leader, office = context["leader"], context["office"]
                slug = bulletin.slug
                for case, user, url in (
                    ("bulletin page (leader)", leader, reverse("bulletin_detail", args=[slug])),
                    ("bulletin .xlsx (office)", office, reverse("bulletin_xlsx", args=[slug])),
                    ("archive (leader)", leader, reverse("bulletin_archive")),
                ):
                    report.row(case, problems, *time_calls(page_getter(user, url), repeats))
                raise Rollback
        except Rollback:
            pass
        vacuum_rolled_back(Problem, ProblemEvent)
