"""What Shopify and Fast share about a cart: the ids, tags and attributes Fast's ids ride in, amounts.

Shopify keeps Fast's ids itself so the service stays stateless: the draft
order carries Fast's order id as a custom attribute (``_fast_order_id``) and a
searchable tag, each line item carries Fast's line id (``_fast_line_id``), and
the shipment plan id rides as ``_fast_plan_id``. Attributes whose key starts
with an underscore are hidden from the customer by Shopify's convention.

Amounts come from Shopify's ``MoneyBag`` (presentment money, the currency the
customer pays in) and stay ``Decimal`` from the wire to the wire. Pure
translation lives beside this module: ``to_fast.py`` (Shopify's JSON as Fast's
model), ``to_shopify.py`` (Fast's values as Shopify inputs), ``documents.py``
(the GraphQL documents).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from mappings import model
from mappings.money import ZERO, to_decimal
from service.errors import ShapeError

FAST_ORDER_ATTR = "_fast_order_id"


FAST_LINE_ATTR = "_fast_line_id"


FAST_PLAN_ATTR = "_fast_plan_id"


FAST_TAG = "fast"


PLAN_EXTERNAL_ID = "default"


HOLD_HANDLE = "fast-awaiting-payment"

# Fast's order status after conversion lives in one tag on the Shopify order.
STATUS_TAGS: dict[str, str] = {
    model.STATUS_HOLD: "fast-status-hold",
    model.STATUS_BOOKED: "fast-status-booked",
    model.STATUS_PENDING_FULFILLMENT: "fast-status-pending-fulfillment",
    model.STATUS_CANCELED: "fast-status-canceled",
}


_GID = re.compile(r"^gid://shopify/([A-Za-z]+)/([^/?#\s]+)$")


# Currencies whose minor unit is not the cent (ISO 4217).
_ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split()  # noqa: SIM905
)


_THREE_DECIMAL = frozenset("BHD IQD JOD KWD LYD OMR TND".split())  # noqa: SIM905


# --- ids ----------------------------------------------------------------------------------


def gid(kind: str, value: str | int) -> str:
    return f"gid://shopify/{kind}/{value}"


def parse_gid(value: str | None) -> tuple[str, str] | None:
    """``gid://shopify/DraftOrder/12`` -> ``("DraftOrder", "12")``; anything else -> None."""
    if not value:
        return None
    match = _GID.match(value.strip())
    return (match.group(1), match.group(2)) if match else None


def as_gid(kind: str, value: str | None) -> str | None:
    """A Fast-side id (numeric legacy id or a GID of this kind) as a GID, or None if it is neither."""
    if value is None:
        return None
    value = str(value).strip()
    parsed = parse_gid(value)
    if parsed:
        return value if parsed[0] == kind and parsed[1].isdigit() else None
    return gid(kind, value) if value.isdigit() else None


def order_tag(fast_order_id: str) -> str:
    """The searchable tag naming a Fast order; short enough for Shopify's 40-character tag limit.

    Lookups by tag always confirm the exact id in the ``_fast_order_id`` attribute.
    """
    compact = re.sub(r"[^a-z0-9]", "", fast_order_id.lower())
    if not compact or len(compact) > 32:
        compact = hashlib.sha256(fast_order_id.encode()).hexdigest()[:32]
    return f"fast-id-{compact}"


def tag_query(fast_order_id: str) -> str:
    return f'tag:"{order_tag(fast_order_id)}"'


# --- attributes and amounts ---------------------------------------------------------------


def attributes(raw: Iterable[dict[str, Any]] | None) -> list[tuple[str, str]]:
    return [(a["key"], a.get("value") or "") for a in raw or ()]


def attribute(raw: Iterable[dict[str, Any]] | None, key: str) -> str | None:
    for k, v in attributes(raw):
        if k == key:
            return v or None
    return None


def exponent(currency: str | None) -> Decimal:
    code = (currency or "").upper()
    if code in _ZERO_DECIMAL:
        return Decimal("1")
    if code in _THREE_DECIMAL:
        return Decimal("0.001")
    return Decimal("0.01")


def money(bag: dict[str, Any] | None) -> Decimal:
    """A ``MoneyBag``'s presentment amount (what the customer pays), exactly."""
    if not bag:
        return ZERO
    inner = bag.get("presentmentMoney") or bag.get("shopMoney") or {}
    return amount(inner)


def amount(money_v2: dict[str, Any] | None) -> Decimal:
    if not money_v2 or money_v2.get("amount") is None:
        return ZERO
    try:
        return to_decimal(str(money_v2["amount"]))
    except ValueError:
        raise ShapeError(f"Shopify sent an amount that is not a decimal: {money_v2['amount']!r}") from None
