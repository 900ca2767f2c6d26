"""The four endpoints: both dialects in, OpenAPI shapes out, every error path."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest

from tests import bodies as b
from tests import openapi


def _create(fast: Any, fast_id: str = "F-app", **line_ids: Any) -> dict[str, Any]:
    lines = [b.line("L1", 1, external_product_id="1001")]
    return fast.call("create", b.create(fast_id, lines))["order"]["order"]


# --- the seeds' dialect ---------------------------------------------------------


def test_seeds_dialect_create_read_update_delete(fast: Any) -> None:
    created = fast.call(
        "create",
        {
            "entity_type": "ENTITY_ORDER",
            "app_id": "sandbox",
            "request_id": "seed-req-1",
            "order": {
                "is_cart": True,
                "order": {"id": {"value": "F-seed"}, "lines": [b.line("item_1", 1, external_product_id=1001)]},
            },
        },
    )
    assert created["type"] == "ENTITY_TYPE_ORDER"
    assert created["request_id"] == {"value": "seed-req-1"}
    cart_id = created["order"]["order"]["external_id"]

    # {"id": ..., "quantity": ...} items, a bare-string coupon, a bare-string order_id.
    r = fast.call(
        "update",
        {
            "type": "ENTITY_TYPE_ORDER",
            "app_id": "sandbox",
            "order": {"order_id": "F-seed", "items": [{"id": "item_1", "quantity": 2}], "coupon": "SAVE10"},
        },
    )
    order = r["order"]["order"]
    assert [(line["id"]["value"], line["quantity"]) for line in order["lines"]] == [("item_1", 2)]
    assert order["sub_total"] == "25.00"
    assert order["total_discounts"] == "2.50"
    assert [s["updated"] for s in r["order"]["status"]] == [
        "UPDATE_ORDER_SEGMENT_TYPE_LINE_ITEM",
        "UPDATE_ORDER_SEGMENT_TYPE_COUPON",
    ]

    # A new item with no quantity is added once (the seeds' "add item" example).
    r = fast.call(
        "update",
        {
            "entity_type": "ENTITY_ORDER",
            "app_id": "sandbox",
            "order": {"order_id": "F-seed", "items": [{"id": "item_2", "external_product_id": "5001"}]},
        },
    )
    assert [(line["id"]["value"], line["quantity"]) for line in r["order"]["order"]["lines"]] == [
        ("item_1", 2),
        ("item_2", 1),
    ]

    # An existing item with no quantity is removed (proto3's default 0).
    r = fast.call("update", {"app_id": "sandbox", "order": {"order_id": "F-seed", "items": [{"id": "item_2"}]}})
    assert [line["id"]["value"] for line in r["order"]["order"]["lines"]] == ["item_1"]

    read = fast.call(
        "read",
        {
            "entity_type": "ENTITY_TYPE_ORDER",
            "app_id": "sandbox",
            "order": {"is_cart": True, "order_id": "F-seed", "external_order_id": cart_id},
        },
    )
    assert read["order"]["order"]["external_id"] == cart_id

    assert (
        fast.call(
            "delete",
            {
                "entity_type": "ENTITY_ORDER",
                "app_id": "sandbox",
                "order": {"is_cart": True, "external_order_id": cart_id},
            },
        )
        == {}
    )


def test_openapi_examples_are_accepted(fast: Any) -> None:
    """Fast's own captured request shapes (enums as numbers, typos, unknown fields) go through."""
    created = fast.call(
        "create", b.create("863e151e-703e-4da3-b044-a1c874afeda3", [b.line("2f914efb", 1, external_product_id=1001)])
    )
    cart_id = created["order"]["order"]["external_id"]
    example = openapi.spec()["components"]["examples"]["UpdateRequest_Order_Cart_Add_Item"]["value"]
    body = json.loads(json.dumps(example))
    body["app_id"] = "sandbox"
    body["order"]["external_id"] = cart_id
    # The example's item names a product of another shop; point it at a sandbox item.
    body["order"]["items"][0].update(
        external_product_id="2001", external_variant_id="2001-BLK-S", external_item_id=None
    )
    body["order"]["device_info"] = {"ip_address": "24.168.83.213"}
    body["order"]["order_type"] = 1
    r = fast.call("update", body)
    lines = r["order"]["order"]["lines"]
    # The quantity hides in the id object, misspelt "quanity": it still means 1, not "remove".
    assert [(line["id"]["value"], line["quantity"]) for line in lines] == [
        ("2f914efb", 1),
        ("e0400168-958b-4a46-bf23-08cb6ee00630", 1),
    ]


def test_enums_as_numbers_and_numbers_as_strings(fast: Any) -> None:
    _create(fast, "F-enum")
    r = fast.call(
        "update",
        {
            "app_id": "sandbox",
            "type": 1,
            "order": {
                "order_id": {"value": "F-enum"},
                "bill_to": {"country_code": "US", "state_province_code": "NY", "postal_code": 10017},
            },
        },
    )
    assert r["type"] == "ENTITY_TYPE_ORDER"
    assert r["order"]["order"]["bill_to"]["postal_code"] == "10017"
    assert r["order"]["order"]["total_tax"] == "1.11"


def test_shipping_zones(fast: Any) -> None:
    r = fast.call("read", {"app_id": "sandbox", "type": "ENTITY_TYPE_SHIPPING_ZONES"})
    assert r["type"] == "ENTITY_TYPE_SHIPPING_ZONES"
    zones = r["shipping_zones"]["shipping_zones"]
    assert {"country_iso2": "US"} in zones
    assert {"country_iso2": "CA", "subdivision_iso2": "ON"} in zones
    assert not any(zone["country_iso2"] == "FR" for zone in zones)


def test_update_with_only_fast_order_id_finds_the_cart(fast: Any) -> None:
    _create(fast, "F-only")
    r = fast.call("update", b.update("F-only", items=[b.item("L1", 4)]))
    assert r["order"]["order"]["lines"][0]["quantity"] == 4


def test_create_repeated_for_the_same_fast_order_returns_the_same_cart(fast: Any) -> None:
    first = _create(fast, "F-twice")
    second = _create(fast, "F-twice")
    assert first["external_id"] == second["external_id"]
    assert len(second["lines"]) == 1


def test_delete_is_idempotent_and_cart_is_gone(fast: Any) -> None:
    cart_id = _create(fast, "F-del")["external_id"]
    assert fast.call("delete", b.delete(cart_id)) == {}
    assert fast.call("delete", b.delete(cart_id)) == {}
    assert fast.call("delete", b.delete(fast_order_id="F-never-seen")) == {}
    error = fast.call("read", b.read(cart_id), status=404)
    assert error["code"] == 5


# --- bad input -------------------------------------------------------------------


def test_not_json_is_400(fast: Any) -> None:
    response = fast.raw("update", b"{not json")
    assert response.status_code == 400
    openapi.assert_valid("error", response.get_json())


@pytest.mark.parametrize("body", ["[]", '"text"', "12", "null"])
def test_json_that_is_not_an_object_is_422(fast: Any, body: str) -> None:
    response = fast.raw("update", body)
    assert response.status_code == 422
    assert response.get_json()["message"]


def test_wrong_types_name_the_field(fast: Any) -> None:
    _create(fast, "F-types")
    error = fast.call("update", b.update("F-types", items=[b.item("L1", "lots")]), status=422)
    assert "order.items[0].quantity" in error["message"]
    detail = error["details"][0]
    assert detail["type_url"] == "type.googleapis.com/google.rpc.BadRequest"
    # google.rpc.BadRequest in protobuf: field_violations(1) { field(1), description(2) }.
    assert b"\n\x17order.items[0].quantity" in base64.b64decode(detail["value"])


@pytest.mark.parametrize(
    ("operation", "body", "field"),
    [
        ("create", {"app_id": "sandbox"}, "order"),
        ("create", {"app_id": "sandbox", "order": {"is_cart": True}}, "order.order"),
        ("update", {"app_id": "sandbox"}, "order"),
        ("update", {"app_id": "sandbox", "order": {"is_cart": True}}, "order.order_id"),
        ("delete", {"app_id": "sandbox"}, "order"),
        ("read", {"app_id": "sandbox", "type": "ENTITY_TYPE_ORDER", "order": {}}, "order"),
        (
            "update",
            {"app_id": "sandbox", "order": {"order_id": "x", "items": [{"quantity": -1}]}},
            "order.items[0].quantity",
        ),
        (
            "update",
            {"app_id": "sandbox", "order": {"order_id": "x", "status": "ORDER_STATUS_NONSENSE"}},
            "order.status",
        ),
    ],
)
def test_requests_that_cannot_be_understood_are_422(
    fast: Any, operation: str, body: dict[str, Any], field: str
) -> None:
    error = fast.call(operation, body, status=422)
    assert field in error["message"]


def test_money_float_text_is_kept_exact(fast: Any) -> None:
    # 0.1 + 0.2 must stay 0.3 through the whole path: JSON numbers are read as decimals.
    response = fast.raw(
        "create",
        '{"app_id":"sandbox","order":{"order":{"id":{"value":"F-dec"},"total_amount":0.3,"lines":[{"id":{"value":"L"},"quantity":1,"external_product_id":"1001","unit_price":0.1}]}}}',
    )
    assert response.status_code == 200
    assert response.get_json()["order"]["order"]["lines"][0]["unit_price"] == "12.50"


@pytest.mark.parametrize("amount", ["1.5e40", '"1.5e400"', '"NaN"', '"Infinity"', "true", '"12,50"'])
def test_impossible_amounts_are_422(fast: Any, amount: str) -> None:
    body = '{"app_id":"sandbox","order":{"order":{"lines":[{"unit_price":AMOUNT}]}}}'.replace("AMOUNT", amount)
    response = fast.raw("create", body)
    assert response.status_code == 422
    assert "order.order.lines[0].unit_price" in response.get_json()["message"]


def test_oversized_body_is_422(fast: Any, app: Any) -> None:
    size = app.config["MAX_CONTENT_LENGTH"] + 1
    response = fast.raw("update", b'{"pad":"' + b"x" * size + b'"}')
    assert response.status_code == 422
    assert "too large" in response.get_json()["message"]


def test_too_deep_json_is_422(fast: Any) -> None:
    body = '{"app_id":"sandbox","order":' + '{"a":' * 40 + "1" + "}" * 40 + "}"
    response = fast.raw("update", body)
    assert response.status_code == 422


def test_unknown_store_is_401_and_unknown_cart_is_404(fast: Any) -> None:
    # A token for an app this service does not serve opens nothing and says nothing about which apps exist.
    error = fast.call(
        "read", {"app_id": "nobody", "type": "ENTITY_TYPE_ORDER", "order": {"external_order_id": "x"}}, status=401
    )
    assert "nobody" not in error["message"]
    fast.call("read", b.read("sbx_does_not_exist"), status=404)
    fast.call("update", b.update("F-unknown", items=[b.item("L1", 1)]), status=404)


def test_wrong_method_and_unknown_path_answer_rpc_status(client: Any) -> None:
    assert client.get("/fast/v1/read").status_code == 405
    response = client.post("/fast/v1/nothing", json={})
    assert response.status_code == 404
    openapi.assert_valid("error", response.get_json())


def test_unexpected_exception_is_a_generic_500_without_details(
    fast: Any, app: Any, monkeypatch: Any, caplog: Any
) -> None:
    adapter = app.extensions["fast.service"].adapter("sandbox")

    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(adapter, "read", explode)
    with caplog.at_level(logging.ERROR):
        response = fast.raw("read", json.dumps(b.read("sbx_x")))
    assert response.status_code == 500
    body = response.get_json()
    assert body == {"code": 13, "message": "internal error", "details": []}
    assert "hunter2" not in response.get_data(as_text=True)
    assert "hunter2" not in caplog.text
    assert "Traceback" not in caplog.text
    assert any(getattr(r, "fields", {}).get("error") == "RuntimeError" for r in caplog.records)


def test_request_id_is_echoed_in_a_header(client: Any) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    assert client.get("/healthz").headers["X-Request-ID"]


def test_health_and_readiness(client: Any) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["status"] == "ready"
