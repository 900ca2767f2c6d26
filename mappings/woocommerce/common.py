"""What every WooCommerce translation shares: meta keys, status tables, text and money parsing, cart reading.

Nothing here talks to the network.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from mappings import model
from mappings.money import ZERO, from_minor_units, to_decimal
from service.errors import ShapeError

# Order meta keys the adapter writes on orders it converts (underscore: hidden from the custom fields box).
META_FAST_ORDER_ID = "_fast_order_id"
META_FAST_STATUS = "_fast_status"
META_FAST_LINES = "_fast_lines"

# Rate methods that mean "the shopper collects the goods".
PICKUP_METHODS = frozenset({"local_pickup", "pickup_location"})
FREE_SHIPPING_METHOD = "free_shipping"

# WooCommerce's own labels for its coupon types (wc_get_coupon_types()).
COUPON_TYPE_LABELS = {
    "percent": "Percentage discount",
    "fixed_cart": "Fixed cart discount",
    "fixed_product": "Fixed product discount",
}

# The WooCommerce status each Fast status becomes, unless the store overrides it.
DEFAULT_STATUS_MAP: dict[str, str] = {
    model.STATUS_PENDING: "on-hold",
    model.STATUS_HOLD: "on-hold",
    model.STATUS_BOOKED: "on-hold",
    model.STATUS_PENDING_FULFILLMENT: "processing",
    model.STATUS_FULFILLED: "completed",
    model.STATUS_COMPLETE: "completed",
    model.STATUS_CANCELED: "cancelled",
}
# What a WooCommerce status means to Fast when the order carries no (matching) Fast status of ours.
WOO_TO_FAST_STATUS: dict[str, str] = {
    "checkout-draft": model.STATUS_CART,
    "pending": model.STATUS_PENDING,
    "on-hold": model.STATUS_PENDING,
    "processing": model.STATUS_PENDING_FULFILLMENT,
    "completed": model.STATUS_COMPLETE,
    "cancelled": model.STATUS_CANCELED,
    "refunded": model.STATUS_CANCELED,
    "failed": model.STATUS_CANCELED,
    "trash": model.STATUS_DELETED,
}


def clean_text(value: Any) -> str | None:
    """WooCommerce's HTML-ish text (entities, tags) as plain text; None when empty."""
    if value is None:
        return None
    text = re.sub(r"<(?:br|/p|/li|/div|/h\d)[^>]*>", " ", str(value), flags=re.IGNORECASE)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    text = re.sub(r"\s+", " ", text).strip()
    return text or None


def minor_unit(data: Mapping[str, Any], fallback: int = 2) -> int:
    unit = data.get("currency_minor_unit", fallback)
    if isinstance(unit, bool) or not isinstance(unit, int) or not 0 <= unit <= 8:
        raise ShapeError("the shop sent an invalid currency_minor_unit")
    return unit


def minor_amount(data: Mapping[str, Any], key: str, minor: int) -> Decimal:
    value = data.get(key, "0")
    if value in (None, ""):
        value = "0"
    if isinstance(value, float):
        raise ShapeError(f"the shop sent {key} as a float")
    return from_minor_units(value, minor)


def decimal_amount(value: Any) -> Decimal:
    if value in (None, ""):
        return ZERO
    if isinstance(value, float):
        # REST v3 sends a few amounts as JSON numbers; go through their text, never binary float.
        return Decimal(repr(value))
    return to_decimal(value)


def str_or_none(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


_COUPON_REASONS = (
    ("does not exist", "COUPON_NOT_FOUND"),
    ("invalid coupon", "COUPON_NOT_FOUND"),
    ("expired", "COUPON_EXPIRED"),
    ("minimum spend", "COUPON_MINIMUM_NOT_MET"),
    ("maximum spend", "COUPON_MAXIMUM_EXCEEDED"),
    ("usage limit", "COUPON_USAGE_LIMIT_REACHED"),
    ("not applicable", "COUPON_NOT_APPLICABLE"),
    ("cannot be used in conjunction", "COUPON_NOT_COMBINABLE"),
    ("individual use", "COUPON_NOT_COMBINABLE"),
)


def coupon_reason_code(message: str) -> str:
    """A stable reason code from WooCommerce's (English) coupon message; COUPON_REFUSED otherwise."""
    lowered = message.lower()
    for needle, code in _COUPON_REASONS:
        if needle in lowered:
            return code
    return "COUPON_REFUSED"


def cart_items(cart: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    items = cart.get("items")
    if not isinstance(items, list) or not all(isinstance(i, Mapping) and "key" in i for i in items):
        raise ShapeError("the shop's cart has no items list")
    return items


def item_quantities(cart: Mapping[str, Any]) -> dict[str, int]:
    return {str(item["key"]): int(item.get("quantity") or 0) for item in cart_items(cart)}


def selected_rates(cart: Mapping[str, Any]) -> dict[str, str]:
    """package id -> selected rate id."""
    chosen: dict[str, str] = {}
    for package in cart.get("shipping_rates") or []:
        for rate in package.get("shipping_rates") or []:
            if rate.get("selected"):
                chosen[str(package.get("package_id"))] = str(rate.get("rate_id"))
    return chosen


def cart_total_minor(cart: Mapping[str, Any]) -> str | None:
    """``totals.total_price`` as WooCommerce sends it (for ``expected_total`` at checkout)."""
    totals = cart.get("totals")
    if isinstance(totals, Mapping) and isinstance(totals.get("total_price"), str | int):
        return str(totals["total_price"])
    return None


def meta_value(order: Mapping[str, Any], key: str) -> Any:
    for entry in order.get("meta_data") or []:
        if isinstance(entry, Mapping) and entry.get("key") == key:
            return entry.get("value")
    return None


def fast_status_of(order: Mapping[str, Any], status_map: Mapping[str, str]) -> str:
    """Fast's status for a WooCommerce order: ours when the order still carries it, else the meaning of Woo's."""
    woo_status = str(order.get("status") or "")
    ours = meta_value(order, META_FAST_STATUS)
    if isinstance(ours, str) and status_map.get(ours) == woo_status:
        return ours
    return WOO_TO_FAST_STATUS.get(woo_status, model.STATUS_HOLD)
