"""Fault injection: each test runs its own Redis, SMTP server, Celery workers and beat.

The services are processes (and a thread) of the test's own, on ports of their own
(Redis 6390–6399, SMTP 2525–2535, shared out between pytest-xdist's workers), so that
a test may kill and restart them without touching the shared Redis or PostgreSQL. The
workers run the project's code against the test database (PostgreSQL: the data is
committed, hence transactional tests) and the test's Redis as broker and cache, with
the outbox's delays shortened through the environment so that each test takes seconds.
"""

from __future__ import annotations

import email
import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from liaison.celery import app
from tests.conftest import ports_of_this_worker, require_service
from tests.issues.conftest import *  # noqa: F403  (the personas and make_problem)

BASE_DIR = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent
# Under pytest-xdist each worker probes only its share of these (tests/conftest.py).
REDIS_PORTS = ports_of_this_worker(range(6390, 6400))
SMTP_PORTS = ports_of_this_worker(range(2525, 2536))
# Short enough for a test to see a lease run out, a retry come due, a requeue run.
FAST_OUTBOX = {
    "LIAISON_OUTBOX_RETRY_DELAYS": "1,1,1,1,1,1,1,1",
    "LIAISON_OUTBOX_LEASE_SECONDS": "4",
    "LIAISON_OUTBOX_REQUEUE_SECONDS": "1",
    "LIAISON_OUTBOX_REQUEUE_AFTER_SECONDS": "2",
    "EMAIL_TIMEOUT": "2",
}


def wait_for(
    condition: Callable[[], object],
    timeout: float,
    what: str,
    interval=0.1,
    details: Callable[[], str] | None = None,
):
    """Poll `condition` until it is true; fail the test after `timeout` seconds.

    `details`, if given, says what the processes were doing (their logs), for a failure
    that cannot be run again at will.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    message = f"not within {timeout} s: {what}"
    if details is not None:
        message += "\n" + details()
    pytest.fail(message)


def _free_port(ports: range) -> int:
    for port in ports:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail(f"no free port in {ports}")


# --- Redis -------------------------------------------------------------------------------


class RedisServer:
    """A redis-server of the test's own, without persistence: a restart starts it empty."""

    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        wait_for(self.answers, 10, f"redis-server on port {self.port} answers")

    def answers(self) -> bool:
        import redis

        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def state(self) -> str:
        """Its clients and the queues' lengths, for a failure's message."""
        import redis

        try:
            client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
            clients = "\n".join(
                f"  {c['addr']} cmd={c['cmd']} age={c['age']} idle={c['idle']}"
                for c in client.client_list()
            )
            queues = {
                key.decode(): client.llen(key) if client.type(key) == b"list" else client.type(key)
                for key in client.keys("*")
            }
        except redis.RedisError as error:
            return f"--- redis-server on port {self.port}: {error!r}"
        return f"--- redis-server on port {self.port}\nclients:\n{clients}\nkeys: {queues}"

    def kill(self) -> None:
        """Redis goes away at once (SIGKILL), as in a crash or a container restart."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def redis_server(tmp_path):
    require_service(
        subprocess.run(["which", "redis-server"], capture_output=True).returncode == 0,
        "redis-server is not installed",
    )
    server = RedisServer(_free_port(REDIS_PORTS), tmp_path / "redis.log")
    server.start()
    yield server
    server.kill()


# --- SMTP --------------------------------------------------------------------------------


@dataclass
class SmtpServer:
    """A small SMTP server in a thread: records what it accepted, or misbehaves.

    mode "ok": accepts everything (after `data_delay` seconds at the end of each message);
    "hang": accepts connections and never says a word; "refuse": 550 for every recipient.
    """

    port: int
    mode: str = "ok"
    data_delay: float = 0.0
    messages: list[email.message.Message] = field(default_factory=list)
    _server: socketserver.ThreadingTCPServer | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def message_ids(self) -> list[str]:
        return [message["Message-ID"] for message in list(self.messages)]

    def start(self) -> None:
        smtp = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = 30

            def handle(self) -> None:
                try:
                    smtp._converse(self.rfile, self.wfile, self.connection)
                except OSError:
                    pass

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _converse(self, rfile, wfile, sock) -> None:
        if self.mode == "hang":
            while self._server is not None and sock.recv(1024):
                pass
            return

        def say(line: str) -> None:
            wfile.write(line.encode() + b"\r\n")
            wfile.flush()

        say("220 liaison-test ESMTP")
        while True:
            line = rfile.readline()
            if not line:
                return
            verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                say("250 liaison-test")
            elif verb == "RCPT" and self.mode == "refuse":
                say("550 5.1.1 no such user")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                say("250 OK")
            elif verb == "DATA":
                say("354 go ahead")
                data = []
                while (chunk := rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                if not chunk:
                    # The sender went away before the final ".": as any mail server does,
                    # keep nothing of it (a worker killed mid-message sends it again).
                    return
                time.sleep(self.data_delay)
                self.messages.append(email.message_from_bytes(b"".join(data)))
                say("250 OK queued")
            elif verb == "QUIT":
                say("221 bye")
                return
            else:
                say("502 not implemented")


@pytest.fixture
def smtp_server():
    server = SmtpServer(_free_port(SMTP_PORTS))
    server.start()
    yield server
    server.stop()


# --- Celery workers and beat ------------------------------------------------------------


def database_url() -> str:
    """The test database, for processes of the test's own (PostgreSQL only)."""
    require_service(
        connection.vendor == "postgresql",
        f"fault injection runs on PostgreSQL; the test database is {connection.vendor}",
    )
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host, port = db["HOST"] or "localhost", db["PORT"] or 5432
    return f"postgres://{db['USER'] or ''}{password}@{host}:{port}/{db['NAME']}"


@dataclass
class Stack:
    """The processes of one test: Celery workers, beats, supervisors."""

    tmp_path: Path
    environment: dict[str, str]
    processes: list[tuple[subprocess.Popen, Path]] = field(default_factory=list)

    def start(self, name: str, *arguments: str, supervised: bool = False) -> subprocess.Popen:
        command = [str(BIN / "celery"), "-A", "liaison", *arguments]
        if supervised:
            command = [sys.executable, "-m", "liaison.supervise", *command]
        log = self.tmp_path / f"{name}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=self.environment,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append((process, log))
        return process

    def worker(self, queues: str, *, concurrency: int = 1, supervised=False, name=None):
        """A worker as in the Procfile (prefork), with a node name of this test's own."""
        name = name or f"{queues.split(',')[0]}-{uuid.uuid4().hex[:8]}"
        process = self.start(
            name,
            "worker",
            "--loglevel=INFO",
            f"--queues={queues}",
            f"--concurrency={concurrency}",
            f"--hostname={name}@%h",
            "--without-gossip",
            "--without-mingle",
            supervised=supervised,
        )
        log = self.tmp_path / f"{name}.log"
        wait_for(lambda: b" ready." in log.read_bytes(), 60, f"worker {name} ready")
        return process, log

    def beat(self, name: str = "beat"):
        log = self.tmp_path / f"{name}.log"
        process = self.start(
            name, "beat", "--loglevel=INFO", f"--schedule={self.tmp_path / name}-schedule"
        )
        return process, log

    def logs(self) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')}" for _, log in self.processes
        )

    def stop_all(self) -> None:
        for process, _ in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process, _ in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            # Children left behind by a killed worker (its pool processes).
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def kill_group(process: subprocess.Popen) -> None:
    """kill -9 a worker and its pool processes, as the OOM killer or a power cut would."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@pytest.fixture
def stack(transactional_db, tmp_path, redis_server, smtp_server):
    """Workers and beat against the test's Redis, SMTP server and database."""
    # The processes' database sessions carry this name (libpq reads PGAPPNAME), so the
    # teardown waits for theirs, not for another session this test process may hold.
    application_name = f"liaison-test-stack-{uuid.uuid4().hex[:12]}"
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "PGAPPNAME": application_name,
        "REDIS_URL": redis_server.url,
        "EMAIL_URL": smtp_server.url,
        "LIAISON_VAR_DIR": str(tmp_path / "var"),
        "LIAISON_SITE_URL": "https://liaison.example.gov.cn",
        **FAST_OUTBOX,
    }
    for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        environment.pop(name, None)
    processes = Stack(tmp_path, environment)
    yield processes
    processes.stop_all()
    # The database's teardown needs the processes' sessions gone, not merely ending.
    wait_for(
        lambda: _sessions_of(application_name) == 0, 10, "the processes' database sessions closed"
    )


def _sessions_of(application_name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [application_name],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def this_process_uses(settings, redis_server):
    """This test process (its pages, its queueing after commit) uses the test's Redis too,
    as cache and as broker."""
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    previous = app.conf.broker_write_url
    app.conf.broker_write_url = redis_server.url
    yield redis_server
    app.conf.broker_write_url = previous
