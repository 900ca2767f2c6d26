"""Cart-Tokens fetched ahead of time: a create is one round trip once the pool holds a token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import responses

from adapters.woocommerce.adapter import WooCommerceAdapter
from adapters.woocommerce.cart_token import parse_cart_token
from mappings import model
from service.config import Settings
from service.state import SQLiteState
from tests.adapters.woocommerce.test_checkout import store_for
from tests.fakes.woocommerce import FakeWooCommerce, standard_shop


class Later:
    """Runs the pool's background refills when the test says so, so round trips can be counted."""

    def __init__(self) -> None:
        self.work: list[Callable[[], None]] = []

    def __call__(self, work: Callable[[], None]) -> None:
        self.work.append(work)

    def run(self) -> None:
        while self.work:
            self.work.pop(0)()


@pytest.fixture
def shop() -> Iterator[FakeWooCommerce]:
    shop = standard_shop()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        shop.install(rsps)
        yield shop


def pooled(
    shop: FakeWooCommerce, state: SQLiteState, settings: Settings, later: Later, **kw: Any
) -> WooCommerceAdapter:
    adapter = WooCommerceAdapter(store_for(shop, cart_token_pool=2), state, settings, **kw)
    adapter.tokens.background = later
    return adapter


def order(fast_id: str) -> model.Order:
    return model.Order(id=fast_id, lines=[model.Line(id="L1", quantity=1, external_product_id="22")])


def test_a_create_is_one_round_trip_once_the_pool_is_filled(
    shop: FakeWooCommerce, state: SQLiteState, settings: Settings
) -> None:
    later = Later()
    adapter = pooled(shop, state, settings, later)
    adapter.create(order("F-1"))
    assert shop.calls == [("GET", "/wc/store/v1/cart"), ("POST", "/wc/store/v1/batch")]  # nothing pooled yet
    shop.calls.clear()
    later.run()
    assert shop.calls == [("GET", "/wc/store/v1/cart")] * 2  # off the call path: the pool is filled
    shop.calls.clear()
    carts = {adapter.create(order(f"F-{n}")).external_id for n in (2, 3)}
    assert shop.calls == [("POST", "/wc/store/v1/batch")] * 2
    assert len(carts) == 2
    sessions = {parse_cart_token(c).session for c in carts if parse_cart_token(c)}
    assert len(sessions) == 2 and all(shop.sessions[s].items for s in sessions)


def test_workers_sharing_a_state_store_never_share_a_token(
    shop: FakeWooCommerce, state: SQLiteState, settings: Settings
) -> None:
    later = Later()
    first, second = pooled(shop, state, settings, later), pooled(shop, state, settings, later)
    first.tokens.refill()
    carts = [first.create(order("F-a")).external_id, second.create(order("F-b")).external_id]
    assert len({parse_cart_token(c).session for c in carts if parse_cart_token(c)}) == 2
    assert shop.count("GET", "/cart") == 2  # both creates used pooled tokens


def test_a_token_near_its_expiry_is_never_handed_out(
    shop: FakeWooCommerce, state: SQLiteState, settings: Settings
) -> None:
    now = [1_800_000_000.0]
    shop.clock = lambda: now[0]
    adapter = pooled(shop, state, settings, Later(), clock=lambda: now[0])
    adapter.tokens.refill()
    now[0] += 25 * 3600  # the pooled tokens have 23 of their 48 hours left
    shop.calls.clear()
    adapter.create(order("F-late"))
    assert shop.calls == [("GET", "/wc/store/v1/cart"), ("POST", "/wc/store/v1/batch")]


def test_a_failed_refill_only_costs_the_next_create_a_round_trip(
    shop: FakeWooCommerce, state: SQLiteState, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    later = Later()
    adapter = pooled(shop, state, settings, later)
    shop.fail(r"/cart$", method="GET", status=500, times=10)
    adapter.tokens.refill_later()
    later.run()
    assert any("Cart-Token pool" in r.getMessage() for r in caplog.records)
    shop.faults.clear()
    cart = adapter.create(order("F-after"))
    assert cart.external_id and shop.calls[-2:] == [("GET", "/wc/store/v1/cart"), ("POST", "/wc/store/v1/batch")]
