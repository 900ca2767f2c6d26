"""The adapter against the fake set up as the real shop of tests/fixtures/woocommerce/recordings/.

The fake answers like that shop (tests/fakes/test_woocommerce_fidelity.py), so the
totals Fast is given here must be the real shop's own, as recorded in checkout.jsonl.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import responses
from flask import Flask

from app import create_app
from service.config import Settings, StoreConfig
from service.state import SQLiteState
from tests import bodies as b
from tests.conftest import FastClient
from tests.fakes.woocommerce import FakeWooCommerce, recorded_shop

APP = "woo-recorded"


@pytest.fixture
def shop() -> FakeWooCommerce:
    return recorded_shop("https://shop.recorded")


@pytest.fixture
def woo_app(settings: Settings, state: SQLiteState, shop: FakeWooCommerce) -> Iterator[Flask]:
    store = StoreConfig(
        APP,
        "recorded",
        "woocommerce",
        shop.base_url,
        {"payment_method": "bacs"},
        {
            "FAST_STORE_RECORDED_CONSUMER_KEY": shop.consumer_key,
            "FAST_STORE_RECORDED_CONSUMER_SECRET": shop.consumer_secret,
        },
    )
    application = create_app(settings, stores={APP: store}, state=state)
    application.config["TESTING"] = True
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        shop.install(rsps)
        yield application


@pytest.fixture
def fast(woo_app: Flask) -> FastClient:
    return FastClient(woo_app.test_client())


class Spy:
    """Every request the shop was sent, with its headers."""

    def __init__(self, shop: FakeWooCommerce, strip_outer_token: bool = False) -> None:
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.handle = shop.handle
        self.strip = strip_outer_token
        shop.handle = self  # type: ignore[method-assign]

    def __call__(self, method: str, url: str, headers: dict[str, str], raw: str | None) -> Any:
        if self.strip and url.endswith("/batch"):
            headers = {k: v for k, v in headers.items() if k.lower() != "cart-token"}
        self.seen.append((method, url, dict(headers)))
        return self.handle(method, url, headers, raw)


def totals(response: dict[str, Any]) -> dict[str, str]:
    order = response["order"]["order"]
    return {k: order[k] for k in ("sub_total", "total_discounts", "total_tax", "total_shipping", "total_amount")}


def test_create_sends_the_cart_token_on_the_outer_batch_and_gets_the_real_shops_totals(
    fast: FastClient, shop: FakeWooCommerce
) -> None:
    spy = Spy(shop)
    created = fast.call("create", b.create("F-hoodie", [b.line("L1", 1, external_product_id=12)]) | {"app_id": APP})
    batches = [headers for method, url, headers in spy.seen if url.endswith("/batch")]
    assert batches and all(any(k.lower() == "cart-token" for k in h) for h in batches)
    # checkout.jsonl seq 2: Hoodie 45.00, CA tax 3.83 + 0.43 on the 5.00 flat rate, 54.26.
    assert totals(created) == {
        "sub_total": "45.00",
        "total_discounts": "0.00",
        "total_tax": "4.26",
        "total_shipping": "5.00",
        "total_amount": "54.26",
    }


def test_an_adapter_that_drops_the_outer_cart_token_gets_the_shops_500(fast: FastClient, shop: FakeWooCommerce) -> None:
    # What the adapter did before issue 11 (batch-without-outer-cart-token.jsonl): every create with a line failed.
    Spy(shop, strip_outer_token=True)
    error = fast.call(
        "create", b.create("F-dropped", [b.line("L1", 1, external_product_id=12)]) | {"app_id": APP}, status=503
    )
    assert "500" in error["message"]
    assert not any(session.items for session in shop.sessions.values())


SF = {
    "first_name": "John",
    "last_name": "Smith",
    "email": "john@example.com",
    "phone": "+15555555555",
    "address_1": "349 9th Street",
    "city_locality": "San Francisco",
    "state_province_code": "CA",
    "country_code": "US",
    "postal_code": "94103",
}


def test_the_recorded_checkout_gives_fast_the_real_shops_total_at_every_step(
    fast: FastClient, shop: FakeWooCommerce
) -> None:
    """checkout.jsonl seq 1-12, step by step, through Fast's calls: each total is the real shop's."""
    created = fast.call("create", b.create("F-rec", [b.line("L1", 1, external_product_id=12)]) | {"app_id": APP})
    cart_id = created["order"]["order"]["external_id"]
    tee = {"external_product_id": 13, "external_options": [{"key": "Size", "value": "L"}]}
    steps: list[tuple[dict[str, Any], str]] = [
        ({"items": [b.item("L2", 2, **tee)]}, "102.00"),  # seq 3
        ({"bill_to": SF}, "102.00"),  # seq 4
        ({"shipments": b.shipments(SF, ["L1", "L2"])}, "102.00"),  # seq 5
        ({"shipping_option": b.shipping_option("flat_rate:2", "0")}, "112.85"),  # seq 6: Express
        ({"coupon": {"code": "TENOFF"}}, "103.19"),  # seq 7
        ({"coupon": {"code": "EXPIRED"}}, "103.19"),  # seq 8: refused
        ({"items": [b.item("L1", 3)]}, "180.23"),  # seq 10: free shipping appears, Flat rate chosen again
        ({"items": [b.item("L2", 0)]}, "137.26"),  # seq 11
    ]
    seen = []
    for segments, _ in steps:
        r = fast.call("update", b.update("F-rec", cart_id, **segments) | {"app_id": APP})
        seen.append(r["order"]["order"]["total_amount"])
    assert seen == [total for _, total in steps]
    converted = fast.call("update", b.update("F-rec", cart_id, convert_cart_to_order=True) | {"app_id": APP})
    [order] = shop.orders.values()
    assert (converted["order"]["order"]["total_amount"], order["total"], order["status"]) == (
        "137.26",
        "137.26",
        "on-hold",
    )
    assert shop.stock(12) == 991  # checkout.jsonl seq 13: the on-hold order reduced the Hoodie's stock by 3
