"""The Admin GraphQL reads after-checkout events make: an order's Fast id, changed orders, subscriptions.

Separate from ``tests/fakes/shopify.py`` (the checkout fake); documents run
through that module's ``run``, i.e. validated and executed against Shopify's
own schema, so a field Shopify lacks fails here too. What it follows
(shopify.dev Admin GraphQL reference):

* ``order(id:)`` answers null for an unknown order; ``customAttributes`` are
  the draft's, copied to the order by ``draftOrderComplete`` (where the
  adapter stamped ``_fast_order_id``; each line keeps its ``_fast_line_id``);
* ``orders(query: "updated_at:>'…'", sortKey: UPDATED_AT)`` pages with
  ``pageInfo { hasNextPage endCursor }``;
* ``webhookSubscriptionCreate`` adds a subscription; Shopify itself refuses a
  duplicate (same topic and address) with the userError "Address for this
  topic has already been taken"; ``webhookSubscriptions`` lists them.

Orders are kept in the REST webhook payloads' terms (``refunds``,
``fulfillments``) and shown in GraphQL's.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import requests

from tests.fakes.shopify import run

SHOP = "fast-test.myshopify.com"
API = f"https://{SHOP}/admin/api/2025-01/graphql.json"


def _bag(amount: str) -> dict[str, Any]:
    return {"shopMoney": {"amount": amount, "currencyCode": "USD"}}


def _attributes(pairs: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in pairs.items()]


class ShopifyEventsShop:
    def __init__(self) -> None:
        self.orders: dict[int, dict[str, Any]] = {}
        self.subscriptions: list[dict[str, Any]] = []
        self.operations: list[str] = []
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def add_order(self, order_id: int, fast_id: str | None, lines: dict[int, str]) -> dict[str, Any]:
        """An order whose line items (id → Fast line id) carry ``_fast_line_id``."""
        self.now += dt.timedelta(seconds=1)
        order = {
            "id": order_id,
            "attributes": {"_fast_order_id": fast_id} if fast_id else {},
            "lines": lines,
            "cancelledAt": None,
            "cancelReason": None,
            "refunds": [],
            "fulfillments": [],
            "updatedAt": self.now,
        }
        self.orders[order_id] = order
        return order

    def line_item(self, order_id: int, line_id: int) -> dict[str, Any]:
        """A line item as REST payloads show it (``properties``)."""
        fast_line = self.orders[order_id]["lines"].get(line_id)
        properties = [{"name": "_fast_line_id", "value": fast_line}] if fast_line else []
        return {"id": line_id, "title": f"Item {line_id}", "properties": properties}

    def changed(self, order_id: int) -> None:
        self.now += dt.timedelta(seconds=1)
        self.orders[order_id]["updatedAt"] = self.now

    # --- GraphQL ---------------------------------------------------------------------------

    def install(self, rsps: Any) -> None:
        rsps.add_callback("POST", API, callback=self.handle, content_type="application/json")

    def handle(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body or b"{}")
        result = run(body["query"], self._root(), body.get("variables") or {})
        self.operations.append(body["query"].split("(")[0].split()[-1])
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [{"message": e.message} for e in result.errors]
        return 200, {}, json.dumps(answer)

    def _root(self) -> dict[str, Any]:
        return {
            "order": lambda info, id: self._view(self.orders.get(int(id.rsplit("/", 1)[1]))),
            "orders": self._orders,
            "webhookSubscriptions": lambda info, **_: {"nodes": list(self.subscriptions)},
            "webhookSubscriptionCreate": self._subscribe,
        }

    def _lines(self, order: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
        nodes = []
        for item in items:
            fast_line = order["lines"].get(item["line_item_id"])
            attrs = _attributes({"_fast_line_id": fast_line} if fast_line else {})
            node = {"quantity": item["quantity"], "lineItem": {"customAttributes": attrs}}
            node["subtotalSet"] = _bag(item.get("subtotal", "0.00"))
            node["totalTaxSet"] = _bag(item.get("total_tax", "0.00"))
            nodes.append(node)
        return {"nodes": nodes}

    def _view(self, order: dict[str, Any] | None) -> dict[str, Any] | None:
        if order is None:
            return None
        refunds = [
            {
                "legacyResourceId": str(r["id"]),
                "note": r.get("note"),
                "totalRefundedSet": _bag(r["transactions"][0]["amount"]),
                "refundLineItems": self._lines(order, r["refund_line_items"]),
                "refundShippingLines": {
                    "nodes": [
                        {"subtotalAmountSet": _bag(s["amount"]), "taxAmountSet": _bag(s["tax"])}
                        for s in r.get("shipping", [])
                    ]
                },
            }
            for r in order["refunds"]
        ]
        fulfillments = [
            {
                "legacyResourceId": str(f["id"]),
                "status": f["status"].upper(),
                "trackingInfo": [{"company": f["tracking_company"], "number": f["tracking_number"]}],
                "fulfillmentLineItems": self._lines(order, f["items"]),
            }
            for f in order["fulfillments"]
        ]
        return {
            "id": f"gid://shopify/Order/{order['id']}",
            "legacyResourceId": str(order["id"]),
            "customAttributes": _attributes(order["attributes"]),
            "cancelledAt": order["cancelledAt"],
            "cancelReason": order["cancelReason"],
            "refunds": refunds,
            "fulfillments": fulfillments,
        }

    def _orders(self, info: Any, first: int, query: str, after: str | None = None, **_: Any) -> dict[str, Any]:
        since = dt.datetime.fromisoformat(query.split(">", 1)[1].strip("'").replace("Z", "+00:00"))
        matching = sorted((o for o in self.orders.values() if o["updatedAt"] > since), key=lambda o: o["updatedAt"])
        start = int(after or 0)
        page = matching[start : start + first]
        return {
            "nodes": [self._view(o) for o in page],
            "pageInfo": {"hasNextPage": start + first < len(matching), "endCursor": str(start + first)},
        }

    def _subscribe(self, info: Any, topic: str, webhookSubscription: dict[str, Any]) -> dict[str, Any]:
        url = webhookSubscription["callbackUrl"]
        if any(s["topic"] == topic and s["endpoint"]["callbackUrl"] == url for s in self.subscriptions):
            error = {
                "field": ["webhookSubscription", "callbackUrl"],
                "message": "Address for this topic has already been taken",
            }
            return {"webhookSubscription": None, "userErrors": [error]}
        node = {
            "id": f"gid://shopify/WebhookSubscription/{len(self.subscriptions) + 1}",
            "topic": topic,
            "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": url},
        }
        self.subscriptions.append(node)
        return {"webhookSubscription": node, "userErrors": []}
