"""The adapter over real sockets, against the fake WooCommerce served by a local HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from adapters.woocommerce.adapter import WooCommerceAdapter
from mappings import model
from service.config import Settings, StoreConfig
from service.errors import UpstreamUnavailable
from service.state import SQLiteState
from tests.fakes.woocommerce import FakeWooCommerce, standard_shop


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def served() -> Iterator[FakeWooCommerce]:
    shop = standard_shop(base_url="http://127.0.0.1", local_environment=True)
    server: WSGIServer = make_server("127.0.0.1", 0, shop.wsgi, handler_class=_Quiet)
    shop.base_url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield shop
    finally:
        server.shutdown()
        server.server_close()


def test_a_checkout_over_real_http(served: FakeWooCommerce, state: SQLiteState, settings: Settings) -> None:
    store = StoreConfig(
        "woo-app",
        "acme",
        "woocommerce",
        served.base_url,
        {"payment_method": "cheque", "auth": "application_password", "username": served.app_user},
        {"FAST_STORE_ACME_APPLICATION_PASSWORD": served.app_password or ""},
    )
    adapter = WooCommerceAdapter(store, state, replace(settings, allow_http_upstream=True))
    ny = model.Address(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        address_1="100 Park Avenue",
        city_locality="New York",
        state_province_code="NY",
        country_code="US",
        postal_code="10017",
    )
    cart = adapter.create(model.Order(id="F-http", lines=[model.Line(id="L1", quantity=2, external_product_id="22")]))
    ref = model.OrderRef("F-http", cart.external_id)
    update = model.OrderUpdate(bill_to=ny, shipments=[model.ShipmentUpdate(plan_id="p", ship_to=ny)])
    result = adapter.update(ref, update)
    assert str(result.order.total_amount) == "126.28"  # 110.00 + 9.76 tax + 5.99 shipping + 0.53 tax
    placed = adapter.update(ref, model.OrderUpdate(convert_cart_to_order=True))
    assert placed.order.status == model.STATUS_PENDING
    assert served.orders[int(placed.order.external_id)]["status"] == "on-hold"
    adapter.close()


def test_consumer_keys_never_travel_over_plain_http(state: SQLiteState, settings: Settings) -> None:
    store = StoreConfig(
        "woo-app",
        "acme",
        "woocommerce",
        "http://127.0.0.1:9",  # nothing listens: a request would fail differently
        {"payment_method": "cheque"},
        {"FAST_STORE_ACME_CONSUMER_KEY": "ck_0123456789", "FAST_STORE_ACME_CONSUMER_SECRET": "cs_0123456789"},
    )
    adapter = WooCommerceAdapter(store, state, replace(settings, allow_http_upstream=True))
    with pytest.raises(UpstreamUnavailable, match="not sent over plain http"):
        adapter.read(model.OrderRef(None, "727"))
