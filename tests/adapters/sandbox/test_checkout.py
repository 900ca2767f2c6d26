"""A whole Fast checkout against the sandbox shop, with exact totals at every step."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests import bodies as b

FAST_ID = "6f1b7e0c-6bd8-4f3c-9a55-0f0d2b7a1c01"
TEE, MUG, EBOOK = "L-tee", "L-mug", "L-ebook"


def totals(response: dict[str, Any]) -> dict[str, str]:
    order = response["order"]["order"]
    return {k: order[k] for k in ("sub_total", "total_discounts", "total_tax", "total_shipping", "total_amount")}


def assert_adds_up(order: dict[str, Any]) -> None:
    d = {k: Decimal(order[k]) for k in ("sub_total", "total_discounts", "total_tax", "total_shipping", "total_amount")}
    assert d["sub_total"] - d["total_discounts"] + d["total_tax"] + d["total_shipping"] == d["total_amount"]
    assert sum(Decimal(line["subtotal_amount"]) for line in order["lines"]) == d["sub_total"]
    assert sum(Decimal(line["line_discount_amount"]) for line in order["lines"]) == d["total_discounts"]


def statuses(response: dict[str, Any]) -> list[tuple[str, bool]]:
    return [(s["updated"], s["status"]) for s in response["order"].get("status", [])]


def test_full_checkout_with_exact_totals(fast: Any) -> None:
    created = fast.call(
        "create",
        b.create(
            FAST_ID,
            [
                b.line(
                    TEE,
                    2,
                    external_product_id=2001,
                    external_options=[{"key": "size", "value": "M"}, {"key": "color", "value": "Black"}],
                ),
                b.line(MUG, 1, external_product_id="1001"),
            ],
            request_id="req-create",
        ),
    )
    order = created["order"]["order"]
    cart_id = order["external_id"]
    assert order["id"] == {"value": FAST_ID}
    assert [line["id"]["value"] for line in order["lines"]] == [TEE, MUG]
    assert order["lines"][0]["external_variant_id"] == "2001-BLK-M"
    assert created["request_id"] == {"value": "req-create"}
    assert totals(created) == {
        "sub_total": "62.50",
        "total_discounts": "0.00",
        "total_tax": "0.00",
        "total_shipping": "0.00",
        "total_amount": "62.50",
    }

    read = fast.call("read", b.read(cart_id))
    assert read["order"]["order"]["external_id"] == cart_id
    assert totals(read)["total_amount"] == "62.50"

    # Billing in New York: tax at 8.875%, per line, rounded half-up.
    r = fast.call("update", b.update(FAST_ID, cart_id, bill_to=b.NY))
    assert statuses(r) == [("UPDATE_ORDER_SEGMENT_TYPE_BILLING_ADDRESS", True)]
    assert totals(r) == {
        "sub_total": "62.50",
        "total_discounts": "0.00",
        "total_tax": "5.55",
        "total_shipping": "0.00",
        "total_amount": "68.05",
    }

    # Shipping to New York: standard rate selected by default, shipping taxed too.
    r = fast.call("update", b.update(FAST_ID, shipments=b.shipments(b.NY, [TEE, MUG])))  # Fast's id only
    plan = r["order"]["order"]["shipment_plans"][0]
    assert [o["external_id"] for o in plan["available_options"]] == ["us_standard", "us_express", "pickup_nyc"]
    assert plan["available_options"][2]["shipment_type"] == "SHIPPING_OPTION_TYPE_IN_STORE_PICKUP"
    assert plan["selected_option"]["external_id"] == "us_standard"
    assert plan["id"] == {"value": "plan-1"}
    assert totals(r) == {
        "sub_total": "62.50",
        "total_discounts": "0.00",
        "total_tax": "6.08",
        "total_shipping": "5.99",
        "total_amount": "74.57",
    }

    r = fast.call("update", b.update(FAST_ID, cart_id, shipping_option=b.shipping_option("us_express")))
    assert r["order"]["order"]["shipment_plans"][0]["selected_option"]["total"] == "16.32"
    assert totals(r)["total_amount"] == "84.37"

    # Batching: a new item arrives as an update.
    r = fast.call("update", b.update(FAST_ID, cart_id, items=[b.item(EBOOK, 1, external_product_id="3001")]))
    assert [line["id"]["value"] for line in r["order"]["order"]["lines"]] == [TEE, MUG, EBOOK]
    assert totals(r) == {
        "sub_total": "72.49",
        "total_discounts": "0.00",
        "total_tax": "7.77",
        "total_shipping": "14.99",
        "total_amount": "95.25",
    }
    # The digital line is not in the shipment plan.
    assert [ref["id"]["value"] for ref in r["order"]["order"]["shipment_plans"][0]["lines"]] == [TEE, MUG]

    r = fast.call("update", b.update(FAST_ID, cart_id, items=[b.item(MUG, 3)]))
    assert totals(r) == {
        "sub_total": "97.49",
        "total_discounts": "0.00",
        "total_tax": "9.99",
        "total_shipping": "14.99",
        "total_amount": "122.47",
    }

    r = fast.call("update", b.update(FAST_ID, cart_id, items=[b.item(EBOOK, 0)]))
    assert [line["id"]["value"] for line in r["order"]["order"]["lines"]] == [TEE, MUG]
    assert totals(r) == {
        "sub_total": "87.50",
        "total_discounts": "0.00",
        "total_tax": "9.10",
        "total_shipping": "14.99",
        "total_amount": "111.59",
    }

    r = fast.call("update", b.update(FAST_ID, cart_id, coupon={"code": "SAVE10"}))
    assert statuses(r) == [("UPDATE_ORDER_SEGMENT_TYPE_COUPON", True)]
    assert r["order"]["order"]["coupons"] == [
        {
            "code": "SAVE10",
            "description": "10% off every item",
            "origin": "DISCOUNT_ORIGIN_USER",
            "type": "DISCOUNT_TYPE_REGULAR",
            "applied": True,
            "total_amount": "8.75",
        }
    ]
    assert totals(r) == {
        "sub_total": "87.50",
        "total_discounts": "8.75",
        "total_tax": "8.32",
        "total_shipping": "14.99",
        "total_amount": "102.06",
    }
    assert_adds_up(r["order"]["order"])

    r = fast.call("update", b.update(FAST_ID, cart_id, coupon={"code": "SUMMER2020"}))
    [status] = r["order"]["status"]
    assert status["status"] is False
    assert status["reason_code"] == "COUPON_EXPIRED"
    assert "expired" in status["message"]
    refused = [c for c in r["order"]["order"]["coupons"] if c["code"] == "SUMMER2020"]
    assert refused and refused[0]["applied"] is False
    assert totals(r)["total_amount"] == "102.06"

    r = fast.call("update", b.update(FAST_ID, cart_id, coupon={"code": "SAVE10", "remove": True}))
    assert r["order"]["order"].get("coupons", []) == []
    assert totals(r)["total_amount"] == "111.59"

    r = fast.call(
        "update",
        b.update(FAST_ID, cart_id, convert_cart_to_order=True, convert_mode="CART_TO_ORDER_CONVERT_UPDATE_AND_CONVERT"),
    )
    order = r["order"]["order"]
    order_no = order["external_id"]
    assert order_no.startswith("SB-") and order_no != cart_id
    assert order["status"] == "ORDER_STATUS_PENDING"
    assert order["order_type"] == "ORDER_TYPE_ORDER"
    assert totals(r)["total_amount"] == "111.59"

    for status_name in ("ORDER_STATUS_BOOKED", "ORDER_STATUS_PENDING_FULFILLMENT"):
        body = {
            "app_id": b.APP,
            "type": "ENTITY_TYPE_ORDER",
            "order": {"convert_cart_to_order": True, "status": status_name, "external_id": order_no},
        }
        r = fast.call("update", body)
        assert r["order"]["order"]["status"] == status_name
        assert totals(r)["total_amount"] == "111.59"

    # Reads work with the cart id, the order number and Fast's id.
    for body in (b.read(cart_id), b.read(order_no), b.read(fast_order_id=FAST_ID)):
        assert fast.call("read", body)["order"]["order"]["status"] == "ORDER_STATUS_PENDING_FULFILLMENT"


def test_cancel_after_booked_restores_stock(fast: Any, app: Any) -> None:
    adapter = app.extensions["fast.service"].adapter("sandbox")
    item = adapter.catalog.item("PRINT-LTD")
    created = fast.call("create", b.create("F-cancel", [b.line("L1", 2, external_item_id="PRINT-LTD")]))
    cart_id = created["order"]["order"]["external_id"]
    fast.call("update", b.update("F-cancel", cart_id, shipments=b.shipments(b.NY, ["L1"])))
    r = fast.call("update", b.update("F-cancel", cart_id, convert_cart_to_order=True))
    order_no = r["order"]["order"]["external_id"]
    assert adapter.stock_left(item) == 1
    fast.call(
        "update",
        {
            "app_id": "sandbox",
            "order": {"status": "ORDER_STATUS_BOOKED", "external_id": order_no, "convert_cart_to_order": True},
        },
    )
    r = fast.call(
        "update",
        {
            "app_id": "sandbox",
            "order": {"status": "ORDER_STATUS_CANCELED", "external_id": order_no, "convert_cart_to_order": True},
        },
    )
    assert r["order"]["order"]["status"] == "ORDER_STATUS_CANCELED"
    assert adapter.stock_left(item) == 3
    # A canceled order cannot be shipped.
    fast.call(
        "update",
        {"app_id": "sandbox", "order": {"status": "ORDER_STATUS_PENDING_FULFILLMENT", "external_id": order_no}},
        status=422,
    )
