"""Faults at every step of a Shopify checkout: each Fast call ends in a right answer or a clean error,
and when Fast repeats what failed, the shop ends with one order, no duplicated line, exact totals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from adapters.shopify.adapter import ShopifyAdapter
from mappings import model
from service.config import Settings
from service.errors import FastError, UpstreamUnavailable
from tests.adapters.shopify.shop import NY, MemoryState, Sleeps, make_adapter, make_shop, require_schema, serving
from tests.fakes.shopify import FakeShopify

FAST_ID = "F-faults"


def steps(shop: FakeShopify) -> list[Callable[[ShopifyAdapter, dict[str, Any]], None]]:
    """The Fast calls of one checkout; each remembers what later calls need."""

    def update(adapter: ShopifyAdapter, ids: dict[str, Any], **segments: Any) -> model.UpdateResult:
        upd = model.OrderUpdate(order_id=FAST_ID, external_id=ids.get("order") or ids["cart"], **segments)
        return adapter.update(upd.ref, upd)

    def create(adapter: ShopifyAdapter, ids: dict[str, Any]) -> None:
        order = adapter.create(
            model.Order(
                id=FAST_ID,
                lines=[
                    model.Line(
                        id="L-tee",
                        quantity=2,
                        external_product_id=str(shop.tee.id),  # type: ignore[attr-defined]
                        external_options=[model.CustomValue("size", "M"), model.CustomValue("color", "Black")],
                    ),
                    model.Line(id="L-mug", quantity=1, external_item_id="MUG"),
                ],
            )
        )
        ids["cart"] = order.external_id

    def convert(adapter: ShopifyAdapter, ids: dict[str, Any]) -> None:
        ids["order"] = update(adapter, ids, convert_cart_to_order=True).order.external_id

    def status(name: str) -> Callable[[ShopifyAdapter, dict[str, Any]], None]:
        def run(adapter: ShopifyAdapter, ids: dict[str, Any]) -> None:
            upd = model.OrderUpdate(external_id=ids["order"], convert_cart_to_order=True, status=name)
            assert adapter.update(upd.ref, upd).order.status == name

        return run

    return [
        create,
        lambda a, ids: update(a, ids, bill_to=NY),
        lambda a, ids: update(a, ids, shipments=[model.ShipmentUpdate(plan_id="plan-1", ship_to=NY)]),
        lambda a, ids: update(a, ids, shipping_option=model.ShippingOptionUpdate(option_id="shopify-Express-14.99")),
        lambda a, ids: update(
            a, ids, items=[model.ItemUpdate(item_id="L-ebook", quantity=1, external_item_id="EBOOK")]
        ),
        lambda a, ids: update(a, ids, coupon=model.CouponUpdate("SAVE10")),
        lambda a, ids: update(a, ids, coupon=model.CouponUpdate("SUMMER2020")),
        convert,
        status(model.STATUS_BOOKED),
        status(model.STATUS_PENDING_FULFILLMENT),
    ]


def checkout(shop: FakeShopify, adapter: ShopifyAdapter) -> tuple[dict[str, Any], int]:
    """Run the checkout; a call that fails with 503 is repeated, the way Fast retries. Returns the ids and 503s."""
    ids: dict[str, Any] = {}
    unavailable = 0
    for step in steps(shop):
        for attempt in range(3):
            try:
                step(adapter, ids)
                break
            except UpstreamUnavailable:
                unavailable += 1
                if attempt == 2:
                    raise
    return ids, unavailable


def outcome(shop: FakeShopify, ids: dict[str, Any]) -> dict[str, Any]:
    [order] = shop.orders.values()
    view = shop.order(ids["order"])
    return {
        "drafts": len(shop.drafts),
        "lines": sorted(
            (a["value"], line["quantity"])
            for line in view["lineItems"]["nodes"]
            for a in line["customAttributes"]
            if a["key"] == "_fast_line_id"
        ),
        "codes": view["discountCodes"],
        "total": view["totalPriceSet"]["presentmentMoney"]["amount"],
        "financial": view["displayFinancialStatus"],
        "fulfillment": [(fo["status"], len(fo["fulfillmentHolds"])) for fo in view["fulfillmentOrders"]["nodes"]],
        "committed": dict(shop.committed),
        "tags": sorted(t for t in order["tags"] if t.startswith("fast-status")),
    }


@pytest.fixture(scope="module")
def clean_run() -> tuple[dict[str, Any], list[str]]:
    require_schema()
    shop = make_shop()
    adapter = make_adapter(MemoryState(), Settings(), Sleeps())
    with serving(shop):
        ids, unavailable = checkout(shop, adapter)
    assert unavailable == 0
    return outcome(shop, ids), list(shop.calls)


FAULTS = {
    "lost answer": {"kind": "timeout_after"},
    "timeout": {"kind": "timeout"},
    "refused connection": {"kind": "connect"},
    "502": {"kind": "http", "status": 502},
    "internal error": {"kind": "internal"},
    "garbage": {"kind": "garbage"},
    "throttled": {"kind": "throttle"},
}


# The answer lost after Shopify acted and the garbage answer exercise every recovery path; the other
# five (retried transparently) take a minute together and run with the slow tests.
_ALWAYS = {"lost answer", "garbage"}


@pytest.mark.parametrize(
    "fault", [f if f in _ALWAYS else pytest.param(f, marks=pytest.mark.slow) for f in sorted(FAULTS)]
)
def test_a_fault_at_every_upstream_call_leaves_one_correct_order(
    fault: str, clean_run: tuple[dict[str, Any], list[str]], settings: Settings
) -> None:
    expected, calls = clean_run
    failures: list[str] = []
    for index in range(len(calls)):
        shop = make_shop()
        adapter = make_adapter(MemoryState(), settings, Sleeps())
        shop.fail_call(index, **FAULTS[fault])
        with serving(shop):
            try:
                ids, _ = checkout(shop, adapter)
            except FastError as error:
                failures.append(f"call {index} ({calls[index]}): {type(error).__name__}: {error.message}")
                continue
        if shop.scheduled:
            failures.append(f"call {index}: the fault never fired")
            continue
        got = outcome(shop, ids)
        if got != expected:
            failures.append(f"call {index} ({calls[index]}): {got} != {expected}")
    assert failures == []
