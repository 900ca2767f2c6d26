"""The WooCommerce adapter against recorded answers shaped like WooCommerce's documentation examples.

Each test registers the exact upstream answers with ``responses`` (fixtures in
tests/fixtures/woocommerce, transcribed from the Store API and REST v3 docs)
and checks what Fast would see.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import jwt
import pytest
import responses
from responses import matchers

from adapters.woocommerce.adapter import WooCommerceAdapter
from adapters.woocommerce.api import WooClient
from adapters.woocommerce.cart_token import parse_cart_token
from adapters.woocommerce.record import CartRecord, ItemSnapshot
from mappings import model
from mappings import woocommerce as wc
from service.config import Settings, StoreConfig
from service.errors import InvalidRequest, OrderNotFound, UpstreamRejected, UpstreamUnavailable
from service.state import SQLiteState

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "woocommerce"
BASE = "https://shop.example"
STORE = f"{BASE}/wp-json/wc/store/v1"
REST = f"{BASE}/wp-json/wc/v3"
ENV = {
    "FAST_STORE_ACME_CONSUMER_KEY": "ck_live_0123456789abcdef",
    "FAST_STORE_ACME_CONSUMER_SECRET": "cs_live_fedcba9876543210",
}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def token(session: str = "t_5f6b0c2d", ttl: int = 3600) -> str:
    # Signed with a secret the adapter never sees, as the shop's wp_salt.
    payload = {"user_id": session, "exp": int(time.time()) + ttl, "iss": "store-api"}
    return jwt.encode(payload, "a-shop-salt-nobody-else-knows-0123456789", "HS256")


def store_config(**options: Any) -> StoreConfig:
    return StoreConfig(
        "woo-app",
        "acme",
        "woocommerce",
        BASE,
        {"payment_method": "cheque", "payment_method_title": "Fast Checkout", "cart_token_pool": 0, **options},
        ENV,
    )


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def adapter(state: SQLiteState, settings: Settings, sleeps: list[float]) -> WooCommerceAdapter:
    client = WooClient(BASE, max_attempts=3, sleep=sleeps.append, rng=lambda: 0.0)
    return WooCommerceAdapter(store_config(), state, settings, client=client)


def checks_total(state: SQLiteState, settings: Settings, sleeps: list[float]) -> WooCommerceAdapter:
    """A shop on WooCommerce 11.1+, which refuses a checkout above expected_total itself (no cart read first)."""
    client = WooClient(BASE, max_attempts=3, sleep=sleeps.append, rng=lambda: 0.0)
    return WooCommerceAdapter(store_config(shop_checks_expected_total=True), state, settings, client=client)


@pytest.fixture
def rsps() -> Any:
    with responses.RequestsMock() as mock:
        yield mock


def batch_answer(tok: str, *answers: tuple[int, Any]) -> dict[str, Any]:
    return {
        "responses": [
            {"body": body, "status": status, "headers": {"Cart-Token": tok, "Nonce": "4b1d2a9c0e"}}
            for status, body in answers
        ]
    }


def seed_cart(adapter: WooCommerceAdapter, tok: str, **fields: Any) -> None:
    """The record the service keeps for a cart it has seen, with the fields a test names."""
    cart = parse_cart_token(tok)
    assert cart is not None
    adapter.records.save(cart, CartRecord(**{"fast_id": "F-1", "nonce": "4b1d2a9c0e", "seen": True, **fields}))


# --- hydration -------------------------------------------------------------------------


def test_documented_cart_becomes_a_fast_cart_with_exact_amounts(adapter: WooCommerceAdapter, rsps: Any) -> None:
    tok = token()
    rsps.get(f"{STORE}/cart", json=fixture("cart.json"), headers={"Cart-Token": tok, "Nonce": "n"})
    order = adapter.read(model.OrderRef("F-1", tok))

    assert order.external_id == tok
    assert order.status == model.STATUS_CART and order.order_type == model.TYPE_CART
    assert order.currency_code == "USD"
    beanie, belt = order.lines
    assert (beanie.external_id, beanie.external_product_id, beanie.name) == (
        "a5771bce93e200c36f7cd9dfd0e5deaa",
        "38",
        "Beanie with Logo",
    )
    assert beanie.unit_price == Decimal("18.00")
    assert beanie.line_discount_amount == Decimal("2.70")
    assert beanie.discounted_unit_price == Decimal("15.30")
    assert beanie.tax_amount == Decimal("1.53")
    assert beanie.total_amount == Decimal("16.83")
    assert belt.subtotal_amount == Decimal("55.00")
    assert belt.line_discount_amount == Decimal("8.25")
    assert belt.tax_amount == Decimal("4.68")
    assert belt.total_amount == Decimal("51.43")
    assert beanie.description == "This is a simple product."
    assert beanie.fulfillment_mode == model.FULFILLMENT_PHYSICAL

    assert (order.sub_total, order.total_discounts, order.total_tax, order.total_shipping, order.total_amount) == (
        Decimal("73.00"),
        Decimal("10.95"),
        Decimal("7.51"),
        Decimal("13.00"),
        Decimal("82.56"),
    )
    # Fast's arithmetic holds exactly.
    assert order.sub_total - order.total_discounts + order.total_tax + order.total_shipping == order.total_amount
    assert sum(line.subtotal_amount for line in order.lines) == order.sub_total
    assert sum(line.line_discount_amount for line in order.lines) == order.total_discounts

    [coupon] = order.coupons
    assert (coupon.code, coupon.applied, coupon.total_amount, coupon.type, coupon.description) == (
        "test",
        True,
        Decimal("10.95"),
        model.DISCOUNT_REGULAR,
        "Percentage discount",
    )
    [plan] = order.shipment_plans
    assert plan.external_id == "0"
    assert [(o.external_id, o.cost, o.tax, o.total, o.shipment_type) for o in plan.available_options] == [
        ("flat_rate:10", Decimal("13.00"), Decimal("1.30"), Decimal("14.30"), model.OPTION_OTHER),
        ("free_shipping:12", Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), model.OPTION_OTHER),
        ("local_pickup:13", Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), model.OPTION_PICKUP),
    ]
    assert plan.selected_option is not None and plan.selected_option.external_id == "flat_rate:10"
    assert plan.ship_to is not None and (plan.ship_to.country_iso2, plan.ship_to.region_code) == ("US", "CA")
    assert [ref.external_id for ref in plan.lines] == [beanie.external_id, belt.external_id]
    assert order.bill_to is not None and order.bill_to.email == "checkout@templates.com"


def test_variation_item_and_uncalculated_shipping(adapter: WooCommerceAdapter, rsps: Any) -> None:
    tok = token()
    rsps.get(f"{STORE}/cart", json=fixture("cart_variation.json"), headers={"Cart-Token": tok})
    order = adapter.read(model.OrderRef(None, tok))
    beanie, hoodie = order.lines
    assert beanie.external_product_id == "16" and beanie.external_variant_id is None
    assert hoodie.external_variant_id == "29"
    assert [(o.key, o.value) for o in hoodie.external_options] == [("Color", "Red"), ("Logo", "No")]
    assert hoodie.tax_amount == Decimal("8.40") and hoodie.total_amount == Decimal("50.40")
    # totals.total_shipping is null until an address is known: no plans, no shipping yet.
    assert order.shipment_plans == []
    assert (order.total_shipping, order.total_tax, order.total_amount) == (
        Decimal("0.00"),
        Decimal("12.00"),
        Decimal("72.00"),
    )
    assert order.bill_to is None


def test_documented_rest_order_becomes_a_fast_order(adapter: WooCommerceAdapter, rsps: Any) -> None:
    auth = base64.b64encode(f"{ENV['FAST_STORE_ACME_CONSUMER_KEY']}:{ENV['FAST_STORE_ACME_CONSUMER_SECRET']}".encode())
    rsps.get(
        f"{REST}/orders/727",
        json=fixture("order.json"),
        match=[matchers.header_matcher({"Authorization": f"Basic {auth.decode()}"})],
    )
    order = adapter.read(model.OrderRef(None, "727"))
    assert order.external_id == "727" and order.order_type == model.TYPE_ORDER
    # "processing" with no Fast status of ours on the order: paid, safe to ship.
    assert order.status == model.STATUS_PENDING_FULFILLMENT
    single, variation = order.lines
    assert (single.quantity, single.unit_price, single.subtotal_amount, single.tax_amount, single.total_amount) == (
        2,
        Decimal("3.00"),
        Decimal("6.00"),
        Decimal("0.45"),
        Decimal("6.45"),
    )
    assert (variation.external_product_id, variation.external_variant_id) == ("22", "23")
    assert [(o.key, o.value) for o in variation.external_options] == [("pa_color", "black"), ("size", "M Test")]
    assert variation.name == "Ship Your Idea – Color: Black, Size: M Test"
    assert (order.sub_total, order.total_tax, order.total_shipping, order.total_amount) == (
        Decimal("18.00"),
        Decimal("1.35"),
        Decimal("10.00"),
        Decimal("29.35"),
    )
    assert order.sub_total - order.total_discounts + order.total_tax + order.total_shipping == order.total_amount
    [plan] = order.shipment_plans
    assert plan.selected_option is not None and plan.selected_option.name == "Flat Rate"


# --- references -------------------------------------------------------------------------


def test_expired_cart_token_is_404_without_asking_the_shop(adapter: WooCommerceAdapter, rsps: Any) -> None:
    expired = token(ttl=-5)
    with pytest.raises(OrderNotFound, match="expired"):
        adapter.read(model.OrderRef("F-1", expired))
    with pytest.raises(OrderNotFound):
        adapter.update(model.OrderRef("F-1", expired), model.OrderUpdate(coupon=model.CouponUpdate("X")))
    adapter.delete(model.OrderRef("F-1", expired))  # nothing to delete: no error
    assert len(rsps.calls) == 0


@pytest.mark.parametrize("ref", ["not-a-token", "a.b", "eyJ.eyJ.x", "-5"])
def test_a_reference_that_is_no_cart_or_order_is_404(adapter: WooCommerceAdapter, ref: str) -> None:
    with pytest.raises(OrderNotFound):
        adapter.read(model.OrderRef(None, ref))


def test_a_token_the_shop_no_longer_knows_is_404_not_an_empty_cart(adapter: WooCommerceAdapter, rsps: Any) -> None:
    tok = token("t_old")
    # WooCommerce answers an unknown token with a brand-new, empty cart of another session.
    empty = {**fixture("cart_variation.json"), "items": []}
    rsps.get(f"{STORE}/cart", json=empty, headers={"Cart-Token": token("t_fresh")})
    with pytest.raises(OrderNotFound):
        adapter.read(model.OrderRef(None, tok))


def test_a_cart_whose_session_ended_is_404(adapter: WooCommerceAdapter, rsps: Any) -> None:
    tok = token()
    seed_cart(adapter, tok, items={"c74d97b01eae257e44aa9d5bade97baf": ItemSnapshot(q=1, id=16)})
    empty = {**fixture("cart_variation.json"), "items": []}
    rsps.get(f"{STORE}/cart", json=empty, headers={"Cart-Token": tok})
    with pytest.raises(OrderNotFound, match="no longer exists"):
        adapter.read(model.OrderRef("F-1", tok))


def test_parse_cart_token_reads_the_payload_without_the_secret() -> None:
    tok = token("t_abc", ttl=100)
    cart = parse_cart_token(tok)
    assert cart is not None and cart.session == "t_abc" and cart.exp > time.time()
    assert parse_cart_token("x.y.z") is None
    unsigned = jwt.encode({"exp": 5}, "k" * 32, "HS256")  # no user_id
    assert parse_cart_token(unsigned) is None


# --- refusals ------------------------------------------------------------------------------


def test_out_of_stock_is_422_naming_the_product(adapter: WooCommerceAdapter, rsps: Any) -> None:
    tok = token()
    seed_cart(adapter, tok)
    rsps.post(f"{STORE}/batch", json=batch_answer(tok, (400, fixture("error_out_of_stock.json"))), status=207)
    update = model.OrderUpdate(items=[model.ItemUpdate(item_id="L9", quantity=1, external_product_id="38")])
    with pytest.raises(UpstreamRejected) as caught:
        adapter.update(model.OrderRef("F-1", tok), update)
    assert 'Beanie with Logo" to the cart because the product is out of stock' in caught.value.message
    assert caught.value.message.startswith("product 38")
    assert len(rsps.calls) == 1  # nothing went through, nothing to undo
    sent = json.loads(rsps.calls[0].request.body)
    assert sent["requests"] == [
        {
            "method": "POST",
            "path": "/wc/store/v1/cart/add-item",
            "body": {"id": 38, "quantity": 1},
            "headers": {"Cart-Token": tok},
        }
    ]


def test_unknown_product_is_422(adapter: WooCommerceAdapter, rsps: Any) -> None:
    tok = token()
    seed_cart(adapter, tok)
    rsps.post(f"{STORE}/batch", json=batch_answer(tok, (400, fixture("error_invalid_product.json"))), status=207)
    update = model.OrderUpdate(items=[model.ItemUpdate(item_id="L9", quantity=1, external_item_id="999999")])
    with pytest.raises(UpstreamRejected, match="item 999999: This product cannot be added"):
        adapter.update(model.OrderRef("F-1", tok), update)


def test_an_item_fast_cannot_name_is_422_before_any_request(adapter: WooCommerceAdapter, rsps: Any) -> None:
    tok = token()
    seed_cart(adapter, tok)
    update = model.OrderUpdate(items=[model.ItemUpdate(item_id="L9", quantity=1, external_product_id="SKU-1")])
    with pytest.raises(InvalidRequest, match="not a WooCommerce product id"):
        adapter.update(model.OrderRef("F-1", tok), update)
    assert len(rsps.calls) == 0


def test_refused_coupon_is_a_segment_status_with_the_shops_reason(adapter: WooCommerceAdapter, rsps: Any) -> None:
    tok = token()
    seed_cart(adapter, tok)
    # The batch ends with a sub-request that answers the cart: a refusal needs no second round trip.
    answer = batch_answer(tok, (400, fixture("error_coupon.json")), (200, fixture("cart.json")))
    rsps.post(f"{STORE}/batch", json=answer, status=207)
    result = adapter.update(model.OrderRef("F-1", tok), model.OrderUpdate(coupon=model.CouponUpdate("SUMMER")))
    [status] = result.statuses
    assert (status.updated, status.status, status.reason_code, status.message) == (
        model.SEGMENT_COUPON,
        False,
        "COUPON_EXPIRED",
        "This coupon has expired.",
    )
    refused = [c for c in result.order.coupons if c.code == "SUMMER"]
    assert refused and refused[0].applied is False and refused[0].description == "This coupon has expired."
    assert result.order.total_amount == Decimal("82.56")  # the rest of the cart is untouched


def test_cart_token_refused_inside_a_batch_is_404(adapter: WooCommerceAdapter, rsps: Any) -> None:
    tok = token()
    seed_cart(adapter, tok)
    answer = batch_answer(tok, (401, fixture("error_missing_nonce.json")), (401, fixture("error_missing_nonce.json")))
    rsps.post(f"{STORE}/batch", json=answer, status=207)
    with pytest.raises(OrderNotFound):
        adapter.update(model.OrderRef("F-1", tok), model.OrderUpdate(coupon=model.CouponUpdate("X")))


def test_rest_credentials_refused_is_503_with_a_loud_log(
    adapter: WooCommerceAdapter, rsps: Any, caplog: pytest.LogCaptureFixture
) -> None:
    rsps.get(f"{REST}/orders/727", json=fixture("error_rest_cannot_view.json"), status=401)
    with caplog.at_level(logging.ERROR), pytest.raises(UpstreamUnavailable) as caught:
        adapter.read(model.OrderRef(None, "727"))
    assert caught.value.http_status == 503
    assert any("credentials" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
    assert not any(ENV["FAST_STORE_ACME_CONSUMER_SECRET"] in r.getMessage() for r in caplog.records)


def test_unknown_order_is_404(adapter: WooCommerceAdapter, rsps: Any) -> None:
    rsps.get(f"{REST}/orders/31337", json=fixture("error_order_invalid_id.json"), status=404)
    with pytest.raises(OrderNotFound):
        adapter.read(model.OrderRef(None, "31337"))


def test_garbage_and_wrong_shapes_are_503(adapter: WooCommerceAdapter, rsps: Any) -> None:
    tok = token()
    rsps.get(f"{STORE}/cart", body="<html>Fatal error</html>", content_type="text/html")
    with pytest.raises(UpstreamUnavailable, match="not JSON"):
        adapter.read(model.OrderRef(None, tok))
    rsps.replace(responses.GET, f"{STORE}/cart", json={"hello": "world"}, headers={"Cart-Token": tok})
    with pytest.raises(UpstreamUnavailable):
        adapter.read(model.OrderRef(None, tok))
    seed_cart(adapter, tok)
    rsps.post(f"{STORE}/batch", json={"responses": []}, status=207)
    with pytest.raises(UpstreamUnavailable, match="does not match"):
        adapter.update(model.OrderRef(None, tok), model.OrderUpdate(coupon=model.CouponUpdate("X")))


def test_rate_limit_is_waited_out(adapter: WooCommerceAdapter, rsps: Any, sleeps: list[float]) -> None:
    tok = token()
    rsps.get(f"{STORE}/cart", status=429, headers={"Retry-After": "2"}, json={"code": "rate_limited"})
    rsps.get(f"{STORE}/cart", json=fixture("cart.json"), headers={"Cart-Token": tok})
    order = adapter.read(model.OrderRef(None, tok))
    assert order.total_amount == Decimal("82.56")
    assert sleeps == [2.0]


# --- conversion and statuses ----------------------------------------------------------------


def placed_order(order_id: int, status: str, meta: list[dict[str, Any]]) -> dict[str, Any]:
    order = fixture("order.json")
    order.update({"id": order_id, "number": str(order_id), "status": status, "meta_data": meta})
    return order


def test_conversion_uses_the_store_api_checkout_then_stamps_the_order(
    state: SQLiteState, settings: Settings, sleeps: list[float], rsps: Any
) -> None:
    adapter = checks_total(state, settings, sleeps)
    tok = token()
    cart = fixture("cart.json")
    seed_cart(
        adapter,
        tok,
        items={"a5771bce93e200c36f7cd9dfd0e5deaa": ItemSnapshot(q=1, id=38)},
        lines=[wc.TrackedLine(id="L1", key="a5771bce93e200c36f7cd9dfd0e5deaa", qty=1, item=38)],
        billing=cart["billing_address"],
        shipping=cart["shipping_address"],
        total="8256",
    )
    rsps.post(
        f"{STORE}/checkout",
        json=fixture("checkout.json"),
        match=[matchers.header_matcher({"Cart-Token": tok, "Nonce": "4b1d2a9c0e"})],
    )
    meta = [
        {"id": 1, "key": "_fast_order_id", "value": "F-1"},
        {"id": 2, "key": "_fast_status", "value": model.STATUS_PENDING},
        {"id": 3, "key": "_fast_lines", "value": '[{"id":"L1","item":93,"variation":false,"qty":2}]'},
    ]
    rsps.put(f"{REST}/orders/146", json=placed_order(146, "on-hold", meta))
    result = adapter.update(model.OrderRef("F-1", tok), model.OrderUpdate(convert_cart_to_order=True))

    checkout = json.loads(rsps.calls[0].request.body)
    assert checkout["payment_method"] == "cheque"
    assert checkout["expected_total"] == "8256"
    assert checkout["billing_address"]["email"] == "checkout@templates.com"
    stamp = json.loads(rsps.calls[1].request.body)
    assert stamp["status"] == "on-hold"
    assert stamp["payment_method_title"] == "Fast Checkout"
    assert {m["key"]: m["value"] for m in stamp["meta_data"]}["_fast_order_id"] == "F-1"
    assert len(rsps.calls) == 2

    order = result.order
    assert result.statuses == [model.SegmentStatus(model.SEGMENT_CONVERT, True)]
    assert (order.external_id, order.status, order.order_type, order.id) == (
        "146",
        model.STATUS_PENDING,
        model.TYPE_ORDER,
        "F-1",
    )
    assert order.lines[0].id == "L1"  # Fast's line id found again through the order's meta
    # The old cart token now leads to the order.
    rsps.get(f"{REST}/orders/146", json=placed_order(146, "on-hold", meta))
    assert adapter.read(model.OrderRef(None, tok)).external_id == "146"


def test_total_changed_at_checkout_is_422_and_no_order(
    state: SQLiteState, settings: Settings, sleeps: list[float], rsps: Any
) -> None:
    adapter = checks_total(state, settings, sleeps)
    tok = token()
    cart = fixture("cart.json")
    seed_cart(
        adapter,
        tok,
        items={"k": ItemSnapshot(q=1, id=38)},
        billing=cart["billing_address"],
        total="8000",
    )
    mismatch = {
        "code": "woocommerce_rest_checkout_total_mismatch",
        "message": "The order total has changed.",
        "data": {"status": 409, "cart": cart},
    }
    rsps.post(f"{STORE}/checkout", json=mismatch, status=409)
    with pytest.raises(UpstreamRejected, match="total changed"):
        adapter.update(model.OrderRef("F-1", tok), model.OrderUpdate(convert_cart_to_order=True))
    assert len(rsps.calls) == 1


def test_status_mapping_follows_the_store_options(state: SQLiteState, settings: Settings, rsps: Any) -> None:
    store = store_config(statuses={"PENDING_FULFILLMENT": "ready-to-ship", "ORDER_STATUS_BOOKED": "wc-awaiting-fraud"})
    adapter = WooCommerceAdapter(store, state, settings, client=WooClient(BASE, sleep=lambda s: None))
    meta = [{"id": 2, "key": "_fast_status", "value": model.STATUS_BOOKED}]
    rsps.get(f"{REST}/orders/727", json=placed_order(727, "awaiting-fraud", meta))
    shipped = placed_order(
        727, "ready-to-ship", [{"id": 2, "key": "_fast_status", "value": "ORDER_STATUS_PENDING_FULFILLMENT"}]
    )
    rsps.put(f"{REST}/orders/727", json=shipped)
    result = adapter.update(model.OrderRef(None, "727"), model.OrderUpdate(status=model.STATUS_PENDING_FULFILLMENT))
    sent = json.loads(rsps.calls[1].request.body)
    assert sent == {
        "status": "ready-to-ship",
        "meta_data": [{"key": "_fast_status", "value": model.STATUS_PENDING_FULFILLMENT}],
    }
    assert result.order.status == model.STATUS_PENDING_FULFILLMENT


def test_a_status_the_order_cannot_take_is_422_and_nothing_is_sent(adapter: WooCommerceAdapter, rsps: Any) -> None:
    rsps.get(f"{REST}/orders/727", json=placed_order(727, "cancelled", []))
    with pytest.raises(InvalidRequest, match="cannot go from ORDER_STATUS_CANCELED"):
        adapter.update(model.OrderRef(None, "727"), model.OrderUpdate(status=model.STATUS_PENDING_FULFILLMENT))
    assert [c.request.method for c in rsps.calls] == ["GET"]


def test_an_order_refuses_cart_changes(adapter: WooCommerceAdapter, rsps: Any) -> None:
    with pytest.raises(InvalidRequest, match="already an order"):
        adapter.update(model.OrderRef(None, "727"), model.OrderUpdate(coupon=model.CouponUpdate("X")))
    with pytest.raises(InvalidRequest, match="placed order"):
        adapter.delete(model.OrderRef(None, "727"))
    assert len(rsps.calls) == 0


# --- shipping zones -------------------------------------------------------------------------


def test_shipping_zones_from_the_shops_zones_and_locations(adapter: WooCommerceAdapter, rsps: Any) -> None:
    rsps.get(f"{REST}/shipping/zones", json=fixture("shipping_zones.json"))
    rsps.get(f"{REST}/shipping/zones/0/methods", json=fixture("zone_0_methods.json"))
    rsps.get(f"{REST}/shipping/zones/5/methods", json=fixture("zone_5_methods.json"))
    rsps.get(f"{REST}/shipping/zones/5/locations", json=fixture("zone_5_locations.json"))
    zones = adapter.shipping_zones()
    # "Rest of the World" has no enabled method: it ships nowhere.
    assert [(z.country_iso2, z.subdivision_iso2) for z in zones] == [("BR", "RJ"), ("BR", "SP")]
    calls = len(rsps.calls)
    assert adapter.shipping_zones() == zones
    assert len(rsps.calls) == calls  # cached


# --- configuration --------------------------------------------------------------------------


def problems(**kwargs: Any) -> list[str]:
    env = kwargs.pop("env", ENV)
    base_url = kwargs.pop("base_url", BASE)
    options = {"payment_method": "cheque", **kwargs}
    store = StoreConfig("woo-app", "acme", "woocommerce", base_url, options, env)
    return WooCommerceAdapter.check_config(store, Settings(allow_http_upstream=True))


def test_check_config() -> None:
    assert problems() == []
    assert any("FAST_STORE_ACME_CONSUMER_SECRET" in p for p in problems(env={"FAST_STORE_ACME_CONSUMER_KEY": "ck_x"}))
    assert any("OAuth" in p for p in problems(base_url="http://shop.test"))
    app_env = {"FAST_STORE_ACME_APPLICATION_PASSWORD": "abcd efgh"}
    assert problems(auth="application_password", username="fast-bot", env=app_env, base_url="http://shop.test") == []
    assert any("username" in p for p in problems(auth="application_password", env=app_env))
    assert any("auth must be" in p for p in problems(auth="oauth"))
    assert any("payment_method is required" in p for p in problems(payment_method=""))
    assert any("not a Fast order status" in p for p in problems(statuses={"SHIPPED": "completed"}))
    assert any("may take" in p for p in problems(statuses={"BOOKED": "checkout-draft"}))
    # No secret value ever appears in a problem.
    assert not any(ENV["FAST_STORE_ACME_CONSUMER_KEY"] in p for p in problems(base_url="http://shop.test"))


def test_a_line_that_vanished_from_the_cart(adapter: WooCommerceAdapter, rsps: Any) -> None:
    tok = token()
    gone = "0123456789abcdef0123456789abcdef"
    seed_cart(
        adapter,
        tok,
        items={gone: ItemSnapshot(q=1, id=61)},
        lines=[wc.TrackedLine(id="L1", key=gone, qty=1, item=61)],
    )
    conflict = fixture("error_invalid_key.json")  # 409 carrying the cart as it is now
    rsps.post(f"{STORE}/batch", json=batch_answer(tok, (409, conflict)), status=207)
    # Changing its quantity cannot work: say so.
    with pytest.raises(UpstreamRejected, match="no longer in the cart"):
        adapter.update(
            model.OrderRef("F-1", tok), model.OrderUpdate(items=[model.ItemUpdate(item_id="L1", quantity=3)])
        )
    # Removing it is already done: the answer is the cart WooCommerce sent with the conflict.
    result = adapter.update(model.OrderRef("F-1", tok), model.OrderUpdate(items=[model.ItemUpdate(item_id="L1")]))
    assert result.statuses == [model.SegmentStatus(model.SEGMENT_LINE_ITEM, True)]
    assert [line.id for line in result.order.lines] == [None, None]
    assert result.order.total_amount == Decimal("82.56")
    sent = json.loads(rsps.calls[-1].request.body)["requests"]
    assert [(r["path"], r["body"]) for r in sent] == [("/wc/store/v1/cart/remove-item", {"key": gone})]


# --- several shipping packages (a plugin split the cart) ---------------------------------------


def two_packages() -> dict[str, Any]:
    cart = fixture("cart.json")
    second = copy.deepcopy(cart["shipping_rates"][0])
    second["package_id"] = 1
    second["name"] = "Shipment 2"
    cart["shipping_rates"].append(second)
    return cart


def test_each_package_is_a_plan_and_a_rate_goes_to_the_package_fast_names(
    adapter: WooCommerceAdapter, rsps: Any
) -> None:
    tok = token()
    seed_cart(adapter, tok, packages=["0", "1"])
    rsps.get(f"{STORE}/cart", json=two_packages(), headers={"Cart-Token": tok})
    order = adapter.read(model.OrderRef("F-1", tok))
    assert [p.external_id for p in order.shipment_plans] == ["0", "1"]
    batch = rsps.post(
        f"{STORE}/batch", json=batch_answer(tok, (200, two_packages()), (200, two_packages())), status=207
    )
    choice = model.ShippingOptionUpdate(plan_id="1", option_id="flat_rate:10", external_option_id="flat_rate:10")
    adapter.update(model.OrderRef("F-1", tok), model.OrderUpdate(shipping_option=choice))
    sent = json.loads(batch.calls[0].request.body)["requests"][0]
    assert sent["path"].endswith("cart/select-shipping-rate")
    assert sent["body"] == {"rate_id": "flat_rate:10", "package_id": 1}


def test_a_rate_for_a_plan_no_package_matches_is_refused_before_anything_is_sent(
    adapter: WooCommerceAdapter, rsps: Any
) -> None:
    tok = token()
    seed_cart(adapter, tok, packages=["0", "1"])
    choice = model.ShippingOptionUpdate(plan_id="fast-plan-9", option_id="flat_rate:10")
    with pytest.raises(InvalidRequest, match="not one of this cart's 2 shipments"):
        adapter.update(model.OrderRef("F-1", tok), model.OrderUpdate(shipping_option=choice))
    assert len(rsps.calls) == 0
