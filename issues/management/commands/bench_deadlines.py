"""Benchmark the deadline sweep: N open problems of which M have just become overdue.

    python manage.py bench_deadlines --problems 100000 --due 10000 [--repeats 5] [--json]

Builds its own data with bulk inserts inside one transaction and rolls it back at the
end, so it can run beside real data. Each timed run of the first case is undone with a
savepoint (the sweep's own transactions are savepoints inside the outer one), so every
run escalates the same M problems. Use PostgreSQL (DATABASE_URL) for real figures.

Beside real data: before building, the sweep runs at the benchmark's moment on the real
problems (inside the same transaction, so it is rolled back too, and nobody is told: the
outbox rows and deliveries never commit), until it has nothing left to do. The timed
sweeps then act on the benchmark's problems only; if one also acted on others, the
count is printed and the figures say so.

The floor: what the database alone needs for the same work, in the same run and on the
same rows: one bare UPDATE of the M problems (the columns the escalation writes) and
one set-based INSERT ... SELECT of their M events, undone with a savepoint. The sweep's
median over the floor's is printed as the ratio. The sweep's queries are printed at M
and at M/10 (a batch of a tenth): they are the same.
"""

from __future__ import annotations

import datetime as dt
import time
from json import dumps
from unittest import mock

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from issues import deadlines, notifications, workflow
from issues.models import Category, Problem, ProblemEvent, Status
from issues.recompute import deadlines_recompute
from liaison import workdays
from liaison.bench import Report, Rollback, credit_code, time_calls, vacuum_rolled_back
from liaison.models import CalendarRevision, Department, Enterprise, Profile, Role
from liaison.services import role_groups_ensure

User = get_user_model()
DEPARTMENTS = 20
LEADERS = 5
BENCH_ENTERPRISE = "基准期限企业有限公司"


def _acts(result: deadlines.SweepResult) -> int:
    """Everything a sweep did (not the calendar catch-up, which changes no state)."""
    return sum(
        value for name, value in result.as_dict().items() if name not in ("failed", "recomputed")
    )


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
                settled = self.settle(now)
                self.build(problems, due, now)
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("ANALYZE issues_problem; ANALYZE auth_user;")
                workdays.is_working_day(workdays.local_date(now))  # calendar loaded
                if settled and not json:
                    self.stdout.write(
                        f"Real problems' due work done first, inside the rolled-back "
                        f"transaction: {settled:,} (warnings, escalations, reminders, ...)."
                    )
                self.report.header(
                    f"Built {problems:,} open problems ({due:,} just overdue) in "
                    f"{time.monotonic() - started:.1f} s on {connection.vendor}; "
                    f"{repeats} timed runs per case."
                )
                swept = self.measure(
                    "sweep, newly overdue", problems, repeats, now, undo=True, expect=due
                )
                tenth = max(1, due // 10)
                fewer = self.measure(
                    f"sweep, {tenth:,} of them (batch)",
                    problems,
                    repeats,
                    now,
                    undo=True,
                    expect=tenth,
                    batch_size=tenth,
                )
                floor = self.measure_floor(problems, repeats, now)
                self.ratio(swept, floor, fewer, due)
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
        vacuum_rolled_back(Problem, ProblemEvent)

    def settle(self, now: dt.datetime) -> int:
        """Do the real problems' due work at `now`, inside the outer transaction (rolled
        back): the timed sweeps then find only the benchmark's problems. How many acts."""
        done = 0
        for _ in range(100):
            result = deadlines.sweep(now)
            acts = _acts(result)
            done += acts
            # Problems a calendar edit left behind are caught up CATCH_UP a sweep: all of
            # them first, or each timed sweep would recompute some (and roll it back).
            if not acts and not result.recomputed:
                break
        return done

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
            name=BENCH_ENTERPRISE, credit_code=credit_code("91330498", 990001)
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
        self,
        case: str,
        n: int,
        repeats: int,
        now: dt.datetime,
        *,
        undo: bool,
        expect: int,
        batch_size: int = deadlines.BATCH_SIZE,
    ) -> dict:
        others = []

        def sweep():
            savepoint = transaction.savepoint() if undo else None
            result = deadlines.sweep(now, batch_size=batch_size)
            if savepoint is not None:
                transaction.savepoint_rollback(savepoint)
            assert result.escalated >= expect and not result.failed, result
            others.append(_acts(result) - expect)

        # Savepoint statements are the bench's own transactions, not the sweep's work.
        times, queries = time_calls(sweep, repeats, counts=lambda sql: "SAVEPOINT" not in sql)
        row = self.report.row(case, n, times, queries)
        if any(others) and not self.report.as_json:
            self.stdout.write(
                f"  (this case also acted on up to {max(others):,} problems not the "
                f"benchmark's: real problems that fell due during the run)"
            )
        return row

    def measure_floor(self, n: int, repeats: int, now: dt.datetime) -> dict:
        """The database's floor for the escalation: the same rows, bare SQL, rolled back."""
        ids = list(
            Problem.objects.filter(
                enterprise__name=BENCH_ENTERPRISE, due_at__lt=now, escalated_at__isnull=True
            ).values_list("pk", flat=True)
        )
        again_at = workdays.deadline_after(now, workflow.SECOND_ESCALATION_WORKING_DAYS).value
        problem = connection.ops.quote_name(Problem._meta.db_table)
        event = connection.ops.quote_name(ProblemEvent._meta.db_table)
        # The rows by their ids (one parameter): the floor reads them the cheapest way.
        if connection.vendor == "postgresql":
            overdue, id_list = "id = ANY(%s)", ids
            data = "json_build_object('level', 1, 'deadline_version', deadline_version)"
        else:
            overdue, id_list = "id IN (SELECT value FROM json_each(%s))", dumps(ids)
            data = "json_object('level', 1, 'deadline_version', deadline_version)"
        moment = connection.ops.adapt_datetimefield_value(now)
        insert = (
            f"INSERT INTO {event} (problem_id, actor_id, created_at, kind, from_status, "
            f"to_status, text, is_public, data, dedupe_key) "
            f"SELECT id, NULL, %s, 'escalated', '', '', '', false, {data}, "
            f"'escalate1:' || deadline_version FROM {problem} WHERE {overdue} "
            f"ORDER BY due_at, id"
        )
        update = (
            f"UPDATE {problem} SET escalation_level = 1, escalated_at = %s, updated_at = %s, "
            f"escalate_again_at = %s, warned_at = COALESCE(warned_at, %s) WHERE {overdue}"
        )
        changed = []

        def floor():
            savepoint = transaction.savepoint()
            with connection.cursor() as cursor:
                cursor.execute(insert, [moment, id_list])
                cursor.execute(
                    update,
                    [
                        moment,
                        moment,
                        connection.ops.adapt_datetimefield_value(again_at),
                        moment,
                        id_list,
                    ],
                )
                changed.append(cursor.rowcount)
            transaction.savepoint_rollback(savepoint)

        times, queries = time_calls(floor, repeats, counts=lambda sql: "SAVEPOINT" not in sql)
        assert changed == [len(ids)] * repeats, (changed, len(ids))
        return self.report.row("floor: bare UPDATE + INSERT", n, times, queries)

    def ratio(self, swept: dict, floor: dict, fewer: dict, due: int) -> None:
        ratio = swept["median_ms"] / floor["median_ms"] if floor["median_ms"] else 0.0
        same = swept["queries"] == fewer["queries"]
        if self.report.as_json:
            self.stdout.write(
                dumps(
                    {
                        "bench": "deadlines",
                        "case": "sweep / floor",
                        "n": due,
                        "sweep_ms": swept["median_ms"],
                        "floor_ms": floor["median_ms"],
                        "ratio": round(ratio, 2),
                        "queries": swept["queries"],
                        "queries_constant": same,
                    }
                )
            )
        else:
            self.stdout.write(
                f"sweep / floor at {due:,} escalations: {swept['median_ms']:.1f} ms / "
                f"{floor['median_ms']:.1f} ms = {ratio:.2f}x; queries {swept['queries']} "
                f"(and {fewer['queries']} for a tenth: "
                f"{'the same' if same else 'NOT the same'})"
            )

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
