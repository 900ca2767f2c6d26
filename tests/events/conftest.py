"""An app with one WooCommerce and one Shopify store, a local Fast seller API and the shops' fakes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient

from adapters.shopify import webhooks as shopify_webhooks
from adapters.woocommerce import webhooks as woo_webhooks
from app import create_app
from service.config import Settings, StoreConfig
from service.events_queue import EventQueue
from service.state import SQLiteState
from simulator.fast_standin import FastStandIn
from tests.fakes.shopify_events import ShopifyEventsShop
from tests.fakes.woocommerce_events import WooEventsShop

WOO_APP = "app-woo"
SHOP_APP = "app-shopify"
WOO_SECRET = "woo-webhook-secret-1"
SHOP_SECRET = "shopify-client-secret-1"
ENV = {
    "FAST_STORE_WOO_CONSUMER_KEY": "ck_test",
    "FAST_STORE_WOO_CONSUMER_SECRET": "cs_test",
    "FAST_STORE_WOO_WEBHOOK_SECRET": WOO_SECRET,
    "FAST_STORE_WOO_FAST_API_TOKEN": "fast-token-woo",
    "FAST_STORE_SHOP_ACCESS_TOKEN": "shpat_test_token_0000000000000000",
    "FAST_STORE_SHOP_WEBHOOK_SECRET": SHOP_SECRET,
    "FAST_STORE_SHOP_FAST_API_TOKEN": "fast-token-shop",
}


@pytest.fixture
def fast_api() -> Iterator[FastStandIn]:
    standin = FastStandIn({WOO_APP: "fast-token-woo", SHOP_APP: "fast-token-shop"})
    yield standin
    standin.close()


@pytest.fixture
def woo_shop() -> WooEventsShop:
    return WooEventsShop()


@pytest.fixture
def shopify_shop() -> ShopifyEventsShop:
    return ShopifyEventsShop()


@pytest.fixture
def shops(woo_shop: WooEventsShop, shopify_shop: ShopifyEventsShop, fast_api: FastStandIn) -> Iterator[None]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_passthru(fast_api.url)
        woo_shop.install(rsps)
        shopify_shop.install(rsps)
        yield


@pytest.fixture
def events_app(tmp_path: Any, fast_api: FastStandIn, shops: None, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setenv("FAST_API_URL", fast_api.url)
    monkeypatch.setenv("FAST_EVENTS_BACKOFF_BASE", "0.5")
    settings = Settings(state_path=str(tmp_path / "state.sqlite3"), allow_http_upstream=True)
    stores = {
        WOO_APP: StoreConfig(WOO_APP, "woo", "woocommerce", "https://woo.test", {"payment_method": "cheque"}, ENV),
        SHOP_APP: StoreConfig(SHOP_APP, "shop", "shopify", "https://fast-test.myshopify.com", {}, ENV),
    }
    app = create_app(settings, stores=stores, state=SQLiteState(settings.state_path))
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(events_app: Flask) -> FlaskClient:
    return events_app.test_client()


@pytest.fixture
def queue(events_app: Flask) -> EventQueue:
    return events_app.extensions["fast.events"]


def later(seconds: float) -> dt.datetime:
    """A moment ``seconds`` from now, as Huey's schedule counts (naive UTC)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=seconds)


def post_woo(client: FlaskClient, order: dict[str, Any], *, secret: str | None = WOO_SECRET, **headers: str) -> Any:
    raw = json.dumps(order).encode()
    sent = {"X-WC-Webhook-Topic": "order.updated", "X-WC-Webhook-Delivery-ID": "same-every-second", **headers}
    if secret is not None:
        sent[woo_webhooks.SIGNATURE_HEADER] = woo_webhooks.signature(secret, raw)
    return client.post(f"/webhooks/woocommerce/{WOO_APP}", data=raw, headers=sent, content_type="application/json")


def post_shopify(client: FlaskClient, topic: str, payload: dict[str, Any], *, secret: str | None = SHOP_SECRET) -> Any:
    raw = json.dumps(payload).encode()
    sent = {"X-Shopify-Topic": topic, "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"}
    if secret is not None:
        sent[shopify_webhooks.SIGNATURE_HEADER] = shopify_webhooks.signature(secret, raw)
    return client.post(f"/webhooks/shopify/{SHOP_APP}", data=raw, headers=sent, content_type="application/json")
