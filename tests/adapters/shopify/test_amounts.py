"""Amounts as Shopify writes them ("12.5", "0.0") answered with two decimals; discount kinds kept after conversion."""

from __future__ import annotations

from adapters.shopify.adapter import ShopifyAdapter
from mappings import model
from tests.adapters.shopify.shop import NY, update
from tests.fakes.shopify import FakeShopify


def amounts(order: model.Order) -> list[str]:
    values = [order.sub_total, order.total_discounts, order.total_tax, order.total_shipping, order.total_amount]
    for line in order.lines:
        values += [line.unit_price, line.discounted_unit_price, line.subtotal_amount, line.tax_amount]
    values += [c.total_amount for c in order.coupons]
    for plan in order.shipment_plans:
        values += [o.cost for o in plan.available_options]
    return [str(v) for v in values]


def test_every_amount_answered_has_two_decimals_and_free_shipping_stays_a_shipping_discount(
    adapter: ShopifyAdapter, shop: FakeShopify
) -> None:
    lines = [model.Line(id="L", quantity=1, external_item_id="MUG")]  # Shopify writes its price "12.5"
    order = adapter.create(model.Order(id="F-amounts", lines=lines))
    assert (
        shop.draft(order.external_id)["lineItems"]["nodes"][0]["originalUnitPriceSet"]["shopMoney"]["amount"] == "12.5"
    )
    update(adapter, order, shipments=[model.ShipmentUpdate(ship_to=NY)])
    update(adapter, order, shipping_option=model.ShippingOptionUpdate(option_id="shopify-Standard-5.99"))
    cart = update(adapter, order, coupon=model.CouponUpdate("FREESHIP")).order
    refused = update(adapter, order, coupon=model.CouponUpdate("SUMMER2020")).order
    placed = update(adapter, order, convert_cart_to_order=True).order
    for answered in (cart, refused, placed):
        assert all(len(a.split(".")[1]) == 2 for a in amounts(answered)), amounts(answered)
    assert [(c.code, c.type) for c in cart.coupons] == [("FREESHIP", model.DISCOUNT_SHIPPING)]
    assert [(c.code, c.type, str(c.total_amount)) for c in placed.coupons] == [
        ("FREESHIP", model.DISCOUNT_SHIPPING, "5.99")
    ]
    assert str(placed.total_shipping) == "0.00"
