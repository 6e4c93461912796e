"""Benchmark the pages a person waits for at scale: every list, the problem page and the
home pages, at N problems and again at 10×N, in one run, with the ratio of the medians.

    python manage.py bench_pages --problems 100000 --grow-to 1000000 [--repeats 7] [--json]

Builds its own data with bulk inserts inside one transaction, measures every case
through Django's test client (server time, without a network), then grows the same
data (`--grow-to`, default 10×N; 0 measures once) and measures every case again; each
case prints both medians, their ratio and the query counts. The transaction is rolled
back at the end, so it can run beside real data. Use PostgreSQL (DATABASE_URL) for
figures that mean something.
"""

from __future__ import annotations

import datetime as dt
import json as jsonlib
import random
import time

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from issues.models import Category, Problem, ProblemEvent, Status
from liaison import workdays
from liaison.bench import Report, Rollback, credit_code, page_getter, time_calls, vacuum_rolled_back
from liaison.models import Department, Enterprise, Role
from liaison.services import profile_set_role

User = get_user_model()

STATUSES = [
    (Status.SUBMITTED, 5),
    (Status.DISPATCHED, 10),
    (Status.IN_PROGRESS, 25),
    (Status.RESOLVED, 10),
    (Status.CLOSED, 45),
    (Status.REJECTED, 5),
]
# The first problems were discussed at the meetings, 30 at each: a meeting's problems do
# not grow with the table. One submitted problem in this many a department returned (its
# clock had started).
MEETINGS, PER_MEETING = 40, 30
RETURNED_EVERY = 10


class Command(BaseCommand):
    help = (
        "Time every list, the problem page and the home pages with N problems, then with "
        "10×N (one run; rolled back afterwards)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--problems", type=int, default=100_000)
        parser.add_argument(
            "--grow-to",
            type=int,
            default=None,
            help="grow the data to this many problems and measure again (default 10×N; 0: once)",
        )
        parser.add_argument("--repeats", type=int, default=7)
        parser.add_argument("--json", action="store_true", help="one JSON object per line")
        parser.add_argument(
            "--explain",
            action="store_true",
            help="at the last size, print each case's slowest query with its EXPLAIN ANALYZE",
        )

    def handle(self, *args, problems: int, grow_to: int | None, repeats: int, **options):
        json, explain = options["json"], options["explain"]
        if grow_to is None:
            grow_to = 10 * problems
        self.report = Report(self, "pages", as_json=json)
        self.as_json = json
        try:
            with transaction.atomic():
                started = time.monotonic()
                context = self.build(problems)
                self.analyze()
                self.report.header(
                    f"Built {problems:,} problems in {time.monotonic() - started:.1f} s "
                    f"on {connection.vendor}; {repeats} timed runs per case."
                )
                first = {
                    case: self.measure(case, user, url, repeats, problems)
                    for case, user, url in self.cases(context)
                }
                if grow_to > problems:
                    started = time.monotonic()
                    self.insert_problems(context, problems, grow_to)
                    self.analyze()
                    self.report.header(
                        f"Grew to {grow_to:,} problems in {time.monotonic() - started:.1f} s."
                    )
                    second = {
                        case: self.measure(case, user, url, repeats, grow_to)
                        for case, user, url in self.cases(context)
                    }
                    self.compare(first, second, problems, grow_to)
                if explain:
                    for case, user, url in self.cases(context):
                        self.explain(case, user, url)
                raise Rollback
        except Rollback:
            pass
        vacuum_rolled_back(Problem, ProblemEvent)

    def analyze(self) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE issues_problem; ANALYZE issues_problemevent;")

    def build(self, n: int) -> dict:
        # Meetings and key tasks are apps above issues: looked up by name, not imported
        # (the benchmark measures their lists, the layers stay as they are).
        Meeting = apps.get_model("meetings", "Meeting")
        KeyTask = apps.get_model("keytasks", "KeyTask")
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
        leader = User.objects.create(username="bench-leader")
        profile_set_role(user=leader, role=Role.LEADER)
        departments[0].supervising_leader = leader
        departments[0].save(update_fields=["supervising_leader"])
        now = timezone.now()
        meetings = Meeting.objects.bulk_create(
            [
                Meeting(
                    year=now.year,
                    number=k + 1,
                    theme=f"基准政企恳谈会 {k}",
                    starts_at=now - dt.timedelta(days=7 * k),
                    venue="区政府",
                    status=Meeting.Status.HELD,
                    created_by=office,
                    held_at=now,
                    held_by=office,
                )
                for k in range(MEETINGS)
            ]
        )
        for meeting in meetings:
            meeting.departments.add(departments[0])
        tasks = KeyTask.objects.bulk_create(
            [
                KeyTask(
                    year=now.year,
                    number=k + 1,
                    title=f"基准重点工作 {k}",
                    target="完成",
                    leader=leader,
                    lead_department=departments[k % len(departments)],
                )
                for k in range(30)
            ]
        )
        context = {
            "now": now,
            "departments": departments,
            "enterprises": enterprises,
            "categories": categories,
            "meetings": meetings,
            "office": office,
            "head": head,
            "owner": owner,
            "leader": leader,
            "department": departments[0],
            "category": categories[0],
            "revision": workdays.in_force(),
        }
        self.insert_problems(context, 0, n)
        # The measured problem has a longer timeline; key tasks link a few problems each.
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
        linked = list(Problem.objects.order_by("pk").values_list("pk", flat=True)[:90])
        for k, task in enumerate(tasks):
            task.problems.add(*linked[3 * k : 3 * k + 3])
        context["sample"] = sample
        return context

    def insert_problems(self, c: dict, start: int, stop: int) -> None:
        """Problems number `start` to `stop` (the same sequence however it is cut), each
        with its "submitted" event."""
        rng = random.Random(7 + start)
        population = [s for s, weight in STATUSES for _ in range(weight)]
        departments, enterprises, categories = c["departments"], c["enterprises"], c["categories"]
        now, owner = c["now"], c["owner"]
        batch = []
        for i in range(start, stop):
            status = rng.choice(population)
            created_at = now - dt.timedelta(minutes=rng.randint(60, 60 * 24 * 365))
            accepted = status not in (Status.SUBMITTED, Status.REJECTED)
            # A submitted problem a department returned: its clock had started.
            returned = status == Status.SUBMITTED and i % RETURNED_EVERY == 0
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
                    meeting=c["meetings"][i // PER_MEETING] if i < MEETINGS * PER_MEETING else None,
                    created_at=created_at,
                    updated_at=created_at,
                    clock_started_at=created_at if accepted or returned else None,
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
                    escalation_level=1 if accepted and not resolved and i % 7 == 0 else 0,
                    escalated_at=created_at + dt.timedelta(days=14)
                    if accepted and not resolved and i % 7 == 0
                    else None,
                    calendar_revision=c["revision"],
                )
            )
            if len(batch) == 5000:
                self.insert_batch(batch, owner)
                batch = []
        if batch:
            self.insert_batch(batch, owner)

    def insert_batch(self, batch: list[Problem], owner) -> None:
        created = Problem.objects.bulk_create(batch)
        ProblemEvent.objects.bulk_create(
            [
                ProblemEvent(problem_id=p.pk, actor=owner, kind="submitted", to_status="submitted")
                for p in created
            ]
        )

    def cases(self, c: dict):
        dept = c["department"].pk
        office, head, owner, leader = c["office"], c["head"], c["owner"], c["leader"]
        yield "office list (default)", office, "/problems/"
        yield "office list (page 50)", office, "/problems/?page=50"
        yield (
            "office list (filtered)",
            office,
            f"/problems/?status=in_progress&lead_department={dept}&category={c['category'].pk}",
        )
        yield "office list (overdue)", office, "/problems/?overdue=on"
        yield "office list (text search)", office, "/problems/?q=%E7%94%A8%E7%94%B5"
        yield "office triage (new)", office, "/problems/triage/"
        yield "office triage (returned)", office, "/problems/triage/?show=returned"
        yield "escalations (office)", office, "/problems/escalations/"
        yield "department inbox", head, "/problems/department/?tab=inbox"
        yield "department in progress", head, "/problems/department/?tab=in_progress"
        yield "department co-handled", head, "/problems/department/?tab=co"
        yield "department all problems", head, "/problems/"
        yield "enterprise my problems", owner, "/problems/"
        yield "problem page (office)", office, f"/problems/{c['sample'].reference}/"
        yield "problem page (department)", head, f"/problems/{c['sample'].reference}/"
        yield "meetings (office)", office, "/meetings/"
        yield "meetings (department)", head, "/meetings/"
        yield "key tasks (office)", office, "/tasks/"
        yield "key tasks (leader)", leader, "/tasks/"
        yield "home (office)", office, "/"
        yield "home (department)", head, "/"
        yield "home (leader)", leader, "/"
        yield "home (enterprise)", owner, "/"

    def explain(self, case: str, user, url: str) -> None:
        """The case's slowest query and the database's plan of it, as it ran."""
        get = page_getter(user, url)
        with CaptureQueriesContext(connection) as captured:
            get()
        slowest = max(captured.captured_queries, key=lambda q: float(q["time"]))
        self.stdout.write(f"\n--- {case}: {slowest['time']} s\n{slowest['sql']}")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
                self.stdout.write("\n".join(row[0] for row in cursor.fetchall()))

    def measure(self, case: str, user, url: str, repeats: int, n: int) -> dict:
        return self.report.row(case, n, *time_calls(page_getter(user, url), repeats))

    def compare(self, first: dict, second: dict, n: int, grown: int) -> None:
        """Each case at N and at the grown size: both medians, their ratio, the queries."""
        if not self.as_json:
            self.stdout.write(
                f"\n{'case':<36}{f'ms @{n:,}':>14}{f'ms @{grown:,}':>16}{'ratio':>8}{'queries':>10}"
            )
        for case, before in first.items():
            after = second[case]
            ratio = after["median_ms"] / before["median_ms"] if before["median_ms"] else 0.0
            row = {
                "bench": "pages",
                "case": case,
                "compare": True,
                "n": n,
                "grown_n": grown,
                "median_ms": before["median_ms"],
                "grown_median_ms": after["median_ms"],
                "ratio": round(ratio, 2),
                "queries": before["queries"],
                "grown_queries": after["queries"],
            }
            if self.as_json:
                self.stdout.write(jsonlib.dumps(row, ensure_ascii=False))
            else:
                queries = (
                    f"{before['queries']}"
                    if before["queries"] == after["queries"]
                    else f"{before['queries']}→{after['queries']}"
                )
                self.stdout.write(
                    f"{case:<36}{before['median_ms']:>14.1f}{after['median_ms']:>16.1f}"
                    f"{ratio:>7.2f}×{queries:>10}"
                )
