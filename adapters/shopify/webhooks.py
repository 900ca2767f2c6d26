"""Shopify webhooks: signature, the read an event needs, reconciliation and subscriptions.

Shopify signs each delivery ``X-Shopify-Hmac-Sha256: base64(HMAC-SHA256(the
app's client secret, raw body))`` and names the topic in ``X-Shopify-Topic``
(shopify.dev, "Deliver webhooks through HTTPS"). Delivery is not guaranteed
and Shopify asks apps to reconcile: the periodic reconciliation reads
``orders(query: "updated_at:>…")`` and then each Fast order's refunds,
cancellation and fulfilments.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from adapters.shopify.adapter import ShopifyAdapter
from mappings.fast import events as ev
from mappings.shopify import events as sev
from service.errors import UpstreamRejected

SIGNATURE_HEADER = "X-Shopify-Hmac-Sha256"
TOPIC_HEADER = "X-Shopify-Topic"
MAX_PAGES = 20


def signature(secret: str, raw: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()


def verify(secret: str, raw: bytes, headers: Mapping[str, str]) -> bool:
    given = headers.get(SIGNATURE_HEADER) or ""
    return bool(given) and hmac.compare_digest(given.encode(), signature(secret, raw).encode())


def is_ping(raw: bytes, headers: Mapping[str, str]) -> bool:
    return False  # Shopify sends no ping


def translate(app_id: str, headers: Mapping[str, str], payload: Any) -> list[ev.Event]:
    if not isinstance(payload, Mapping):
        return []
    return sev.translate(app_id, headers.get(TOPIC_HEADER) or "", payload)


def complete(adapter: ShopifyAdapter, event: ev.Event) -> ev.Event | None:
    """The event with Fast's order id, read from the order's custom attributes when the payload lacked it."""
    if event.fast_order_id:
        return event
    data = adapter.client.graphql(sev.ORDER_FAST_ID_QUERY, {"id": sev.order_gid(event.shop_order_id)}, idempotent=True)
    order = data.get("order")
    fast_id = sev.fast_order_id_of(order) if isinstance(order, Mapping) else None
    if not fast_id:
        return None
    event.fast_order_id = fast_id
    return event


def reconcile(adapter: ShopifyAdapter, app_id: str, since: dt.datetime) -> list[ev.Event]:
    """Every event of every Fast order updated after ``since``."""
    query = f"updated_at:>'{since.astimezone(dt.UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}'"
    found: list[ev.Event] = []
    after = None
    for _ in range(MAX_PAGES):
        data = adapter.client.graphql(sev.CHANGED_ORDERS_QUERY, {"query": query, "after": after}, idempotent=True)
        orders = data.get("orders") or {}
        for node in orders.get("nodes") or []:
            if sev.fast_order_id_of(node):
                detail = adapter.client.graphql(sev.ORDER_EVENTS_QUERY, {"id": node["id"]}, idempotent=True)
                if isinstance(detail.get("order"), Mapping):
                    found.extend(sev.events_from_graph(app_id, detail["order"]))
        page = orders.get("pageInfo") or {}
        if not page.get("hasNextPage"):
            break
        after = page.get("endCursor")
    return found


def _subscriptions(adapter: ShopifyAdapter) -> list[dict[str, Any]]:
    data = adapter.client.graphql(sev.SUBSCRIPTIONS_QUERY, {}, idempotent=True)
    nodes = (data.get("webhookSubscriptions") or {}).get("nodes") or []
    return [n for n in nodes if isinstance(n, dict)]


def _url(node: Mapping[str, Any]) -> str | None:
    endpoint = node.get("endpoint")
    return endpoint.get("callbackUrl") if isinstance(endpoint, Mapping) else None


def install(adapter: ShopifyAdapter, delivery_url: str, secret: str) -> list[str]:
    """Subscribe each topic to ``delivery_url`` unless it already is; what was done, in words."""
    have = {(n.get("topic"), _url(n)) for n in _subscriptions(adapter)}
    done = []
    for topic, enum in sev.TOPIC_ENUMS.items():
        if (enum, delivery_url) in have:
            done.append(f"{topic}: already subscribed")
            continue
        data = adapter.client.graphql(sev.SUBSCRIBE_MUTATION, {"topic": enum, "url": delivery_url}, idempotent=False)
        payload = data.get("webhookSubscriptionCreate") or {}
        errors = [str(e.get("message")) for e in payload.get("userErrors") or [] if isinstance(e, Mapping)]
        if errors:
            raise UpstreamRejected(f"Shopify refused the {topic} subscription: {'; '.join(errors)}")
        done.append(f"{topic}: subscribed")
    return done


def status(adapter: ShopifyAdapter, delivery_url: str | None) -> list[tuple[str, str, bool]]:
    """(topic, description, healthy) for each topic; Shopify deletes a subscription whose deliveries keep failing."""
    subscribed = {
        n.get("topic"): _url(n) for n in _subscriptions(adapter) if not delivery_url or _url(n) == delivery_url
    }
    rows = []
    for topic, enum in sev.TOPIC_ENUMS.items():
        if enum in subscribed:
            rows.append((topic, f"subscribed → {subscribed[enum]}", True))
        else:
            rows.append(
                (topic, "NOT subscribed (never installed, or Shopify removed it after failed deliveries)", False)
            )
    return rows
