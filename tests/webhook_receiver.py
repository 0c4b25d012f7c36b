"""A webhook receiver for the tests: a real HTTP server on a free loopback port, in a
thread, that checks each delivery's signature as docs/integration.md tells a
company's developer to (`verify_signature`, the same code as the guide's) and keeps
what it received.

    with WebhookReceiver(secret) as receiver:
        receiver.answers = [500, 200]   # the status of each next answer (then 200)
        ... deliver ...
        receiver.deliveries[0].event["type"]
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# --- The guide's snippet (docs/integration.md, "Checking a webhook's signature") -------

TOLERANCE_SECONDS = 5 * 60  # refuse messages signed longer ago (replays)


def verify_signature(secret: str, header: str, body: bytes, now: float | None = None) -> bool:
    """True if `header` (the Lernwerk-Signature header) signs the raw request `body`
    with the endpoint's `secret` ("whsec_…"), within the tolerance."""
    # A forged header may hold anything: parts without "=", non-ASCII characters.
    parts = [part.strip().partition("=")[::2] for part in header.split(",") if "=" in part]
    try:
        timestamp = int(next(value for key, value in parts if key == "t"))
    except (ValueError, StopIteration):
        return False
    if abs((time.time() if now is None else now) - timestamp) > TOLERANCE_SECONDS:
        return False
    signed = str(timestamp).encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest().encode()
    return any(
        key == "v1" and hmac.compare_digest(expected, value.strip().encode())
        for key, value in parts
    )


# --- The receiver ------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """One POST the receiver got."""

    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def event(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.body)
        return document


class WebhookReceiver:
    """The server. `secret`: what it checks signatures with; `clock`: the receiver's
    now (seconds; the tests' clock, as the sender's is); `answers`: the statuses of the
    next answers, 200 once they are used up; `delay`: seconds before each answer."""

    def __init__(self, secret: str = "", clock: float | None = None) -> None:
        self.secret = secret
        self.clock = clock
        self.answers: list[int] = []
        self.answer_body = "ok"
        self.delay = 0.0
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                header = self.headers.get("Lernwerk-Signature", "")
                verified = verify_signature(receiver.secret, header, body, receiver.clock)
                with receiver._lock:
                    receiver.deliveries.append(Delivery(dict(self.headers), body, verified))
                    status = receiver.answers.pop(0) if receiver.answers else 200
                if receiver.delay:
                    time.sleep(receiver.delay)
                if not verified:
                    status = 400
                answer = receiver.answer_body.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain; charset=utf-8")
                    self.send_header("Content-Length", str(len(answer)))
                    if 300 <= status < 400:
                        self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the sender gave up waiting (a timeout test)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/lernwerk"

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
