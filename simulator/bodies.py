"""Fast's request bodies in the two dialects the service must accept.

``openapi``: Fast's published contract (``type``, ``{"value": ...}`` ids,
``items[].item_id``, coupon objects). ``seeds``: the dialect of Fast's
developer guide (``entity_type``, bare-string ids and ``request_id``, items as
``{"id", "quantity"}``, a removal as an item with no quantity, a bare-string
coupon). The scenarios are written once against ``Dialect`` and run in both.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

DIALECTS = ("openapi", "seeds")


@dataclass(frozen=True)
class ItemRef:
    """How Fast names a sellable item: exact item id, product, product + variant, or product + options."""

    product_id: str | None = None
    variant_id: str | None = None
    item_id: str | None = None
    options: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @classmethod
    def parse(cls, text: str) -> ItemRef:
        """``1001``, ``2001:2001-BLK-M`` (product:variant), ``item=GIFT-BOX-XL``, ``2001?size=M&color=Black``."""
        text = text.strip()
        if not text:
            raise ValueError("an empty product")
        if text.startswith("item="):
            return cls(item_id=text.removeprefix("item="))
        product, _, query = text.partition("?")
        product, _, variant = product.partition(":")
        options = tuple(parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query)))
        return cls(product_id=product or None, variant_id=variant or None, options=options)

    def wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.item_id:
            out["external_item_id"] = self.item_id
        if self.product_id:
            out["external_product_id"] = self.product_id
        if self.variant_id:
            out["external_variant_id"] = self.variant_id
        if self.options:
            out["external_options"] = [{"key": k, "value": v} for k, v in self.options]
        return out

    def __str__(self) -> str:
        if self.item_id:
            return f"item {self.item_id}"
        text = f"product {self.product_id}"
        if self.variant_id:
            text += f" variant {self.variant_id}"
        if self.options:
            text += " (" + ", ".join(f"{k}={v}" for k, v in self.options) + ")"
        return text


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4()}"


class Dialect:
    """Builds each request body; subclasses differ only where the dialects do."""

    name = "openapi"

    def __init__(self, app_id: str) -> None:
        self.app_id = app_id

    # --- pieces that differ ---------------------------------------------------

    def uuid(self, value: str) -> Any:
        return {"value": value}

    def envelope(self, operation: str, order: dict[str, Any], request_id: str) -> dict[str, Any]:
        return {"app_id": self.app_id, "type": "ENTITY_TYPE_ORDER", "order": order, "request_id": {"value": request_id}}

    def item(self, line_id: str, quantity: int, ref: ItemRef | None = None) -> dict[str, Any]:
        return {"item_id": {"value": line_id}, "quantity": quantity, **(ref.wire() if ref else {})}

    def removal(self, line_id: str) -> dict[str, Any]:
        return {"item_id": {"value": line_id}, "quantity": 0}

    def coupon(self, code: str) -> Any:
        return {"code": code}

    # --- the four calls -----------------------------------------------------------

    def create(self, fast_id: str, lines: list[tuple[str, int, ItemRef]], request_id: str) -> dict[str, Any]:
        order = {
            "is_cart": True,
            "order": {
                "id": {"value": fast_id},
                "order_type": "ORDER_TYPE_CART",
                "status": "ORDER_STATUS_CART",
                "lines": [
                    {"id": {"value": line_id}, "quantity": quantity, **ref.wire()} for line_id, quantity, ref in lines
                ],
            },
        }
        return self.envelope("create", order, request_id)

    def read(self, request_id: str, *, fast_id: str | None = None, external_id: str | None = None) -> dict[str, Any]:
        order: dict[str, Any] = {"is_cart": True}
        if fast_id:
            order["order_id"] = self.uuid(fast_id)
        if external_id:
            order["external_order_id"] = external_id
        return self.envelope("read", order, request_id)

    def update(
        self, request_id: str, *, fast_id: str | None = None, external_id: str | None = None, **segments: Any
    ) -> dict[str, Any]:
        order: dict[str, Any] = {}
        if fast_id:
            order["order_id"] = self.uuid(fast_id)
        if external_id:
            order["external_id"] = external_id
        order.update(segments)
        return self.envelope("update", order, request_id)

    def delete(self, request_id: str, *, fast_id: str | None = None, external_id: str | None = None) -> dict[str, Any]:
        order: dict[str, Any] = {"is_cart": True}
        if fast_id:
            order["order_id"] = self.uuid(fast_id)
        if external_id:
            order["external_order_id"] = external_id
        return self.envelope("delete", order, request_id)

    # --- segment values shared by both dialects ------------------------------------

    def coupon_removal(self, code: str) -> dict[str, Any]:
        return {"code": code, "remove": True}

    def shipments(self, address: dict[str, Any], line_ids: list[str], plan_id: str) -> list[dict[str, Any]]:
        return [
            {
                "plan_id": {"value": plan_id},
                "ship_to": address,
                "line_refs": [{"id": {"value": line_id}} for line_id in line_ids],
            }
        ]

    def shipping_option(self, plan_id: str, option_id: str) -> dict[str, Any]:
        return {"plan_id": {"value": plan_id}, "option_id": {"value": option_id}, "external_option_id": option_id}


class SeedsDialect(Dialect):
    name = "seeds"

    def uuid(self, value: str) -> Any:
        return value

    def envelope(self, operation: str, order: dict[str, Any], request_id: str) -> dict[str, Any]:
        # The developer guide's spellings: entity_type on create/read/delete, "type" on update.
        kind = {"create": "ENTITY_ORDER", "read": "ENTITY_TYPE_ORDER", "delete": "ENTITY_ORDER"}
        head = {"type": "ENTITY_TYPE_ORDER"} if operation == "update" else {"entity_type": kind[operation]}
        return {**head, "app_id": self.app_id, "order": order, "request_id": request_id}

    def item(self, line_id: str, quantity: int, ref: ItemRef | None = None) -> dict[str, Any]:
        return {"id": line_id, "quantity": quantity, **(ref.wire() if ref else {})}

    def removal(self, line_id: str) -> dict[str, Any]:
        return {"id": line_id}  # proto3: an absent quantity is 0

    def coupon(self, code: str) -> Any:
        return code


def dialect(name: str, app_id: str) -> Dialect:
    if name == "seeds":
        return SeedsDialect(app_id)
    if name == "openapi":
        return Dialect(app_id)
    raise ValueError(f"unknown dialect {name!r}; known: {', '.join(DIALECTS)}")
