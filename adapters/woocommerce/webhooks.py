"""WooCommerce webhooks: signature, ping, the reads an event needs, reconciliation and subscriptions.

WooCommerce signs each delivery ``X-WC-Webhook-Signature: base64(HMAC-SHA256(
secret, raw body))`` (``WC_Webhook::generate_signature``) and sends the topic
in ``X-WC-Webhook-Topic``. The ping it sends when a webhook is created is an
unsigned form body ``webhook_id=<id>`` (``WC_Webhook::deliver_ping``) and must
answer 200 or the webhook is not saved. WooCommerce never redelivers a failed
webhook (``failed_delivery`` counts failures and disables the webhook after
5 in a row), so a periodic reconciliation reads the orders changed since its
last run (REST v3 ``modified_after``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any

import requests

from adapters.http import path_segment
from adapters.woocommerce.adapter import WooCommerceAdapter
from mappings.fast import events as ev
from mappings.woocommerce import REST_API
from mappings.woocommerce import events as wev
from service.errors import UpstreamUnavailable

SIGNATURE_HEADER = "X-WC-Webhook-Signature"
TOPIC_HEADER = "X-WC-Webhook-Topic"
_PING = re.compile(rb"^webhook_id=\d{1,20}$")
PAGE_SIZE = 100
MAX_PAGES = 50
WEBHOOK_NAME = "Fast: orders updated"


def signature(secret: str, raw: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()


def verify(secret: str, raw: bytes, headers: Mapping[str, str]) -> bool:
    given = headers.get(SIGNATURE_HEADER) or ""
    return bool(given) and hmac.compare_digest(given.encode(), signature(secret, raw).encode())


def is_ping(raw: bytes, headers: Mapping[str, str]) -> bool:
    return not headers.get(TOPIC_HEADER) and bool(_PING.match(raw.strip()))


def translate(app_id: str, headers: Mapping[str, str], payload: Any) -> list[ev.Event]:
    if headers.get(TOPIC_HEADER) != wev.TOPIC or not isinstance(payload, Mapping):
        return []
    return wev.order_events(app_id, payload)


def _rest(adapter: WooCommerceAdapter, method: str, path: str, **kwargs: Any) -> requests.Response:
    if adapter.auth is None:
        raise UpstreamUnavailable(adapter.auth_problem)
    return adapter.client.request(method, f"{adapter.api_root}{REST_API}/{path}", auth=adapter.auth, **kwargs)


def _json(adapter: WooCommerceAdapter, method: str, path: str, **kwargs: Any) -> Any:
    return adapter.client.json(_rest(adapter, method, path, **kwargs))


def complete(adapter: WooCommerceAdapter, event: ev.Event) -> ev.Event | None:
    """The event with everything Fast needs: a refund's lines, tax and shipping are read from REST v3."""
    if not event.pending_detail or not isinstance(event.detail, ev.Refund):
        return event
    order_id = path_segment(event.shop_order_id)
    order = _json(adapter, "GET", f"orders/{order_id}")
    if not isinstance(order, Mapping) or not wev.fast_order_id(order):
        return None
    refund = _json(adapter, "GET", f"orders/{order_id}/refunds/{path_segment(event.detail.refund_id)}")
    if not isinstance(refund, Mapping) or "id" not in refund:
        raise UpstreamUnavailable("WooCommerce answered a refund that is not a refund")
    detail = wev.refund_from_rest(order, refund)
    return ev.Event(
        event.app_id, event.platform, event.kind, event.key, event.shop_order_id, wev.fast_order_id(order), detail
    )


def changed_orders(adapter: WooCommerceAdapter, since: dt.datetime) -> list[dict[str, Any]]:
    """Every order modified after ``since`` (UTC), oldest first."""
    found: list[dict[str, Any]] = []
    for page in range(1, MAX_PAGES + 1):
        params = {
            "modified_after": since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "dates_are_gmt": "true",
            "per_page": PAGE_SIZE,
            "page": page,
            "orderby": "modified",
            "order": "asc",
            "status": "any",
        }
        batch = _json(adapter, "GET", "orders", params=params)
        if not isinstance(batch, list):
            raise UpstreamUnavailable("WooCommerce answered an order list that is not a list")
        found.extend(o for o in batch if isinstance(o, dict))
        if len(batch) < PAGE_SIZE:
            break
    return found


def reconcile(adapter: WooCommerceAdapter, app_id: str, since: dt.datetime) -> list[ev.Event]:
    return [e for order in changed_orders(adapter, since) for e in wev.order_events(app_id, order)]


def subscriptions(adapter: WooCommerceAdapter) -> list[dict[str, Any]]:
    hooks = _json(adapter, "GET", "webhooks", params={"per_page": 100})
    return [h for h in hooks if isinstance(h, dict)] if isinstance(hooks, list) else []


def install(adapter: WooCommerceAdapter, delivery_url: str, secret: str) -> list[str]:
    """Subscribe ``order.updated`` to ``delivery_url`` unless an active one is there; what was done, in words."""
    for hook in subscriptions(adapter):
        if hook.get("topic") == wev.TOPIC and hook.get("delivery_url") == delivery_url:
            if hook.get("status") == "active":
                return [f"{wev.TOPIC}: already subscribed (webhook {hook.get('id')})"]
            # Re-activating also resets WooCommerce's failure count.
            _json(adapter, "PUT", f"webhooks/{path_segment(hook['id'])}", json={"status": "active", "secret": secret})
            return [f"{wev.TOPIC}: webhook {hook.get('id')} was {hook.get('status')}, now active"]
    body = {
        "name": WEBHOOK_NAME,
        "topic": wev.TOPIC,
        "delivery_url": delivery_url,
        "secret": secret,
        "status": "active",
    }
    created = _json(adapter, "POST", "webhooks", json=body)
    return [f"{wev.TOPIC}: subscribed (webhook {created.get('id') if isinstance(created, dict) else '?'})"]


def status(adapter: WooCommerceAdapter, delivery_url: str | None) -> list[tuple[str, str, bool]]:
    """(topic, description, healthy) per subscription that delivers to us."""
    rows = []
    for hook in subscriptions(adapter):
        if delivery_url and hook.get("delivery_url") != delivery_url:
            continue
        healthy = hook.get("status") == "active"
        note = f"webhook {hook.get('id')} → {hook.get('delivery_url')} ({hook.get('status')})"
        if hook.get("status") == "disabled":
            note += ": WooCommerce disabled it after repeated failed deliveries; run `webhooks install` again"
        rows.append((str(hook.get("topic")), note, healthy))
    return rows
