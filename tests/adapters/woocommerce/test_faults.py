"""The WooCommerce adapter when the shop fails: lost answers, errors, stale nonces, refused parts.

Every case ends in a correct answer or a clean 4xx/503, and the shop's
state never holds a duplicated line or order.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
import responses
from flask import Flask

from adapters.woocommerce.cart_token import parse_cart_token
from app import create_app
from service.config import Settings, StoreConfig
from service.state import SQLiteState
from tests import bodies as b
from tests.adapters.woocommerce.test_checkout import APP, store_for, totals, w
from tests.conftest import FastClient
from tests.fakes.woocommerce import FakeWooCommerce, standard_shop


@pytest.fixture
def shop() -> FakeWooCommerce:
    return standard_shop()


def app_for(settings: Settings, state: SQLiteState, store: StoreConfig) -> Flask:
    application = create_app(settings, stores={APP: store}, state=state)
    application.config["TESTING"] = True
    adapter = application.extensions["fast.service"].adapter(APP)
    adapter.client.sleep = lambda seconds: None  # retries wait for nothing in tests
    return application


@pytest.fixture
def woo_app(settings: Settings, state: SQLiteState, shop: FakeWooCommerce) -> Iterator[Flask]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        shop.install(rsps)
        yield app_for(settings, state, store_for(shop))


@pytest.fixture
def fast(woo_app: Flask) -> FastClient:
    return FastClient(woo_app.test_client())


def new_cart(fast: FastClient, fast_id: str, *lines: dict[str, Any], address: bool = True) -> str:
    created = fast.call("create", w(b.create(fast_id, list(lines) or [b.line("L1", 2, external_product_id=22)])))
    cart_id = created["order"]["order"]["external_id"]
    if address:
        ids = [line["id"]["value"] for line in created["order"]["order"]["lines"]]
        fast.call("update", w(b.update(fast_id, cart_id, bill_to=b.NY, shipments=b.shipments(b.NY, ids))))
    return cart_id


def quantities(shop: FakeWooCommerce, cart_id: str) -> list[int]:
    session = shop.session_of(cart_id)
    return [] if session is None else [i["quantity"] for i in session.items.values()]


def test_a_lost_answer_to_an_add_never_duplicates_the_line(fast: FastClient, shop: FakeWooCommerce) -> None:
    cart_id = new_cart(fast, "F-lost")
    shop.fail(r"/batch$", kind="timeout", after=True)  # the shop adds the line, the answer never arrives
    body = w(b.update("F-lost", cart_id, items=[b.item("L2", 1, external_product_id=38)]))
    fast.call("update", body, status=503)
    assert sorted(quantities(shop, cart_id)) == [1, 2]
    r = fast.call("update", body)  # Fast retries
    assert sorted(quantities(shop, cart_id)) == [1, 2]
    assert [(line["id"]["value"], line["quantity"]) for line in r["order"]["order"]["lines"]] == [("L1", 2), ("L2", 1)]


def test_an_add_refused_before_acting_is_done_once_on_retry(fast: FastClient, shop: FakeWooCommerce) -> None:
    cart_id = new_cart(fast, "F-503")
    shop.fail(r"/batch$", status=503, times=5)
    body = w(b.update("F-503", cart_id, items=[b.item("L2", 1, external_product_id=38)]))
    error = fast.call("update", body, status=503)
    assert error["code"] == 14
    shop.faults.clear()
    fast.call("update", body)
    assert sorted(quantities(shop, cart_id)) == [1, 2]


def test_rate_limited_add_is_retried_because_the_shop_did_not_act(fast: FastClient, shop: FakeWooCommerce) -> None:
    cart_id = new_cart(fast, "F-429")
    shop.fail(r"/batch$", status=429, retry_after="1")
    fast.call("update", w(b.update("F-429", cart_id, items=[b.item("L2", 1, external_product_id=38)])))
    assert sorted(quantities(shop, cart_id)) == [1, 2]


def test_idempotent_changes_are_retried_transparently(fast: FastClient, shop: FakeWooCommerce) -> None:
    cart_id = new_cart(fast, "F-502")
    shop.fail(r"/batch$", status=502)
    before = shop.count("POST", "/batch")
    r = fast.call("update", w(b.update("F-502", cart_id, coupon={"code": "save10"})))
    assert r["order"]["status"][0]["status"] is True
    assert shop.count("POST", "/batch") - before == 2


def test_a_refused_item_undoes_the_rest_of_the_items_segment(fast: FastClient, shop: FakeWooCommerce) -> None:
    cart_id = new_cart(fast, "F-undo")
    before = fast.call("read", w(b.read(cart_id)))
    body = w(b.update("F-undo", cart_id, items=[b.item("L1", 5), b.item("L2", 1, external_product_id=61)]))
    error = fast.call("update", body, status=422)
    assert "Sold-out mug" in error["message"]
    assert quantities(shop, cart_id) == [2]  # the 5 that went through was put back
    after = fast.call("read", w(b.read(cart_id)))
    assert totals(after) == totals(before)
    assert [(line["id"]["value"], line["quantity"]) for line in after["order"]["order"]["lines"]] == [("L1", 2)]


def test_a_removed_line_that_must_come_back_is_re_added(fast: FastClient, shop: FakeWooCommerce) -> None:
    cart_id = new_cart(fast, "F-readd", b.line("L1", 1, external_product_id=13, external_variant_id=14))
    body = w(b.update("F-readd", cart_id, items=[b.item("L1", 0), b.item("L2", 1, external_product_id=61)]))
    fast.call("update", body, status=422)
    assert quantities(shop, cart_id) == [1]
    r = fast.call("read", w(b.read(cart_id)))
    [line] = r["order"]["order"]["lines"]
    assert (line["id"]["value"], line["external_variant_id"]) == ("L1", "14")


def test_a_lost_checkout_answer_finds_the_order_instead_of_placing_another(
    fast: FastClient, shop: FakeWooCommerce
) -> None:
    cart_id = new_cart(fast, "F-co")
    shop.fail(r"/checkout$", kind="timeout", after=True)
    convert = w(b.update("F-co", cart_id, convert_cart_to_order=True))
    fast.call("update", convert, status=503)
    assert len(shop.orders) == 1  # the shop did place it
    r = fast.call("update", convert)
    [order_id] = shop.orders
    assert r["order"]["order"]["external_id"] == str(order_id)
    assert r["order"]["order"]["status"] == "ORDER_STATUS_PENDING"
    assert len(shop.orders) == 1
    assert {m["key"]: m["value"] for m in shop.orders[order_id]["meta_data"]}["_fast_order_id"] == "F-co"


def test_a_checkout_that_failed_before_acting_is_placed_once(fast: FastClient, shop: FakeWooCommerce) -> None:
    cart_id = new_cart(fast, "F-co2")
    shop.fail(r"/checkout$", status=503)
    convert = w(b.update("F-co2", cart_id, convert_cart_to_order=True))
    fast.call("update", convert, status=503)
    assert shop.orders == {}
    fast.call("update", convert)
    assert len(shop.orders) == 1


def test_an_order_left_unstamped_is_finished_on_retry(fast: FastClient, shop: FakeWooCommerce) -> None:
    cart_id = new_cart(fast, "F-stamp")
    shop.fail(r"/orders/\d+$", method="PUT", status=503, times=10)
    convert = w(b.update("F-stamp", cart_id, convert_cart_to_order=True))
    fast.call("update", convert, status=503)
    [order_id] = shop.orders
    # Unstamped: none of Fast's keys (a real 9.9.5 order carries WooCommerce's own hashes, checkout.jsonl seq 13).
    assert not [m for m in shop.orders[order_id]["meta_data"] if str(m["key"]).startswith("_fast_")]
    shop.faults.clear()
    r = fast.call("update", convert)
    assert r["order"]["order"]["external_id"] == str(order_id)
    assert [line["id"]["value"] for line in r["order"]["order"]["lines"]] == ["L1"]
    meta = {m["key"]: m["value"] for m in shop.orders[order_id]["meta_data"]}
    assert meta["_fast_order_id"] == "F-stamp"
    assert shop.orders[order_id]["payment_method_title"] == "Fast Checkout"
    assert len(shop.orders) == 1


# WooCommerce 9.9.5 ignores expected_total (only 11.1+ answers 409 woocommerce_rest_checkout_total_mismatch):
# the adapter reads the cart and compares the total itself before placing anything.
def test_a_changed_total_refuses_the_conversion(fast: FastClient, shop: FakeWooCommerce) -> None:
    cart_id = new_cart(fast, "F-price")
    shop.products[22].price = Decimal("60.00")  # the merchant edits the price mid-checkout
    convert = w(b.update("F-price", cart_id, convert_cart_to_order=True))
    error = fast.call("update", convert, status=422)
    assert "total changed" in error["message"]
    assert shop.orders == {}
    read = fast.call("read", w(b.read(cart_id)))
    assert read["order"]["order"]["sub_total"] == "120.00"
    r = fast.call("update", convert)  # Fast showed the new total; converting now goes through
    assert r["order"]["order"]["total_amount"] == read["order"]["order"]["total_amount"]


def test_a_stale_nonce_is_renewed(fast: FastClient, shop: FakeWooCommerce, woo_app: Flask) -> None:
    cart_id = new_cart(fast, "F-nonce")
    adapter = woo_app.extensions["fast.service"].adapter(APP)
    cart = parse_cart_token(cart_id)
    assert cart is not None
    record = adapter.records.load(cart)
    assert record is not None
    record.nonce = "0000000000"
    adapter.records.save(cart, record)
    fast.call("update", w(b.update("F-nonce", cart_id, convert_cart_to_order=True)))
    assert len(shop.orders) == 1


def test_rest_credentials_refused_at_conversion_then_fixed(
    settings: Settings, state: SQLiteState, shop: FakeWooCommerce
) -> None:
    store = store_for(shop)
    wrong = StoreConfig(
        store.app_id,
        store.name,
        store.adapter,
        store.base_url,
        store.options,
        {**store.env, "FAST_STORE_ACME_CONSUMER_SECRET": "cs_wrong_secret_1234"},
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        shop.install(rsps)
        fast = FastClient(app_for(settings, state, wrong).test_client())
        cart_id = new_cart(fast, "F-auth")
        error = fast.call("update", w(b.update("F-auth", cart_id, convert_cart_to_order=True)), status=503)
        assert "credentials" in error["message"]
        assert "cs_wrong" not in error["message"]
        fixed = FastClient(app_for(settings, state, store).test_client())
        r = fixed.call("update", w(b.update("F-auth", cart_id, convert_cart_to_order=True)))
        assert r["order"]["order"]["status"] == "ORDER_STATUS_PENDING"
        assert len(shop.orders) == 1


@pytest.mark.parametrize("kind", ["garbage", "shape"])
def test_garbage_from_the_shop_is_503_and_nothing_changes(fast: FastClient, shop: FakeWooCommerce, kind: str) -> None:
    cart_id = new_cart(fast, "F-junk")
    shop.fail(r"/batch$", kind=kind, times=10)
    fast.call("update", w(b.update("F-junk", cart_id, coupon={"code": "save10"})), status=503)
    shop.faults.clear()
    read = fast.call("read", w(b.read(cart_id)))
    assert read["order"]["order"].get("coupons", []) == []


def test_concurrent_updates_to_one_cart_lose_nothing(woo_app: Flask, shop: FakeWooCommerce) -> None:
    fast = FastClient(woo_app.test_client())
    cart_id = new_cart(fast, "F-race", address=False)
    errors: list[BaseException] = []

    def add(line_id: str, product: int) -> None:
        try:
            FastClient(woo_app.test_client()).call(
                "update", w(b.update("F-race", cart_id, items=[b.item(line_id, 1, external_product_id=product)]))
            )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(f"L{n}", p)) for n, p in ((2, 38), (3, 50), (4, 60))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    r = fast.call("read", w(b.read(cart_id)))
    assert sorted(line["id"]["value"] for line in r["order"]["order"]["lines"]) == ["L1", "L2", "L3", "L4"]


def test_a_local_http_shop_works_with_an_application_password(settings: Settings, state: SQLiteState) -> None:
    shop = standard_shop(base_url="http://shop.localhost", local_environment=True)
    store = StoreConfig(
        APP,
        "acme",
        "woocommerce",
        shop.base_url,
        {"payment_method": "cheque", "auth": "application_password", "username": shop.app_user},
        {"FAST_STORE_ACME_APPLICATION_PASSWORD": shop.app_password or ""},
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        shop.install(rsps)
        fast = FastClient(app_for(replace(settings, allow_http_upstream=True), state, store).test_client())
        cart_id = new_cart(fast, "F-http")
        r = fast.call("update", w(b.update("F-http", cart_id, convert_cart_to_order=True)))
        order_id = r["order"]["order"]["external_id"]
        r = fast.call(
            "update",
            w({"type": "ENTITY_TYPE_ORDER", "order": {"external_id": order_id, "status": "ORDER_STATUS_BOOKED"}}),
        )
        assert r["order"]["order"]["status"] == "ORDER_STATUS_BOOKED"
