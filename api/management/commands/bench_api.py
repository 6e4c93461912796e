"""Benchmark the REST API at scale: the problem list (time and queries) and submitting
problems on enterprises' behalf (problems a second).

    python manage.py bench_api --problems 100000 [--repeats 7] [--creates 300] [--json]

Builds the same data as bench_pages (bulk inserts in one transaction), registers API
clients as the office would, calls the API through DRF's test client (server time,
without a network) and rolls everything back at the end. The clients' request budget
(api.throttling) is lifted for the run: it measures the API, not the throttle. Use
PostgreSQL (DATABASE_URL) for figures that mean something.
"""

from __future__ import annotations

import json as json_module
import time
from unittest import mock

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from rest_framework.test import APIClient

from api import services
from api.models import Binding, Scope
from api.throttling import ClientRateThrottle
from issues.management.commands.bench_pages import Command as PagesBench
from issues.models import Problem, ProblemEvent
from liaison.bench import Report, Rollback, time_calls, vacuum_rolled_back

URL = "/api/v1/problems/"


def _client(key: str) -> APIClient:
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return http


def getter(http: APIClient, url: str):
    http.get(url)  # warm-up: caches, first-use imports, the client's last use

    def get() -> None:
        response = http.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:200])

    return get


class Command(BaseCommand):
    help = "Time the API's problem list with N problems and its submit throughput (rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--problems", type=int, default=100_000)
        parser.add_argument("--repeats", type=int, default=7)
        parser.add_argument("--creates", type=int, default=300)
        parser.add_argument("--json", action="store_true", help="one JSON object per line")

    def handle(self, *args, problems: int, repeats: int, creates: int, json: bool, **options):
        self.report = Report(self, "api", as_json=json)
        try:
            with (
                mock.patch.object(ClientRateThrottle, "allow_request", lambda *a: True),
                transaction.atomic(),
            ):
                started = time.monotonic()
                context = PagesBench().build(problems)
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("ANALYZE issues_problem; ANALYZE issues_problemevent;")
                self.report.header(
                    f"Built {problems:,} problems in {time.monotonic() - started:.1f} s "
                    f"on {connection.vendor}; {repeats} timed runs per case."
                )
                clients = self.register(context)
                for case, http, url in self.cases(context, clients):
                    self.report.row(case, problems, *time_calls(getter(http, url), repeats))
                self.submit_throughput(context, clients["district"], creates)
                raise Rollback
        except Rollback:
            pass
        vacuum_rolled_back(Problem, ProblemEvent)

    def register(self, c: dict) -> dict[str, APIClient]:
        def make(name, binding, **kwargs):
            _, key = services.client_create(
                actor=c["office"],
                name=name,
                contact="bench",
                binding=binding,
                scopes=list(Scope.values),
                rate_per_minute=6000,
                **kwargs,
            )
            return _client(key)

        return {
            "district": make("bench district", Binding.DISTRICT),
            "department": make("bench department", Binding.DEPARTMENT, department=c["department"]),
            "enterprise": make(
                "bench enterprise", Binding.ENTERPRISE, enterprise=c["owner"].profile.enterprise
            ),
        }

    def cases(self, c: dict, clients: dict):
        district = clients["district"]
        # The 20th page: follow the cursor as a client would.
        url = URL
        for _ in range(19):
            url = district.get(url).json()["next"]
        dept, category = c["department"].pk, c["category"].pk
        reference = c["sample"].reference
        yield "list, district client (page 1)", district, URL
        yield "list, district client (page 20)", district, url
        yield (
            "list, filtered",
            district,
            f"{URL}?status=in_progress&lead_department={dept}&category={category}",
        )
        yield "list, overdue", district, f"{URL}?overdue=on"
        yield "list, text search", district, f"{URL}?q=%E7%94%A8%E7%94%B5"
        yield "list, department client", clients["department"], URL
        yield "list, enterprise client", clients["enterprise"], URL
        yield "problem, department client", clients["department"], f"{URL}{reference}/"
        yield "timeline, department client", clients["department"], f"{URL}{reference}/timeline/"

    def submit_throughput(self, c: dict, http: APIClient, creates: int) -> None:
        """`creates` problems submitted for enterprises, one request each (a fresh external
        reference each time), then the same requests again (answered from the first)."""
        enterprise = c["owner"].profile.enterprise
        body = {
            "enterprise": enterprise.pk,
            "title": "12345 转办：企业用电增容",
            "description": "企业反映新增生产线需要用电增容，请协调供电公司。",
            "category": c["category"].pk,
            "channel": "hotline",
        }
        before = Problem.objects.count()
        for label, status in (("submit on behalf", 201), ("same reference again", 200)):
            started = time.perf_counter()
            for i in range(creates):
                response = http.post(
                    URL, {**body, "external_reference": f"bench-{i}"}, format="json"
                )
                assert response.status_code == status, response.content[:300]
            seconds = time.perf_counter() - started
            rate = creates / seconds
            if self.report.as_json:
                row = {"bench": "api", "case": label, "n": creates, "per_second": round(rate, 1)}
                self.stdout.write(json_module.dumps(row, ensure_ascii=False))
            else:
                self.stdout.write(
                    f"{label:<36}{creates:>10,}  {rate:,.1f} problems/s "
                    f"({1000 * seconds / creates:.1f} ms each)"
                )
        assert Problem.objects.count() == before + creates
