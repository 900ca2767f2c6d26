"""Fast's wire format: tolerant loading, exact dumping."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from mappings import fast, model
from service.errors import InvalidRequest, MalformedJSON
from tests import openapi


def load(operation: str, body: Any) -> dict[str, Any]:
    return fast.load_request(operation, fast.decode_json(json.dumps(body, default=str).encode()))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ORDER_STATUS_BOOKED", "ORDER_STATUS_BOOKED"),
        ("order_status_booked", "ORDER_STATUS_BOOKED"),
        ("BOOKED", "ORDER_STATUS_BOOKED"),
        (4, "ORDER_STATUS_BOOKED"),
        ("4", "ORDER_STATUS_BOOKED"),
        (1, "ORDER_STATUS_CART"),
        (0, None),
        ("ORDER_STATUS_UNSPECIFIED", None),
    ],
)
def test_order_status_names_and_numbers(value: Any, expected: str | None) -> None:
    update = load("update", {"order": {"order_id": "x", "status": value}})["order"]
    assert update.status == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (99, "SHIPPING_OPTION_TYPE_OTHER"),
        (1, "SHIPPING_OPTION_TYPE_IN_STORE_PICKUP"),
        ("OTHER", "SHIPPING_OPTION_TYPE_OTHER"),
    ],
)
def test_shipping_option_type_numbering(value: Any, expected: str) -> None:
    order = fast.FastOrderSchema().load({"shipment_plans": [{"available_options": [{"shipment_type": value}]}]})
    assert order.shipment_plans[0].available_options[0].shipment_type == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, "ENTITY_TYPE_ORDER"), (4, "ENTITY_TYPE_SHIPPING_ZONES"), ("ENTITY_ORDER", "ENTITY_TYPE_ORDER")],
)
def test_entity_type_numbering_and_seed_spelling(value: Any, expected: str) -> None:
    assert load("read", {"entity_type": value})["type"] == expected


def test_unknown_enum_number_is_refused() -> None:
    with pytest.raises(InvalidRequest, match=r"order\.status"):
        load("update", {"order": {"order_id": "x", "status": 42}})


def test_numbers_where_strings_are_declared() -> None:
    order = load(
        "create",
        {
            "order": {
                "order": {
                    "id": 7,
                    "external_id": 585,
                    "lines": [{"id": 1, "external_product_id": 112, "quantity": "2"}],
                }
            }
        },
    )["order"]["order"]
    assert (order.id, order.lines[0].id) == ("7", "1")
    assert order.external_id == "585"
    assert order.lines[0].external_product_id == "112"
    assert order.lines[0].quantity == 2


def test_money_is_decimal_and_exact() -> None:
    order = fast.FastOrderSchema().load(
        fast.decode_json(b'{"total_amount": 1203.27, "sub_total": "1129.98", "total_tax": 57}')
    )
    assert order.total_amount == Decimal("1203.27")
    assert order.sub_total == Decimal("1129.98")
    assert order.total_tax == Decimal("57")
    assert fast.dump_order(order)["total_amount"] == "1203.27"


@pytest.mark.parametrize("quantity", [2.5, "2.5", -1, True, "many", 10**9])
def test_impossible_quantities_are_refused(quantity: Any) -> None:
    with pytest.raises(InvalidRequest, match=r"order.items\[0\].quantity"):
        load("update", {"order": {"order_id": "x", "items": [{"item_id": {"value": "a"}, "quantity": quantity}]}})


def test_whole_number_decimal_quantity_is_accepted() -> None:
    update = fast.load_request(
        "update", fast.decode_json(b'{"order":{"order_id":"x","items":[{"id":"a","quantity":2.0}]}}')
    )["order"]
    assert update.items[0].quantity == 2


def test_item_dialects() -> None:
    update = load(
        "update",
        {
            "order": {
                "order_id": "x",
                "items": [
                    {"id": "seed-style", "quantity": 2},
                    {"item_id": {"value": "openapi-style"}, "quantity": 0},
                    {"item_id": {"value": "no-quantity"}},
                    {"item_id": {"value": "typo", "quanity": 3}},
                ],
                "coupon": "SAVE10",
            }
        },
    )["order"]
    assert [(i.item_id, i.quantity) for i in update.items] == [
        ("seed-style", 2),
        ("openapi-style", 0),
        ("no-quantity", None),
        ("typo", 3),
    ]
    assert update.coupon == model.CouponUpdate(code="SAVE10", remove=False)


def test_unknown_fields_are_ignored_at_every_level() -> None:
    body = {
        "device_info": {"ip": "1.2.3.4"},
        "order": {
            "order_id": {"value": "x"},
            "payment": {"token": "t"},
            "bill_to": {"country_code": "US", "planet": "Earth"},
        },
    }
    update = load("update", body)["order"]
    assert update.bill_to.country_code == "US"


def test_dump_never_emits_nulls_and_wraps_ids() -> None:
    order = model.Order(id="F1", external_id="c1", lines=[model.Line(id="L1", quantity=1, unit_price=Decimal("1.50"))])
    dumped = fast.dump_order(order)
    assert dumped == {
        "id": {"value": "F1"},
        "external_id": "c1",
        "lines": [{"id": {"value": "L1"}, "quantity": 1, "unit_price": "1.50"}],
    }


def test_money_is_never_written_in_exponent_form() -> None:
    dumped = fast.dump_order(model.Order(total_amount=Decimal("1E+2"), sub_total=Decimal("0E-8")))
    # Two decimals at least (issue 13: money is always two decimals on the wire), more kept exact.
    assert dumped == {"total_amount": "100.00", "sub_total": "0.00000000"}


def test_update_response_shape() -> None:
    result = model.UpdateResult(
        model.Order(id="F1", status=model.STATUS_CART),
        [model.SegmentStatus(model.SEGMENT_COUPON, False, "COUPON_EXPIRED", "expired")],
    )
    body = fast.dump_update_response(result, "ENTITY_TYPE_ORDER", "r1")
    assert body == {
        "type": "ENTITY_TYPE_ORDER",
        "order": {
            "order": {"id": {"value": "F1"}, "status": "ORDER_STATUS_CART"},
            "status": [
                {
                    "updated": "UPDATE_ORDER_SEGMENT_TYPE_COUPON",
                    "status": False,
                    "reason_code": "COUPON_EXPIRED",
                    "message": "expired",
                }
            ],
        },
        "request_id": {"value": "r1"},
    }
    openapi.assert_valid("update", body)


def test_zones_response_shape() -> None:
    body = fast.dump_zones_response(
        [model.ShippingZone("US"), model.ShippingZone("CA", "ON")], "ENTITY_TYPE_SHIPPING_ZONES", None
    )
    assert body == {
        "type": "ENTITY_TYPE_SHIPPING_ZONES",
        "shipping_zones": {
            "shipping_zones": [{"country_iso2": "US"}, {"country_iso2": "CA", "subdivision_iso2": "ON"}]
        },
    }
    openapi.assert_valid("read", body)


def test_every_openapi_request_example_loads() -> None:
    for name, example in openapi.spec()["components"]["examples"].items():
        if "Request" not in name:
            continue
        operation = name.split("Request", 1)[0].lower()
        loaded = load(operation, example["value"])
        assert loaded["type"] in {"ENTITY_TYPE_ORDER", "ENTITY_TYPE_SHIPPING_ZONES"}, name


def test_every_openapi_response_example_order_round_trips_to_a_valid_order() -> None:
    """Fast's own example orders (with numbers for strings, integers for enums) load and dump cleanly."""
    for name, example in openapi.spec()["components"]["examples"].items():
        order = (example["value"].get("order") or {}).get("order")
        if "Response" not in name or not isinstance(order, dict):
            continue
        loaded = fast.FastOrderSchema().load(fast.decode_json(json.dumps(order, default=str).encode()))
        assert not openapi.errors("v1FastOrder", fast.dump_order(loaded)), name


def test_not_json_and_not_objects() -> None:
    with pytest.raises(MalformedJSON):
        fast.decode_json(b"\xff\xfe")
    with pytest.raises(MalformedJSON):
        fast.decode_json(b'{"a": NaN}')
    with pytest.raises(InvalidRequest):
        fast.decode_json(b"[1]")


def test_strings_have_length_limits() -> None:
    with pytest.raises(InvalidRequest, match=r"order\.order_id"):
        load("update", {"order": {"order_id": "x" * 5000}})
    with pytest.raises(InvalidRequest, match=r"order\.bill_to\.first_name"):
        load("update", {"order": {"order_id": "x", "bill_to": {"first_name": "x" * 10000}}})


def test_lists_have_length_limits() -> None:
    with pytest.raises(InvalidRequest, match=r"order\.items"):
        load("update", {"order": {"order_id": "x", "items": [{"id": str(n)} for n in range(501)]}})
