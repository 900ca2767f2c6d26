"""Fast request bodies, in the OpenAPI dialect and the seeds' dialect."""

from __future__ import annotations

from typing import Any

APP = "sandbox"

NY = {
    "first_name": "Solutions",
    "last_name": "Team",
    "email": "solutions@fast.co",
    "phone": "+18005551212",
    "address_1": "100 Park Avenue",
    "city_locality": "New York",
    "state_province_code": "NY",
    "country_code": "US",
    "postal_code": "10017",
}
PARIS = {
    "first_name": "Solutions",
    "last_name": "Team",
    "address_1": "1 Rue de Rivoli",
    "city_locality": "Paris",
    "country_code": "FR",
    "postal_code": "75001",
}


def create(fast_order_id: str, lines: list[dict[str, Any]], request_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "app_id": APP,
        "type": "ENTITY_TYPE_ORDER",
        "order": {
            "is_cart": True,
            "order": {
                "id": {"value": fast_order_id},
                "order_type": "ORDER_TYPE_CART",
                "status": "ORDER_STATUS_CART",
                "bill_to": {},
                "lines": lines,
            },
        },
    }
    if request_id:
        body["request_id"] = {"value": request_id}
    return body


def line(line_id: str, quantity: int = 1, **ids: Any) -> dict[str, Any]:
    return {"id": {"value": line_id}, "quantity": quantity, **ids}


def read(external_id: str | None = None, fast_order_id: str | None = None) -> dict[str, Any]:
    order: dict[str, Any] = {"is_cart": True}
    if external_id:
        order["external_order_id"] = external_id
    if fast_order_id:
        order["order_id"] = {"value": fast_order_id}
    return {"app_id": APP, "type": "ENTITY_TYPE_ORDER", "order": order}


def update(
    fast_order_id: str, external_id: str | None = None, request_id: str | None = None, **segments: Any
) -> dict[str, Any]:
    order: dict[str, Any] = {"order_id": {"value": fast_order_id}, "is_cart": True, **segments}
    if external_id:
        order["external_id"] = external_id
    body: dict[str, Any] = {"app_id": APP, "type": "ENTITY_TYPE_ORDER", "order": order}
    if request_id:
        body["request_id"] = {"value": request_id}
    return body


def item(line_id: str, quantity: int | None = None, **ids: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"item_id": {"value": line_id}, **ids}
    if quantity is not None:
        entry["quantity"] = quantity
    return entry


def shipments(address: dict[str, Any], line_ids: list[str], plan_id: str = "plan-1") -> list[dict[str, Any]]:
    return [
        {
            "plan_id": {"value": plan_id},
            "ship_to": address,
            "line_refs": [{"id": {"value": lid}, "quantity": 1} for lid in line_ids],
        }
    ]


def shipping_option(option_id: str, plan_id: str = "default") -> dict[str, Any]:
    return {"plan_id": {"value": plan_id}, "option_id": {"value": option_id}, "external_option_id": option_id}


def delete(external_id: str | None = None, fast_order_id: str | None = None) -> dict[str, Any]:
    order: dict[str, Any] = {"is_cart": True}
    if external_id:
        order["external_order_id"] = external_id
    if fast_order_id:
        order["order_id"] = {"value": fast_order_id}
    return {"app_id": APP, "type": "ENTITY_TYPE_ORDER", "order": order}
