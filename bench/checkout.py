"""One Fast checkout as the sequence of calls Fast makes, for the benchmark's load driver."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

NY = {
    "first_name": "Bench",
    "last_name": "Shopper",
    "email": "bench@example.com",
    "address_1": "100 Park Avenue",
    "city_locality": "New York",
    "state_province_code": "NY",
    "country_code": "US",
    "postal_code": "10017",
}


@dataclass(frozen=True)
class Product:
    """What to buy on a platform: the first line and the line added later (batching)."""

    first: dict[str, Any]
    second: dict[str, Any]
    coupon: str
    # The shipping option to switch to: its external id, or its place in the offered options.
    option: str | int | None = None
    refused_coupon: str | None = None  # a code the shop refuses (status false), when it has one


SANDBOX = Product(
    first={"external_product_id": "2001", "external_variant_id": "2001-BLK-M"},
    second={"external_product_id": "1001"},
    coupon="SAVE10",
    option="us_express",
)

# tests/fakes/woocommerce.py's standard shop: a hoodie variation, a belt, New York's Express rate.
WOOCOMMERCE = Product(
    first={"external_product_id": "13", "external_variant_id": "14"},
    second={"external_product_id": "22"},
    coupon="SAVE10",
    option="flat_rate:11",
    refused_coupon="SUMMER2020",  # expired
)


@dataclass
class Call:
    operation: str  # create, read, update, delete
    label: str  # what the call does, for the report
    body: Callable[[dict[str, Any]], dict[str, Any]]  # built from what earlier answers said


def checkout(app_id: str, product: Product) -> Iterator[Call]:
    """Fast's calls for one checkout, from create to PENDING_FULFILLMENT."""
    fast_id = str(uuid.uuid4())
    first_line, second_line = str(uuid.uuid4()), str(uuid.uuid4())

    def envelope(order: dict[str, Any]) -> dict[str, Any]:
        return {
            "app_id": app_id,
            "type": "ENTITY_TYPE_ORDER",
            "request_id": {"value": str(uuid.uuid4())},
            "order": order,
        }

    def update(**segments: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
        return lambda seen: envelope({"order_id": {"value": fast_id}, "external_id": seen["external_id"], **segments})

    yield Call(
        "create",
        "create",
        lambda seen: envelope(
            {
                "is_cart": True,
                "order": {
                    "id": {"value": fast_id},
                    "lines": [{"id": {"value": first_line}, "quantity": 1, **product.first}],
                },
            }
        ),
    )
    yield Call(
        "read",
        "read",
        lambda seen: {
            "app_id": app_id,
            "type": "ENTITY_TYPE_ORDER",
            "order": {"external_order_id": seen["external_id"]},
        },
    )
    yield Call("update", "bill_to", update(bill_to=NY))
    yield Call(
        "update",
        "shipments",
        update(shipments=[{"ship_to": NY, "line_refs": [{"id": {"value": first_line}, "quantity": 1}]}]),
    )
    if product.option is not None:
        wanted = product.option

        def choose(seen: dict[str, Any]) -> dict[str, Any]:
            option = wanted if isinstance(wanted, str) else seen.get("options", [""] * (wanted + 1))[wanted]
            # plan_id and option_id carry the external ids this server gave them (Fast's facts).
            choice = {"plan_id": {"value": seen.get("plan_id", "")}, "option_id": {"value": option}}
            return update(shipping_option={**choice, "external_option_id": option})(seen)

        yield Call("update", "shipping_option", choose)
    yield Call(
        "update", "add_item", update(items=[{"item_id": {"value": second_line}, "quantity": 1, **product.second}])
    )
    yield Call("update", "coupon", update(coupon={"code": product.coupon}))
    if product.refused_coupon:
        yield Call("update", "refused_coupon", update(coupon={"code": product.refused_coupon}))
    yield Call(
        "update", "convert", update(convert_cart_to_order=True, convert_mode="CART_TO_ORDER_CONVERT_UPDATE_AND_CONVERT")
    )
    yield Call("update", "booked", update(status="ORDER_STATUS_BOOKED"))
    yield Call("update", "pending_fulfillment", update(status="ORDER_STATUS_PENDING_FULFILLMENT"))
