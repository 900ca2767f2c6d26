"""The two request dialects the simulator speaks, and how products are named on its command line."""

from __future__ import annotations

import pytest

from simulator.bodies import Dialect, ItemRef, SeedsDialect, dialect


def test_item_refs_parse_every_way_fast_names_an_item() -> None:
    assert ItemRef.parse("1001") == ItemRef(product_id="1001")
    assert ItemRef.parse("2001:2001-BLK-M") == ItemRef(product_id="2001", variant_id="2001-BLK-M")
    assert ItemRef.parse("item=GIFT-BOX-XL") == ItemRef(item_id="GIFT-BOX-XL")
    assert ItemRef.parse("2001?size=M&color=Black") == ItemRef(
        product_id="2001", options=(("size", "M"), ("color", "Black"))
    )
    assert ItemRef.parse("2001?size=M&color=Black").wire() == {
        "external_product_id": "2001",
        "external_options": [{"key": "size", "value": "M"}, {"key": "color", "value": "Black"}],
    }
    assert str(ItemRef.parse("2001:2001-BLK-M")) == "product 2001 variant 2001-BLK-M"
    with pytest.raises(ValueError, match="empty"):
        ItemRef.parse("  ")
    with pytest.raises(ValueError, match="bad query field"):
        ItemRef.parse("2001?size")


def test_openapi_dialect() -> None:
    b = dialect("openapi", "shop")
    assert isinstance(b, Dialect) and b.name == "openapi"
    body = b.update(
        "r1", fast_id="F1", external_id="c1", items=[b.item("L1", 2), b.removal("L2")], coupon=b.coupon("X")
    )
    assert body == {
        "app_id": "shop",
        "type": "ENTITY_TYPE_ORDER",
        "order": {
            "order_id": {"value": "F1"},
            "external_id": "c1",
            "items": [{"item_id": {"value": "L1"}, "quantity": 2}, {"item_id": {"value": "L2"}, "quantity": 0}],
            "coupon": {"code": "X"},
        },
        "request_id": {"value": "r1"},
    }
    assert b.read("r2", fast_id="F1")["order"] == {"is_cart": True, "order_id": {"value": "F1"}}


def test_seeds_dialect() -> None:
    b = dialect("seeds", "shop")
    assert isinstance(b, SeedsDialect)
    body = b.update("r1", fast_id="F1", items=[b.item("item_1", 2), b.removal("item_2")], coupon=b.coupon("X"))
    assert body == {
        "type": "ENTITY_TYPE_ORDER",
        "app_id": "shop",
        "order": {"order_id": "F1", "items": [{"id": "item_1", "quantity": 2}, {"id": "item_2"}], "coupon": "X"},
        "request_id": "r1",
    }
    created = b.create("F1", [("L1", 1, ItemRef(product_id="1001"))], "r0")
    assert created["entity_type"] == "ENTITY_ORDER" and "type" not in created
    assert created["order"]["order"]["lines"] == [{"id": {"value": "L1"}, "quantity": 1, "external_product_id": "1001"}]
    assert b.delete("r3", external_id="c1") == {
        "entity_type": "ENTITY_ORDER",
        "app_id": "shop",
        "order": {"is_cart": True, "external_order_id": "c1"},
        "request_id": "r3",
    }
    with pytest.raises(ValueError, match="unknown dialect"):
        dialect("soap", "shop")
