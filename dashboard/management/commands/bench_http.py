"""Benchmark throughput over HTTP: gunicorn with 2 workers as production runs it, wrk
against the list page, the dashboard, the problem page, the login page and an
enterprise's submit form, each for a while, with a signed-in session.

    python manage.py bench_http --problems 100000 [--seconds 20] [--connections 4]
        [--threads 2] [--workers 2] [--port 8101] [--cases list,dashboard,...]
        [--keep] [--reuse] [--broker isolated|configured] [--json]

A server in another process cannot see an uncommitted transaction, so the data lives in
a database of its own, made for the run and dropped at the end: `<database>_bench_http`
on PostgreSQL (created on the same server), var/bench-http/bench.sqlite3 on SQLite.
`--keep` leaves it (and the collected static files) in place; a later `--reuse` then
skips building. The server runs the production settings (DEBUG off, collected static
files, JSON logs) over plain HTTP on 127.0.0.1; its log is var/bench-http/gunicorn.log.
Its Celery tasks (the submit's notifications) go to a file-system broker under
var/bench-http unless `--broker configured`: a worker of the real site must not be handed
messages of the benchmark's database.

Each case is warmed up for a few seconds, then measured; every answer must have the
expected status (200; 302 for the submit, to the new problem's page). For the submit the
problems in the database are counted before and after and compared with the POSTs the
server logged: exactly one problem a request. Prints one row a case (`--json`: one JSON
object a line) with requests a second, p50/p90/p99/max latency, errors, answers with
another status, the CPU time a request cost the gunicorn workers and the PostgreSQL
processes serving them (from /proc: what requests a second would be on an idle machine,
which the load average of a shared one hides), the load average, and the ratio to issue
18's target.
"""

from __future__ import annotations

import json as json_module
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from dashboard.summary import dashboard_refresh
from issues.management.commands.bench_pages import Command as PagesBench
from issues.models import Category, Problem, Status
from liaison.bench import _pass_two_factor
from liaison.bench_http import (
    Case,
    GunicornServer,
    children_of,
    cpu_seconds,
    load_average,
    logged_requests,
    run_wrk,
)

User = get_user_model()

# Issue 18, target 5: requests a second with 2 workers, wrk -t2 -c4 -d20s.
TARGETS = {"login": 400, "list": 100, "dashboard": 100, "problem": 100, "submit": 100}
CASES = ("login", "list", "dashboard", "problem", "submit")
SUBMIT_PATH = "/problems/new/"


class Command(BaseCommand):
    help = "Requests a second through gunicorn and wrk with N problems (own database, dropped)."

    def add_arguments(self, parser):
        parser.add_argument("--problems", type=int, default=100_000)
        parser.add_argument("--seconds", type=int, default=20)
        parser.add_argument("--warmup", type=int, default=3, help="seconds before each case")
        parser.add_argument("--connections", type=int, default=4)
        parser.add_argument("--threads", type=int, default=2)
        parser.add_argument("--workers", type=int, default=2, help="gunicorn's WEB_CONCURRENCY")
        parser.add_argument("--port", type=int, default=8101)
        parser.add_argument("--cases", default=",".join(CASES), help="comma-separated")
        parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
        parser.add_argument("--reuse", action="store_true", help="reuse a kept database")
        parser.add_argument("--broker", choices=("isolated", "configured"), default="isolated")
        parser.add_argument("--json", action="store_true", help="one JSON object per line")
        parser.add_argument(
            "--profile",
            metavar="DIR",
            help="record each case's workers with py-spy into DIR/<case>.txt (collapsed stacks)",
        )

    def handle(self, *args, **options):
        if shutil.which("wrk") is None:
            raise CommandError("wrk is not installed (apt-get install wrk).")
        cases = [name.strip() for name in options["cases"].split(",") if name.strip()]
        unknown = sorted(set(cases) - set(CASES))
        if unknown:
            raise CommandError(f"Unknown cases: {', '.join(unknown)}; known: {', '.join(CASES)}")
        self.options = options
        self.workdir = Path(settings.VAR_DIR) / "bench-http"
        self.workdir.mkdir(parents=True, exist_ok=True)
        database = connection.settings_dict
        self.original_name = database["NAME"]
        self.vendor = connection.vendor
        self.bench_name = (
            f"{self.original_name}_bench_http"
            if self.vendor == "postgresql"
            else str(self.workdir / "bench.sqlite3")
        )
        server = None
        try:
            started = time.monotonic()
            built = self.prepare_database(options["problems"], reuse=options["reuse"])
            context = self.context()
            server_env = self.server_env()
            self.collect_static(server_env, reuse=options["reuse"])
            self.say(
                f"{'Built' if built else 'Reused'} {options['problems']:,} problems on "
                f"{self.vendor} in {time.monotonic() - started:.1f} s; gunicorn with "
                f"{options['workers']} workers on port {options['port']}; wrk "
                f"-t{options['threads']} -c{options['connections']} -d{options['seconds']}s."
            )
            server = GunicornServer(
                port=options["port"], env=server_env, log_path=self.workdir / "gunicorn.log"
            )
            (self.workdir / "gunicorn.log").unlink(missing_ok=True)
            server.start()
            if not options["json"]:
                self.stdout.write(
                    f"{'case':<12}{'req/s':>9}{'target':>8}{'ratio':>7}{'p50 ms':>9}"
                    f"{'p99 ms':>9}{'max ms':>9}{'requests':>10}{'errors':>8}{'other':>7}"
                    f"{'cpu ms':>8}{'db ms':>7}{'load':>7}"
                )
            for name in cases:
                self.run_case(name, context, server)
        finally:
            if server is not None:
                server.stop()
            self.restore_database(drop=not options["keep"])

    def say(self, text: str) -> None:
        if not self.options["json"]:
            self.stdout.write(text)

    # --- the database of the run --------------------------------------------------------

    def _use(self, name: str) -> None:
        connection.close()
        connection.settings_dict["NAME"] = name

    def _exists(self) -> bool:
        if self.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.bench_name])
                return cursor.fetchone() is not None
        return Path(self.bench_name).exists()

    def _drop(self) -> None:
        if self.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DROP DATABASE IF EXISTS {connection.ops.quote_name(self.bench_name)}"
                    " WITH (FORCE)"
                )
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(self.bench_name + suffix).unlink(missing_ok=True)

    def prepare_database(self, problems: int, *, reuse: bool) -> bool:
        """Switch this process's connection to the run's database, built (True) or kept
        from a run with --keep (False)."""
        if self.vendor not in ("postgresql", "sqlite"):
            raise CommandError(f"bench_http runs on PostgreSQL or SQLite, not {self.vendor}.")
        if reuse and self._exists():
            self._use(self.bench_name)
            if Problem.objects.count() >= problems and self._users_exist():
                dashboard_refresh()  # as the beat does every minute
                return False
            self._use(self.original_name)
        self._drop()
        if self.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(self.bench_name)}")
        self._use(self.bench_name)
        call_command("migrate", interactive=False, verbosity=0)
        call_command("load_calendar", stdout=open(os.devnull, "w"))  # noqa: SIM115
        PagesBench().build(problems)
        if self.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        # What the beat keeps fresh every minute: the dashboard reads its summary.
        dashboard_refresh(full=True)
        return True

    def _users_exist(self) -> bool:
        names = {"bench-office", "bench-enterprise"}
        return User.objects.filter(username__in=names).count() == len(names)

    def restore_database(self, *, drop: bool) -> None:
        self._use(self.original_name)
        if drop:
            self._drop()
            shutil.rmtree(self.workdir / "static", ignore_errors=True)
            shutil.rmtree(self.workdir / "var", ignore_errors=True)

    # --- sessions, the server -----------------------------------------------------------

    def _session_cookie(self, user, csrf_secret: str) -> str:
        """A signed-in session as the login makes it (officials: the second step passed)."""
        client = Client()
        client.force_login(user)
        _pass_two_factor(client, user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        return (
            f"{settings.SESSION_COOKIE_NAME}={session}; "
            f"{settings.CSRF_COOKIE_NAME}={csrf_secret}; "
            f"{settings.LANGUAGE_COOKIE_NAME}=zh-hans"
        )

    def context(self) -> dict:
        office = User.objects.get(username="bench-office")
        owner = User.objects.select_related("profile").get(username="bench-enterprise")
        csrf_secret = _get_new_csrf_string()
        sample = (
            Problem.objects.filter(status=Status.IN_PROGRESS, events__kind="progress")
            .order_by("pk")
            .values_list("reference", flat=True)
            .first()
        )
        category = Category.objects.filter(is_active=True).order_by("pk").first()
        return {
            "office_cookie": self._session_cookie(office, csrf_secret),
            "owner_cookie": self._session_cookie(owner, csrf_secret),
            "csrf_secret": csrf_secret,
            "sample": sample,
            "category": category.pk,
        }

    def _database_url(self) -> str:
        database = connection.settings_dict
        if self.vendor == "sqlite":
            return f"sqlite:///{self.bench_name}"
        credentials = quote(database["USER"] or "", safe="")
        if database.get("PASSWORD"):
            credentials += ":" + quote(database["PASSWORD"], safe="")
        host = database.get("HOST") or "localhost"
        port = f":{database['PORT']}" if database.get("PORT") else ""
        return f"postgres://{credentials}@{host}{port}/{quote(self.bench_name, safe='')}"

    def server_env(self) -> dict:
        """Production's settings (DEBUG off, manifest static files, JSON logs) over plain
        HTTP on localhost; the session's secret key; the run's own database and files."""
        var_dir = self.workdir / "var"
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("LIAISON_LOCAL_RUN", "DEBUG", "DJANGO_SETTINGS_MODULE")
        }
        env.update(
            DEBUG="0",
            SECRET_KEY=settings.SECRET_KEY,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="0",
            DATABASE_URL=self._database_url(),
            STATIC_ROOT=str(self.workdir / "static"),
            LIAISON_VAR_DIR=str(var_dir),
            LIAISON_LOG_FORMAT="json",
            WEB_CONCURRENCY=str(self.options["workers"]),
            PORT=str(self.options["port"]),
            PYTHONUNBUFFERED="1",
        )
        if self.options["broker"] == "isolated":
            env["CELERY_BROKER_URL"] = "filesystem://"
            env["CELERY_RESULT_BACKEND"] = f"file://{var_dir / 'celery-results'}"
            for folder in ("celery-broker/out", "celery-broker/control", "celery-results"):
                (var_dir / folder).mkdir(parents=True, exist_ok=True)
        return env

    def collect_static(self, env: dict, *, reuse: bool) -> None:
        if reuse and (self.workdir / "static" / "staticfiles.json").exists():
            return
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=settings.BASE_DIR,
            env=env,
            check=True,
        )

    # --- the cases ----------------------------------------------------------------------

    def case(self, name: str, c: dict) -> Case:
        if name == "login":
            return Case(name, "/accounts/login/")
        if name == "list":
            return Case(name, "/problems/", cookie=c["office_cookie"])
        if name == "dashboard":
            return Case(name, "/dashboard/", cookie=c["office_cookie"])
        if name == "problem":
            return Case(name, f"/problems/{c['sample']}/", cookie=c["office_cookie"])
        body = urlencode(
            {
                "category": c["category"],
                "description": "基准测试：用电增容审批进度，企业希望尽快接电投产。",
                "appeal_type": "",
            }
        )
        return Case(
            name,
            SUBMIT_PATH,
            expect=302,
            cookie=c["owner_cookie"],
            method="POST",
            body=body,
            csrf_secret=c["csrf_secret"],
        )

    def database_backends(self) -> list[int]:
        """The PostgreSQL server processes of the workers' connections (kept between
        requests: CONN_MAX_AGE), when the server runs on this machine."""
        if self.vendor != "postgresql":
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.bench_name],
            )
            return [pid for (pid,) in cursor.fetchall()]

    def start_profiler(self, name: str, server: GunicornServer) -> subprocess.Popen:
        """py-spy (requirements-dev.txt) sampling the workers while wrk runs."""
        folder = Path(self.options["profile"])
        folder.mkdir(parents=True, exist_ok=True)
        return subprocess.Popen(
            [
                shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy")),
                "record",
                "--pid",
                str(server.process.pid),
                "--subprocesses",
                "--nonblocking",
                "--format",
                "raw",
                "--rate",
                "250",
                "--duration",
                str(self.options["seconds"]),
                "--output",
                str(folder / f"{name}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def run_case(self, name: str, context: dict, server: GunicornServer) -> None:
        options = self.options
        case = self.case(name, context)
        wrk = {
            "url": server.url,
            "threads": options["threads"],
            "connections": options["connections"],
            "workdir": self.workdir,
        }
        if options["warmup"]:
            run_wrk(case, seconds=options["warmup"], **wrk)
        if name == "submit":
            time.sleep(1)  # the warm-up's last requests are answered and logged
        load = load_average()
        before = Problem.objects.count() if name == "submit" else None
        logged_before = (
            logged_requests(server.log_path, method="POST", path=SUBMIT_PATH, status=302)
            if name == "submit"
            else None
        )
        workers, backends = children_of(server.process.pid), self.database_backends()
        cpu_before = cpu_seconds(workers), cpu_seconds(backends)
        profiler = self.start_profiler(name, server) if options["profile"] else None
        figures = run_wrk(case, seconds=options["seconds"], **wrk)
        if profiler is not None:
            profiler.wait()
        cpu_after = cpu_seconds(workers), cpu_seconds(backends)
        # CPU time a request cost the workers and the database, whatever else loads the
        # machine (requests a second fall with the load average; this hardly moves).
        for key, before_s, after_s in zip(
            ("server_cpu_ms", "db_cpu_ms"), cpu_before, cpu_after, strict=True
        ):
            figures[key] = (
                round((after_s - before_s) * 1000 / figures["requests"], 2)
                if before_s is not None and after_s is not None and figures["requests"]
                else None
            )
        row = {
            "bench": "http",
            "case": name,
            "path": case.path if name != "problem" else "/problems/<reference>/",
            "n": options["problems"],
            **figures,
            "target_rps": TARGETS[name],
            "ratio": round(figures["rps"] / TARGETS[name], 2),
            "load_average": load,
        }
        if name == "submit":
            time.sleep(1)  # the requests wrk left in flight at its end are answered
            row["problems_created"] = Problem.objects.count() - before
            row["posts_logged"] = (
                logged_requests(server.log_path, method="POST", path=SUBMIT_PATH, status=302)
                - logged_before
            )
            row["one_problem_per_request"] = row["problems_created"] == row["posts_logged"]
        if options["json"]:
            self.stdout.write(json_module.dumps(row, ensure_ascii=False))
        else:
            self.stdout.write(
                f"{name:<12}{row['rps']:>9.1f}{row['target_rps']:>8}{row['ratio']:>7.2f}"
                f"{row['p50_ms']:>9.1f}{row['p99_ms']:>9.1f}{row['max_ms']:>9.1f}"
                f"{row['requests']:>10,}{row['errors']:>8}{row['unexpected_status']:>7}"
                f"{_ms(row['server_cpu_ms']):>8}{_ms(row['db_cpu_ms']):>7}{load:>7.2f}"
            )
            if name == "submit":
                self.stdout.write(
                    f"{'':<12}problems created {row['problems_created']:,}, POSTs the server "
                    f"answered {row['posts_logged']:,}: "
                    + ("one problem a request" if row["one_problem_per_request"] else "MISMATCH")
                )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
