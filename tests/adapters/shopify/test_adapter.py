"""The Shopify adapter against a stateful fake of the Admin GraphQL API (tests/fakes/shopify.py).

The fake executes the adapter's real documents against Shopify's schema, so
every query and every variable the adapter sends is checked by Shopify's own
types on every test.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

import pytest
from graphql import (
    parse,
    validate,
)

from adapters.shopify.adapter import ShopifyAdapter
from adapters.shopify.api import throttle_wait
from mappings import model
from mappings.shopify import documents, order_tag
from mappings.shopify.documents import DOCUMENTS
from mappings.shopify.order_steps import OrderSteps
from mappings.shopify.to_fast import refused_coupon
from service import deadline
from service.config import Settings
from service.errors import InvalidRequest, OrderNotFound, UpstreamRejected, UpstreamUnavailable
from service.state import SQLiteState
from tests.adapters.shopify.shop import (
    NY,
    TOKEN,
    Sleeps,
    make_adapter,
    make_shop,
    make_store,
    require_schema,
    serving,
    update,
)
from tests.fakes.shopify import FakeShopify, admin_schema

TORONTO = model.Address(
    first_name="Solutions",
    last_name="Team",
    address_1="1 Front St",
    city_locality="Toronto",
    state_province_code="ON",
    country_code="CA",
    postal_code="M5J 2X5",
)
PARIS = model.Address(address_1="1 Rue de Rivoli", city_locality="Paris", country_code="FR", postal_code="75001")


@pytest.fixture(autouse=True)
def _schema() -> None:
    require_schema()


@pytest.fixture
def shop() -> Any:
    fake = make_shop()
    with serving(fake):
        yield fake


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def adapter(state: SQLiteState, settings: Settings, sleeps: Sleeps) -> ShopifyAdapter:
    return make_adapter(state, settings, sleeps)


def tee(shop: FakeShopify, size: str = "M", color: str = "Black") -> dict[str, Any]:
    return {
        "external_product_id": str(shop.tee.id),  # type: ignore[attr-defined]
        "external_options": [model.CustomValue("size", size), model.CustomValue("Color", color)],
    }


def cart(adapter: ShopifyAdapter, shop: FakeShopify, fast_id: str = "F-1", **extra: Any) -> model.Order:
    return adapter.create(
        model.Order(
            id=fast_id,
            lines=[
                model.Line(id="L-tee", quantity=2, **tee(shop)),
                model.Line(id="L-mug", quantity=1, external_item_id="MUG"),
            ],
            **extra,
        )
    )


def totals(order: model.Order) -> dict[str, str]:
    return {
        k: str(getattr(order, k))
        for k in ("sub_total", "total_discounts", "total_tax", "total_shipping", "total_amount")
    }


def adds_up(order: model.Order) -> None:
    assert order.sub_total - order.total_discounts + order.total_tax + order.total_shipping == order.total_amount
    assert sum(line.subtotal_amount for line in order.lines) == order.sub_total
    assert sum(line.line_discount_amount for line in order.lines) == order.total_discounts


def statuses(result: model.UpdateResult) -> list[tuple[str, bool]]:
    return [(s.updated.removeprefix("UPDATE_ORDER_SEGMENT_TYPE_"), s.status) for s in result.statuses]


# --- the documents ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_every_document_is_valid_against_the_admin_schema(name: str) -> None:
    document = parse(DOCUMENTS[name])
    assert [e.message for e in validate(admin_schema(), document)] == []
    assert document.definitions[0].name.value == name  # type: ignore[attr-defined]


def test_a_misspelt_field_would_fail_validation() -> None:
    broken = DOCUMENTS["FastOrder"].replace("displayFinancialStatus", "displayFinancialStatuz")
    assert validate(admin_schema(), parse(broken))


def test_every_document_the_adapter_can_send_is_listed() -> None:
    """A document added to the mapping must be in DOCUMENTS, or the validation above would miss it."""
    sent = {
        value
        for name, value in vars(documents).items()
        if name.endswith(("_QUERY", "_MUTATION")) and isinstance(value, str)
    }
    assert sent <= set(DOCUMENTS.values())


STEPS = {
    "paid, released, retagged": OrderSteps(
        "gid://shopify/Order/1",
        mark_paid=True,
        releases=[("gid://shopify/FulfillmentOrder/1", ["h1"]), ("gid://shopify/FulfillmentOrder/2", ["h2"])],
        add_tags=["a"],
        remove_tags=["b"],
    ),
    "held": OrderSteps("gid://shopify/Order/1", holds=["fo1", "fo2", "fo3"], hold={"reason": "AWAITING_PAYMENT"}),
    "canceled": OrderSteps(
        "gid://shopify/Order/1",
        cancel={"reason": "OTHER", "refund": False, "restock": True, "notifyCustomer": False, "staffNote": "x"},
        add_tags=["c"],
    ),
    "untagged": OrderSteps("gid://shopify/Order/1", remove_tags=["c"]),
    "paid only": OrderSteps("gid://shopify/Order/1", mark_paid=True),
}


@pytest.mark.parametrize("name", sorted(STEPS))
def test_every_status_change_document_is_valid_against_the_admin_schema(name: str) -> None:
    steps = STEPS[name]
    assert [e.message for e in validate(admin_schema(), parse(steps.document()))] == []
    assert steps.order_from({}) is None


# --- create: Fast's item identifiers -> variants ------------------------------------------------


def test_create_resolves_every_kind_of_item_identifier(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    variant_l = shop.tee.variants[1]  # type: ignore[attr-defined]
    order = adapter.create(
        model.Order(
            id="F-ids",
            lines=[
                model.Line(id="by-options", quantity=1, **tee(shop)),
                model.Line(id="by-sku", quantity=1, external_item_id="MUG"),
                model.Line(id="by-variant", quantity=1, external_variant_id=str(variant_l.id)),
                model.Line(id="by-gid", quantity=1, external_item_id=f"gid://shopify/ProductVariant/{variant_l.id}"),
                model.Line(id="by-product", quantity=1, external_product_id=str(shop.print.id)),  # type: ignore[attr-defined]
            ],
        )
    )
    assert [(line.id, line.external_variant_id) for line in order.lines] == [
        ("by-options", str(shop.tee.variants[0].id)),  # type: ignore[attr-defined]
        ("by-sku", str(shop.mug.variants[0].id)),  # type: ignore[attr-defined]
        ("by-variant", str(variant_l.id)),
        ("by-gid", str(variant_l.id)),
        ("by-product", str(shop.print.variants[0].id)),  # type: ignore[attr-defined]
    ]
    assert order.lines[0].external_options == [model.CustomValue("Size", "M"), model.CustomValue("Color", "Black")]
    assert order.id == "F-ids" and order.status == model.STATUS_CART and order.order_type == model.TYPE_CART
    # Fast's ids live on Shopify's side: a searchable tag, an attribute, one attribute per line.
    draft = shop.draft(order.external_id)
    assert order_tag("F-ids") in draft["tags"]
    assert {"key": "_fast_order_id", "value": "F-ids"} in draft["customAttributes"]
    assert draft["lineItems"]["nodes"][1]["customAttributes"] == [{"key": "_fast_line_id", "value": "by-sku"}]
    assert draft["reserveInventoryUntil"] == "2026-11-23T13:00:00Z"
    assert shop.calls == ["FastCreateLookup", "FastDraftCreate"]


def test_create_with_exact_totals_and_no_address(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = cart(adapter, shop)
    assert totals(order) == {
        "sub_total": "62.50",
        "total_discounts": "0.00",
        "total_tax": "0.00",
        "total_shipping": "0.00",
        "total_amount": "62.50",
    }
    tee_line = order.lines[0]
    assert (tee_line.unit_price, tee_line.subtotal_amount, tee_line.total_amount) == (
        Decimal("25.00"),
        Decimal("50.00"),
        Decimal("50.00"),
    )
    assert tee_line.name == "Tee - M / Black" and tee_line.image_url.endswith("tee.png")
    assert order.shipment_plans[0].available_options == []  # no address yet: nothing to quote


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (model.Line(id="x", quantity=1, external_item_id="NOPE"), "no product variant or SKU 'NOPE'"),
        (model.Line(id="x", quantity=1, external_product_id="999999"), "no product '999999'"),
        (model.Line(id="x", quantity=1, external_variant_id="999999"), "no product variant '999999'"),
        (model.Line(id="x", quantity=1, external_product_id="TEE"), "no product 'TEE'"),
    ],
)
def test_unknown_items_are_422_and_nothing_is_created(
    adapter: ShopifyAdapter, shop: FakeShopify, line: model.Line, message: str
) -> None:
    with pytest.raises(UpstreamRejected, match=message):
        adapter.create(model.Order(id="F-x", lines=[line]))
    assert shop.drafts == {}
    assert shop.mutations() == []


def test_a_product_with_several_variants_needs_options(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    with pytest.raises(UpstreamRejected, match="has 3 variants"):
        adapter.create(
            model.Order(id="F-x", lines=[model.Line(id="x", quantity=1, external_product_id=str(shop.tee.id))])
        )  # type: ignore[attr-defined]
    with pytest.raises(UpstreamRejected, match="no variant with size=XL"):
        adapter.create(
            model.Order(
                id="F-x",
                lines=[
                    model.Line(
                        id="x",
                        quantity=1,
                        external_product_id=str(shop.tee.id),  # type: ignore[attr-defined]
                        external_options=[model.CustomValue("size", "XL")],
                    )
                ],
            )
        )
    assert shop.drafts == {}


def test_out_of_stock_on_create_names_the_product_and_creates_nothing(
    adapter: ShopifyAdapter, shop: FakeShopify
) -> None:
    with pytest.raises(UpstreamRejected, match=r"Tee - M / White is out of stock: 1 left, 2 wanted") as raised:
        adapter.create(model.Order(id="F-oos", lines=[model.Line(id="w", quantity=2, **tee(shop, "M", "White"))]))
    assert raised.value.http_status == 422
    assert shop.drafts == {}


def test_a_retried_create_returns_the_cart_already_made(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    first = cart(adapter, shop, "F-again")
    second = cart(adapter, shop, "F-again")
    assert second.external_id == first.external_id
    assert len(shop.drafts) == 1


def test_a_create_lost_after_shopify_acted_is_not_resent(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    shop.fail_next("timeout_after", "FastDraftCreate")
    with pytest.raises(UpstreamUnavailable):
        cart(adapter, shop, "F-lost")
    assert len(shop.drafts) == 1  # created once, never resent
    # Fast retries the call: the cart Shopify made is found by its tag, not made twice.
    again = cart(adapter, shop, "F-lost")
    assert len(shop.drafts) == 1
    assert again.id == "F-lost"


# --- items --------------------------------------------------------------------------------------


def test_items_set_add_and_remove_by_fast_line_id_never_duplicating(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = cart(adapter, shop)
    add_ebook = model.ItemUpdate(item_id="L-ebook", quantity=1, external_item_id="EBOOK")
    for _ in range(2):  # Fast retries: the same Fast line id sets, it never adds twice
        r = update(adapter, order, items=[add_ebook])
        assert statuses(r) == [("LINE_ITEM", True)]
        assert [line.id for line in r.order.lines] == ["L-tee", "L-mug", "L-ebook"]
    assert r.order.lines[2].fulfillment_mode == model.FULFILLMENT_DIGITAL
    assert [ref.id for ref in r.order.shipment_plans[0].lines] == ["L-tee", "L-mug"]

    r = update(adapter, order, items=[model.ItemUpdate(item_id="L-mug", quantity=3)])
    assert [(line.id, line.quantity) for line in r.order.lines] == [("L-tee", 2), ("L-mug", 3), ("L-ebook", 1)]
    assert totals(r.order)["sub_total"] == "97.49"
    # The line's Shopify identity (its uuid) survives the line items being rewritten.
    uuids = [line.external_id for line in r.order.lines]

    r = update(adapter, order, items=[model.ItemUpdate(item_id="L-ebook", quantity=0)])
    assert [line.id for line in r.order.lines] == ["L-tee", "L-mug"]
    r = update(adapter, order, items=[model.ItemUpdate(item_id="L-mug")])  # no quantity: proto3's 0
    assert [line.id for line in r.order.lines] == ["L-tee"]
    assert r.order.lines[0].external_id == uuids[0]
    assert totals(r.order)["sub_total"] == "50.00"


def test_emptying_a_cart_is_refused_because_a_draft_order_needs_a_line(
    adapter: ShopifyAdapter, shop: FakeShopify
) -> None:
    order = cart(adapter, shop)
    before = list(shop.calls)
    with pytest.raises(InvalidRequest, match="delete the cart"):
        update(adapter, order, items=[model.ItemUpdate(item_id="L-tee", quantity=0), model.ItemUpdate(item_id="L-mug")])
    assert shop.calls == [*before, "FastDraftOrder"]  # read, then refused before any change


def test_stock_this_cart_reserves_counts_as_available(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = adapter.create(
        model.Order(id="F-ltd", lines=[model.Line(id="p", quantity=2, external_item_id="PRINT-LTD")])
    )
    assert shop.available(shop.print.variants[0]) == 1  # type: ignore[attr-defined]
    r = update(adapter, order, items=[model.ItemUpdate(item_id="p", quantity=3)])
    assert r.order.lines[0].quantity == 3
    with pytest.raises(UpstreamRejected, match="Limited print is out of stock: 3 left, 4 wanted"):
        update(adapter, order, items=[model.ItemUpdate(item_id="p", quantity=4)])
    assert shop.draft(order.external_id)["lineItems"]["nodes"][0]["quantity"] == 3


def test_each_update_is_at_most_two_round_trips(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = cart(adapter, shop)
    steps = [
        {"bill_to": NY},
        {"shipments": [model.ShipmentUpdate(plan_id="plan-1", ship_to=NY)]},
        {"shipping_option": model.ShippingOptionUpdate(option_id="shopify-Express-14.99")},
        {"items": [model.ItemUpdate(item_id="L-mug", quantity=2)]},
        {"coupon": model.CouponUpdate("SAVE10")},
    ]
    for step in steps:
        before = adapter.client.calls
        update(adapter, order, **step)
        assert adapter.client.calls - before <= 2, step


# --- addresses, taxes and shipping ------------------------------------------------------------


def test_taxes_and_several_shipping_rates_with_exact_totals(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = cart(adapter, shop)
    r = update(adapter, order, bill_to=NY)
    assert statuses(r) == [("BILLING_ADDRESS", True)]
    assert r.order.bill_to.email == "solutions@fast.co"
    # Billing in New York: tax on each line at 8.875%, no shipping yet.
    assert totals(r.order) == {
        "sub_total": "62.50",
        "total_discounts": "0.00",
        "total_tax": "5.55",
        "total_shipping": "0.00",
        "total_amount": "68.05",
    }

    r = update(adapter, order, shipments=[model.ShipmentUpdate(plan_id="plan-1", ship_to=NY)])
    assert statuses(r) == [("SHIPPING_ADDRESS", True)]
    plan = r.order.shipment_plans[0]
    assert plan.id == "plan-1" and plan.external_id == "default"
    assert [(o.external_id, o.name, str(o.cost)) for o in plan.available_options] == [
        ("shopify-Standard-5.99", "Standard", "5.99"),
        ("shopify-Express-14.99", "Express", "14.99"),
    ]
    assert plan.selected_option is None  # Shopify prices no shipping until a rate is chosen
    assert plan.ship_to.city_locality == "New York"

    r = update(
        adapter, order, shipping_option=model.ShippingOptionUpdate(plan_id="default", option_id="shopify-Express-14.99")
    )
    assert statuses(r) == [("SHIPPING_OPTION", True)]
    selected = r.order.shipment_plans[0].selected_option
    assert (selected.external_id, str(selected.cost), str(selected.tax), str(selected.total)) == (
        "shopify-Express-14.99",
        "14.99",
        "1.33",
        "16.32",
    )
    assert totals(r.order) == {
        "sub_total": "62.50",
        "total_discounts": "0.00",
        "total_tax": "6.88",
        "total_shipping": "14.99",
        "total_amount": "84.37",
    }
    adds_up(r.order)
    # The other rates are still offered next to the chosen one.
    assert len(r.order.shipment_plans[0].available_options) == 2


def test_a_rate_not_offered_is_refused_and_nothing_changes(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = cart(adapter, shop)
    update(adapter, order, shipments=[model.ShipmentUpdate(ship_to=NY)])
    before = len(shop.mutations())
    r = update(adapter, order, shipping_option=model.ShippingOptionUpdate(option_id="shopify-Canada%20Post-9.0"))
    assert statuses(r) == [("SHIPPING_OPTION", False)]
    assert r.statuses[0].reason_code == "SHIPPING_OPTION_NOT_AVAILABLE"
    assert len(shop.mutations()) == before
    assert r.order.shipment_plans[0].selected_option is None


def test_an_address_the_shop_does_not_ship_to_is_refused(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = cart(adapter, shop)
    r = update(adapter, order, shipments=[model.ShipmentUpdate(ship_to=PARIS)])
    assert statuses(r) == [("SHIPPING_ADDRESS", False)]
    assert r.statuses[0].reason_code == "ADDRESS_NOT_SERVICEABLE"
    assert "FR" in r.statuses[0].message


def test_a_new_address_drops_a_rate_chosen_for_the_old_one(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = cart(adapter, shop)
    update(adapter, order, shipments=[model.ShipmentUpdate(ship_to=NY)])
    update(adapter, order, shipping_option=model.ShippingOptionUpdate(option_id="shopify-Standard-5.99"))
    r = update(adapter, order, shipments=[model.ShipmentUpdate(ship_to=TORONTO)])
    plan = r.order.shipment_plans[0]
    assert plan.selected_option is None
    assert [o.name for o in plan.available_options] == ["Canada Post"]
    assert shop.draft(order.external_id)["shippingLine"] is None
    # The same address again keeps the chosen rate.
    update(adapter, order, shipping_option=model.ShippingOptionUpdate(option_id="shopify-Canada%20Post-9.0"))
    r = update(adapter, order, shipments=[model.ShipmentUpdate(ship_to=TORONTO)])
    assert r.order.shipment_plans[0].selected_option.name == "Canada Post"


def test_a_bad_country_code_is_422_before_shopify_is_asked(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = cart(adapter, shop)
    before = list(shop.calls)
    with pytest.raises(InvalidRequest, match="two-letter"):
        update(adapter, order, bill_to=model.Address(country_code="USA"))
    assert shop.calls == [*before, "FastDraftOrder"]


def test_rates_are_cached_by_what_decides_them(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = cart(adapter, shop)
    update(adapter, order, shipments=[model.ShipmentUpdate(ship_to=NY)])
    calls = len(shop.calls)
    adapter.read(model.OrderRef(order.id, order.external_id))
    assert shop.calls[calls:] == ["FastDraftOrder"]  # rates for this cart are known: one round trip
    update(adapter, order, items=[model.ItemUpdate(item_id="L-mug", quantity=2)])
    updates = [r for r in shop.requests if r["operation"] == "FastDraftUpdate"]
    assert updates[-1]["variables"]["withRates"] is True  # the contents changed: quote again, same round trip


# --- discount codes -----------------------------------------------------------------------------


def test_a_discount_code_accepted_and_one_refused(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = cart(adapter, shop)
    update(adapter, order, shipments=[model.ShipmentUpdate(ship_to=NY)])
    update(adapter, order, shipping_option=model.ShippingOptionUpdate(option_id="shopify-Express-14.99"))

    r = update(adapter, order, coupon=model.CouponUpdate("save10"))
    assert statuses(r) == [("COUPON", True)]
    assert r.order.coupons == [
        model.Discount(
            code="SAVE10",
            description="10% off every item",
            origin=model.ORIGIN_USER,
            type=model.DISCOUNT_REGULAR,
            applied=True,
            total_amount=Decimal("6.25"),
        )
    ]
    assert totals(r.order) == {
        "sub_total": "62.50",
        "total_discounts": "6.25",
        "total_tax": "6.32",
        "total_shipping": "14.99",
        "total_amount": "77.56",
    }
    adds_up(r.order)

    r = update(adapter, order, coupon=model.CouponUpdate("SUMMER2020"))
    [status] = r.statuses
    assert (status.status, status.reason_code) == (False, "COUPON_NOT_APPLICABLE")
    assert "expired" in status.message
    refused = [c for c in r.order.coupons if c.code == "SUMMER2020"]
    assert refused == [refused_coupon("SUMMER2020", status.message, "USD")]
    assert str(refused[0].total_amount) == "0.00"  # every amount answered has two decimals
    assert totals(r.order)["total_amount"] == "77.56"
    # Never silently kept: the refused code is not left on the draft order.
    record = shop.drafts[int(order.external_id.rsplit("/", 1)[1])]
    assert [c.upper() for c in record["discountCodes"]] == ["SAVE10"]

    r = update(adapter, order, coupon=model.CouponUpdate("NOSUCHCODE"))
    assert not r.statuses[0].status and "not valid" in r.statuses[0].message

    r = update(adapter, order, coupon=model.CouponUpdate("SAVE10", remove=True))
    assert r.order.coupons == []
    assert totals(r.order)["total_amount"] == "84.37"


def test_an_order_level_code_is_allocated_to_the_lines(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = cart(adapter, shop)
    r = update(adapter, order, coupon=model.CouponUpdate("TENOFF"))
    assert statuses(r) == [("COUPON", True)]
    assert [str(line.line_discount_amount) for line in r.order.lines] == ["8.00", "2.00"]
    assert totals(r.order)["total_discounts"] == "10.00"
    adds_up(r.order)
    # Under the code's minimum the same code is refused with Shopify's reason.
    r = update(adapter, order, coupon=model.CouponUpdate("TENOFF", remove=True))
    small = adapter.create(model.Order(id="F-small", lines=[model.Line(id="m", quantity=1, external_item_id="MUG")]))
    r = update(adapter, small, coupon=model.CouponUpdate("TENOFF"))
    assert not r.statuses[0].status and "minimum subtotal" in r.statuses[0].message


def test_a_free_shipping_code(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = cart(adapter, shop)
    update(adapter, order, shipments=[model.ShipmentUpdate(ship_to=NY)])
    update(adapter, order, shipping_option=model.ShippingOptionUpdate(option_id="shopify-Express-14.99"))
    r = update(adapter, order, coupon=model.CouponUpdate("FREESHIP"))
    assert statuses(r) == [("COUPON", True)]
    [coupon] = r.order.coupons
    assert (coupon.type, coupon.total_amount) == (model.DISCOUNT_SHIPPING, Decimal("14.99"))
    assert totals(r.order) == {
        "sub_total": "62.50",
        "total_discounts": "0.00",
        "total_tax": "5.55",
        "total_shipping": "0.00",
        "total_amount": "68.05",
    }


# --- conversion and statuses ---------------------------------------------------------------------


def checked_out(adapter: ShopifyAdapter, shop: FakeShopify, fast_id: str = "F-co") -> model.Order:
    order = cart(adapter, shop, fast_id)
    update(adapter, order, bill_to=NY, shipments=[model.ShipmentUpdate(ship_to=NY)])
    update(adapter, order, shipping_option=model.ShippingOptionUpdate(option_id="shopify-Standard-5.99"))
    return order


def set_status(adapter: ShopifyAdapter, external_id: str, status: str) -> model.UpdateResult:
    upd = model.OrderUpdate(external_id=external_id, convert_cart_to_order=True, status=status)
    return adapter.update(upd.ref, upd)


def test_convert_then_booked_then_pending_fulfillment(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = checked_out(adapter, shop)
    r = update(adapter, order, convert_cart_to_order=True, convert_mode="CART_TO_ORDER_CONVERT_ONLY")
    assert statuses(r) == [("CONVERT_CART_TO_ORDER", True)]
    placed = r.order
    assert placed.external_id.startswith("gid://shopify/Order/")
    assert (placed.status, placed.order_type, placed.id) == (model.STATUS_PENDING, model.TYPE_ORDER, "F-co")
    assert totals(placed) == {
        "sub_total": "62.50",
        "total_discounts": "0.00",
        "total_tax": "6.08",
        "total_shipping": "5.99",
        "total_amount": "74.57",
    }
    assert [line.id for line in placed.lines] == ["L-tee", "L-mug"]
    shopify_order = shop.order(placed.external_id)
    assert shopify_order["displayFinancialStatus"] == "PENDING"  # payment still pending
    [fulfillment_order] = shopify_order["fulfillmentOrders"]["nodes"]
    assert fulfillment_order["status"] == "ON_HOLD"  # not released for fulfilment
    assert fulfillment_order["fulfillmentHolds"][0]["reason"] == "AWAITING_PAYMENT"
    assert shop.committed[shop.tee.variants[0].id] == 2  # type: ignore[attr-defined]

    r = set_status(adapter, placed.external_id, model.STATUS_BOOKED)
    assert r.order.status == model.STATUS_BOOKED
    assert shop.order(placed.external_id)["displayFinancialStatus"] == "PENDING"

    r = set_status(adapter, placed.external_id, model.STATUS_PENDING_FULFILLMENT)
    assert r.order.status == model.STATUS_PENDING_FULFILLMENT
    shopify_order = shop.order(placed.external_id)
    assert shopify_order["displayFinancialStatus"] == "PAID"
    assert shopify_order["fulfillmentOrders"]["nodes"][0]["status"] == "OPEN"
    assert "fast-status-booked" not in shopify_order["tags"]
    assert totals(r.order)["total_amount"] == "74.57"

    # Reads work with the draft order id, the order id and Fast's id alone.
    for ref in (
        model.OrderRef(None, order.external_id),
        model.OrderRef(None, placed.external_id),
        model.OrderRef("F-co", None),
    ):
        assert adapter.read(ref).status == model.STATUS_PENDING_FULFILLMENT
    # A repeated status change changes nothing.
    before = len(shop.mutations())
    assert set_status(adapter, placed.external_id, model.STATUS_PENDING_FULFILLMENT).order.status == (
        model.STATUS_PENDING_FULFILLMENT
    )
    assert len(shop.mutations()) == before


def test_cancel_after_booked_restocks_without_telling_the_customer(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = checked_out(adapter, shop, "F-cancel")
    placed = update(adapter, order, convert_cart_to_order=True).order
    set_status(adapter, placed.external_id, model.STATUS_BOOKED)
    r = set_status(adapter, placed.external_id, model.STATUS_CANCELED)
    assert r.order.status == model.STATUS_CANCELED
    shopify_order = shop.order(placed.external_id)
    assert shopify_order["cancel"] == {"reason": "OTHER", "refund": False, "restock": True, "notifyCustomer": False}
    assert shop.committed[shop.tee.variants[0].id] == 0  # type: ignore[attr-defined]
    assert adapter.read(model.OrderRef(None, placed.external_id)).status == model.STATUS_CANCELED
    with pytest.raises(InvalidRequest, match="cannot go from ORDER_STATUS_CANCELED"):
        set_status(adapter, placed.external_id, model.STATUS_PENDING_FULFILLMENT)


def test_cancel_options_are_configurable(state: SQLiteState, settings: Settings, shop: FakeShopify) -> None:
    adapter = make_adapter(state, settings, cancel_reason="FRAUD", cancel_restock=False, cancel_notify_customer=True)
    order = checked_out(adapter, shop, "F-fraud")
    placed = update(adapter, order, convert_cart_to_order=True).order
    set_status(adapter, placed.external_id, model.STATUS_CANCELED)
    assert shop.order(placed.external_id)["cancel"] == {
        "reason": "FRAUD",
        "refund": False,
        "restock": False,
        "notifyCustomer": True,
    }


def test_converting_twice_returns_the_same_order(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = checked_out(adapter, shop)
    first = update(adapter, order, convert_cart_to_order=True).order
    second = update(adapter, order, convert_cart_to_order=True).order
    assert second.external_id == first.external_id
    assert len(shop.orders) == 1


def test_a_cart_without_a_shipping_option_cannot_convert(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = cart(adapter, shop)
    update(adapter, order, shipments=[model.ShipmentUpdate(ship_to=NY)])
    with pytest.raises(InvalidRequest, match="no shipping option"):
        update(adapter, order, convert_cart_to_order=True)
    assert shop.orders == {}


def test_an_order_cannot_change_its_contents(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = checked_out(adapter, shop)
    placed = update(adapter, order, convert_cart_to_order=True).order
    upd = model.OrderUpdate(external_id=placed.external_id, items=[model.ItemUpdate(item_id="L-mug", quantity=5)])
    with pytest.raises(InvalidRequest, match="already an order"):
        adapter.update(upd.ref, upd)


def test_a_status_change_interrupted_halfway_finishes_on_retry(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = checked_out(adapter, shop)
    placed = update(adapter, order, convert_cart_to_order=True).order
    shop.fail_next("http", "FastOrderSteps", status=400)  # refused whole: nothing done
    with pytest.raises(UpstreamUnavailable):
        set_status(adapter, placed.external_id, model.STATUS_PENDING_FULFILLMENT)
    assert shop.order(placed.external_id)["displayFinancialStatus"] == "PENDING"
    assert shop.order(placed.external_id)["fulfillmentOrders"]["nodes"][0]["status"] == "ON_HOLD"
    shop.fail_next("timeout_after", "FastOrderSteps")  # every step done, the answer lost: resent
    r = set_status(adapter, placed.external_id, model.STATUS_PENDING_FULFILLMENT)
    assert r.order.status == model.STATUS_PENDING_FULFILLMENT
    assert shop.order(placed.external_id)["displayFinancialStatus"] == "PAID"
    assert shop.order(placed.external_id)["fulfillmentOrders"]["nodes"][0]["status"] == "OPEN"
    # the resent document found the order paid and released: nothing happened twice
    assert shop.calls[-2:] == ["FastOrderSteps", "FastOrderSteps"]


def test_statuses_shopify_sets_itself_are_refused(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = checked_out(adapter, shop)
    placed = update(adapter, order, convert_cart_to_order=True).order
    with pytest.raises(InvalidRequest):
        set_status(adapter, placed.external_id, model.STATUS_FULFILLED)


def test_a_cart_canceled_before_conversion(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = cart(adapter, shop)
    r = update(adapter, order, status=model.STATUS_CANCELED)
    assert r.order.status == model.STATUS_CANCELED
    assert adapter.read(model.OrderRef(None, order.external_id)).status == model.STATUS_CANCELED
    with pytest.raises(InvalidRequest, match="not been converted"):
        update(adapter, order, status=model.STATUS_BOOKED)


# --- delete, reads, zones -------------------------------------------------------------------------


def test_delete_is_idempotent_and_refuses_placed_orders(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = cart(adapter, shop)
    adapter.delete(model.OrderRef(order.id, order.external_id))
    assert shop.drafts == {}
    adapter.delete(model.OrderRef(order.id, order.external_id))  # absent: no error
    adapter.delete(model.OrderRef("F-never", None))
    with pytest.raises(OrderNotFound):
        adapter.read(model.OrderRef(None, order.external_id))
    placed = update(adapter, checked_out(adapter, shop, "F-2"), convert_cart_to_order=True).order
    with pytest.raises(InvalidRequest, match="placed order"):
        adapter.delete(model.OrderRef(None, placed.external_id))


def test_reads_by_fast_id_alone_find_the_cart_by_its_tag(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = cart(adapter, shop, "6f1b7e0c-6bd8-4f3c-9a55-0f0d2b7a1c01")
    found = adapter.read(model.OrderRef("6f1b7e0c-6bd8-4f3c-9a55-0f0d2b7a1c01", None))
    assert found.external_id == order.external_id
    r = adapter.update(
        model.OrderRef("6f1b7e0c-6bd8-4f3c-9a55-0f0d2b7a1c01", None),
        model.OrderUpdate(order_id="6f1b7e0c-6bd8-4f3c-9a55-0f0d2b7a1c01", bill_to=NY),
    )
    assert r.order.bill_to.city_locality == "New York"
    with pytest.raises(OrderNotFound):
        adapter.read(model.OrderRef("someone-else", None))


@pytest.mark.parametrize("external_id", ["gid://shopify/Cart/abc", "not-an-id", "gid://shopify/DraftOrder/999999"])
def test_unknown_references_are_404(adapter: ShopifyAdapter, shop: FakeShopify, external_id: str) -> None:
    with pytest.raises(OrderNotFound):
        adapter.read(model.OrderRef(None, external_id))


def test_shipping_zones_come_from_the_delivery_profiles(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    shop.zones = [
        {"countries": [{"code": "US", "provinces": ["NY", "NJ"]}, {"code": "CA"}]},
        {"countries": ["REST_OF_WORLD"]},
    ]
    shop.ships_to = ["US", "CA", "GB", "FR"]
    zones = adapter.shipping_zones()
    assert zones == [
        model.ShippingZone("CA"),
        model.ShippingZone("FR"),
        model.ShippingZone("GB"),
        model.ShippingZone("US", "NJ"),
        model.ShippingZone("US", "NY"),
    ]


# --- Shopify's errors -------------------------------------------------------------------------------


def test_throttled_queries_wait_for_the_bucket_then_succeed(
    adapter: ShopifyAdapter, shop: FakeShopify, sleeps: Sleeps
) -> None:
    shop.fail_next("throttle", "FastDraftCreate", wait=(300.0, 150.0, 100.0))
    order = cart(adapter, shop)
    assert sleeps == [1.5]  # (requested 300 - available 150) / restore 100 per second
    assert shop.calls.count("FastDraftCreate") == 2  # a throttled create was not run: resent once
    assert len(shop.drafts) == 1
    assert order.external_id


def test_throttling_longer_than_the_call_allows_is_503_with_retry_after(
    adapter: ShopifyAdapter, shop: FakeShopify, sleeps: Sleeps
) -> None:
    shop.fail_next("throttle", wait=(1000.0, 0.0, 50.0))
    with deadline.budget(5.0), pytest.raises(UpstreamUnavailable, match="THROTTLED") as raised:
        cart(adapter, shop)
    assert sleeps == []  # 20 s is past the deadline: answer now rather than sleep
    assert raised.value.retry_after == 21
    assert shop.drafts == {}


def test_throttle_wait_is_computed_from_the_cost_extension() -> None:
    body = {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": {
            "cost": {
                "requestedQueryCost": 752,
                "actualQueryCost": None,
                "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": 666, "restoreRate": 50.0},
            }
        },
    }
    assert throttle_wait(body) == pytest.approx(1.72)
    assert throttle_wait({"data": {}}) is None
    assert throttle_wait({"errors": [{"extensions": {"code": "THROTTLED"}}]}) == 1.0


def test_user_errors_are_422_with_shopifys_message(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = cart(adapter, shop)
    with pytest.raises(UpstreamRejected, match="Email is invalid") as raised:
        update(adapter, order, bill_to=model.Address(email="not-an-email", country_code="US"))
    assert raised.value.http_status == 422
    assert shop.draft(order.external_id)["email"] is None  # nothing changed


def test_a_refused_token_is_503_and_logged_loudly_without_the_token(
    adapter: ShopifyAdapter, shop: FakeShopify, caplog: pytest.LogCaptureFixture
) -> None:
    shop.token = "shpat_someone_else_entirely_000000"
    with caplog.at_level(logging.ERROR), pytest.raises(UpstreamUnavailable, match="access token") as raised:
        cart(adapter, shop)
    assert raised.value.http_status == 503
    assert any(r.levelno == logging.ERROR and "access token" in r.getMessage() for r in caplog.records)
    assert TOKEN not in caplog.text and TOKEN not in str(raised.value)


def test_a_missing_access_scope_is_503_and_logged(
    adapter: ShopifyAdapter, shop: FakeShopify, caplog: pytest.LogCaptureFixture
) -> None:
    body = (
        '{"errors":[{"message":"Access denied for draftOrderCreate field. Required access: `write_draft_orders`'
        ' access scope.","extensions":{"code":"ACCESS_DENIED"}}]}'
    )
    shop.fail_next("http", "FastDraftCreate", status=200, body=body)
    with caplog.at_level(logging.ERROR), pytest.raises(UpstreamUnavailable, match="write_draft_orders"):
        cart(adapter, shop)
    assert any("access scope" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("kind", "kwargs"),
    [
        ("garbage", {}),
        ("http", {"status": 502}),
        ("internal", {}),
        ("connect", {}),
    ],
)
def test_a_failing_shop_is_503_and_reads_are_retried(
    adapter: ShopifyAdapter, shop: FakeShopify, kind: str, kwargs: dict[str, Any]
) -> None:
    order = cart(adapter, shop)
    shop.fail_next(kind, "FastDraftOrder", **kwargs)
    if kind == "garbage":
        with pytest.raises(UpstreamUnavailable, match="not JSON"):
            adapter.read(model.OrderRef(None, order.external_id))
    else:  # transient: the read is retried and succeeds
        assert adapter.read(model.OrderRef(None, order.external_id)).external_id == order.external_id


# --- configuration -----------------------------------------------------------------------------------


def test_check_config_names_every_problem(settings: Settings) -> None:
    store = make_store(api_version="2025-02", cancel_reason="OOPS", hold_fulfillment="yes")
    store = type(store)(store.app_id, store.name, store.adapter, "https://shop.example.com", store.options, {})
    problems = ShopifyAdapter.check_config(store, settings)
    text = "\n".join(problems)
    assert "FAST_STORE_ACME_ACCESS_TOKEN is not set" in text
    assert "api_version" in text and "cancel_reason" in text and "hold_fulfillment must be true or false" in text
    assert "myshopify.com" in text
    assert ShopifyAdapter.check_config(make_store(), settings) == []


def test_the_api_version_is_pinned_in_the_url(state: SQLiteState, settings: Settings) -> None:
    assert make_adapter(state, settings).client.base_url.endswith("/admin/api/2025-01")
    assert make_adapter(state, settings, api_version="2025-04").client.base_url.endswith("/admin/api/2025-04")


# --- concurrency ------------------------------------------------------------------------------


def test_concurrent_changes_to_one_cart_are_applied_one_after_the_other(
    adapter: ShopifyAdapter, shop: FakeShopify
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    order = cart(adapter, shop)
    items = [
        [model.ItemUpdate(item_id="L-ebook", quantity=1, external_item_id="EBOOK")],
        [model.ItemUpdate(item_id="L-print", quantity=1, external_item_id="PRINT-LTD")],
        [model.ItemUpdate(item_id="L-mug", quantity=3)],
        [model.ItemUpdate(item_id="L-ebook", quantity=1, external_item_id="EBOOK")],  # a retry racing the first
    ]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: update(adapter, order, items=i), items))
    final = adapter.read(model.OrderRef(order.id, order.external_id))
    assert sorted((line.id, line.quantity) for line in final.lines) == [
        ("L-ebook", 1),
        ("L-mug", 3),
        ("L-print", 1),
        ("L-tee", 2),
    ]


def test_concurrent_creates_for_one_fast_order_make_one_draft(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(3) as pool:
        made = list(pool.map(lambda _: cart(adapter, shop, "F-race").external_id, range(3)))
    assert len(set(made)) == 1
    assert len(shop.drafts) == 1


def test_an_amount_that_is_not_a_decimal_is_503(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    order = cart(adapter, shop)
    body = json.dumps(
        {
            "data": {
                "draftOrder": {
                    **shop.draft(order.external_id),
                    "totalPriceSet": {"presentmentMoney": {"amount": "12,50"}},
                }
            }
        }
    )
    shop.fail_next("http", "FastDraftOrder", status=200, body=body)
    with pytest.raises(UpstreamUnavailable, match="not a decimal"):
        adapter.read(model.OrderRef(None, order.external_id))
