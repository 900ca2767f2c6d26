"""The pure WooCommerce mapping rules: item resolution, splitting shared items, statuses, zones, addresses."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mappings import fast, model
from mappings import woocommerce as wc
from tests import openapi

CENT = Decimal("0.01")


def test_items_resolve_in_fasts_order_of_preference() -> None:
    exact = model.ItemUpdate(external_item_id="14", external_product_id="13", external_variant_id="15")
    assert wc.add_item_body(exact, 2).body == {"id": 14, "quantity": 2}
    variant = model.ItemUpdate(external_product_id="13", external_variant_id="15")
    assert wc.add_item_body(variant, 1).body == {"id": 15, "quantity": 1}
    options = model.ItemUpdate(
        external_product_id=" 13 ",
        external_options=[model.CustomValue("Color", "Red"), model.CustomValue("pa_size", "M")],
    )
    resolved = wc.add_item_body(options, 1)
    assert resolved.body == {
        "id": 13,
        "quantity": 1,
        "variation": [{"attribute": "Color", "value": "Red"}, {"attribute": "pa_size", "value": "M"}],
    }
    assert resolved.describe == "product 13 (Color=Red, pa_size=M)"
    assert wc.add_item_body(model.ItemUpdate(external_product_id="22"), 3).body == {"id": 22, "quantity": 3}


@pytest.mark.parametrize(
    "item",
    [
        model.ItemUpdate(),
        model.ItemUpdate(external_product_id="abc"),
        model.ItemUpdate(external_product_id="0"),
        model.ItemUpdate(external_item_id="-4"),
        model.ItemUpdate(external_product_id="13", external_variant_id="red"),
    ],
)
def test_items_fast_cannot_name_are_refused(item: model.ItemUpdate) -> None:
    with pytest.raises(ValueError):
        wc.add_item_body(item, 1)


def test_split_quantity_keeps_each_fast_lines_share() -> None:
    a, b = wc.TrackedLine("A", "k", 2), wc.TrackedLine("B", "k", 1)
    assert wc.split_quantity(3, [a, b]) == [2, 1]
    assert wc.split_quantity(5, [a, b]) == [2, 3]  # the shop holds more: the last line takes it
    assert wc.split_quantity(1, [a, b]) == [1, 0]
    assert wc.split_quantity(4, [a]) == [4]


@given(
    amount=st.decimals(min_value=0, max_value=10_000, places=2),
    weights=st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=6),
)
def test_allocate_always_adds_up_exactly(amount: Decimal, weights: list[int]) -> None:
    parts = wc.allocate(amount, weights, CENT)
    assert sum(parts, Decimal(0)) == amount
    assert all(p.as_tuple().exponent >= -2 for p in parts)


def test_coupon_reason_codes() -> None:
    assert wc.coupon_reason_code('Coupon "x" cannot be applied because it does not exist.') == "COUPON_NOT_FOUND"
    assert wc.coupon_reason_code("This coupon has expired.") == "COUPON_EXPIRED"
    assert wc.coupon_reason_code("The minimum spend for this coupon is $50.00.") == "COUPON_MINIMUM_NOT_MET"
    assert wc.coupon_reason_code("Coupon usage limit has been reached.") == "COUPON_USAGE_LIMIT_REACHED"
    assert wc.coupon_reason_code("Sorry, no.") == "COUPON_REFUSED"


def test_fast_status_of_an_order() -> None:
    mapping = dict(wc.DEFAULT_STATUS_MAP)
    ours = {"status": "on-hold", "meta_data": [{"key": "_fast_status", "value": model.STATUS_BOOKED}]}
    assert wc.fast_status_of(ours, mapping) == model.STATUS_BOOKED
    # The merchant completed it in the admin: WooCommerce's status wins over ours.
    moved = {"status": "completed", "meta_data": [{"key": "_fast_status", "value": model.STATUS_BOOKED}]}
    assert wc.fast_status_of(moved, mapping) == model.STATUS_COMPLETE
    assert wc.fast_status_of({"status": "on-hold", "meta_data": []}, mapping) == model.STATUS_PENDING
    assert wc.fast_status_of({"status": "refunded"}, mapping) == model.STATUS_CANCELED


def test_zones_from_locations() -> None:
    locations = [
        {"code": "US", "type": "country"},
        {"code": "CA:QC", "type": "state"},
        {"code": "EU", "type": "continent"},
        {"code": "90210", "type": "postcode"},
        {"code": "US:NY", "type": "state"},
    ]
    zones = wc.dedupe_zones(wc.zones_from_locations(locations, {"EU": ["FR", "DE"]}))
    assert [(z.country_iso2, z.subdivision_iso2) for z in zones] == [
        ("CA", "QC"),
        ("DE", None),
        ("FR", None),
        ("US", None),
    ]


def test_addresses_both_ways() -> None:
    fast = model.Address(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        address_1="1 Main St",
        city_locality="Albany",
        state_province="ny",
        country="us",
        postal_code="12207",
    )
    billing = wc.woo_address(fast, billing=True)
    assert billing == {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "company": "",
        "address_1": "1 Main St",
        "address_2": "",
        "city": "Albany",
        "state": "NY",
        "postcode": "12207",
        "country": "US",
        "email": "ada@example.com",
    }
    assert "email" not in wc.woo_address(fast, billing=False)
    back = wc.fast_address({**billing, "phone": ""})
    assert back is not None and (back.country_code, back.state_province_code, back.phone) == ("US", "NY", None)
    assert wc.fast_address({"first_name": "", "country": ""}) is None


def test_clean_text() -> None:
    assert wc.clean_text("You cannot add &quot;Belt&quot; <b>now</b>.") == 'You cannot add "Belt" now.'
    assert wc.clean_text("<p>One.</p><p>Two.</p>") == "One. Two."
    assert wc.clean_text("  ") is None


def test_fees_and_order_numbers_ride_in_custom_values_and_stay_contract_valid() -> None:
    fixtures = Path(__file__).resolve().parents[2] / "fixtures" / "woocommerce"
    cart = json.loads((fixtures / "cart.json").read_text())
    cart["totals"]["total_fees"] = "250"
    cart["totals"]["total_price"] = "8506"
    ctx = wc.CartContext(fast_id="F-1", external_id="tok", lines=[], plan_ids={})
    order = wc.cart_to_order(cart, ctx)
    assert [(c.key, c.value) for c in order.custom_values] == [("woocommerce_fees", "2.50")]
    assert order.total_amount == Decimal("85.06")
    openapi.assert_valid("read", fast.dump_order_response(order, "ENTITY_TYPE_ORDER", "r-1"))

    rest = json.loads((fixtures / "order.json").read_text())
    rest["number"] = "WC-727"
    placed = wc.order_to_fast(rest, wc.DEFAULT_STATUS_MAP)
    assert ("woocommerce_order_number", "WC-727") in [(c.key, c.value) for c in placed.custom_values]
    openapi.assert_valid("read", fast.dump_order_response(placed, "ENTITY_TYPE_ORDER", None))
