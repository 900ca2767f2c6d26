"""Shopify round trips per Fast call: the numbers docs/benchmark.md states, held here so they stay true."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.shopify.adapter import ShopifyAdapter
from mappings import model
from tests.adapters.shopify.shop import NY
from tests.fakes.shopify import FakeShopify


def trips(shop: FakeShopify, call: Callable[[], Any]) -> tuple[list[str], Any]:
    """The documents one Fast call sent to Shopify, by operation name, and what it answered."""
    before = len(shop.calls)
    answer = call()
    return shop.calls[before:], answer


def test_round_trips_per_fast_call(adapter: ShopifyAdapter, shop: FakeShopify) -> None:
    def upd(ref: str, **segments: Any) -> Callable[[], model.UpdateResult]:
        update = model.OrderUpdate(order_id="F-trips", external_id=ref, **segments)
        return lambda: adapter.update(update.ref, update)

    lines = [model.Line(id="L-mug", quantity=1, external_item_id="MUG")]
    sent, cart = trips(shop, lambda: adapter.create(model.Order(id="F-trips", lines=lines)))
    assert sent == ["FastCreateLookup", "FastDraftCreate"]
    ref = cart.external_id

    assert trips(shop, lambda: adapter.read(model.OrderRef("F-trips", ref)))[0] == ["FastDraftOrder"]
    sent, _ = trips(shop, upd(ref, shipments=[model.ShipmentUpdate(ship_to=NY)]))
    assert sent == ["FastDraftOrder", "FastDraftUpdate"]  # the rates ride in the update's document
    sent, _ = trips(shop, upd(ref, shipping_option=model.ShippingOptionUpdate(option_id="shopify-Standard-5.99")))
    assert sent == ["FastDraftOrder", "FastDraftUpdate"]
    items = [model.ItemUpdate(item_id="L-tee", quantity=1, external_item_id="TEE-M-BLK")]
    assert trips(shop, upd(ref, items=items))[0] == ["FastDraftOrder", "FastDraftUpdate"]
    assert trips(shop, upd(ref, coupon=model.CouponUpdate("SAVE10")))[0] == ["FastDraftOrder", "FastDraftUpdate"]
    # A code Shopify does not apply is taken back out: one more update.
    sent, _ = trips(shop, upd(ref, coupon=model.CouponUpdate("SUMMER2020")))
    assert sent == ["FastDraftOrder", "FastDraftUpdate", "FastDraftUpdate"]

    sent, result = trips(shop, upd(ref, convert_cart_to_order=True))
    assert sent == ["FastDraftOrder", "FastDraftComplete", "FastOrderSteps"]  # complete, then hold what it made
    order = result.order.external_id
    assert trips(shop, lambda: adapter.read(model.OrderRef("F-trips", order)))[0] == ["FastOrder"]
    for status in (model.STATUS_BOOKED, model.STATUS_PENDING_FULFILLMENT, model.STATUS_CANCELED):
        sent, result = trips(shop, upd(order, status=status))
        assert (sent, result.order.status) == (["FastOrder", "FastOrderSteps"], status)
    assert trips(shop, upd(order, status=model.STATUS_CANCELED))[0] == ["FastOrder"]  # resent: nothing to do

    other = adapter.create(model.Order(id="F-gone", lines=lines))
    assert trips(shop, lambda: adapter.delete(model.OrderRef("F-gone", other.external_id)))[0] == ["FastDraftDelete"]
