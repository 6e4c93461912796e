"""Benchmark the deadline sweep: N open problems of which M have just become overdue.

    python manage.py bench_deadlines --problems 100000 --due 10000 [--repeats 5] [--json]

Builds its own data with bulk inserts inside one transaction and rolls it back at the
end, so it can run beside real data. Each timed run of the first case is undone with a
savepoint (the sweep's own transactions are savepoints inside the outer one), so every
run escalates the same M problems. Use PostgreSQL (DATABASE_URL) for real figures.
"""

from __future__ import annotations

import datetime as dt
import time
from unittest import mock

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from issues import deadlines, notifications
from issues.models import Category, Problem, Status
from issues.recompute import deadlines_recompute
from liaison import workdays
from liaison.bench import Report, Rollback, credit_code, time_calls
from liaison.models import CalendarRevision, Department, Enterprise, Profile, Role
from liaison.services import role_groups_ensure

User = get_user_model()
DEPARTMENTS = 20
LEADERS = 5


class Command(BaseCommand):
    help = "Time the deadline sweep with N open problems, M of them newly overdue (rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--problems", type=int, default=100_000)
        parser.add_argument("--due", type=int, default=10_000)
        parser.add_argument("--repeats", type=int, default=5)
        parser.add_argument("--json", action="store_true", help="one JSON object per line")
        parser.add_argument(
            "--recompute",
            action="store_true",
            help="also time the recompute of every problem's times after a calendar edit",
        )

    def handle(
        self, *args, problems: int, due: int, repeats: int, json: bool, recompute: bool, **options
    ):
        self.report = Report(self, "deadlines", as_json=json)
        due = min(due, problems)
        try:
            with transaction.atomic():
                started = time.monotonic()
                now = timezone.now()
                self.build(problems, due, now)
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("ANALYZE issues_problem; ANALYZE auth_user;")
                workdays.is_working_day(workdays.local_date(now))  # calendar loaded
                self.report.header(
                    f"Built {problems:,} open problems ({due:,} just overdue) in "
                    f"{time.monotonic() - started:.1f} s on {connection.vendor}; "
                    f"{repeats} timed runs per case."
                )
                self.measure("sweep, newly overdue", problems, repeats, now, undo=True, expect=due)
                # The same without writing the outbox: the sweep's own share of the time.
                with mock.patch.object(
                    notifications, "write_for_events", lambda pairs, **kwargs: 0
                ):
                    self.measure(
                        "sweep, newly overdue, no outbox",
                        problems,
                        repeats,
                        now,
                        undo=True,
                        expect=due,
                    )
                deadlines.sweep(now)  # apply it once for real (inside the outer transaction)
                self.measure("sweep, nothing new", problems, repeats, now, undo=False, expect=0)
                if recompute:
                    self.measure_recompute(problems, repeats, now)
                raise Rollback
        except Rollback:
            pass

    def build(self, n: int, due: int, now: dt.datetime) -> None:
        role_groups_ensure()
        departments = Department.objects.bulk_create(
            [
                Department(name=f"基准期限部门{i:02d}", short_name=f"期限{i:02d}")
                for i in range(DEPARTMENTS)
            ]
        )
        users = User.objects.bulk_create(
            [
                User(username=f"bench-deadlines-office-{i}", email=f"o{i}@bench.invalid")
                for i in range(2)
            ]
            + [
                User(username=f"bench-deadlines-leader-{i}", email=f"l{i}@bench.invalid")
                for i in range(LEADERS)
            ]
            + [User(username=f"bench-deadlines-principal-{i}") for i in range(2)]
            + [
                User(username=f"bench-deadlines-head-{i}", email=f"h{i}@bench.invalid")
                for i in range(DEPARTMENTS)
            ]
            + [User(username="bench-deadlines-enterprise")]
        )
        office, leaders = users[:2], users[2 : 2 + LEADERS]
        principals = users[2 + LEADERS : 4 + LEADERS]
        heads, owner = users[4 + LEADERS : -1], users[-1]
        enterprise = Enterprise.objects.create(
            name="基准期限企业有限公司", credit_code=credit_code("91330498", 990001)
        )
        Profile.objects.bulk_create(
            [Profile(user=u, role=Role.OFFICE) for u in office]
            + [Profile(user=u, role=Role.LEADER) for u in leaders]
            + [Profile(user=u, role=Role.PRINCIPAL) for u in principals]
            + [
                Profile(user=u, role=Role.DEPARTMENT_HEAD, department=d)
                for u, d in zip(heads, departments, strict=True)
            ]
            + [Profile(user=owner, role=Role.ENTERPRISE, enterprise=enterprise)]
        )
        for i, department in enumerate(departments):
            department.supervising_leader = leaders[i % LEADERS]
        Department.objects.bulk_update(departments, ["supervising_leader"])
        category = Category.objects.create(name_zh="基准期限类别", name_en="Bench deadlines")

        # The calendar revision in force: the sweep acts on these problems as they are.
        revision = workdays.in_force()
        batch = []
        for i in range(n):
            if i < due:  # just overdue: the deadline passed minutes ago
                due_at = now - dt.timedelta(minutes=1 + i % 120)
                warned_at = due_at - dt.timedelta(days=1)
            else:  # due in 3 to 12 days: nothing to do yet
                due_at = now + dt.timedelta(days=3 + i % 10)
                warned_at = None
            started = due_at - dt.timedelta(days=14)
            batch.append(
                Problem(
                    reference=f"{1800 + i // 99999:04d}-{i % 99999 + 1:05d}",
                    enterprise=enterprise,
                    submitted_by=owner,
                    title=f"基准问题 {i} 危废处置渠道",
                    description="基准测试数据。",
                    category=category,
                    status=Status.IN_PROGRESS if i % 3 else Status.DISPATCHED,
                    lead_department=departments[i % DEPARTMENTS],
                    created_at=started,
                    updated_at=started,
                    clock_started_at=started,
                    due_at=due_at,
                    original_due_at=due_at,
                    warn_at=due_at - dt.timedelta(days=2),
                    warned_at=warned_at,
                    deadline_version=1,
                    calendar_revision=revision,
                )
            )
            if len(batch) == 5000:
                Problem.objects.bulk_create(batch)
                batch = []
        Problem.objects.bulk_create(batch)

    def measure(
        self, case: str, n: int, repeats: int, now: dt.datetime, *, undo: bool, expect: int
    ) -> None:
        def sweep():
            savepoint = transaction.savepoint() if undo else None
            result = deadlines.sweep(now)
            if savepoint is not None:
                transaction.savepoint_rollback(savepoint)
            assert result.escalated == expect and not result.failed, result

        # Savepoint statements are the bench's own transactions, not the sweep's work.
        times, queries = time_calls(sweep, repeats, counts=lambda sql: "SAVEPOINT" not in sql)
        self.report.row(case, n, times, queries)

    def measure_recompute(self, n: int, repeats: int, now: dt.datetime) -> None:
        """A calendar edit: every open problem's times recomputed (the worker's job)."""

        def recompute():
            savepoint = transaction.savepoint()
            CalendarRevision.objects.create()  # what an edit commits: a new revision
            changed = deadlines_recompute(now)
            transaction.savepoint_rollback(savepoint)
            assert changed == n, changed

        times, queries = time_calls(recompute, repeats, counts=lambda sql: "SAVEPOINT" not in sql)
        self.report.row("recompute after a calendar edit", n, times, queries)
