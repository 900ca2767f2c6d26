"""Holds that do not depend on luck: fulfillment orders Shopify makes late, and a cancel that runs as a job."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest

from adapters.shopify.adapter import ShopifyAdapter
from mappings import model
from mappings.shopify import HOLD_HANDLE
from service import deadline
from service.config import Settings
from service.errors import UpstreamUnavailable
from service.state import SQLiteState
from tests.adapters.shopify.shop import NOW, NY, make_shop, make_store, require_schema, serving
from tests.fakes.shopify import FakeShopify


class Clock:
    """The fake's clock and the adapter's sleep in one: sleeping moves time on, nobody waits."""

    def __init__(self) -> None:
        self.at = NOW
        self.slept: list[float] = []

    def now(self) -> dt.datetime:
        return self.at

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.at += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def shop(clock: Clock) -> Any:
    require_schema()
    fake = make_shop()
    fake.now = clock.now
    with serving(fake):
        yield fake


@pytest.fixture
def adapter(state: SQLiteState, settings: Settings, clock: Clock) -> ShopifyAdapter:
    return ShopifyAdapter(make_store(), state, settings, now=clock.now, sleep=clock.sleep)


def update(adapter: ShopifyAdapter, ref: model.Order | str, **segments: Any) -> model.UpdateResult:
    external = ref if isinstance(ref, str) else ref.external_id
    fast_id = None if isinstance(ref, str) else ref.id
    upd = model.OrderUpdate(order_id=fast_id, external_id=external, **segments)
    return adapter.update(upd.ref, upd)


def placed(adapter: ShopifyAdapter, shop: FakeShopify, fast_id: str = "F-hold") -> model.Order:
    order = adapter.create(model.Order(id=fast_id, lines=[model.Line(id="L", quantity=1, external_item_id="MUG")]))
    update(adapter, order, shipments=[model.ShipmentUpdate(ship_to=NY)])
    update(adapter, order, shipping_option=model.ShippingOptionUpdate(option_id="shopify-Standard-5.99"))
    return update(adapter, order, convert_cart_to_order=True).order


def held(shop: FakeShopify, order_id: str) -> list[bool]:
    """Per fulfillment order Shopify has made: whether it carries Fast's hold."""
    nodes = shop.order(order_id)["fulfillmentOrders"]["nodes"]
    return [
        fo["status"] == "ON_HOLD" and any(h["handle"] == HOLD_HANDLE for h in fo["fulfillmentHolds"]) for fo in nodes
    ]


@pytest.mark.parametrize("late", [0, 1])
def test_fulfillment_orders_made_late_are_held_before_the_conversion_answers(
    adapter: ShopifyAdapter, shop: FakeShopify, clock: Clock, late: float
) -> None:
    shop.fulfillment_delay = late
    order = placed(adapter, shop)
    assert held(shop, order.external_id) == [True]
    assert sum(clock.slept) >= late and sum(clock.slept) <= 3  # a short poll, only as long as needed


def test_fulfillment_orders_made_after_the_poll_are_held_at_the_next_call_and_logged(
    adapter: ShopifyAdapter, shop: FakeShopify, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    shop.fulfillment_delay = 5
    order = placed(adapter, shop)
    assert sum(clock.slept) == pytest.approx(3.0)
    assert shop.order(order.external_id)["fulfillmentOrders"]["nodes"] == []  # none made yet
    assert any("could not be held in time" in r.getMessage() for r in caplog.records)
    clock.advance(2)  # Shopify has made them by Fast's next call
    assert shop.order(order.external_id)["fulfillmentOrders"]["nodes"][0]["status"] == "OPEN"
    read = adapter.read(model.OrderRef(order.id, order.external_id))
    assert read.status == model.STATUS_PENDING
    assert held(shop, order.external_id) == [True]
    booked = update(adapter, order.external_id, status=model.STATUS_BOOKED)
    assert booked.order.status == model.STATUS_BOOKED and held(shop, order.external_id) == [True]
    released = update(adapter, order.external_id, status=model.STATUS_PENDING_FULFILLMENT)
    assert released.order.status == model.STATUS_PENDING_FULFILLMENT
    assert held(shop, order.external_id) == [False]


def test_a_status_update_before_the_fulfillment_orders_exist_holds_them_once_they_do(
    adapter: ShopifyAdapter, shop: FakeShopify, clock: Clock
) -> None:
    shop.fulfillment_delay = 5
    order = placed(adapter, shop)
    clock.advance(2)
    update(adapter, order.external_id, status=model.STATUS_BOOKED)  # the seeds' status update
    assert held(shop, order.external_id) == [True]


def test_the_poll_stays_within_the_calls_deadline(adapter: ShopifyAdapter, shop: FakeShopify, clock: Clock) -> None:
    shop.fulfillment_delay = 5
    with deadline.budget(1.5):
        order = placed(adapter, shop)
    assert order.order_type == model.TYPE_ORDER
    assert sum(clock.slept) <= 0.25  # a wait that would reach into the deadline's last second is not taken


def test_a_cancel_resent_while_shopifys_job_runs_answers_canceled(
    adapter: ShopifyAdapter, shop: FakeShopify, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    shop.cancel_seconds = 30  # orderCancel runs as a background job
    order = placed(adapter, shop)
    shop.fail_next("timeout_after", "FastOrderSteps")  # Shopify started the job; the answer was lost
    with pytest.raises(UpstreamUnavailable):
        update(adapter, order.external_id, status=model.STATUS_CANCELED)
    assert shop.order(order.external_id)["cancelledAt"] is None  # the job still runs
    cancels = [r for r in shop.requests if "reason" in r["variables"]]
    again = update(adapter, order.external_id, status=model.STATUS_CANCELED)  # Fast resends
    assert again.order.status == model.STATUS_CANCELED
    assert [r for r in shop.requests if "reason" in r["variables"]] == cancels  # not canceled twice
    clock.advance(30)
    assert shop.order(order.external_id)["cancelledAt"] is not None
    assert adapter.read(model.OrderRef(order.id, order.external_id)).status == model.STATUS_CANCELED


def test_a_cancel_answered_but_not_yet_done_reads_canceled_and_is_not_sent_again(
    adapter: ShopifyAdapter, shop: FakeShopify, clock: Clock
) -> None:
    shop.cancel_seconds = 30
    order = placed(adapter, shop)
    first = update(adapter, order.external_id, status=model.STATUS_CANCELED)
    assert first.order.status == model.STATUS_CANCELED
    shop.orders[int(order.external_id.rsplit("/", 1)[1])]["tags"].remove("fast-status-canceled")  # a lost tag
    again = update(adapter, order.external_id, status=model.STATUS_CANCELED)
    assert again.order.status == model.STATUS_CANCELED
    assert sum(1 for r in shop.requests if "reason" in r["variables"]) == 1


def test_conversion_logs_nothing_when_the_orders_ship_nothing(
    adapter: ShopifyAdapter, shop: FakeShopify, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    order = adapter.create(model.Order(id="F-ebook", lines=[model.Line(id="E", quantity=1, external_item_id="EBOOK")]))
    with caplog.at_level(logging.WARNING):
        update(adapter, order, convert_cart_to_order=True)
    assert clock.slept == [] and not any("held in time" in r.getMessage() for r in caplog.records)
