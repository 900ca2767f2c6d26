"""A local stand-in for Fast's seller API: records every call and checks it against Fast's schemas.

It serves the three seller-to-fast calls (refund, cancel, business_event)
on a local port, checks ``X-Fast-App``/``X-Fast-App-Auth`` against the tokens
it was given, validates each body strictly against
``seller_to_fast_schemas.json`` (400 with the problems when it breaks them),
and behaves the way Fast documents ``external_refund_id``: a second refund
with the same id changes nothing (it is recorded as a duplicate). ``script``
queues answers (e.g. 503 with ``Retry-After``) for the next calls, and
``hold`` makes the next call wait (a worker can be killed mid-delivery).

    python -m simulator.fast_standin --port 8765 --token APP_ID=TOKEN
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from simulator import seller_schemas

_ROUTES = [
    (re.compile(r"^/v1/external/orders/([^/]+)/refund$"), "refund", "v1RefundOrderRequest"),
    (re.compile(r"^/v1/external/orders/([^/]+)/business_event$"), "business_event", "v1BusinessEventRequest"),
    (re.compile(r"^/v1/external/orders/([^/]+)$"), "cancel", "v1CancelOrderRequest"),
]


@dataclass
class Call:
    kind: str
    order_id: str
    body: Any
    app_id: str | None
    status: int
    at: float
    problems: list[str] = field(default_factory=list)
    duplicate: bool = False


class FastStandIn:
    def __init__(self, tokens: dict[str, str] | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.tokens = dict(tokens or {})
        self.calls: list[Call] = []
        self.refund_ids: set[tuple[str, str]] = set()
        self.answers: deque[tuple[int, dict[str, str]]] = deque()
        self.held = threading.Event()
        self.hold_next = False
        self.down_until = 0.0
        self.outage_retry_after = 5
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer((host, port), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, status: int, headers: dict[str, str] | None = None, times: int = 1) -> None:
        """Answer the next ``times`` calls with ``status`` (before any other check)."""
        for _ in range(times):
            self.answers.append((status, headers or {}))

    def outage(self, seconds: float, retry_after: int = 5) -> None:
        """Answer every call 503 (``Retry-After``) for ``seconds``: Fast is down."""
        self.down_until = time.monotonic() + seconds
        self.outage_retry_after = retry_after

    def hold(self) -> None:
        """Make the next call hang (until ``close``): it reached Fast, the answer never comes back."""
        self.hold_next = True

    def accepted(self, kind: str | None = None) -> list[Call]:
        """Calls Fast acted on: 200, valid, not a duplicate refund."""
        return [c for c in self.calls if c.status == 200 and not c.duplicate and (kind is None or c.kind == kind)]

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.calls) >= count:
                return True
            time.sleep(0.01)
        return False

    def close(self) -> None:
        self.held.set()
        self.server.shutdown()
        self.server.server_close()

    def handle(self, path: str, headers: Any, raw: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
        route = next(((m, kind, schema) for rx, kind, schema in _ROUTES if (m := rx.match(path))), None)
        if route is None:
            return 404, {}, {"code": 5, "message": "no such route"}
        match, kind, schema = route
        app_id = headers.get("X-Fast-App")
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        call = Call(kind, match.group(1), body, app_id, 200, time.time())
        with self.lock:
            self.calls.append(call)
            scripted = self.answers.popleft() if self.answers else None
            hold, self.hold_next = self.hold_next, False
        if hold:
            call.status = 0
            self.held.wait()
            return 504, {}, {"code": 4, "message": "held"}
        if scripted is None and time.monotonic() < self.down_until:
            scripted = (503, {"Retry-After": str(self.outage_retry_after)})
        if scripted is not None:
            call.status = scripted[0]
            return scripted[0], scripted[1], {"code": 14, "message": f"scripted {scripted[0]}"}
        if self.tokens and self.tokens.get(app_id or "") != headers.get("X-Fast-App-Auth"):
            call.status = 401
            return 401, {}, {"code": 16, "message": "unauthenticated"}
        call.problems = seller_schemas.problems(schema, body)
        if (body or {}).get("order_id", {}).get("value") != call.order_id:
            call.problems.append("order_id in the body differs from the path")
        if call.problems:
            call.status = 400
            return 400, {}, {"code": 3, "message": "; ".join(call.problems)[:500]}
        if kind == "refund":
            key = (call.order_id, str(body.get("external_refund_id")))
            with self.lock:
                call.duplicate = key in self.refund_ids
                self.refund_ids.add(key)
        return 200, {}, {}


def _handler(standin: FastStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, headers, body = standin.handle(self.path, self.headers, raw)
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", action="append", default=[], help="APP_ID=TOKEN (repeatable)")
    args = parser.parse_args()
    tokens = dict(t.split("=", 1) for t in args.token)
    standin = FastStandIn(tokens, port=args.port)
    print(f"Fast seller API stand-in on {standin.url}", flush=True)
    try:
        while True:
            time.sleep(5)
            print(json.dumps({"calls": len(standin.calls), "accepted": len(standin.accepted())}), flush=True)
    except KeyboardInterrupt:
        standin.close()


if __name__ == "__main__":
    main()
