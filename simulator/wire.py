"""Reading Fast's answers as they came over the wire: money strings, lists of objects, plans."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

TOTALS = ("sub_total", "total_discounts", "total_tax", "total_shipping", "total_amount")
LINE_MONEY = ("unit_price", "discounted_unit_price", "line_discount_amount", "subtotal_amount", "tax_amount")
OPTION_MONEY = ("cost", "tax", "total")
_DECIMAL = re.compile(r"^\d+(\.\d+)?$")


# --- reading an answer ------------------------------------------------------------


def money(value: Any) -> Decimal | None:
    """A wire amount as Decimal; None unless it is a plain non-negative decimal string."""
    if not isinstance(value, str) or not _DECIMAL.match(value):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


def dicts_in(container: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = container.get(key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def plans(order: dict[str, Any]) -> list[dict[str, Any]]:
    return dicts_in(order, "shipment_plans")
