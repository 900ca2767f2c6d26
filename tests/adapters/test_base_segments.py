"""adapters/base.run_segments: the order, refusal and status[] of an update, decided once."""

from __future__ import annotations

import pytest

from adapters.base import SegmentRefused, refused_coupon, run_segments
from adapters.sandbox.cart import SandboxCart
from mappings import model
from service.errors import InvalidRequest, UpstreamUnavailable


def _update() -> model.OrderUpdate:
    return model.OrderUpdate(
        items=[model.ItemUpdate(item_id="L1", quantity=1)],
        coupon=model.CouponUpdate(code="NOPE"),
        bill_to=model.Address(first_name="Ada"),
        status=model.STATUS_CANCELED,
    )


def test_segments_run_in_fasts_order_and_a_refusal_does_not_stop_the_rest() -> None:
    ran: list[str] = []

    def handler(segment: str) -> object:
        def apply(update: model.OrderUpdate) -> None:
            ran.append(segment)
            if segment == model.SEGMENT_COUPON:
                raise SegmentRefused("COUPON_NOT_FOUND", "no such coupon")

        return apply

    segments = [
        model.SEGMENT_ORDER_STATUS,
        model.SEGMENT_COUPON,
        model.SEGMENT_BILLING_ADDRESS,
        model.SEGMENT_LINE_ITEM,
    ]
    outcome = run_segments(_update(), {s: handler(s) for s in segments})  # type: ignore[misc]
    order = [model.SEGMENT_LINE_ITEM, model.SEGMENT_BILLING_ADDRESS, model.SEGMENT_COUPON, model.SEGMENT_ORDER_STATUS]
    assert ran == order
    assert [(s.updated, s.status, s.reason_code) for s in outcome.statuses] == [
        (model.SEGMENT_LINE_ITEM, True, None),
        (model.SEGMENT_BILLING_ADDRESS, True, None),
        (model.SEGMENT_COUPON, False, "COUPON_NOT_FOUND"),
        (model.SEGMENT_ORDER_STATUS, True, None),
    ]
    result = outcome.result(model.Order(id="F1"))
    assert result.order.coupons == [refused_coupon("NOPE", "no such coupon")]
    assert result.order.coupons[0].applied is False


def test_a_failure_stops_the_update_and_a_missing_handler_is_refused() -> None:
    def fail(update: model.OrderUpdate) -> None:
        raise UpstreamUnavailable("down")

    with pytest.raises(UpstreamUnavailable):
        run_segments(_update(), {model.SEGMENT_LINE_ITEM: fail})
    with pytest.raises(InvalidRequest):
        run_segments(_update(), {model.SEGMENT_LINE_ITEM: lambda u: None})


def test_a_sandbox_cart_reads_the_stored_layout_and_writes_it_back() -> None:
    stored = {
        "id": "sbx_1",
        "fast_id": "F1",
        "status": model.STATUS_CART,
        "order_no": None,
        "lines": [{"id": "L1", "line_id": "ln_1", "sku": "MUG-001", "qty": 2}],
        "next_line": 2,
        "coupons": ["SAVE10"],
        "ship_to": {"country": "US"},
    }
    cart = SandboxCart.from_json(stored)
    assert cart.to_json() == stored
    assert cart.quantities_by_sku() == {"MUG-001": 2}
    assert cart.has_coupon("save10") and cart.reference == "sbx_1"
    cart.add_line("L2", "MUG-001", 1)
    assert (cart.lines[-1].line_id, cart.quantities_by_sku()) == ("ln_2", {"MUG-001": 3})
