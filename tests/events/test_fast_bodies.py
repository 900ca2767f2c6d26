"""Every body sent to Fast's seller API conforms to the seller-to-fast OpenAPI schemas, amounts exact."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mappings.fast import events as ev
from simulator import seller_schemas

FAST_ORDER = "8a1c9d0e-1111-4222-8333-444455556666"


def _event(detail: ev.Detail, kind: str, key: str) -> ev.Event:
    return ev.Event("app-1", "woocommerce", kind, key, "101", FAST_ORDER, detail)


REFUND = ev.Refund(
    refund_id="r-77",
    amount=Decimal("23.10"),
    tax=Decimal("1.10"),
    shipping=Decimal("5.00"),
    lines=[ev.LineQuantity("line-a", 2), ev.LineQuantity("line-b", 1)],
    reason=ev.REFUND_DAMAGED,
    note="box crushed",
)


def test_refund_body_is_exact_and_valid() -> None:
    path, body = ev.fast_call(FAST_ORDER, _event(REFUND, ev.REFUND, "refund:r-77"))
    assert path == f"v1/external/orders/{FAST_ORDER}/refund"
    assert body == {
        "order_id": {"value": FAST_ORDER},
        "external_refund_id": "r-77",
        "reason": "REFUND_REASON_CODE_DAMAGED_PRODUCT",
        "amount": "23.10",
        "tax_amount": "1.10",
        "shipping_amount": "5.00",
        "order_lines": [
            {"line": {"id": {"value": "line-a"}, "quantity": "2"}, "reason": "REFUND_REASON_CODE_DAMAGED_PRODUCT"},
            {"line": {"id": {"value": "line-b"}, "quantity": "1"}, "reason": "REFUND_REASON_CODE_DAMAGED_PRODUCT"},
        ],
        "note": "box crushed",
    }
    assert seller_schemas.problems("v1RefundOrderRequest", body) == []


def test_cancel_body_is_valid() -> None:
    path, body = ev.fast_call(FAST_ORDER, _event(ev.Cancel(note="out of stock"), ev.CANCEL, "cancel"))
    assert path == f"v1/external/orders/{FAST_ORDER}"
    assert body == {
        "order_id": {"value": FAST_ORDER},
        "reason": "CANCEL_REASON_CODE_MERCHANT_INITIATED",
        "notes": "out of stock",
    }
    assert seller_schemas.problems("v1CancelOrderRequest", body) == []


def test_shipment_body_is_valid_with_string_quantities() -> None:
    shipment = ev.Shipment("f-9", carrier="UPS", tracking_number="1Z999", lines=[ev.LineQuantity("line-a", 3)])
    path, body = ev.fast_call(FAST_ORDER, _event(shipment, ev.SHIPMENT, "shipment:f-9"))
    assert path == f"v1/external/orders/{FAST_ORDER}/business_event"
    assert body["event_type"] == "BUSINESS_EVENT_TYPE_FULFILLMENT"
    assert body["fulfillment"]["shipment"] == {
        "order_lines": [{"id": {"value": "line-a"}, "quantity": "3"}],
        "tracking_number": "1Z999",
        "carrier": "UPS",
    }
    assert seller_schemas.problems("v1BusinessEventRequest", body) == []


def test_the_validator_refuses_what_the_contract_does_not_allow() -> None:
    _, body = ev.fast_call(FAST_ORDER, _event(REFUND, ev.REFUND, "refund:r-77"))
    body["order_lines"][0]["line"]["quantity"] = 2  # int64 must be a string on the wire
    body["tracking_url"] = "https://x"
    found = seller_schemas.problems("v1RefundOrderRequest", body)
    assert any("quantity" in p for p in found)
    assert any("tracking_url" in p for p in found)


@pytest.mark.parametrize("detail", [REFUND, ev.Cancel(ev.CANCEL_CUSTOMER, "asked"), ev.Shipment("s1", "DHL", "X")])
def test_events_round_trip_through_json(detail: ev.Detail) -> None:
    kind = {ev.Refund: ev.REFUND, ev.Cancel: ev.CANCEL, ev.Shipment: ev.SHIPMENT}[type(detail)]
    event = _event(detail, kind, "k")
    assert ev.Event.from_json(event.to_json()) == event
