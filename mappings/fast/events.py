"""After-checkout events (refund, cancellation, shipment) and the bodies of Fast's seller API calls.

An event says what happened in the shop in Fast's terms (Fast's line ids,
exact Decimal amounts). ``key`` names what the event describes (the shop's
refund id, the order's cancellation, the shipment id): two deliveries of the
same webhook share it, two different refunds never do. Records round-trip
through JSON for the queue. Nothing here talks to the network.

Bodies follow ``../shared/spec/seller-to-fast`` (v1RefundOrderRequest,
v1CancelOrderRequest, v1BusinessEventRequest): money as decimal strings, line
quantities as int64 written as strings (``v1OrderLineContext.quantity``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from mappings.money import ZERO, to_decimal, to_wire

REFUND = "refund"
CANCEL = "cancel"
SHIPMENT = "shipment"
KINDS = (REFUND, CANCEL, SHIPMENT)

CANCEL_MERCHANT = "CANCEL_REASON_CODE_MERCHANT_INITIATED"
CANCEL_CUSTOMER = "CANCEL_REASON_CODE_CUSTOMER_INITIATED"
CANCEL_NO_STOCK = "CANCEL_REASON_CODE_NO_STOCK"
CANCEL_OTHER = "CANCEL_REASON_CODE_OTHER"
REFUND_OTHER = "REFUND_REASON_CODE_OTHER"
REFUND_DAMAGED = "REFUND_REASON_CODE_DAMAGED_PRODUCT"
REFUND_NOT_DELIVERED = "REFUND_REASON_CODE_NOT_DELIVERED"
REFUND_UNSATISFIED = "REFUND_REASON_CODE_UNSATISFIED"
REFUND_WRONG_PRODUCT = "REFUND_REASON_CODE_WRONG_PRODUCT"
FULFILLMENT_EVENT = "BUSINESS_EVENT_TYPE_FULFILLMENT"


@dataclass(frozen=True)
class LineQuantity:
    """Some quantity of one Fast line."""

    fast_line_id: str
    quantity: int


@dataclass
class Refund:
    refund_id: str
    amount: Decimal  # what the shopper gets back, tax and shipping included
    tax: Decimal = ZERO
    shipping: Decimal = ZERO
    lines: list[LineQuantity] = field(default_factory=list)
    reason: str | None = None  # a v1RefundReasonCode
    note: str | None = None


@dataclass
class Cancel:
    reason: str = CANCEL_MERCHANT
    note: str | None = None


@dataclass
class Shipment:
    shipment_id: str
    carrier: str | None = None
    tracking_number: str | None = None
    lines: list[LineQuantity] = field(default_factory=list)
    estimated_delivery_date: str | None = None  # YYYY-MM-DD


Detail = Refund | Cancel | Shipment


@dataclass
class Event:
    """One thing that happened to a Fast order in the shop, to be told to Fast once."""

    app_id: str
    platform: str
    kind: str
    key: str  # what the event describes, unique per store: "refund:123", "cancel", "shipment:9"
    shop_order_id: str
    fast_order_id: str | None  # None until read from the shop (a Shopify refund's payload lacks it)
    detail: Detail
    # True when the shop's payload only names the event: its amounts and lines are read before delivery.
    pending_detail: bool = False

    @property
    def id(self) -> str:
        return f"{self.app_id}/{self.shop_order_id}/{self.key}"

    def to_json(self) -> dict[str, Any]:
        return {
            "app_id": self.app_id,
            "platform": self.platform,
            "kind": self.kind,
            "key": self.key,
            "shop_order_id": self.shop_order_id,
            "fast_order_id": self.fast_order_id,
            "detail": _detail_json(self.detail),
            "pending_detail": self.pending_detail,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Event:
        return cls(
            app_id=str(data["app_id"]),
            platform=str(data["platform"]),
            kind=str(data["kind"]),
            key=str(data["key"]),
            shop_order_id=str(data["shop_order_id"]),
            fast_order_id=data.get("fast_order_id"),
            detail=_detail_from_json(str(data["kind"]), data["detail"]),
            pending_detail=bool(data.get("pending_detail")),
        )


def _lines_json(lines: list[LineQuantity]) -> list[dict[str, Any]]:
    return [{"id": line.fast_line_id, "quantity": line.quantity} for line in lines]


def _lines_from_json(raw: list[dict[str, Any]]) -> list[LineQuantity]:
    return [LineQuantity(str(entry["id"]), int(entry["quantity"])) for entry in raw]


def _detail_json(detail: Detail) -> dict[str, Any]:
    if isinstance(detail, Refund):
        return {
            "refund_id": detail.refund_id,
            "amount": to_wire(detail.amount),
            "tax": to_wire(detail.tax),
            "shipping": to_wire(detail.shipping),
            "lines": _lines_json(detail.lines),
            "reason": detail.reason,
            "note": detail.note,
        }
    if isinstance(detail, Cancel):
        return {"reason": detail.reason, "note": detail.note}
    return {
        "shipment_id": detail.shipment_id,
        "carrier": detail.carrier,
        "tracking_number": detail.tracking_number,
        "lines": _lines_json(detail.lines),
        "estimated_delivery_date": detail.estimated_delivery_date,
    }


def _detail_from_json(kind: str, data: dict[str, Any]) -> Detail:
    if kind == REFUND:
        return Refund(
            refund_id=str(data["refund_id"]),
            amount=to_decimal(data["amount"]),
            tax=to_decimal(data["tax"]),
            shipping=to_decimal(data["shipping"]),
            lines=_lines_from_json(data.get("lines") or []),
            reason=data.get("reason"),
            note=data.get("note"),
        )
    if kind == CANCEL:
        return Cancel(reason=str(data["reason"]), note=data.get("note"))
    if kind == SHIPMENT:
        return Shipment(
            shipment_id=str(data["shipment_id"]),
            carrier=data.get("carrier"),
            tracking_number=data.get("tracking_number"),
            lines=_lines_from_json(data.get("lines") or []),
            estimated_delivery_date=data.get("estimated_delivery_date"),
        )
    raise ValueError(f"unknown event kind {kind!r}")


# --- Fast's seller API: path and body per event ------------------------------------------


def _uuid(value: str) -> dict[str, str]:
    return {"value": value}


def _line_context(line: LineQuantity) -> dict[str, Any]:
    # v1OrderLineContext.quantity is an int64, which proto3 JSON writes as a string.
    return {"id": _uuid(line.fast_line_id), "quantity": str(line.quantity)}


def refund_body(fast_order_id: str, refund: Refund) -> dict[str, Any]:
    """A v1RefundOrderRequest; ``external_refund_id`` is the shop's refund id (Fast's idempotency key)."""
    body: dict[str, Any] = {
        "order_id": _uuid(fast_order_id),
        "external_refund_id": refund.refund_id,
        "reason": refund.reason or REFUND_OTHER,
        "amount": to_wire(refund.amount),
        "tax_amount": to_wire(refund.tax),
        "shipping_amount": to_wire(refund.shipping),
        "order_lines": [
            {"line": _line_context(line), "reason": refund.reason or REFUND_OTHER} for line in refund.lines
        ],
    }
    if refund.note:
        body["note"] = refund.note
    return body


def cancel_body(fast_order_id: str, cancel: Cancel) -> dict[str, Any]:
    body: dict[str, Any] = {"order_id": _uuid(fast_order_id), "reason": cancel.reason}
    if cancel.note:
        body["notes"] = cancel.note
    return body


def shipment_body(fast_order_id: str, shipment: Shipment) -> dict[str, Any]:
    """A v1BusinessEventRequest of type FULFILLMENT (v1ShippingInfo has no tracking URL field)."""
    info: dict[str, Any] = {"order_lines": [_line_context(line) for line in shipment.lines]}
    if shipment.tracking_number:
        info["tracking_number"] = shipment.tracking_number
    if shipment.carrier:
        info["carrier"] = shipment.carrier
    if shipment.estimated_delivery_date:
        info["estimated_delivery_date"] = shipment.estimated_delivery_date
    return {
        "order_id": _uuid(fast_order_id),
        "event_type": FULFILLMENT_EVENT,
        "fulfillment": {"order_id": _uuid(fast_order_id), "shipment": info},
    }


# The request schema each call's body must satisfy, for the tests and the local stand-in.
REQUEST_SCHEMAS = {
    REFUND: "v1RefundOrderRequest",
    CANCEL: "v1CancelOrderRequest",
    SHIPMENT: "v1BusinessEventRequest",
}


def fast_call(fast_order_id: str, event: Event) -> tuple[str, dict[str, Any]]:
    """The path (under Fast's API base) and JSON body that tell Fast about ``event``."""
    order = fast_order_id
    detail = event.detail
    if isinstance(detail, Refund):
        return f"v1/external/orders/{order}/refund", refund_body(order, detail)
    if isinstance(detail, Cancel):
        return f"v1/external/orders/{order}", cancel_body(order, detail)
    return f"v1/external/orders/{order}/business_event", shipment_body(order, detail)
