"""What the service keeps about a WooCommerce cart beside the shop: the cart record and where it is stored.

The Store API has no place for Fast's line ids, the nonce the checkout may
need, or the order a cart became, so they live in the shared state store
under the cart's session id. The JSON layout is the one records have always
had: ``from_json`` reads records written before this module existed (keys
missing from them take their defaults).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from adapters.woocommerce.cart_token import CartRef
from mappings import woocommerce as wc
from service.state import StateStore

CART_RECORD_GRACE = 24 * 3600  # keep a cart's record a day past its token's expiry
ORDER_RECORD_TTL = 90 * 24 * 3600


@dataclass
class ItemSnapshot:
    """Enough of a cart item to restore it: quantity, id and variation attributes."""

    q: int
    id: Any = None
    v: list[list[str]] = field(default_factory=list)

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> ItemSnapshot:
        return cls(
            q=int(item.get("quantity") or 0),
            id=item.get("id"),
            v=[
                [str(v.get("raw_attribute") or v.get("attribute")), str(v.get("value"))]
                for v in item.get("variation") or []
                if isinstance(v, Mapping)
            ],
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ItemSnapshot:
        return cls(q=int(data.get("q", 0)), id=data.get("id"), v=[list(x) for x in data.get("v") or []])

    def to_json(self) -> dict[str, Any]:
        return {"q": self.q, "id": self.id, "v": self.v}

    def same_item(self, other: ItemSnapshot) -> bool:
        return self.id == other.id and self.v == other.v


def snapshot(cart: Mapping[str, Any]) -> dict[str, ItemSnapshot]:
    return {str(item["key"]): ItemSnapshot.from_item(item) for item in wc.cart_items(cart)}


@dataclass
class PendingAdd:
    """A new Fast line sent to the shop whose answer may be lost."""

    line_id: str | None
    id: Any
    qty: int
    product: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PendingAdd:
        return cls(data.get("line_id"), data.get("id"), int(data.get("qty") or 0), data.get("product"))

    def to_json(self) -> dict[str, Any]:
        return {"line_id": self.line_id, "id": self.id, "qty": self.qty, "product": self.product}


@dataclass
class Pending:
    """An items change in flight: the adds sent and the line map from before it."""

    adds: list[PendingAdd]
    lines: list[wc.TrackedLine]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Pending:
        return cls(
            [PendingAdd.from_json(a) for a in data.get("adds") or []],
            [wc.TrackedLine.from_json(x) for x in data.get("lines") or []],
        )

    def to_json(self) -> dict[str, Any]:
        return {"adds": [a.to_json() for a in self.adds], "lines": [t.to_json() for t in self.lines]}


@dataclass
class Converting:
    """A checkout sent whose answer may be lost: when, for whom, for how much (minor units)."""

    at: int
    email: str | None
    total: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Converting:
        return cls(int(data.get("at") or 0), data.get("email"), data.get("total"))

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at, "email": self.email, "total": self.total}


@dataclass
class CartRecord:
    fast_id: str | None = None
    lines: list[wc.TrackedLine] = field(default_factory=list)
    plans: dict[str, str] = field(default_factory=dict)  # package id -> Fast plan id
    items: dict[str, ItemSnapshot] = field(default_factory=dict)  # the last cart seen, by item key
    nonce: str | None = None
    billing: dict[str, Any] | None = None
    shipping: dict[str, Any] | None = None
    total: str | None = None  # totals.total_price, minor units
    minor: int = 2
    pending: Pending | None = None
    converting: Converting | None = None
    order_id: int | None = None
    packages: list[str] = field(default_factory=list)
    seen: bool = False  # the service has read this cart from the shop at least once
    canceled: bool = False
    unrecorded: bool = False  # the record was lost (or never made): rebuilt from the cart alone

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CartRecord:
        pending, converting = data.get("pending"), data.get("converting")
        return cls(
            fast_id=data.get("fast_id"),
            lines=[wc.TrackedLine.from_json(x) for x in data.get("lines") or []],
            plans=dict(data.get("plans") or {}),
            items={str(k): ItemSnapshot.from_json(v) for k, v in (data.get("items") or {}).items()},
            nonce=data.get("nonce"),
            billing=data.get("billing"),
            shipping=data.get("shipping"),
            total=data.get("total"),
            minor=int(data.get("minor") or 2),
            pending=Pending.from_json(pending) if pending else None,
            converting=Converting.from_json(converting) if converting else None,
            order_id=int(data["order_id"]) if data.get("order_id") else None,
            packages=[str(p) for p in data.get("packages") or []],
            seen=bool(data.get("seen")),
            canceled=bool(data.get("canceled")),
            unrecorded=bool(data.get("unrecorded")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "fast_id": self.fast_id,
            "lines": [t.to_json() for t in self.lines],
            "plans": dict(self.plans),
            "items": {k: v.to_json() for k, v in self.items.items()},
            "nonce": self.nonce,
            "billing": self.billing,
            "shipping": self.shipping,
            "total": self.total,
            "minor": self.minor,
            "pending": self.pending.to_json() if self.pending else None,
            "converting": self.converting.to_json() if self.converting else None,
            "order_id": self.order_id,
            "packages": list(self.packages),
            "seen": self.seen,
            "canceled": self.canceled,
            "unrecorded": self.unrecorded,
        }

    def quantity(self, key: str | None) -> int:
        """The quantity of a cart item in the last cart seen (0 for an item not in it)."""
        item = self.items.get(key or "")
        return item.q if item else 0

    def quantities(self) -> dict[str, int]:
        """Each cart item's quantity in the last cart seen."""
        return {key: item.q for key, item in self.items.items()}

    def untracked(self, key: str) -> int:
        """The part of a cart item's quantity no Fast line accounts for (e.g. added on the storefront)."""
        tracked = sum(line.qty for line in self.lines if line.key == key)
        return max(self.quantity(key) - tracked, 0)

    def remember(self, body: Mapping[str, Any], nonce: str | None) -> None:
        """Keep what the next call may need from the cart the shop just answered."""
        self.items = snapshot(body)
        self.seen = True
        self.lines = [line for line in self.lines if line.key in self.items]
        self.billing = body.get("billing_address") or self.billing
        self.shipping = body.get("shipping_address") or self.shipping
        self.total = wc.cart_total_minor(body)
        self.packages = [str(p.get("package_id")) for p in body.get("shipping_rates") or [] if isinstance(p, dict)]
        totals = body.get("totals")
        if isinstance(totals, Mapping) and isinstance(totals.get("currency_minor_unit"), int):
            self.minor = totals["currency_minor_unit"]
        if nonce:
            self.nonce = nonce


class CartRecords:
    """Cart records in the shared state store, kept while the cart lives (and long after it became an order)."""

    def __init__(self, state: StateStore, prefix: str, clock: Callable[[], float]) -> None:
        self.state = state
        self.prefix = prefix
        self.clock = clock

    def key(self, session: str) -> str:
        return f"{self.prefix}cart:{session}"

    def load(self, cart: CartRef) -> CartRecord | None:
        data = self.state.get_json(self.key(cart.session))
        return CartRecord.from_json(data) if data is not None else None

    def save(self, cart: CartRef, record: CartRecord) -> None:
        ttl = ORDER_RECORD_TTL if record.order_id else max(cart.exp - self.clock(), 0) + CART_RECORD_GRACE
        self.state.set_json(self.key(cart.session), record.to_json(), ttl)

    def delete(self, cart: CartRef) -> None:
        self.state.delete(self.key(cart.session))
