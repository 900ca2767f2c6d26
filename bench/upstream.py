"""The fake shop as a real HTTP upstream for the benchmark: a delay, a request log, a replay.

Served by gunicorn in its own process (one gthread worker: the fake keeps its
state in memory)::

    BENCH_UPSTREAM=woocommerce BENCH_UPSTREAM_DELAY_MS=80 BENCH_UPSTREAM_BASE_URL=http://127.0.0.1:PORT \\
        gunicorn -w 1 -k gthread --threads 128 -b 127.0.0.1:PORT 'bench.upstream:from_env()'

Every request waits ``delay`` (the shop's network and think time, outside any
lock, so concurrent requests overlap like they would at a real shop), then the
fake answers it under one lock (its state is plain dicts). Each request is
recorded with the X-Request-ID the service forwarded, so the benchmark can
count round trips per Fast call, and afterwards send exactly the same
requests straight to the shop (``X-Bench-Replay: <seq>``) to time what the shop
itself takes. Before a replay the shop's state is put back as it was when the
log started, and the shop's id counters are set to what they were for the
original request, so a replayed request meets the same state and does the same
work (the same carts, the same order ids).

Control endpoints, under ``/__bench/``: ``POST reset`` (empty the log, snapshot
the state), ``GET records`` (the log as JSON), ``POST restore`` (back to the
snapshot).
"""

from __future__ import annotations

import copy
import io
import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

JSON = dict[str, Any]
WSGIApp = Callable[[JSON, Callable[..., Any]], Iterable[bytes]]

# Not part of what the service sent: the transport's own headers.
_SKIP_HEADERS = {"HTTP_HOST", "HTTP_CONNECTION", "HTTP_CONTENT_LENGTH", "HTTP_X_BENCH_REPLAY"}


def _counters(shop: Any) -> dict[str, int]:
    """The shop's id counters (next order id, next item id...): pinned when a request is replayed."""
    return {k: v for k, v in vars(shop).items() if k.startswith("next_") and type(v) is int}


class RecordingUpstream:
    """A WSGI app around a fake shop's own WSGI app."""

    def __init__(self, shop: Any, delay_ms: float = 0.0) -> None:
        self.shop = shop
        self.delay = delay_ms / 1000
        self.lock = threading.Lock()
        self.records: list[JSON] = []
        self.snapshot: JSON | None = None

    # --- the shop ----------------------------------------------------------------------

    def __call__(self, environ: JSON, start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/__bench/"):
            return self._control(environ, path.removeprefix("/__bench/"), start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        replay_of = environ.get("HTTP_X_BENCH_REPLAY")
        if self.delay:
            time.sleep(self.delay)
        answer: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            answer[:] = [status, headers]

        inner = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        with self.lock:
            if replay_of is not None:
                vars(self.shop).update(self.records[int(replay_of)]["counters"])
                chunks = list(self.shop.wsgi(inner, capture))
            else:
                record = {
                    "seq": len(self.records),
                    "request_id": environ.get("HTTP_X_REQUEST_ID", ""),
                    "method": environ["REQUEST_METHOD"],
                    "path": path + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else ""),
                    "headers": _request_headers(environ),
                    "body": body.decode(),
                    "counters": _counters(self.shop),
                }
                self.records.append(record)
                chunks = list(self.shop.wsgi(inner, capture))
                record["status"] = int(answer[0].split()[0])
        start_response(*answer)
        return chunks

    # --- control -----------------------------------------------------------------------

    def _control(self, environ: JSON, action: str, start_response: Callable[..., Any]) -> list[bytes]:
        method = environ["REQUEST_METHOD"]
        payload: Any = {"ok": True}
        with self.lock:
            if action == "reset" and method == "POST":
                self.records = []
                self.shop.calls.clear()
                self.snapshot = copy.deepcopy(vars(self.shop))
            elif action == "restore" and method == "POST":
                if self.snapshot is None:
                    return _answer(start_response, "409 Conflict", {"error": "no snapshot: reset first"})
                self.shop.calls.clear()
                vars(self.shop).update(copy.deepcopy(self.snapshot))
            elif action == "records" and method == "GET":
                payload = self.records
            elif action == "health":
                pass
            else:
                return _answer(start_response, "404 Not Found", {"error": "no such control"})
        return _answer(start_response, "200 OK", payload)


def _request_headers(environ: JSON) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").title(): value
        for key, value in environ.items()
        if key.startswith("HTTP_") and key not in _SKIP_HEADERS
    }
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    return headers


def _answer(start_response: Callable[..., Any], status: str, payload: Any) -> list[bytes]:
    data = json.dumps(payload, separators=(",", ":")).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


# --- the shops ---------------------------------------------------------------------------


def woocommerce_shop(base_url: str) -> Any:
    """The tests' standard WooCommerce shop with unlimited stock (thousands of checkouts buy from it)."""
    from tests.fakes.woocommerce import standard_shop

    shop = standard_shop(base_url=base_url, local_environment=True)
    for product in shop.products.values():
        if product.stock:
            product.stock = None
    return shop


SHOPS: dict[str, Callable[[str], Any]] = {"woocommerce": woocommerce_shop}


def from_env() -> RecordingUpstream:
    """gunicorn's entry point: the shop named by BENCH_UPSTREAM, answering after BENCH_UPSTREAM_DELAY_MS."""
    shop = SHOPS[os.environ["BENCH_UPSTREAM"]](os.environ["BENCH_UPSTREAM_BASE_URL"])
    return RecordingUpstream(shop, float(os.environ.get("BENCH_UPSTREAM_DELAY_MS", "0")))
