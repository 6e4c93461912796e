"""Benchmark the problem pages at scale: lists and the problem page, time and query count.

    python manage.py bench_pages --problems 100000 [--repeats 7] [--json]

Builds its own data with bulk inserts inside one transaction, measures the pages
through Django's test client (server time, without a network), and rolls the
transaction back at the end, so it can run beside real data. Use PostgreSQL
(DATABASE_URL) for figures that mean something.
"""

from __future__ import annotations

import datetime as dt
import random
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from issues.models import Category, Problem, ProblemEvent, Status
from liaison import workdays
from liaison.bench import Report, Rollback, credit_code, page_getter, time_calls
from liaison.models import Department, Enterprise, Role
from liaison.services import profile_set_role

User = get_user_model()


class Command(BaseCommand):
    help = "Time the problem lists and the problem page with N problems (rolled back afterwards)."

    def add_arguments(self, parser):
        parser.add_argument("--problems", type=int, default=100_000)
        parser.add_argument("--repeats", type=int, default=7)
        parser.add_argument("--json", action="store_true", help="one JSON object per line")

    def handle(self, *args, problems: int, repeats: int, json: bool, **options):
        self.report = Report(self, "pages", as_json=json)
        try:
            with transaction.atomic():
                started = time.monotonic()
                context = self.build(problems)
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("ANALYZE issues_problem; ANALYZE issues_problemevent;")
                self.report.header(
                    f"Built {problems:,} problems in {time.monotonic() - started:.1f} s "
                    f"on {connection.vendor}; {repeats} timed runs per case."
                )
                for case, user, url in self.cases(context):
                    self.measure(case, user, url, repeats, problems)
                raise Rollback
        except Rollback:
            pass

    def build(self, n: int) -> dict:
        rng = random.Random(7)
        departments = Department.objects.bulk_create(
            [Department(name=f"基准测试部门{i:02d}", short_name=f"基准{i:02d}") for i in range(20)]
        )
        enterprises = Enterprise.objects.bulk_create(
            [
                Enterprise(
                    name=f"基准测试企业{i:03d}有限公司",
                    credit_code=credit_code("91330499", 900000 + i),
                )
                for i in range(200)
            ]
        )
        categories = Category.objects.bulk_create(
            [
                Category(name_zh=f"基准类别{i}", name_en=f"Bench {i}", default_lead_department=d)
                for i, d in enumerate(departments[:10])
            ]
        )
        office = User.objects.create(username="bench-office")
        profile_set_role(user=office, role=Role.OFFICE)
        head = User.objects.create(username="bench-head")
        profile_set_role(user=head, role=Role.DEPARTMENT_HEAD, department=departments[0])
        owner = User.objects.create(username="bench-enterprise")
        profile_set_role(user=owner, role=Role.ENTERPRISE, enterprise=enterprises[0])

        now = timezone.now()
        statuses = [
            (Status.SUBMITTED, 5),
            (Status.DISPATCHED, 10),
            (Status.IN_PROGRESS, 25),
            (Status.RESOLVED, 10),
            (Status.CLOSED, 45),
            (Status.REJECTED, 5),
        ]
        population = [s for s, weight in statuses for _ in range(weight)]
        # The calendar revision in force: the sweep acts on these problems as they are.
        revision = workdays.in_force()
        batch, created = [], 0
        for i in range(n):
            status = rng.choice(population)
            created_at = now - dt.timedelta(minutes=rng.randint(60, 60 * 24 * 365))
            accepted = status not in (Status.SUBMITTED, Status.REJECTED)
            due_at = created_at + dt.timedelta(days=14) if accepted else None
            resolved = status in (Status.RESOLVED, Status.CLOSED)
            batch.append(
                Problem(
                    reference=f"{1900 + i // 99999:04d}-{i % 99999 + 1:05d}",
                    enterprise=enterprises[i % len(enterprises)],
                    submitted_by=owner,
                    title=f"基准问题 {i} 用电增容与环评审批",
                    description="基准测试数据。" * 5,
                    category=categories[i % len(categories)],
                    status=status,
                    lead_department=departments[i % len(departments)] if accepted else None,
                    created_at=created_at,
                    updated_at=created_at,
                    clock_started_at=created_at if accepted else None,
                    due_at=due_at,
                    original_due_at=due_at,
                    warn_at=due_at - dt.timedelta(days=2) if due_at else None,
                    first_resolved_at=created_at + dt.timedelta(days=5) if resolved else None,
                    last_resolved_at=created_at + dt.timedelta(days=5) if resolved else None,
                    closed_at=created_at + dt.timedelta(days=6)
                    if status in (Status.CLOSED, Status.REJECTED)
                    else None,
                    rejection_reason="基准" if status == Status.REJECTED else "",
                    answer="已办结" if resolved else "",
                    calendar_revision=revision,
                )
            )
            if len(batch) == 5000:
                created += len(Problem.objects.bulk_create(batch))
                batch = []
        if batch:
            Problem.objects.bulk_create(batch)
        # Every problem has its "submitted" event; the measured ones have a longer timeline.
        first_id = Problem.objects.filter(reference="1900-00001").values_list("pk", flat=True)[0]
        event_batch = []
        for problem_id in Problem.objects.filter(submitted_by=owner).values_list("pk", flat=True):
            event_batch.append(
                ProblemEvent(
                    problem_id=problem_id, actor=owner, kind="submitted", to_status="submitted"
                )
            )
            if len(event_batch) == 5000:
                ProblemEvent.objects.bulk_create(event_batch)
                event_batch = []
        ProblemEvent.objects.bulk_create(event_batch)
        sample = (
            Problem.objects.filter(lead_department=departments[0], status=Status.IN_PROGRESS)
            .order_by("pk")
            .first()
        )
        ProblemEvent.objects.bulk_create(
            [
                ProblemEvent(problem=sample, actor=head, kind="progress", text=f"进展 {k}")
                for k in range(20)
            ]
        )
        return {
            "office": office,
            "head": head,
            "owner": owner,
            "department": departments[0],
            "category": categories[0],
            "sample": sample,
            "first_id": first_id,
        }

    def cases(self, c: dict):
        dept = c["department"].pk
        yield "office list (default)", c["office"], "/problems/"
        yield "office list (page 50)", c["office"], "/problems/?page=50"
        yield (
            "office list (filtered)",
            c["office"],
            f"/problems/?status=in_progress&lead_department={dept}&category={c['category'].pk}",
        )
        yield "office list (overdue)", c["office"], "/problems/?overdue=on"
        yield "office list (text search)", c["office"], "/problems/?q=%E7%94%A8%E7%94%B5"
        yield "office triage", c["office"], "/problems/triage/"
        yield "department inbox", c["head"], "/problems/department/?tab=inbox"
        yield "department in progress", c["head"], "/problems/department/?tab=in_progress"
        yield "enterprise my problems", c["owner"], "/problems/"
        yield "problem page (office)", c["office"], f"/problems/{c['sample'].reference}/"
        yield "problem page (department)", c["head"], f"/problems/{c['sample'].reference}/"
        yield "home (office)", c["office"], "/"

    def measure(self, case: str, user, url: str, repeats: int, n: int) -> None:
        self.report.row(case, n, *time_calls(page_getter(user, url), repeats))
