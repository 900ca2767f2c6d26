"""The REST v3 endpoints after-checkout events read from WooCommerce: orders, refunds, webhooks.

Separate from ``tests/fakes/woocommerce.py`` (the checkout fake). Shapes follow
the recorded order (``tests/fixtures/woocommerce/order.json``, WooCommerce
9.9.5) and the REST API v3 reference (woocommerce.github.io/woocommerce-rest-api-docs):

* ``GET /orders/<id>``: the order, ``refunds`` as ``[{id, reason, total}]`` with
  a negative total ("Order refunds" in the order properties);
* ``GET /orders/<id>/refunds/<refund_id>``: the refund, ``amount`` positive,
  its ``line_items`` with negative ``quantity``/``total``/``total_tax``
  ("Order refund properties"), and ``shipping_lines`` likewise negative
  (``WC_REST_Order_Refunds_V2_Controller`` formats every item type of the refund);
* ``GET /orders?modified_after=…&dates_are_gmt=true``: orders modified after
  the time, paged by ``per_page``/``page`` ("List all orders");
* ``GET|POST /webhooks``, ``PUT /webhooks/<id>``: webhooks with ``topic``,
  ``delivery_url``, ``secret`` (write-only: never answered), ``status``
  (active, paused, disabled) ("Webhooks").
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "woocommerce" / "order.json"


def _money(amount: Decimal) -> str:
    return format(amount.quantize(Decimal("0.01")), "f")


class WooEventsShop:
    def __init__(self, base_url: str = "https://woo.test", key: str = "ck_test") -> None:
        self.base = base_url.rstrip("/") + "/wp-json/wc/v3"
        self.key = key
        self.orders: dict[int, dict[str, Any]] = {}
        self.refunds: dict[int, dict[int, dict[str, Any]]] = {}
        self.webhooks: list[dict[str, Any]] = []
        self._ids = itertools.count(9001)
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    # --- the shop's data ---------------------------------------------------------------

    def add_order(
        self, order_id: int, fast_id: str | None, lines: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """An order like the recorded one; ``lines`` are ``_fast_lines`` entries (meta written at conversion)."""
        order = json.loads(FIXTURE.read_text())
        order["id"] = order["number"] = order_id
        order["status"] = "processing"
        order["refunds"] = []
        order["meta_data"] = [m for m in order["meta_data"] if not m["key"].startswith("_fast")]
        if fast_id:
            order["meta_data"].append({"id": 1, "key": "_fast_order_id", "value": fast_id})
            order["meta_data"].append({"id": 2, "key": "_fast_lines", "value": json.dumps(lines or [])})
        self.orders[order_id] = order
        self.touch(order_id)
        return order

    def touch(self, order_id: int) -> None:
        self.now += dt.timedelta(seconds=1)
        self.orders[order_id]["date_modified_gmt"] = self.now.strftime("%Y-%m-%dT%H:%M:%S")

    def add_refund(
        self,
        order_id: int,
        items: list[tuple[int, int, str, str]],
        shipping: str = "0",
        shipping_tax: str = "0",
        reason: str = "",
    ) -> dict[str, Any]:
        """A refund of ``(line item id, quantity, total, tax)`` items plus shipping, as WooCommerce stores it."""
        order = self.orders[order_id]
        by_id = {item["id"]: item for item in order["line_items"]}
        refund_id = next(self._ids)
        lines = []
        total = Decimal(shipping) + Decimal(shipping_tax)
        for item_id, quantity, amount, tax in items:
            source = by_id[item_id]
            total += Decimal(amount) + Decimal(tax)
            lines.append(
                {
                    "id": next(self._ids),
                    "name": source["name"],
                    "product_id": source["product_id"],
                    "variation_id": source["variation_id"],
                    "quantity": -quantity,
                    "subtotal": _money(-Decimal(amount)),
                    "total": _money(-Decimal(amount)),
                    "total_tax": _money(-Decimal(tax)),
                    "meta_data": [{"key": "_refunded_item_id", "value": str(item_id)}],
                }
            )
        shipping_lines = []
        if Decimal(shipping):
            shipping_lines.append(
                {
                    "id": next(self._ids),
                    "total": _money(-Decimal(shipping)),
                    "total_tax": _money(-Decimal(shipping_tax)),
                }
            )
        refund = {
            "id": refund_id,
            "date_created_gmt": self.now.strftime("%Y-%m-%dT%H:%M:%S"),
            "amount": _money(total),
            "reason": reason,
            "refunded_payment": True,
            "line_items": lines,
            "shipping_lines": shipping_lines,
        }
        self.refunds.setdefault(order_id, {})[refund_id] = refund
        order["refunds"].insert(0, {"id": refund_id, "reason": reason, "total": _money(-total)})
        self.touch(order_id)
        return refund

    def set_status(self, order_id: int, status: str) -> dict[str, Any]:
        self.orders[order_id]["status"] = status
        self.touch(order_id)
        return self.orders[order_id]

    # --- HTTP ---------------------------------------------------------------------------

    def install(self, rsps: Any) -> None:
        for method in ("GET", "POST", "PUT"):
            rsps.add_callback(method, re.compile(re.escape(self.base) + r"/.*"), callback=self.handle)

    def handle(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        parts = urlsplit(request.url or "")
        path = parts.path.split("/wc/v3/", 1)[1]
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        body = json.loads(request.body) if request.body else {}
        status, answer = self._route(request.method or "GET", path, query, body)
        return status, {}, json.dumps(answer)

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        not_found = (404, {"code": "woocommerce_rest_shop_order_invalid_id", "message": "Invalid ID.", "data": {}})
        if m := re.fullmatch(r"orders/(\d+)/refunds/(\d+)", path):
            refund = self.refunds.get(int(m[1]), {}).get(int(m[2]))
            return (200, copy.deepcopy(refund)) if refund else not_found
        if m := re.fullmatch(r"orders/(\d+)", path):
            order = self.orders.get(int(m[1]))
            return (200, copy.deepcopy(order)) if order else not_found
        if path == "orders":
            return 200, self._list(query)
        if path == "webhooks" and method == "GET":
            return 200, [{k: v for k, v in h.items() if k != "secret"} for h in self.webhooks]
        if path == "webhooks" and method == "POST":
            hook = {"id": next(self._ids), "status": "active", **body}
            self.webhooks.append(hook)
            return 201, {k: v for k, v in hook.items() if k != "secret"}
        if (m := re.fullmatch(r"webhooks/(\d+)", path)) and method == "PUT":
            hook = next((h for h in self.webhooks if h["id"] == int(m[1])), None)
            if hook is None:
                return 404, {"code": "woocommerce_rest_webhook_invalid_id", "message": "Invalid ID.", "data": {}}
            hook.update(body)
            return 200, {k: v for k, v in hook.items() if k != "secret"}
        return 404, {"code": "rest_no_route", "message": "No route was found.", "data": {"status": 404}}

    def _list(self, query: dict[str, str]) -> list[dict[str, Any]]:
        after = query.get("modified_after")
        orders = sorted(self.orders.values(), key=lambda o: o["date_modified_gmt"])
        if after:
            orders = [o for o in orders if o["date_modified_gmt"] > after]
        size, page = int(query.get("per_page", 10)), int(query.get("page", 1))
        return copy.deepcopy(orders[(page - 1) * size : page * size])
