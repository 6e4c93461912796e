"""Benchmark webhooks: the deadline sweep escalating N problems with 3 subscribed clients
(their deliveries written with the events), and sending to a local receiver.

    python manage.py bench_webhooks --events 10000 [--send 2000] [--repeats 3] [--json]

Builds its own data inside one transaction and rolls it back at the end (as
bench_deadlines, whose problems it reuses: all just overdue), so it can run beside real
data; each timed sweep is undone with a savepoint. The three clients: two for the whole
district (every escalation) and one department's (its twentieth). The receiver is an
HTTP server on 127.0.0.1 in this process that checks each signature; deliveries are sent
one after another, as one worker process does. Use PostgreSQL (DATABASE_URL).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone

from api import services as clients
from api.models import Binding, Scope, WebhookDelivery, WebhookEvent
from api.webhooks import sending
from api.webhooks import services as webhooks
from issues import deadlines, extensions
from issues.management.commands.bench_deadlines import Command as DeadlinesBench
from issues.models import Problem, ProblemEvent
from liaison.bench import Report, Rollback, time_calls, vacuum_rolled_back
from liaison.models import Department, Role

from ...webhooks.fanout import deliveries_for_events


class Command(BaseCommand):
    help = "Time the webhooks' fan-out of N escalations to 3 clients, and sending (rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=10_000)
        parser.add_argument("--send", type=int, default=2_000, help="deliveries to send")
        parser.add_argument("--repeats", type=int, default=3)
        parser.add_argument("--json", action="store_true", help="one JSON object per line")

    def handle(self, *args, events: int, send: int, repeats: int, json: bool, **options):
        self.report = Report(self, "webhooks", as_json=json)
        # time_calls counts each call's queries; Django's own log of all of them is full.
        warnings.filterwarnings("ignore", "Limit for query logging exceeded")
        receiver = _Receiver()
        try:
            with transaction.atomic(), override_settings(LIAISON_WEBHOOKS_ALLOW_HTTP=True):
                started = time.monotonic()
                now = timezone.now()
                # Real problems' due work first (rolled back too): the timed sweeps then
                # escalate the benchmark's problems only.
                deadlines_bench = DeadlinesBench()
                deadlines_bench.settle(now)
                deadlines_bench.build(events, events, now)
                self.subscribe(receiver)
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("ANALYZE issues_problem; ANALYZE auth_user;")
                self.report.header(
                    f"Built {events:,} overdue problems and 3 subscribed clients in "
                    f"{time.monotonic() - started:.1f} s on {connection.vendor}; "
                    f"{repeats} timed runs per case."
                )
                self.measure_sweep("sweep escalating, with webhooks", events, repeats, now)
                extensions.unregister_events_listener(deliveries_for_events)
                try:
                    self.measure_sweep("sweep escalating, no webhooks", events, repeats, now)
                finally:
                    extensions.register_events_listener(deliveries_for_events)
                deadlines.sweep(now)  # once for real, inside the outer transaction
                written = WebhookDelivery.objects.count()
                if not self.report.as_json:
                    self.stdout.write(f"deliveries written for {events:,} escalations: {written:,}")
                self.measure_send(min(send, written), receiver)
                raise Rollback
        except Rollback:
            pass
        finally:
            receiver.stop()
        vacuum_rolled_back(Problem, ProblemEvent, WebhookEvent, WebhookDelivery)

    def subscribe(self, receiver: _Receiver) -> None:
        office = get_user_model().objects.filter(profile__role=Role.OFFICE).first()
        department = Department.objects.filter(name__startswith="基准期限部门").order_by("pk")[0]
        bindings = [
            ("bench-webhooks-bi", Binding.DISTRICT, {}),
            ("bench-webhooks-portal", Binding.DISTRICT, {}),
            ("bench-webhooks-department", Binding.DEPARTMENT, {"department": department}),
        ]
        for name, binding, organisation in bindings:
            client, _key = clients.client_create(
                actor=office,
                name=name,
                contact="bench",
                binding=binding,
                scopes=[Scope.WEBHOOKS],
                **organisation,
            )
            path = f"/{name}"
            subscription = webhooks.subscription_create(
                client=client, url=receiver.url(path), event_types=list(WebhookEvent.values)
            )
            receiver.secrets[path] = subscription.secret

    def measure_sweep(self, case: str, n: int, repeats: int, now) -> None:
        def sweep():
            savepoint = transaction.savepoint()
            result = deadlines.sweep(now)
            transaction.savepoint_rollback(savepoint)
            assert result.escalated == n and not result.failed, result

        times, queries = time_calls(sweep, repeats, counts=lambda sql: "SAVEPOINT" not in sql)
        self.report.row(case, n, times, queries)

    def measure_send(self, n: int, receiver: _Receiver) -> None:
        """Send n deliveries in the worker's batches; one timing per batch."""
        receiver.start()
        ids = [
            str(pk)
            for pk in WebhookDelivery.objects.order_by("subscription_id", "pk").values_list(
                "pk", flat=True
            )[:n]
        ]
        batches = [ids[i : i + sending.BATCH] for i in range(0, len(ids), sending.BATCH)]
        calls = iter(batches)
        started = time.perf_counter()
        times, queries = time_calls(lambda: sending.deliver_batch(next(calls)), len(batches))
        elapsed = time.perf_counter() - started
        delivered = WebhookDelivery.objects.filter(pk__in=ids, state="delivered").count()
        assert delivered == n == receiver.verified, (delivered, n, receiver.verified)
        self.report.row(f"send, {sending.BATCH} a batch (one worker)", n, times, queries)
        if not self.report.as_json:
            self.stdout.write(
                f"sent {n:,} signed deliveries in {elapsed:.1f} s: {n / elapsed:,.0f} a second "
                f"from one worker process, every signature checked by the receiver"
            )


class _Receiver:
    """An HTTP server on 127.0.0.1 that checks each delivery's signature."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}
        self.verified = 0
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                secret = receiver.secrets.get(self.path, "")
                signed = f"{self.headers['X-Liaison-Timestamp']}.".encode() + body
                expected = "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
                ok = hmac.compare_digest(expected, self.headers["X-Liaison-Signature"])
                if ok:
                    with receiver.lock:
                        receiver.verified += 1
                self.send_response(204 if ok else 401)
                self.end_headers()

        return Handler
