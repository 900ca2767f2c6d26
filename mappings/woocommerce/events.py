"""WooCommerce webhook payloads and REST v3 reads → after-checkout events for Fast. Pure: no I/O.

The topic is ``order.updated`` (docs/webhooks.md says why): WooCommerce 9.9
fires it from ``woocommerce_update_order`` (every save, so a status change to
cancelled or completed) and from ``woocommerce_order_refunded`` (every refund,
full or partial: ``wc_create_refund`` fires it after the refund is saved). Its
payload is the REST v3 order (``/wc/v3/orders/<id>``), whose ``refunds`` list
holds each refund's id, reason and total only; the refund's lines, tax and
shipping are read from ``/wc/v3/orders/<id>/refunds/<refund_id>`` before the
event is delivered (``refund_from_rest``).

Only orders carrying Fast's order id (meta ``_fast_order_id``, stamped by the
adapter at conversion) produce events; the Fast line ids come from
``_fast_lines`` (which product or variation each Fast line is).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mappings.fast import events as ev
from mappings.money import ZERO
from mappings.woocommerce import (
    META_FAST_ORDER_ID,
    OrderLineRef,
    _order_line_refs,
    decimal_amount,
    meta_value,
)

PLATFORM = "woocommerce"
TOPIC = "order.updated"
# WooCommerce's own "Shipment Tracking" extension keeps its numbers in this order meta.
META_SHIPMENT_TRACKING = "_wc_shipment_tracking_items"


def fast_order_id(order: Mapping[str, Any]) -> str | None:
    value = meta_value(order, META_FAST_ORDER_ID)
    return str(value) if isinstance(value, str | int) and str(value) else None


def order_events(app_id: str, order: Mapping[str, Any]) -> list[ev.Event]:
    """Every event an order (webhook payload or REST read) shows; [] when it is not Fast's."""
    fast_id = fast_order_id(order)
    if not fast_id or "id" not in order:
        return []
    shop_id = str(order["id"])

    def event(kind: str, key: str, detail: ev.Detail, *, pending: bool = False) -> ev.Event:
        return ev.Event(app_id, PLATFORM, kind, key, shop_id, fast_id, detail, pending_detail=pending)

    found = []
    for refund in order.get("refunds") or []:
        if isinstance(refund, Mapping) and refund.get("id") not in (None, ""):
            # The payload holds the refund's total only: its lines are read before delivery.
            summary = ev.Refund(str(refund["id"]), -decimal_amount(refund.get("total")), note=_text(refund))
            found.append(event(ev.REFUND, f"refund:{refund['id']}", summary, pending=True))
    status = order.get("status")
    if status == "cancelled":
        found.append(event(ev.CANCEL, "cancel", ev.Cancel(ev.CANCEL_MERCHANT)))
    elif status == "completed":
        found.append(event(ev.SHIPMENT, "shipment:completed", _completion(order)))
    return found


def _text(refund: Mapping[str, Any]) -> str | None:
    reason = refund.get("reason")
    return str(reason).strip() or None if isinstance(reason, str) else None


def _completion(order: Mapping[str, Any]) -> ev.Shipment:
    """An order marked completed: every Fast line shipped, with tracking when an extension recorded it."""
    lines = [ev.LineQuantity(ref.id, ref.qty) for ref in _order_line_refs(order) if ref.qty > 0]
    carrier = number = None
    items = meta_value(order, META_SHIPMENT_TRACKING)
    if isinstance(items, list) and items and isinstance(items[-1], Mapping):
        last = items[-1]
        carrier = str(last.get("custom_tracking_provider") or last.get("tracking_provider") or "") or None
        number = str(last.get("tracking_number") or "") or None
    return ev.Shipment("completed", carrier=carrier, tracking_number=number, lines=lines)


def refund_from_rest(order: Mapping[str, Any], refund: Mapping[str, Any]) -> ev.Refund:
    """A REST v3 refund (``/orders/<id>/refunds/<refund_id>``) in Fast's terms.

    WooCommerce writes a refund's items with negative quantities and totals;
    ``amount`` is the money returned (positive).
    """
    refs = _order_line_refs(order)
    lines: list[ev.LineQuantity] = []
    tax = ZERO
    for item in refund.get("line_items") or []:
        tax += -decimal_amount(item.get("total_tax"))
        lines.extend(_fast_lines(item, refs))
    shipping = ZERO
    for line in refund.get("shipping_lines") or []:
        shipping += -decimal_amount(line.get("total"))
        tax += -decimal_amount(line.get("total_tax"))
    return ev.Refund(
        refund_id=str(refund["id"]),
        amount=decimal_amount(refund.get("amount")),
        tax=tax,
        shipping=shipping,
        lines=lines,
        reason=ev.REFUND_OTHER,
        note=_text(refund),
    )


def _fast_lines(item: Mapping[str, Any], refs: list[OrderLineRef]) -> list[ev.LineQuantity]:
    """The Fast lines a refunded item belongs to; a quantity shared by several is given to each in turn."""
    quantity = abs(int(item.get("quantity") or 0))
    variation_id = int(item.get("variation_id") or 0)
    product_id = int(item.get("product_id") or 0)
    owners = [r for r in refs if (r.item == variation_id if variation_id else r.item == product_id and not r.variation)]
    found = []
    for ref in owners:
        if quantity <= 0:
            break
        share = min(quantity, ref.qty) if ref is not owners[-1] else quantity
        found.append(ev.LineQuantity(ref.id, share))
        quantity -= share
    return found
