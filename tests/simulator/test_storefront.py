"""The sandbox storefront-cart endpoint: carts with no Fast ids, for sandbox stores only."""

from __future__ import annotations

from typing import Any

from app import create_app
from service.config import SANDBOX_STORE, Settings, StoreConfig
from tests import bodies as b


def test_a_storefront_cart_is_made_and_fast_can_read_and_clear_it(client: Any, fast: Any) -> None:
    answer = client.post(
        "/sandbox/v1/storefront-carts",
        json={
            "app_id": "sandbox",
            "items": [{"external_product_id": "1001", "quantity": 2}, {"external_item_id": "GIFT-BOX-XL"}],
        },
    )
    assert answer.status_code == 201
    created = answer.get_json()
    cart_id = created["external_order_id"]
    assert created["order"]["external_id"] == cart_id
    read = fast.call("read", b.read(cart_id))["order"]["order"]
    assert [(line.get("id"), line["quantity"], line["unit_price"]) for line in read["lines"]] == [
        (None, 2, "12.50"),
        (None, 1, "7.25"),
    ]
    assert read["sub_total"] == "32.25"
    assert fast.call("delete", b.delete(cart_id)) == {}
    fast.call("read", b.read(cart_id), status=404)


def test_fast_ids_in_the_request_are_ignored(client: Any) -> None:
    answer = client.post(
        "/sandbox/v1/storefront-carts",
        json={"app_id": "sandbox", "items": [{"item_id": {"value": "L1"}, "external_product_id": "1001"}]},
    )
    assert answer.status_code == 201
    assert "id" not in answer.get_json()["order"]["lines"][0]


def test_bad_requests_are_refused_with_a_reason(client: Any) -> None:
    def post(body: Any) -> tuple[int, str]:
        answer = client.post("/sandbox/v1/storefront-carts", json=body)
        return answer.status_code, answer.get_json()["message"]

    assert post({"items": [{"external_product_id": "1001"}]}) == (422, "app_id names no store")
    assert post({"app_id": "sandbox", "items": []}) == (422, "items must list 1 to 20 items")
    assert post({"app_id": "sandbox", "items": [{"external_product_id": "1001"}] * 21})[0] == 422
    status, message = post({"app_id": "sandbox", "items": [{"external_product_id": "1001", "quantity": -1}]})
    assert status == 422 and "invalid items" in message
    assert post({"app_id": "sandbox", "items": [{"external_product_id": "9999"}]}) == (422, "unknown product '9999'")
    assert post({"app_id": "nobody", "items": [{"external_product_id": "1001"}]}) == (
        404,
        "no store is configured for app_id 'nobody'",
    )
    assert client.post("/sandbox/v1/storefront-carts", data="{", content_type="application/json").status_code == 400


def test_real_stores_are_never_touched(tmp_path: Any) -> None:
    secrets = {"FAST_STORE_ACME_CONSUMER_KEY": "ck_test", "FAST_STORE_ACME_CONSUMER_SECRET": "cs_test"}
    shop = StoreConfig(
        app_id="real-shop",
        name="acme",
        adapter="woocommerce",
        base_url="https://shop.test",
        options={"payment_method": "cheque"},
        env=secrets,
    )
    app = create_app(
        Settings(state_path=str(tmp_path / "s.sqlite3")), stores={"real-shop": shop, "sandbox": SANDBOX_STORE}
    )
    answer = app.test_client().post(
        "/sandbox/v1/storefront-carts", json={"app_id": "real-shop", "items": [{"external_product_id": "1"}]}
    )
    assert answer.status_code == 404
    assert (
        answer.get_json()["message"] == "store 'real-shop' is not a sandbox store: its storefront makes its own carts"
    )
