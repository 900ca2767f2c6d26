"""The sandbox shop's cart (an order once converted): a typed record stored as JSON.

The JSON layout is the one the state store already holds (``to_json`` writes it,
``from_json`` reads it), so carts made before this module still load.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass, field
from typing import Any

from mappings import model

CART_TTL = 7 * 24 * 3600
ORDER_TTL = 90 * 24 * 3600

_ADDRESS_FIELDS = tuple(f.name for f in dataclasses.fields(model.Address))


def address_json(address: model.Address | None) -> dict[str, Any] | None:
    """An address as the cart stores it: only the fields that are set."""
    if address is None:
        return None
    return {name: getattr(address, name) for name in _ADDRESS_FIELDS if getattr(address, name) is not None}


def _address(data: dict[str, Any] | None) -> model.Address | None:
    return None if not data else model.Address(**data)


@dataclass
class CartLine:
    """One line: Fast's line id (None for a storefront cart), the shop's line id, the item, how many."""

    id: str | None
    line_id: str
    sku: str
    qty: int

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "line_id": self.line_id, "sku": self.sku, "qty": self.qty}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CartLine:
        return cls(data.get("id"), data["line_id"], data["sku"], data["qty"])


@dataclass
class SandboxCart:
    id: str
    fast_id: str | None = None
    status: str = model.STATUS_CART
    order_no: str | None = None
    lines: list[CartLine] = field(default_factory=list)
    next_line: int = 1
    coupons: list[str] = field(default_factory=list)  # codes, in the order they were applied
    bill_to: dict[str, Any] | None = None
    ship_to: dict[str, Any] | None = None
    plan_id: str | None = None
    rate: str | None = None  # the chosen shipping rate's id

    @classmethod
    def new(cls, fast_id: str | None) -> SandboxCart:
        return cls(id="sbx_" + secrets.token_urlsafe(18).replace("-", "x").replace("_", "y"), fast_id=fast_id)

    # --- JSON ------------------------------------------------------------------------

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SandboxCart:
        return cls(
            id=data["id"],
            fast_id=data.get("fast_id"),
            status=data["status"],
            order_no=data.get("order_no"),
            lines=[CartLine.from_json(line) for line in data.get("lines", [])],
            next_line=data.get("next_line", 1),
            coupons=list(data.get("coupons", [])),
            bill_to=data.get("bill_to"),
            ship_to=data.get("ship_to"),
            plan_id=data.get("plan_id"),
            rate=data.get("rate"),
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "fast_id": self.fast_id,
            "status": self.status,
            "order_no": self.order_no,
            "lines": [line.to_json() for line in self.lines],
            "next_line": self.next_line,
            "coupons": list(self.coupons),
        }
        for key in ("bill_to", "ship_to", "plan_id", "rate"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data

    # --- what the code asks of a cart ---------------------------------------------------

    @property
    def is_cart(self) -> bool:
        return self.status == model.STATUS_CART

    @property
    def reference(self) -> str:
        """What Fast calls it: the order number once converted, else the cart id."""
        return self.order_no or self.id

    @property
    def ttl(self) -> int:
        return CART_TTL if self.is_cart else ORDER_TTL

    def ship_to_address(self) -> model.Address | None:
        return _address(self.ship_to)

    def bill_to_address(self) -> model.Address | None:
        return _address(self.bill_to)

    def add_line(self, fast_line_id: str | None, sku: str, qty: int) -> CartLine:
        line = CartLine(fast_line_id, f"ln_{self.next_line}", sku, qty)
        self.lines.append(line)
        self.next_line += 1
        return line

    def line(self, line_id: str | None) -> CartLine | None:
        return next((line for line in self.lines if line.line_id == line_id), None)

    def quantities_by_sku(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for line in self.lines:
            totals[line.sku] = totals.get(line.sku, 0) + line.qty
        return totals

    def has_coupon(self, code: str) -> bool:
        return any(c.upper() == code.upper() for c in self.coupons)

    def remove_coupon(self, code: str) -> None:
        self.coupons = [c for c in self.coupons if c.upper() != code.upper()]
