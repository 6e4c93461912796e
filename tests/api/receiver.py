"""A webhook receiver for the tests: an HTTP server on 127.0.0.1 in a thread that checks
each delivery's signature and deduplicates by its delivery id, as a real receiver would.

mode "ok" answers 204; "error" answers 500; "slow" answers after `delay` seconds;
`stop()` closes the port (connection refused) and `start()` opens it again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def verify(secret: str, headers, body: bytes, *, tolerance: int = 300) -> bool:
    """The README's check: HMAC-SHA256 over "<timestamp>.<body>", timestamp recent."""
    timestamp = headers.get("X-Liaison-Timestamp", "")
    expected = (
        "v1="
        + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )
    if not hmac.compare_digest(expected, headers.get("X-Liaison-Signature", "")):
        return False
    return timestamp.isdigit() and abs(time.time() - int(timestamp)) <= tolerance


class Receiver:
    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}  # path -> secret
        self.mode = "ok"
        self.delay = 0.0
        self.received: dict[str, dict] = {}  # delivery id -> {"event", "body", "path"}
        self.duplicates: list[str] = []
        self.bad_signatures = 0
        self.requests = 0
        self.lock = threading.Lock()
        self.port = 0
        self._server: ThreadingHTTPServer | None = None

    def url(self, path: str = "/hooks") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.handle(self, body)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def handle(self, request, body: bytes) -> None:
        with self.lock:
            self.requests += 1
        if self.mode == "slow":
            time.sleep(self.delay)
        if self.mode == "error":
            request.send_response(500)
            request.end_headers()
            request.wfile.write(b"internal error " * 200)
            return
        secret = self.secrets.get(request.path, "")
        if not verify(secret, request.headers, body):
            with self.lock:
                self.bad_signatures += 1
            request.send_response(401)
            request.end_headers()
            return
        delivery = request.headers["X-Liaison-Delivery"]
        with self.lock:
            if delivery in self.received:
                self.duplicates.append(delivery)  # acknowledged, not processed twice
            else:
                self.received[delivery] = {
                    "event": request.headers["X-Liaison-Event"],
                    "body": json.loads(body),
                    "path": request.path,
                }
        request.send_response(204)
        request.end_headers()

    def events(self, path: str | None = None) -> list[tuple[str, str]]:
        """(event type, problem reference) of each distinct delivery, sorted."""
        return sorted(
            (item["event"], item["body"]["problem"]["reference"])
            for item in list(self.received.values())
            if path is None or item["path"] == path
        )
