"""Fault injection: every fault, at every upstream call of a full WooCommerce checkout.

A clean run counts the checkout's upstream requests. Then, for each request
number and each kind of fault, a fresh shop fails exactly that request and
Fast behaves as Fast does: a 503 is retried with the same request_id. Every
Fast call must end in a correct answer or a clean 503 (never a 500, never a
partial success), and the shop must end with exactly one order holding
exactly the lines the shopper chose, at the same total as the clean run.
(The Shopify adapter has its own suite of the same kind:
tests/adapters/shopify/test_faults.py.)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
import responses

from app import create_app
from service.config import Settings
from service.state import SQLiteState
from tests import bodies as b
from tests.adapters.woocommerce.test_checkout import APP, store_for, w
from tests.conftest import FastClient
from tests.fakes.woocommerce import FakeWooCommerce, standard_shop

FAST_ID = "0c6f3b1e-5b8a-4f7e-9a77-3d1f2b6c8e01"
FAULTS: dict[str, dict[str, Any]] = {
    "503 before acting": {"kind": "status", "status": 503},
    "429 with Retry-After": {"kind": "status", "status": 429, "retry_after": "0"},
    "connect failure": {"kind": "connect"},
    "500 after acting": {"kind": "status", "status": 500, "after": True},
    "answer lost after acting": {"kind": "timeout", "after": True},
    "garbage before acting": {"kind": "garbage"},
    "wrong shape after acting": {"kind": "shape", "after": True},
}
RETRIES = 4


def checkout_calls() -> list[tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]]:
    """Fast's calls for one checkout; each body is built from what the previous answers said."""

    def upd(**segments: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
        return lambda seen: w(b.update(FAST_ID, seen["external_id"], request_id=f"r-{seen['n']}", **segments))

    return [
        ("create", lambda seen: w(b.create(FAST_ID, [b.line("L1", 2, external_product_id=22)], request_id="r-create"))),
        ("read", lambda seen: w(b.read(seen["external_id"]))),
        ("update", upd(bill_to=b.NY, shipments=b.shipments(b.NY, ["L1"]))),
        ("update", upd(items=[b.item("L2", 1, external_product_id=38)])),
        ("update", upd(coupon={"code": "save10"})),
        ("update", upd(items=[b.item("L1", 1)])),
        ("update", upd(convert_cart_to_order=True)),
        (
            "update",
            lambda seen: w(
                {
                    "request_id": {"value": "r-booked"},
                    "order": {"external_id": seen["external_id"], "status": "ORDER_STATUS_BOOKED"},
                }
            ),
        ),
        (
            "update",
            lambda seen: w(
                {
                    "request_id": {"value": "r-paid"},
                    "order": {"external_id": seen["external_id"], "status": "ORDER_STATUS_PENDING_FULFILLMENT"},
                }
            ),
        ),
    ]


def run_checkout(settings: Settings, state: SQLiteState, shop: FakeWooCommerce) -> tuple[dict[str, Any], list[int]]:
    """Play the checkout, retrying 503s like Fast; return the last order and every status seen."""
    app = create_app(settings, stores={APP: store_for(shop)}, state=state)
    app.extensions["fast.service"].adapter(APP).client.sleep = lambda seconds: None
    fast = FastClient(app.test_client())
    seen: dict[str, Any] = {}
    answers: list[int] = []
    order: dict[str, Any] = {}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        shop.install(rsps)
        for n, (operation, body_for) in enumerate(checkout_calls()):
            body = body_for({**seen, "n": n})
            for _ in range(RETRIES):
                response = fast.client.post(
                    f"/fast/v1/{operation}", json=body, headers=fast.headers_for(body, None, True)
                )
                answers.append(response.status_code)
                assert response.status_code in (200, 503), (operation, response.status_code, response.get_json())
                if response.status_code == 200:
                    break
                assert response.headers.get("Retry-After"), "a 503 tells Fast when to retry"
            else:
                pytest.fail(f"call {n} ({operation}) never succeeded: {answers}")
            order = response.get_json()["order"]["order"]
            seen["external_id"] = order["external_id"]
    return order, answers


@pytest.fixture
def clean_run(tmp_path_factory: Any) -> tuple[dict[str, Any], int]:
    tmp = tmp_path_factory.mktemp("clean")
    shop = standard_shop()
    order, answers = run_checkout(
        Settings(state_path=str(tmp / "s.sqlite3")), SQLiteState(str(tmp / "s.sqlite3")), shop
    )
    assert set(answers) == {200}
    return order, len(shop.calls)


def test_the_clean_checkout_reaches_pending_fulfillment(clean_run: tuple[dict[str, Any], int]) -> None:
    order, upstream_calls = clean_run
    assert order["status"] == "ORDER_STATUS_PENDING_FULFILLMENT"
    assert upstream_calls >= 9


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_fault_at_every_upstream_call_leaves_one_correct_order(
    fault: str, clean_run: tuple[dict[str, Any], int], tmp_path: Any
) -> None:
    expected, upstream_calls = clean_run
    failures = []
    for at in range(1, upstream_calls + 1):
        shop = standard_shop()
        counter = itertools.count(1)
        shop.fail(body_match=lambda body, at=at, counter=counter: next(counter) == at, **FAULTS[fault])
        path = tmp_path / f"{at}.sqlite3"
        try:
            order, _ = run_checkout(Settings(state_path=str(path)), SQLiteState(str(path)), shop)
        except AssertionError as exc:
            failures.append(f"request {at}: {exc}")
            continue
        orders = list(shop.orders.values())
        problems = []
        if len(orders) != 1:
            problems.append(f"{len(orders)} orders in the shop")
        quantities = sorted((item["product_id"], item["quantity"]) for o in orders for item in o["line_items"])
        if quantities != [(22, 1), (38, 1)]:
            problems.append(f"shop order lines {quantities}")
        lines = [(line["id"]["value"], line["quantity"]) for line in order["lines"]]
        if lines != [("L1", 1), ("L2", 1)]:
            problems.append(f"Fast lines {lines}")
        if order["total_amount"] != expected["total_amount"] or order["status"] != expected["status"]:
            problems.append(f"ended {order['status']} at {order['total_amount']}, expected {expected['total_amount']}")
        if problems:
            failures.append(
                f"request {at} ({shop.calls[at - 1] if at <= len(shop.calls) else '?'}): {'; '.join(problems)}"
            )
    assert not failures, "\n".join(failures)
