"""What the benchmark commands share (DESIGN.md §10): timing, the printed table, JSON rows."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext

from .validators import credit_code_check_char


class Rollback(Exception):
    """Raised at the end of a benchmark to roll back the data it built."""


def vacuum_rolled_back(*models) -> None:
    """VACUUM (ANALYZE) the tables of `models` after a benchmark rolled back what it wrote
    there (PostgreSQL): rolled-back rows stay in a table, dead, until a vacuum, and the
    next run reads through them. Autovacuum may be late, or off: on a machine where it
    was off, three runs of bench_pages at 1,000,000 problems left 3.3 million dead rows
    (5 GB), and the next run's text search took 888 ms instead of 20. Inside a
    transaction (a test's) VACUUM cannot run: nothing is done."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {tables}")


def credit_code(prefix: str, seq: int) -> str:
    """A valid unified social credit code: `prefix` (8 digits), `seq`, the check character."""
    body = f"{prefix}{seq:09d}"
    return body + credit_code_check_char(body)


def time_calls(
    call: Callable[[], object], repeats: int, *, counts: Callable[[str], bool] = lambda sql: True
) -> tuple[list[float], int]:
    """Milliseconds of each of `repeats` calls, and the most queries one made (those whose
    SQL `counts`)."""
    times, queries = [], 0
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
        queries = max(queries, sum(1 for q in captured.captured_queries if counts(q["sql"])))
    return times, queries


def _pass_two_factor(client, user) -> None:
    """Officials sign in with a second factor: the benchmark's session passed it, with an
    authenticator made for the (rolled-back) benchmark user, as django_otp.login does."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="benchmark", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def page_getter(user, url: str) -> Callable[[], None]:
    """A call that GETs `url` as `user` and checks the answer; the page is warmed up once."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    _pass_two_factor(client, user)
    client.get(url)  # warm-up: caches, first-use imports

    def get() -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    return get


class Report:
    """Prints one benchmark's rows: a readable table, or with --json one JSON object a line."""

    def __init__(self, command, bench: str, *, as_json: bool) -> None:
        self.stdout = command.stdout
        self.bench = bench
        self.as_json = as_json

    def header(self, built: str) -> None:
        if not self.as_json:
            self.stdout.write(built + "\n")
            self.stdout.write(
                f"{'case':<36}{'n':>10}{'median ms':>11}{'min ms':>9}{'max ms':>9}{'queries':>9}"
            )

    def row(self, case: str, n: int, times: list[float], queries: int) -> dict:
        row = {
            "bench": self.bench,
            "case": case,
            "n": n,
            "median_ms": round(statistics.median(times), 2),
            "min_ms": round(min(times), 2),
            "max_ms": round(max(times), 2),
            "queries": queries,
        }
        if self.as_json:
            self.stdout.write(json.dumps(row, ensure_ascii=False))
        else:
            self.stdout.write(
                f"{case:<36}{n:>10,}{row['median_ms']:>11.1f}{row['min_ms']:>9.1f}"
                f"{row['max_ms']:>9.1f}{queries:>9}"
            )
        return row
