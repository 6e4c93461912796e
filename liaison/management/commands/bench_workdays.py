"""Benchmark of the working-day calendar's hot paths (a measurement, not a test)."""

import datetime as dt
import json
import statistics
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.test.utils import CaptureQueriesContext

from liaison import workdays

FIRST_DAY = dt.date(2024, 1, 1)
SPAN_DAYS = 3 * 365  # 2024-2026, the years the official schedules cover


class Command(BaseCommand):
    help = "Time is_working_day and deadline_after over a warm calendar cache."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="One JSON object per line.")
        parser.add_argument("--repeats", type=int, default=5)
        parser.add_argument("--days", type=int, default=100_000, help="is_working_day calls")
        parser.add_argument("--deadlines", type=int, default=10_000, help="deadline_after calls")

    def handle(self, *args, **options):
        days = [FIRST_DAY + dt.timedelta(days=i % SPAN_DAYS) for i in range(options["days"])]
        # Dispatch times spread over the years and over the hours of the day.
        starts = [
            dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=7 * i)
            for i in range(options["deadlines"])
        ]
        n_days = settings.LIAISON_DEADLINE_WORKING_DAYS
        cases = {
            "is_working_day": (len(days), lambda: [workdays.is_working_day(d) for d in days]),
            "deadline_after": (
                len(starts),
                lambda: [workdays.deadline_after(s, n_days) for s in starts],
            ),
        }
        workdays.is_working_day(FIRST_DAY)  # warm the cache: the first call reads the table
        for case, (n, run) in cases.items():
            timings, queries = [], 0
            for _ in range(options["repeats"]):
                with CaptureQueriesContext(connection) as captured:
                    began = time.perf_counter()
                    run()
                    timings.append((time.perf_counter() - began) * 1000)
                queries = max(queries, len(captured))
            self.report(case, n, timings, queries, as_json=options["json"])

    def report(self, case, n, timings, queries, *, as_json):
        row = {
            "bench": "workdays",
            "case": case,
            "n": n,
            "median_ms": round(statistics.median(timings), 2),
            "min_ms": round(min(timings), 2),
            "max_ms": round(max(timings), 2),
            "queries": queries,
        }
        if as_json:
            self.stdout.write(json.dumps(row))
        else:
            self.stdout.write(
                f"{case}: {n} calls, median {row['median_ms']} ms "
                f"(min {row['min_ms']}, max {row['max_ms']}) over {len(timings)} runs, "
                f"{queries} queries"
            )
