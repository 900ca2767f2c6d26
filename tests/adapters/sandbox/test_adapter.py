"""The sandbox shop: item resolution, stock, tax, shipping, coupons, statuses."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests import bodies as b

TEE_OPTIONS = [{"key": "Size", "value": "l"}, {"key": "color", "value": "BLACK"}]


def create(fast: Any, fast_id: str, *lines: dict[str, Any], status: int = 200) -> Any:
    return fast.call("create", b.create(fast_id, list(lines)), status=status)


@pytest.mark.parametrize(
    ("ids", "variant", "price"),
    [
        ({"external_item_id": "TEE-WHT-M"}, "2001-WHT-M", "25.00"),
        ({"external_item_id": "2001-BLK-S"}, "2001-BLK-S", "25.00"),
        ({"external_product_id": "2001", "external_variant_id": "2001-BLK-L"}, "2001-BLK-L", "27.00"),
        ({"external_product_id": "2001", "external_options": TEE_OPTIONS}, "2001-BLK-L", "27.00"),
        ({"external_product_id": 1001}, None, "12.50"),
        ({"external_product_id": "1001", "external_variant_id": "1001"}, None, "12.50"),
        ({"external_item_id": "GIFT-BOX-XL"}, None, "7.25"),
    ],
)
def test_items_are_resolved_in_fasts_order_of_preference(
    fast: Any, ids: dict[str, Any], variant: str | None, price: str
) -> None:
    order = create(fast, "F-res", b.line("L1", 1, **ids))["order"]["order"]
    [line] = order["lines"]
    assert line.get("external_variant_id") == variant
    assert line["unit_price"] == price


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ({"external_product_id": "9999"}, "unknown product"),
        ({"external_product_id": "2001"}, "has variants"),
        ({"external_product_id": "2001", "external_variant_id": "2001-PNK-XL"}, "no variant"),
        (
            {"external_product_id": "2001", "external_options": [{"key": "size", "value": "XXL"}]},
            "no variant with size=XXL",
        ),
        ({"external_item_id": "NOPE"}, "unknown item"),
        ({}, "names no product"),
    ],
)
def test_unknown_items_are_422_naming_them(fast: Any, ids: dict[str, Any], message: str) -> None:
    error = create(fast, "F-bad", b.line("L1", 1, **ids), status=422)
    assert message in error["message"]


def test_two_fast_lines_for_the_same_product_stay_two_lines(fast: Any) -> None:
    order = create(
        fast, "F-two", b.line("A", 1, external_product_id="1001"), b.line("B", 2, external_product_id="1001")
    )
    lines = order["order"]["order"]["lines"]
    assert [(line["id"]["value"], line["quantity"]) for line in lines] == [("A", 1), ("B", 2)]
    assert lines[0]["external_id"] != lines[1]["external_id"]


def test_limited_stock_is_422_with_the_product_named(fast: Any) -> None:
    error = create(fast, "F-stock", b.line("L1", 4, external_item_id="PRINT-LTD"), status=422)
    assert "Limited Edition Print" in error["message"]
    assert "3 left" in error["message"]
    # A failed update changes nothing.
    cart_id = create(fast, "F-stock2", b.line("L1", 1, external_item_id="PRINT-LTD"))["order"]["order"]["external_id"]
    fast.call("update", b.update("F-stock2", cart_id, items=[b.item("L1", 9)]), status=422)
    assert fast.call("read", b.read(cart_id))["order"]["order"]["lines"][0]["quantity"] == 1


def test_stock_is_reserved_at_conversion(fast: Any) -> None:
    carts = []
    for n in (1, 2):
        cart_id = create(fast, f"F-res{n}", b.line("L1", 2, external_item_id="PRINT-LTD"))["order"]["order"][
            "external_id"
        ]
        fast.call("update", b.update(f"F-res{n}", cart_id, shipments=b.shipments(b.NY, ["L1"])))
        carts.append(cart_id)
    fast.call("update", b.update("F-res1", carts[0], convert_cart_to_order=True))
    error = fast.call("update", b.update("F-res2", carts[1], convert_cart_to_order=True), status=422)
    assert "1 left" in error["message"]


def test_an_address_the_shop_cannot_ship_to_is_a_refused_segment(fast: Any) -> None:
    cart_id = create(fast, "F-fr", b.line("L1", 1, external_product_id="1001"))["order"]["order"]["external_id"]
    r = fast.call("update", b.update("F-fr", cart_id, shipments=b.shipments(b.PARIS, ["L1"])))
    [status] = r["order"]["status"]
    assert status == {
        "updated": "UPDATE_ORDER_SEGMENT_TYPE_SHIPPING_ADDRESS",
        "status": False,
        "reason_code": "ADDRESS_NOT_SERVICEABLE",
        "message": "the shop does not ship to FR",
    }
    plan = r["order"]["order"]["shipment_plans"][0]
    assert "available_options" not in plan
    assert "selected_option" not in plan
    # Nothing to ship with: the cart cannot be converted.
    error = fast.call("update", b.update("F-fr", cart_id, convert_cart_to_order=True), status=422)
    assert "shipping option" in error["message"]


def test_canadian_regions_outside_the_zone_are_refused(fast: Any) -> None:
    cart_id = create(fast, "F-ca", b.line("L1", 1, external_product_id="1001"))["order"]["order"]["external_id"]
    yukon = {"country_code": "CA", "state_province_code": "YT", "postal_code": "Y1A 1A1"}
    r = fast.call("update", b.update("F-ca", cart_id, shipments=b.shipments(yukon, ["L1"])))
    assert r["order"]["status"][0]["message"] == "the shop does not ship to CA-YT"


def test_free_shipping_over_threshold_and_pickup(fast: Any) -> None:
    cart_id = create(fast, "F-free", b.line("L1", 3, external_item_id="TEE-BLK-M"))["order"]["order"]["external_id"]
    r = fast.call("update", b.update("F-free", cart_id, shipments=b.shipments(b.NY, ["L1"])))
    options = {o["external_id"]: o for o in r["order"]["order"]["shipment_plans"][0]["available_options"]}
    assert options["us_standard"]["cost"] == "0.00"  # 75.00 reaches the free-over threshold
    assert options["us_express"]["cost"] == "14.99"
    r = fast.call("update", b.update("F-free", cart_id, shipping_option=b.shipping_option("pickup_nyc")))
    order = r["order"]["order"]
    assert order["shipment_plans"][0]["selected_option"]["shipment_type"] == "SHIPPING_OPTION_TYPE_IN_STORE_PICKUP"
    assert order["total_shipping"] == "0.00"


def test_an_option_not_on_offer_is_a_refused_segment(fast: Any) -> None:
    cart_id = create(fast, "F-opt", b.line("L1", 1, external_product_id="1001"))["order"]["order"]["external_id"]
    fast.call("update", b.update("F-opt", cart_id, shipments=b.shipments(b.NY, ["L1"])))
    r = fast.call("update", b.update("F-opt", cart_id, shipping_option=b.shipping_option("gb_flat")))
    assert r["order"]["status"][0]["status"] is False
    assert r["order"]["status"][0]["reason_code"] == "SHIPPING_OPTION_NOT_AVAILABLE"
    assert r["order"]["order"]["shipment_plans"][0]["selected_option"]["external_id"] == "us_standard"


def test_fixed_coupon_is_spread_over_lines_and_adds_up(fast: Any) -> None:
    order = create(
        fast,
        "F-fixed",
        b.line("A", 1, external_product_id="1001"),
        b.line("B", 1, external_item_id="GIFT-BOX-XL"),
        b.line("C", 1, external_item_id="EBOOK-001"),
    )["order"]["order"]
    r = fast.call("update", b.update("F-fixed", order["external_id"], coupon={"code": "fiveoff"}, bill_to=b.NY))
    order = r["order"]["order"]
    discounts = [Decimal(line["line_discount_amount"]) for line in order["lines"]]
    assert sum(discounts) == Decimal("5.00")
    assert discounts == [Decimal("2.10"), Decimal("1.22"), Decimal("1.68")]
    assert order["total_discounts"] == "5.00"
    # Tax is on the discounted amounts: 10.40, 6.03, 8.31 at 8.875%.
    assert [line["tax_amount"] for line in order["lines"]] == ["0.92", "0.54", "0.74"]
    assert order["total_amount"] == "26.94"


def test_minimum_subtotal_coupon(fast: Any) -> None:
    cart_id = create(fast, "F-min", b.line("L1", 1, external_product_id="1001"))["order"]["order"]["external_id"]
    r = fast.call("update", b.update("F-min", cart_id, coupon={"code": "BIG20"}))
    assert r["order"]["status"][0]["reason_code"] == "COUPON_MINIMUM_NOT_MET"
    fast.call("update", b.update("F-min", cart_id, items=[b.item("L1", 8)]))
    r = fast.call("update", b.update("F-min", cart_id, coupon={"code": "BIG20"}))
    assert r["order"]["status"][0]["status"] is True
    assert r["order"]["order"]["total_discounts"] == "20.00"
    # Falling below the minimum later leaves the coupon on the cart, no longer applied.
    r = fast.call("update", b.update("F-min", cart_id, items=[b.item("L1", 2)]))
    [coupon] = r["order"]["order"]["coupons"]
    assert coupon["applied"] is False
    assert r["order"]["order"]["total_discounts"] == "0.00"


def test_free_shipping_coupon(fast: Any) -> None:
    cart_id = create(fast, "F-fs", b.line("L1", 1, external_product_id="1001"))["order"]["order"]["external_id"]
    fast.call("update", b.update("F-fs", cart_id, shipments=b.shipments(b.NY, ["L1"])))
    r = fast.call("update", b.update("F-fs", cart_id, coupon={"code": "FREESHIP"}))
    order = r["order"]["order"]
    assert order["total_shipping"] == "0.00"
    assert order["coupons"][0]["type"] == "DISCOUNT_TYPE_SHIPPING"
    assert order["coupons"][0]["total_amount"] == "5.99"


def test_unknown_coupon_is_refused_not_an_error(fast: Any) -> None:
    cart_id = create(fast, "F-unk", b.line("L1", 1, external_product_id="1001"))["order"]["order"]["external_id"]
    r = fast.call("update", b.update("F-unk", cart_id, coupon={"code": "BOGUS"}))
    assert r["order"]["status"][0]["reason_code"] == "COUPON_NOT_FOUND"


def test_digital_only_cart_is_taxed_by_billing_address_and_needs_no_shipping(fast: Any) -> None:
    cart_id = create(fast, "F-dig", b.line("L1", 1, external_item_id="EBOOK-001"))["order"]["order"]["external_id"]
    r = fast.call("update", b.update("F-dig", cart_id, bill_to={"country_code": "GB", "postal_code": "WC2E 7HA"}))
    order = r["order"]["order"]
    assert "shipment_plans" not in order
    assert order["total_tax"] == "2.00"
    r = fast.call("update", b.update("F-dig", cart_id, convert_cart_to_order=True))
    assert r["order"]["order"]["status"] == "ORDER_STATUS_PENDING"


def test_a_placed_order_is_not_deleted_and_cannot_change(fast: Any) -> None:
    cart_id = create(fast, "F-placed", b.line("L1", 1, external_item_id="EBOOK-001"))["order"]["order"]["external_id"]
    order_no = fast.call("update", b.update("F-placed", cart_id, convert_cart_to_order=True))["order"]["order"][
        "external_id"
    ]
    fast.call("delete", b.delete(order_no), status=422)
    fast.call("update", b.update("F-placed", order_no, items=[b.item("L2", 1, external_item_id="MUG-001")]), status=422)


def test_status_on_an_unconverted_cart_is_422(fast: Any) -> None:
    cart_id = create(fast, "F-st", b.line("L1", 1, external_item_id="EBOOK-001"))["order"]["order"]["external_id"]
    fast.call("update", b.update("F-st", cart_id, status="ORDER_STATUS_BOOKED"), status=422)
    # The same status twice is a no-op success.
    fast.call("update", b.update("F-st", cart_id, convert_cart_to_order=True, status="ORDER_STATUS_BOOKED"))
    r = fast.call("update", b.update("F-st", cart_id, status="ORDER_STATUS_BOOKED"))
    assert r["order"]["order"]["status"] == "ORDER_STATUS_BOOKED"


def test_storefront_cart_is_read_and_deleted_by_its_id(fast: Any, app: Any) -> None:
    from mappings.model import ItemUpdate

    adapter = app.extensions["fast.service"].adapter("sandbox")
    cart = adapter.create_storefront_cart([ItemUpdate(external_item_id="MUG-001", quantity=2)])
    read = fast.call("read", b.read(cart.external_id))["order"]["order"]
    assert read["lines"][0]["quantity"] == 2
    assert "id" not in read["lines"][0]
    assert fast.call("delete", b.delete(cart.external_id)) == {}
    fast.call("read", b.read(cart.external_id), status=404)
