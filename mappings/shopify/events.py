"""Shopify webhook payloads → after-checkout events for Fast. Pure: no I/O.

Payloads are Shopify's REST shapes (shopify.dev, "Webhook topics"):

* ``orders/cancelled``: the order, with ``note_attributes`` (the draft's
  custom attributes, where the adapter stamped ``_fast_order_id``) and
  ``cancel_reason`` (customer, fraud, inventory, declined, staff, other);
* ``refunds/create``: the refund, with ``refund_line_items[].line_item``
  (whose ``properties`` carry ``_fast_line_id``), ``transactions`` (the money
  returned) and shipping refunds as ``refund_shipping_lines`` (API 2024-07 and
  later) or ``order_adjustments`` of kind ``shipping_refund`` (earlier);
* ``fulfillments/create`` and ``fulfillments/update``: the fulfilment, with
  ``tracking_company``, ``tracking_number`` and ``line_items[].properties``.

A refund's and a fulfilment's payload name the order only by ``order_id``: its
Fast id is read from the shop before delivery (``fast_order_id`` is None).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from mappings.fast import events as ev
from mappings.money import ZERO, to_decimal
from mappings.shopify import FAST_LINE_ATTR, FAST_ORDER_ATTR

PLATFORM = "shopify"
TOPICS = ("refunds/create", "orders/cancelled", "fulfillments/create", "fulfillments/update")

CANCEL_REASONS = {
    "customer": ev.CANCEL_CUSTOMER,
    "inventory": ev.CANCEL_NO_STOCK,
    "other": ev.CANCEL_OTHER,
    # fraud, declined, staff: the merchant's decision.
}


def _pairs(entries: Any) -> dict[str, str]:
    """REST ``[{name, value}]`` (note_attributes, properties) as a dict."""
    found: dict[str, str] = {}
    for entry in entries or []:
        if isinstance(entry, Mapping) and isinstance(entry.get("name"), str) and entry.get("value") is not None:
            found[entry["name"]] = str(entry["value"])
    return found


def _amount(value: Any) -> Decimal:
    if value in (None, ""):
        return ZERO
    return to_decimal(str(value))


def _money_set(value: Any) -> Decimal:
    """``{"shop_money": {"amount": "5.00"}}`` → Decimal."""
    if isinstance(value, Mapping):
        shop = value.get("shop_money")
        if isinstance(shop, Mapping):
            return _amount(shop.get("amount"))
    return ZERO


def translate(app_id: str, topic: str, payload: Mapping[str, Any]) -> list[ev.Event]:
    """The events one webhook describes; [] for other topics and for orders that are not Fast's."""
    if topic == "orders/cancelled":
        return cancellation(app_id, payload)
    if topic == "refunds/create":
        return refund(app_id, payload)
    if topic in ("fulfillments/create", "fulfillments/update"):
        return shipment(app_id, payload)
    return []


def cancellation(app_id: str, order: Mapping[str, Any]) -> list[ev.Event]:
    fast_id = _pairs(order.get("note_attributes")).get(FAST_ORDER_ATTR)
    if not fast_id or not order.get("cancelled_at") or order.get("id") is None:
        return []
    reason = CANCEL_REASONS.get(str(order.get("cancel_reason") or ""), ev.CANCEL_MERCHANT)
    detail = ev.Cancel(reason)
    return [ev.Event(app_id, PLATFORM, ev.CANCEL, "cancel", str(order["id"]), fast_id, detail)]


def _line_id(line_item: Any) -> str | None:
    if not isinstance(line_item, Mapping):
        return None
    return _pairs(line_item.get("properties")).get(FAST_LINE_ATTR)


def refund(app_id: str, payload: Mapping[str, Any]) -> list[ev.Event]:
    if payload.get("id") is None or payload.get("order_id") is None:
        return []
    items = [i for i in payload.get("refund_line_items") or [] if isinstance(i, Mapping)]
    lines = [ev.LineQuantity(lid, int(i.get("quantity") or 0)) for i in items if (lid := _line_id(i.get("line_item")))]
    if items and not lines:
        return []  # lines no Fast order has: not a Fast order
    shipping, shipping_tax = _refunded_shipping(payload)
    tax = sum((_amount(i.get("total_tax")) for i in items), ZERO) + shipping_tax
    returned = _returned(payload)
    if returned is None:
        returned = sum((_amount(i.get("subtotal")) for i in items), ZERO) + tax + shipping
    amount = returned
    note = str(payload.get("note") or "").strip() or None
    detail = ev.Refund(str(payload["id"]), amount, tax, shipping, lines, ev.REFUND_OTHER, note)
    order_id = str(payload["order_id"])
    return [ev.Event(app_id, PLATFORM, ev.REFUND, f"refund:{payload['id']}", order_id, None, detail)]


def _refunded_shipping(payload: Mapping[str, Any]) -> tuple[Decimal, Decimal]:
    """Shipping refunded and its tax: refund_shipping_lines, and shipping_refund adjustments."""
    shipping = tax = ZERO
    for line in payload.get("refund_shipping_lines") or []:
        shipping += _money_set(line.get("subtotal_amount_set"))
        tax += _money_set(line.get("tax_amount_set"))
    for adjustment in payload.get("order_adjustments") or []:
        if adjustment.get("kind") == "shipping_refund":
            # Adjustments are written as negative amounts.
            shipping += -_amount(adjustment.get("amount"))
            tax += -_amount(adjustment.get("tax_amount"))
    return shipping, tax


def _returned(payload: Mapping[str, Any]) -> Decimal | None:
    """What the successful refund transactions gave back, or None when the payload has none."""
    returned = [
        _amount(t.get("amount"))
        for t in payload.get("transactions") or []
        if t.get("kind") == "refund" and t.get("status") == "success"
    ]
    return sum(returned, ZERO) if returned else None


def shipment(app_id: str, payload: Mapping[str, Any]) -> list[ev.Event]:
    if payload.get("id") is None or payload.get("order_id") is None or payload.get("status") in ("cancelled", "error"):
        return []
    items = [i for i in payload.get("line_items") or [] if isinstance(i, Mapping)]
    lines = [ev.LineQuantity(lid, int(i.get("quantity") or 0)) for i in items if (lid := _line_id(i))]
    if not lines:
        return []
    number = str(payload.get("tracking_number") or "") or None
    carrier = str(payload.get("tracking_company") or "") or None
    detail = ev.Shipment(str(payload["id"]), carrier, number, lines)
    # A tracking change (fulfillments/update) is a new event; the same tracking delivered again is not.
    key = f"shipment:{payload['id']}:{number or ''}"
    return [ev.Event(app_id, PLATFORM, ev.SHIPMENT, key, str(payload["order_id"]), None, detail)]


def fast_order_id_of(order: Mapping[str, Any]) -> str | None:
    """Fast's id on an Admin GraphQL order (``customAttributes``); None when the order is not Fast's."""
    for entry in order.get("customAttributes") or []:
        if isinstance(entry, Mapping) and entry.get("key") == FAST_ORDER_ATTR and entry.get("value"):
            return str(entry["value"])
    return None


# --- Admin GraphQL: the reads an event needs, reconciliation, subscriptions ---------------

ORDER_FAST_ID_QUERY = """
query FastEventOrder($id: ID!) {
  order(id: $id) { id customAttributes { key value } }
}
"""

CHANGED_ORDERS_QUERY = """
query FastChangedOrders($query: String!, $after: String) {
  orders(first: 100, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes { id legacyResourceId customAttributes { key value } }
  }
}
"""

# One Fast order's refunds, cancellation and fulfilments, in the webhook payloads' terms.
ORDER_EVENTS_QUERY = """
query FastOrderEvents($id: ID!) {
  order(id: $id) {
    id legacyResourceId cancelledAt cancelReason
    customAttributes { key value }
    refunds(first: 10) {
      legacyResourceId note
      totalRefundedSet { shopMoney { amount } }
      refundLineItems(first: 30) {
        nodes { quantity subtotalSet { shopMoney { amount } } totalTaxSet { shopMoney { amount } }
                lineItem { customAttributes { key value } } }
      }
      refundShippingLines(first: 5) {
        nodes { subtotalAmountSet { shopMoney { amount } } taxAmountSet { shopMoney { amount } } }
      }
    }
    fulfillments(first: 10) {
      legacyResourceId status
      trackingInfo(first: 1) { company number }
      fulfillmentLineItems(first: 30) { nodes { quantity lineItem { customAttributes { key value } } } }
    }
  }
}
"""

SUBSCRIPTIONS_QUERY = """
query FastWebhookSubscriptions {
  webhookSubscriptions(first: 100) {
    nodes { id topic endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } } }
  }
}
"""

SUBSCRIBE_MUTATION = """
mutation FastWebhookSubscribe($topic: WebhookSubscriptionTopic!, $url: URL!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {callbackUrl: $url, format: JSON}) {
    webhookSubscription { id topic }
    userErrors { field message }
  }
}
"""

# The GraphQL enum value of each webhook topic.
TOPIC_ENUMS = {topic: topic.upper().replace("/", "_") for topic in TOPICS}


def order_gid(legacy_id: str) -> str:
    return f"gid://shopify/Order/{legacy_id}"


def _graph_pairs(entries: Any) -> list[dict[str, Any]]:
    """GraphQL ``[{key, value}]`` as REST ``[{name, value}]``."""
    return [{"name": e.get("key"), "value": e.get("value")} for e in entries or [] if isinstance(e, Mapping)]


def _graph_money(value: Any) -> str:
    shop = value.get("shopMoney") if isinstance(value, Mapping) else None
    return str(shop.get("amount")) if isinstance(shop, Mapping) else "0"


def events_from_graph(app_id: str, order: Mapping[str, Any]) -> list[ev.Event]:
    """Every event an Admin GraphQL order shows, built through the same rules as the webhooks'."""
    order_id = str(order.get("legacyResourceId"))
    attributes = _graph_pairs(order.get("customAttributes"))
    fast_id = _pairs(attributes).get(FAST_ORDER_ATTR)
    if not fast_id:
        return []
    cancel = {
        "id": order_id,
        "note_attributes": attributes,
        "cancelled_at": order.get("cancelledAt"),
        "cancel_reason": str(order.get("cancelReason") or "").lower(),
    }
    found = cancellation(app_id, cancel)
    for node in order.get("refunds") or []:
        found.extend(_with_fast_id(refund(app_id, _refund_payload(order_id, node)), fast_id))
    for node in order.get("fulfillments") or []:
        found.extend(_with_fast_id(shipment(app_id, _fulfilment_payload(order_id, node)), fast_id))
    return found


def _graph_lines(connection: Any) -> list[Mapping[str, Any]]:
    nodes = connection.get("nodes") if isinstance(connection, Mapping) else None
    return [n for n in nodes or [] if isinstance(n, Mapping)]


def _line_properties(node: Mapping[str, Any]) -> list[dict[str, Any]]:
    return _graph_pairs((node.get("lineItem") or {}).get("customAttributes"))


def _refund_payload(order_id: str, node: Mapping[str, Any]) -> dict[str, Any]:
    """A GraphQL refund in the refunds/create payload's terms."""
    items = [
        {
            "quantity": n.get("quantity"),
            "subtotal": _graph_money(n.get("subtotalSet")),
            "total_tax": _graph_money(n.get("totalTaxSet")),
            "line_item": {"properties": _line_properties(n)},
        }
        for n in _graph_lines(node.get("refundLineItems"))
    ]
    shipping = [
        {
            "subtotal_amount_set": {"shop_money": {"amount": _graph_money(n.get("subtotalAmountSet"))}},
            "tax_amount_set": {"shop_money": {"amount": _graph_money(n.get("taxAmountSet"))}},
        }
        for n in _graph_lines(node.get("refundShippingLines"))
    ]
    returned = {"kind": "refund", "status": "success", "amount": _graph_money(node.get("totalRefundedSet"))}
    return {
        "id": node.get("legacyResourceId"),
        "order_id": order_id,
        "note": node.get("note"),
        "refund_line_items": items,
        "refund_shipping_lines": shipping,
        "transactions": [returned],
    }


def _fulfilment_payload(order_id: str, node: Mapping[str, Any]) -> dict[str, Any]:
    """A GraphQL fulfilment in the fulfillments/* payload's terms."""
    tracking = (node.get("trackingInfo") or [{}])[0] or {}
    return {
        "id": node.get("legacyResourceId"),
        "order_id": order_id,
        "status": str(node.get("status") or "").lower(),
        "tracking_company": tracking.get("company"),
        "tracking_number": tracking.get("number"),
        "line_items": [
            {"quantity": n.get("quantity"), "properties": _line_properties(n)}
            for n in _graph_lines(node.get("fulfillmentLineItems"))
        ],
    }


def _with_fast_id(events: list[ev.Event], fast_id: str) -> list[ev.Event]:
    for event in events:
        event.fast_order_id = fast_id
    return events
