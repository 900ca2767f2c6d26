"""After-checkout events played end to end on this machine: shop webhook → service → worker → Fast.

``flask fast simulate-events`` starts a local deployment (gunicorn and the
``events work`` worker, as the Procfile runs them), a local stand-in for
Fast's seller API (simulator/fast_standin.py: records and schema-checks every
call) and a small WooCommerce REST v3 shop serving the orders and refunds the
worker reads. Each scenario does what a merchant does in the admin, sends the
webhook WooCommerce would (signed ``order.updated``, REST v3 order payload)
and checks what reached Fast:

refund → a Fast refund with the exact amounts · cancel → a Fast cancel ·
completed → a Fast fulfilment event · the same webhook twice → one call ·
Fast down for a while → delivered once after it is back.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from simulator.fast_standin import Call, FastStandIn
from simulator.local import PROJECT_ROOT, LocalServer, local_server

APP_ID = "sim-woo"
NAME = "simwoo"
# Fresh for every run: nothing here is a credential of any real shop or of Fast.
SECRET = secrets.token_urlsafe(24)
TOKEN = secrets.token_urlsafe(24)
LINES = [{"id": "fast-line-1", "item": 11, "variation": False, "qty": 2, "product": "11"}]


class ShopStandIn:
    """The two REST v3 reads the worker makes (order, refund), in WooCommerce's shapes (docs/webhooks.md)."""

    def __init__(self) -> None:
        self.orders: dict[int, dict[str, Any]] = {}
        self.refunds: dict[tuple[int, int], dict[str, Any]] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def order(self, order_id: int, fast_id: str, status: str = "processing") -> dict[str, Any]:
        order = {
            "id": order_id,
            "status": status,
            "currency": "USD",
            "total": "25.80",
            "line_items": [{"id": 1, "product_id": 11, "variation_id": 0, "quantity": 2, "total": "20.00"}],
            "meta_data": [
                {"key": "_fast_order_id", "value": fast_id},
                {"key": "_fast_lines", "value": json.dumps(LINES)},
            ],
            "refunds": [],
        }
        self.orders[order_id] = order
        return order

    def refund(self, order_id: int, refund_id: int) -> dict[str, Any]:
        """One of two items refunded (10.00 + 0.80 tax) and the shipping (5.00): 15.80 back."""
        refund = {
            "id": refund_id,
            "amount": "15.80",
            "reason": "damaged in transit",
            "line_items": [
                {"id": 7, "product_id": 11, "variation_id": 0, "quantity": -1, "total": "-10.00", "total_tax": "-0.80"}
            ],
            "shipping_lines": [{"id": 8, "total": "-5.00", "total_tax": "0.00"}],
        }
        self.refunds[(order_id, refund_id)] = refund
        self.orders[order_id]["refunds"].insert(0, {"id": refund_id, "reason": refund["reason"], "total": "-15.80"})
        return self.orders[order_id]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                found: Any = None
                if m := re.fullmatch(r"/wp-json/wc/v3/orders/(\d+)/refunds/(\d+)", self.path.split("?")[0]):
                    found = shop.refunds.get((int(m[1]), int(m[2])))
                elif m := re.fullmatch(r"/wp-json/wc/v3/orders/(\d+)", self.path.split("?")[0]):
                    found = shop.orders.get(int(m[1]))
                elif self.path.startswith("/wp-json/wc/v3/orders"):
                    found = []  # the reconciliation's list: the webhooks bring everything here
                data = json.dumps(found if found is not None else {"code": "woocommerce_rest_invalid_id"}).encode()
                self.send_response(200 if found is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler


@dataclass
class Deployment:
    server: LocalServer
    fast: FastStandIn
    shop: ShopStandIn
    http: requests.Session

    def post(self, order: dict[str, Any]) -> requests.Response:
        """The webhook WooCommerce sends for ``order.updated``, signed with the webhook's secret."""
        raw = json.dumps(order).encode()
        signature = base64.b64encode(hmac.new(SECRET.encode(), raw, hashlib.sha256).digest()).decode()
        headers = {
            "Content-Type": "application/json",
            "X-WC-Webhook-Topic": "order.updated",
            "X-WC-Webhook-Signature": signature,
        }
        return self.http.post(f"{self.server.url}/webhooks/woocommerce/{APP_ID}", data=raw, headers=headers, timeout=10)

    def wait(self, test: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if test():
                return True
            time.sleep(0.05)
        return test()

    def calls_for(self, fast_id: str) -> list[Call]:
        return [c for c in self.fast.calls if c.order_id == fast_id]


def _stores(shop_url: str) -> str:
    return (
        f'[stores."{APP_ID}"]\nname = "{NAME}"\nadapter = "woocommerce"\nbase_url = "{shop_url}"\n'
        'payment_method = "cheque"\nauth = "application_password"\nusername = "simulator"\n'
    )


@contextlib.contextmanager
def deployment(workers: int = 2, worker_threads: int = 4, redis_url: str | None = None) -> Iterator[Deployment]:
    """gunicorn + the events worker + Fast's and the shop's stand-ins, all on 127.0.0.1 (queue on SQLite or Redis)."""
    fast = FastStandIn({APP_ID: TOKEN})
    shop = ShopStandIn()
    env = {
        f"FAST_STORE_{NAME.upper()}_APPLICATION_PASSWORD": "simulated app password",
        f"FAST_STORE_{NAME.upper()}_WEBHOOK_SECRET": SECRET,
        f"FAST_STORE_{NAME.upper()}_FAST_API_TOKEN": TOKEN,
        "FAST_API_URL": fast.url,
        "FAST_ALLOW_HTTP_UPSTREAM": "1",
        "FAST_EVENTS_BACKOFF_BASE": "0.5",
        "FAST_EVENTS_BACKOFF_CAP": "5",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    worker = None
    try:
        with local_server(workers=workers, stores_toml=_stores(shop.url), extra_env=env) as server:
            worker = subprocess.Popen(  # noqa: S603 - our own interpreter running the worker
                [
                    sys.executable,
                    "-m",
                    "flask",
                    "--app",
                    "app",
                    "fast",
                    "events",
                    "work",
                    "--workers",
                    str(worker_threads),
                ],
                cwd=PROJECT_ROOT,
                env=server.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            with requests.Session() as http:
                yield Deployment(server, fast, shop, http)
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(15)
        fast.close()
        shop.close()


# --- the scenarios ------------------------------------------------------------------------


def refund(d: Deployment, outage: float) -> str | None:
    d.post(d.shop.refund(d.shop.order(2001, "sim-fast-2001")["id"], 71))
    if not d.wait(lambda: d.calls_for("sim-fast-2001"), 45):
        return "no refund reached Fast"
    body = d.calls_for("sim-fast-2001")[0].body
    got = (body["amount"], body["tax_amount"], body["shipping_amount"], body["order_lines"][0]["line"]["quantity"])
    return None if got == ("15.80", "0.80", "5.00", "1") else f"refund amounts {got}"


def cancel(d: Deployment, outage: float) -> str | None:
    d.post(d.shop.order(2002, "sim-fast-2002", status="cancelled"))
    if not d.wait(lambda: d.calls_for("sim-fast-2002"), 45):
        return "no cancel reached Fast"
    return None if d.calls_for("sim-fast-2002")[0].kind == "cancel" else "the call was not a cancel"


def shipment(d: Deployment, outage: float) -> str | None:
    d.post(d.shop.order(2003, "sim-fast-2003", status="completed"))
    if not d.wait(lambda: d.calls_for("sim-fast-2003"), 45):
        return "no fulfilment event reached Fast"
    body = d.calls_for("sim-fast-2003")[0].body
    return None if body.get("event_type") == "BUSINESS_EVENT_TYPE_FULFILLMENT" else f"got {body}"


def duplicate(d: Deployment, outage: float) -> str | None:
    order = d.shop.order(2004, "sim-fast-2004", status="cancelled")
    d.post(order)
    d.post(order)
    d.wait(lambda: d.calls_for("sim-fast-2004"), 45)
    time.sleep(1.0)  # room for a second call, if there were one
    calls = d.calls_for("sim-fast-2004")
    return None if len(calls) == 1 else f"{len(calls)} calls for one cancellation"


def fast_down(d: Deployment, outage: float) -> str | None:
    d.fast.outage(outage, retry_after=min(5, max(1, int(outage // 6))))
    d.post(d.shop.order(2005, "sim-fast-2005", status="cancelled"))
    if not d.wait(lambda: any(c.status == 200 for c in d.calls_for("sim-fast-2005")), outage + 30):
        return f"not delivered within {outage + 30:.0f} s of an outage of {outage:.0f} s"
    accepted = [c for c in d.calls_for("sim-fast-2005") if c.status == 200]
    refused = len(d.calls_for("sim-fast-2005")) - len(accepted)
    return None if len(accepted) == 1 and refused >= 1 else f"{len(accepted)} delivered, {refused} refused"


SCENARIOS: dict[str, Callable[[Deployment, float], str | None]] = {
    "refund in the shop → Fast refund": refund,
    "cancel in the shop → Fast cancel": cancel,
    "order completed → Fast fulfilment event": shipment,
    "the same webhook twice → one call": duplicate,
    "Fast down → delivered once it is back": fast_down,
}


def run(outage: float = 60.0, echo: Callable[[str], None] = print) -> int:
    """Play every scenario; the number that failed."""
    failed = 0
    with deployment() as d:
        for name, scenario in SCENARIOS.items():
            started = time.monotonic()
            problem = scenario(d, outage)
            failed += problem is not None
            verdict = "PASS" if problem is None else f"FAIL ({problem})"
            echo(f"{verdict:<6} {name}  [{time.monotonic() - started:.1f} s]")
        schema = [p for c in d.fast.calls for p in c.problems]
        if schema:
            failed += 1
            echo(f"FAIL   bodies that break Fast's schemas: {schema[:3]}")
        echo(f"{len(d.fast.calls)} calls reached Fast's stand-in, every body checked against seller-to-fast")
    return failed
