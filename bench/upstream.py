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
requests straight to the shop (``X-Bench-Replay: <seq>``, each at the moment it
first arrived, relative to the first) to time what the shop itself takes under
the same load. Before a replay the shop's state is put back as it was when the
log started, and the shop's id counters are set to what they were for the
original request, so a replayed request meets the same state and does the same
work (the same carts, the same order ids).

Control endpoints, under ``/__bench/``: ``POST reset`` (empty the log, snapshot
the state), ``GET records`` (the log as JSON), ``POST restore`` (back to the
snapshot), ``GET jwks`` (the benchmark's stand-in for Fast's signing keys, from
``BENCH_JWKS_FILE``: the service verifies every call's token against it).
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import itertools
import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import requests

JSON = dict[str, Any]
WSGIApp = Callable[[JSON, Callable[..., Any]], Iterable[bytes]]

# Not part of what the service sent: the transport's own headers.
_SKIP_HEADERS = {"HTTP_HOST", "HTTP_CONNECTION", "HTTP_CONTENT_LENGTH", "HTTP_X_BENCH_REPLAY"}


_LOCKS = (type(threading.Lock()), type(threading.RLock()))


def _counters(shop: Any) -> dict[str, int]:
    """The shop's id counters (``next_order_id`` ints, ``itertools.count``s): pinned when a request is replayed."""
    out = {}
    for name, value in vars(shop).items():
        if name.startswith("next_") and type(value) is int:
            out[name] = value
        elif isinstance(value, itertools.count):
            out[name] = next(copy.copy(value))  # the next id, without taking it
    return out


def _pin(shop: Any, counters: dict[str, int]) -> None:
    for name, value in counters.items():
        setattr(shop, name, itertools.count(value) if isinstance(getattr(shop, name), itertools.count) else value)


def _state(shop: Any) -> dict[str, Any]:
    """A deep copy of the shop's state (its locks are not state)."""
    return {k: copy.deepcopy(v) for k, v in vars(shop).items() if not isinstance(v, _LOCKS)}


class RecordingUpstream:
    """A WSGI app around a fake shop's own WSGI app."""

    def __init__(self, shop: Any, app: WSGIApp, delay_ms: float = 0.0, jwks: bytes | None = None) -> None:
        self.shop = shop
        self.app = app
        self.jwks = jwks
        self.delay = delay_ms / 1000
        self.lock = threading.Lock()
        self.records: list[JSON] = []
        self.answers: list[bytes] = []  # the body of each recorded request's answer
        self.replayed: dict[int, bytes] = {}  # the same, for each replayed request
        self.snapshot: JSON | None = None

    # --- the shop ----------------------------------------------------------------------

    def __call__(self, environ: JSON, start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/__bench/"):
            return self._control(environ, path.removeprefix("/__bench/"), start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        replay_of = environ.get("HTTP_X_BENCH_REPLAY")
        arrived = time.monotonic()
        if self.delay:
            time.sleep(self.delay)
        answer: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            answer[:] = [status, headers]

        inner = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        with self.lock:
            if replay_of is not None:
                _pin(self.shop, self.records[int(replay_of)]["counters"])
                chunks = list(self.app(inner, capture))
                self.replayed[int(replay_of)] = b"".join(chunks)
            else:
                record = {
                    "seq": len(self.records),
                    "at": arrived,
                    "request_id": environ.get("HTTP_X_REQUEST_ID", ""),
                    "method": environ["REQUEST_METHOD"],
                    "path": path + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else ""),
                    "headers": _request_headers(environ),
                    "body": body.decode(),
                    "counters": _counters(self.shop),
                }
                self.records.append(record)
                chunks = list(self.app(inner, capture))
                record["status"] = int(answer[0].split()[0])
                self.answers.append(b"".join(chunks))
        start_response(*answer)
        return chunks

    # --- control -----------------------------------------------------------------------

    def _control(self, environ: JSON, action: str, start_response: Callable[..., Any]) -> list[bytes]:
        method = environ["REQUEST_METHOD"]
        payload: Any = {"ok": True}
        if action == "jwks" and self.jwks is not None:
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(self.jwks)))])
            return [self.jwks]
        with self.lock:
            if action == "reset" and method == "POST":
                self.records, self.answers, self.replayed = [], [], {}
                self._forget_calls()
                self.snapshot = _state(self.shop)
            elif action == "restore" and method == "POST":
                if self.snapshot is None:
                    return _answer(start_response, "409 Conflict", {"error": "no snapshot: reset first"})
                vars(self.shop).update(copy.deepcopy(self.snapshot))
            elif action == "records" and method == "GET":
                payload = self.records
            elif action == "compare" and method == "GET":
                payload = self._compare()
            elif action == "health":
                pass
            else:
                return _answer(start_response, "404 Not Found", {"error": "no such control"})
        return _answer(start_response, "200 OK", payload)

    def _compare(self) -> JSON:
        """Did each replayed request get an answer of the same shape (the same keys, the same errors)?

        Values differ (timestamps, order keys); a missing cart, a refused
        coupon or a GraphQL error changes the keys.
        """
        different = [
            seq
            for seq, body in self.replayed.items()
            if _shape(body) != _shape(self.answers[seq]) or self.records[seq]["status"] is None
        ]
        return {"replayed": len(self.replayed), "different": len(different), "examples": different[:5]}

    def _forget_calls(self) -> None:
        """The fakes' own call logs (for tests) would grow with every request of the run."""
        for name in ("calls", "requests"):
            if isinstance(getattr(self.shop, name, None), list):
                getattr(self.shop, name).clear()


def _shape(body: bytes) -> Any:
    """The keys of a JSON answer, nested, without values (lists by their items' shapes)."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return tuple(sorted((k, walk(v)) for k, v in value.items()))
        if isinstance(value, list):
            return ("list", *sorted({repr(walk(v)) for v in value}))
        return None

    try:
        return walk(json.loads(body))
    except ValueError:
        return ("not json", len(body))


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


def woocommerce_shop(base_url: str) -> tuple[Any, WSGIApp]:
    """The tests' standard WooCommerce shop with unlimited stock (thousands of checkouts buy from it)."""
    from tests.fakes.woocommerce import standard_shop

    shop = standard_shop(base_url=base_url, local_environment=True)
    for product in shop.products.values():
        if product.stock:
            product.stock = None
    return shop, shop.wsgi


SHOPIFY_TOKEN = "shpat_bench_0000000000000000000000000000"


def shopify_shop(base_url: str = "http://127.0.0.1") -> Any:
    """The Shopify tests' shop (tests/adapters/shopify/shop.py) with unlimited stock, on the real clock."""
    from tests.fakes.shopify import FakeShopify

    shop = FakeShopify(token=SHOPIFY_TOKEN, now=lambda: dt.datetime.now(dt.UTC))
    shop.uuids = itertools.count(1)  # an attribute, so a replay can pin it like the id counters
    shop.new_uuid = lambda: f"9f3c2a10-5d4e-4b8a-9c1d-{next(shop.uuids):012d}"
    shop.url = f"{base_url.rstrip('/')}/admin/api/2025-01/graphql.json"
    shop.tee = shop.add_product(
        "Tee",
        [
            {"options": [("Size", "M"), ("Color", "Black")], "price": "25.00", "sku": "TEE-M-BLK"},
            {"options": [("Size", "L"), ("Color", "Black")], "price": "25.00", "sku": "TEE-L-BLK"},
        ],
        image_url="https://cdn.shopify.com/s/files/1/tee.png",
    )
    shop.mug = shop.add_product("Mug", [{"price": "12.50", "sku": "MUG"}])
    shop.add_rate("Standard", "5.99", {"US"}, free_over="150.00")
    shop.add_rate("Express", "14.99", {"US"})
    shop.set_tax("US", "NY", "NY State Tax", "0.08875", shipping=True)
    shop.add_code("SAVE10", "percent", "10", title="10% off every item")
    return shop


def _shopify(base_url: str) -> tuple[Any, WSGIApp]:
    from tests.fakes.shopify import admin_schema

    shop = shopify_shop(base_url)
    admin_schema()  # parse the 3 MB schema now, not in the first request

    def app(environ: JSON, start_response: Callable[..., Any]) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        url = f"{base_url.rstrip('/')}{environ.get('PATH_INFO', '')}"
        if environ["REQUEST_METHOD"] != "POST" or url != shop.url:
            return _answer(start_response, "404 Not Found", {"errors": "Not Found"})
        request = requests.Request("POST", url, headers=_request_headers(environ), data=body).prepare()
        try:
            status, headers, text = shop.handle(request)
        except requests.RequestException:
            return _answer(start_response, "504 Gateway Timeout", {"errors": "timeout"})
        data = text.encode() if isinstance(text, str) else text
        start_response(f"{status} X", [("Content-Type", "application/json"), *headers.items()])
        return [data]

    return shop, app


SHOPS: dict[str, Callable[[str], tuple[Any, WSGIApp]]] = {"woocommerce": woocommerce_shop, "shopify": _shopify}


def from_env() -> RecordingUpstream:
    """gunicorn's entry point: the shop named by BENCH_UPSTREAM, answering after BENCH_UPSTREAM_DELAY_MS."""
    shop, app = SHOPS[os.environ["BENCH_UPSTREAM"]](os.environ["BENCH_UPSTREAM_BASE_URL"])
    jwks = os.environ.get("BENCH_JWKS_FILE")
    return RecordingUpstream(
        shop, app, float(os.environ.get("BENCH_UPSTREAM_DELAY_MS", "0")), Path(jwks).read_bytes() if jwks else None
    )
