"""Carts of any size within Shopify's query-cost limit: create, read, update and convert, 1 to 100 lines.

The fake refuses any document priced over 1000 points the way Shopify does, so each of these calls
fails if one document the adapter sends is too dear.
"""

from __future__ import annotations

from typing import Any

import pytest

from adapters.shopify.adapter import ShopifyAdapter
from mappings import model
from service.config import Settings
from service.state import SQLiteState
from tests.adapters.shopify.shop import NY, make_adapter, make_shop, require_schema, serving, update
from tests.fakes.shopify import FakeShopify


@pytest.fixture
def shop() -> Any:
    require_schema()
    fake = make_shop()
    fake.goods = [  # type: ignore[attr-defined]
        fake.add_product(f"Sticker {i}", [{"price": f"{1 + i % 7}.50", "sku": f"STK-{i}"}]) for i in range(110)
    ]
    with serving(fake):
        yield fake


@pytest.fixture
def adapter(state: SQLiteState, settings: Settings) -> ShopifyAdapter:
    return make_adapter(state, settings)


def _line(shop: FakeShopify, i: int) -> model.Line:
    product = shop.goods[i]  # type: ignore[attr-defined]
    if i % 10 == 3:  # some by product id, some by SKU, most by variant id
        return model.Line(id=f"L{i}", quantity=1, external_product_id=str(product.id))
    if i % 10 == 7:
        return model.Line(id=f"L{i}", quantity=1, external_item_id=f"STK-{i}")
    return model.Line(id=f"L{i}", quantity=1, external_variant_id=str(product.variants[0].id))


@pytest.mark.parametrize("lines", [1, 5, 25, 100])
def test_a_cart_of_any_size_is_created_read_updated_and_converted(
    adapter: ShopifyAdapter, shop: FakeShopify, lines: int
) -> None:
    order = adapter.create(model.Order(id=f"F-{lines}", lines=[_line(shop, i) for i in range(lines)]))
    assert sorted(line.id for line in order.lines) == sorted(f"L{i}" for i in range(lines))

    again = adapter.read(model.OrderRef(order.id, order.external_id))
    assert len(again.lines) == lines and again.total_amount == order.total_amount

    adds = [
        model.ItemUpdate(item_id=f"N{i}", quantity=2, external_variant_id=str(shop.goods[lines + i].variants[0].id))  # type: ignore[attr-defined]
        for i in range(3)
    ]
    more = update(adapter, order, items=[*adds, model.ItemUpdate(item_id="L0", quantity=4)])
    assert len(more.order.lines) == lines + 3
    assert next(line for line in more.order.lines if line.id == "L0").quantity == 4
    assert more.order.sub_total == sum((line.subtotal_amount for line in more.order.lines), more.order.sub_total * 0)

    update(adapter, order, shipments=[model.ShipmentUpdate(ship_to=NY)])
    update(adapter, order, shipping_option=model.ShippingOptionUpdate(option_id="shopify-Express-14.99"))
    placed = update(adapter, order, convert_cart_to_order=True).order
    assert placed.order_type == model.TYPE_ORDER
    assert len(placed.lines) == lines + 3
    assert placed.total_amount == placed.sub_total - placed.total_discounts + placed.total_tax + placed.total_shipping
    read = adapter.read(model.OrderRef(order.id, placed.external_id))
    assert len(read.lines) == lines + 3
