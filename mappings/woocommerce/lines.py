"""The Fast line map: the WooCommerce cart item (or order line) holding each Fast line; exact splits of shared items.

The Store API cannot carry Fast's line ids, so the adapter keeps a small map
(``TrackedLine``) from each Fast line to the WooCommerce cart item key it lives
in. Two Fast lines may share one cart item (WooCommerce merges the same
product into one item); the map keeps each Fast line's own quantity and the
amounts of the shared item are split between them exactly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from mappings.money import ZERO, quantize
from mappings.woocommerce.common import META_FAST_LINES, meta_value


@dataclass
class TrackedLine:
    """One Fast line and the WooCommerce cart item holding it.

    ``item`` is the cart item's ``id`` (a product id, or a variation id when
    ``variation`` is true); ``product`` is the parent product Fast named, kept
    so the line can be described after conversion.
    """

    id: str
    key: str
    qty: int
    item: int | None = None
    variation: bool = False
    product: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TrackedLine:
        return cls(
            id=str(data["id"]),
            key=str(data["key"]),
            qty=int(data["qty"]),
            item=data.get("item"),
            variation=bool(data.get("variation")),
            product=data.get("product"),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def lines_by_key(lines: Iterable[TrackedLine]) -> dict[str, list[TrackedLine]]:
    grouped: dict[str, list[TrackedLine]] = {}
    for line in lines:
        grouped.setdefault(line.key, []).append(line)
    return grouped


def split_quantity(total: int, lines: list[TrackedLine]) -> list[int]:
    """Each Fast line's share of a cart item's quantity; the shares add up to ``total``.

    When the shop's quantity differs from what the lines say (a storefront
    edit, a quantity limit), the earlier lines keep theirs and the last line
    absorbs the difference; lines that would be left with nothing get 0.
    """
    shares: list[int] = []
    left = total
    for index, line in enumerate(lines):
        if index == len(lines) - 1:
            shares.append(max(left, 0))
        else:
            take = min(line.qty, max(left, 0))
            shares.append(take)
            left -= take
    return shares


def allocate(amount: Decimal, weights: list[int], exponent: Decimal) -> list[Decimal]:
    """Split ``amount`` in proportion to ``weights``; the parts add up to ``amount`` exactly."""
    total = sum(weights)
    if not weights:
        return []
    if total <= 0:
        return [ZERO] * (len(weights) - 1) + [amount]
    parts = [quantize(amount * w / total, exponent) for w in weights]
    parts[-1] += amount - sum(parts, ZERO)
    return parts


@dataclass
class OrderLineRef:
    """A Fast line as recorded on the order (meta ``_fast_lines``)."""

    id: str
    item: int | None
    variation: bool
    qty: int
    product: str | None = None


def fast_lines_meta(lines: list[TrackedLine]) -> str:
    return json.dumps(
        [{"id": t.id, "item": t.item, "variation": t.variation, "qty": t.qty, "product": t.product} for t in lines],
        separators=(",", ":"),
    )


def order_line_refs(order: Mapping[str, Any]) -> list[OrderLineRef]:
    raw = meta_value(order, META_FAST_LINES)
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return []
    refs: list[OrderLineRef] = []
    for entry in raw or []:
        if isinstance(entry, Mapping) and entry.get("id"):
            refs.append(
                OrderLineRef(
                    id=str(entry["id"]),
                    item=entry.get("item") if isinstance(entry.get("item"), int) else None,
                    variation=bool(entry.get("variation")),
                    qty=int(entry.get("qty") or 0),
                    product=entry.get("product"),
                )
            )
    return refs
