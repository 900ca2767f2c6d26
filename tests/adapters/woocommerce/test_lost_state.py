"""A WooCommerce checkout whose state store is lost between two calls (a dyno restart on SQLite).

After the loss every answer must be either right — the shop's cart holds exactly
what Fast was told, at the total Fast was told — or a clear refusal that changed
nothing in the shop. Never a ``status: true`` for a change that did not happen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import responses

from app import create_app
from service.config import Settings
from service.state import SQLiteState
from tests import bodies as b
from tests.adapters.woocommerce.test_checkout import APP, status_update, store_for, w
from tests.conftest import FastClient
from tests.fakes.woocommerce import FakeWooCommerce, standard_shop

FAST_ID = "9b1f0c4e-lost-state"
BELT, HOODIE, ALBUM = "L-belt", "L-hoodie", "L-album"
WOO_STATUS = {"ORDER_STATUS_BOOKED": "on-hold", "ORDER_STATUS_PENDING_FULFILLMENT": "processing"}


@dataclass
class Checkout:
    """What Fast believes: its lines (cart item id -> quantity) and the references it holds."""

    lines: dict[str, tuple[int, int]] = field(default_factory=dict)  # Fast line id -> (cart item id, quantity)
    cart_id: str = ""
    order_id: str = ""
    status: str = ""

    def ref(self) -> str:
        return self.order_id or self.cart_id


@dataclass
class Step:
    name: str
    operation: str
    body: Callable[[Checkout], dict[str, Any]]
    # What Fast learns from a 200 answer (a change it now believes happened).
    learn: Callable[[Checkout, dict[str, Any]], None] = lambda c, r: None


def _created(c: Checkout, r: dict[str, Any]) -> None:
    c.cart_id = r["order"]["order"]["external_id"]
    c.lines = {BELT: (22, 2), HOODIE: (14, 1)}


def _set(line: str, item: int, quantity: int) -> Callable[[Checkout, dict[str, Any]], None]:
    def learn(c: Checkout, r: dict[str, Any]) -> None:
        if quantity:
            c.lines[line] = (item, quantity)
        else:
            c.lines.pop(line, None)

    return learn


def _converted(c: Checkout, r: dict[str, Any]) -> None:
    c.order_id = r["order"]["order"]["external_id"]
    c.status = r["order"]["order"]["status"]


def _status(name: str) -> Callable[[Checkout, dict[str, Any]], None]:
    def learn(c: Checkout, r: dict[str, Any]) -> None:
        c.status = name

    return learn


CREATE = Step(
    "create",
    "create",
    lambda c: w(
        b.create(
            FAST_ID,
            [
                b.line(BELT, 2, external_product_id=22),
                b.line(
                    HOODIE,
                    1,
                    external_product_id="13",
                    external_options=[{"key": "Color", "value": "Red"}, {"key": "size", "value": "M"}],
                ),
            ],
        )
    ),
    _created,
)
CART_STEPS = [
    Step("read", "read", lambda c: w(b.read(c.cart_id))),
    Step("bill_to", "update", lambda c: w(b.update(FAST_ID, c.cart_id, bill_to=b.NY))),
    Step("ship_to", "update", lambda c: w(b.update(FAST_ID, c.cart_id, shipments=b.shipments(b.NY, [BELT, HOODIE])))),
    Step(
        "option",
        "update",
        lambda c: w(b.update(FAST_ID, c.cart_id, shipping_option=b.shipping_option("flat_rate:11", "0"))),
    ),
    Step(
        "add",
        "update",
        lambda c: w(b.update(FAST_ID, c.cart_id, items=[b.item(ALBUM, 1, external_item_id="50")])),
        _set(ALBUM, 50, 1),
    ),
    Step(
        "quantity", "update", lambda c: w(b.update(FAST_ID, c.cart_id, items=[b.item(HOODIE, 3)])), _set(HOODIE, 14, 3)
    ),
    Step("remove", "update", lambda c: w(b.update(FAST_ID, c.cart_id, items=[b.item(ALBUM, 0)])), _set(ALBUM, 50, 0)),
    Step("coupon", "update", lambda c: w(b.update(FAST_ID, c.cart_id, coupon={"code": "SAVE10"}))),
    Step("refused coupon", "update", lambda c: w(b.update(FAST_ID, c.cart_id, coupon={"code": "SUMMER2020"}))),
    Step("convert", "update", lambda c: w(b.update(FAST_ID, c.cart_id, convert_cart_to_order=True)), _converted),
]
CHECKOUT = [
    CREATE,
    *CART_STEPS,
    Step("booked", "update", lambda c: status_update(c.ref(), "ORDER_STATUS_BOOKED"), _status("ORDER_STATUS_BOOKED")),
    Step(
        "fulfil",
        "update",
        lambda c: status_update(c.ref(), "ORDER_STATUS_PENDING_FULFILLMENT"),
        _status("ORDER_STATUS_PENDING_FULFILLMENT"),
    ),
]
CANCEL = [
    CREATE,
    *CART_STEPS[1:3],
    Step("convert", "update", lambda c: w(b.update(FAST_ID, c.cart_id, convert_cart_to_order=True)), _converted),
    Step("booked", "update", lambda c: status_update(c.ref(), "ORDER_STATUS_BOOKED"), _status("ORDER_STATUS_BOOKED")),
    Step(
        "cancel", "update", lambda c: status_update(c.ref(), "ORDER_STATUS_CANCELED"), _status("ORDER_STATUS_CANCELED")
    ),
]
# Fast may keep naming the cart token after conversion (FAST_API_FACTS: external_id "may change").
CANCEL_BY_TOKEN = [
    CREATE,
    *CART_STEPS[1:3],
    Step("convert", "update", lambda c: w(b.update(FAST_ID, c.cart_id, convert_cart_to_order=True)), _converted),
    Step(
        "cancel by token",
        "update",
        lambda c: status_update(c.cart_id, "ORDER_STATUS_CANCELED"),
        _status("ORDER_STATUS_CANCELED"),
    ),
]
CART_CANCEL = [
    CREATE,
    *CART_STEPS[1:6],
    Step(
        "cancel cart",
        "update",
        lambda c: w(b.update(FAST_ID, c.cart_id, status="ORDER_STATUS_CANCELED")),
        lambda c, r: c.lines.clear(),
    ),
]


class Deployment:
    """The service in front of one shop; ``restart()`` brings it back with an empty state store."""

    def __init__(self, shop: FakeWooCommerce, workdir: Path) -> None:
        self.shop, self.workdir, self.restarts = shop, workdir, 0
        self.restart()

    def restart(self) -> None:
        self.restarts += 1
        path = str(self.workdir / f"state-{self.restarts}.sqlite3")
        settings = Settings(state_path=path)
        app = create_app(settings, stores={APP: store_for(self.shop)}, state=SQLiteState(path))
        app.config["TESTING"] = True
        self.fast = FastClient(app.test_client())

    def call(self, step: Step, checkout: Checkout) -> tuple[int, dict[str, Any]]:
        body = step.body(checkout)
        response = self.fast.client.post(
            f"/fast/v1/{step.operation}", json=body, headers=self.fast.headers_for(body, None, True)
        )
        return response.status_code, response.get_json()


def shop_truth(shop: FakeWooCommerce, checkout: Checkout) -> dict[str, Any]:
    """What the shop holds for this checkout: cart items (or the order's), total, status."""
    if checkout.order_id:
        order = shop.orders[int(checkout.order_id)]
        items = {(li["variation_id"] or li["product_id"]): li["quantity"] for li in order["line_items"]}
        return {"items": items, "total": Decimal(order["total"]), "status": order["status"]}
    session = shop.session_of(checkout.cart_id)
    items: dict[int, int] = {}
    for item in (session.items if session else {}).values():
        items[item["pid"]] = items.get(item["pid"], 0) + item["quantity"]
    total = Decimal(shop._cart_response(session)["totals"]["total_price"]) / 100 if session else Decimal(0)
    return {"items": items, "total": total, "status": None}


def believed_items(checkout: Checkout) -> dict[int, int]:
    items: dict[int, int] = {}
    for item, quantity in checkout.lines.values():
        items[item] = items.get(item, 0) + quantity
    return items


def check_answer(
    step: Step, status: int, answer: dict[str, Any], before: dict[str, Any], shop: FakeWooCommerce, checkout: Checkout
) -> bool:
    """Assert the answer is right or a clean refusal; return whether the checkout can go on."""
    if status != 200:
        assert status in (404, 422), (step.name, status, answer)
        assert answer["message"], step.name
        assert shop_truth(shop, checkout) == before, f"{step.name}: refused, yet the shop changed"
        return status != 404  # a 404 tells Fast the cart is gone: it stops (or creates it again)
    step.learn(checkout, answer)
    truth = shop_truth(shop, checkout)
    assert truth["items"] == believed_items(checkout), f"{step.name}: the shop holds {truth['items']}"
    assert Decimal(answer["order"]["order"]["total_amount"]) == truth["total"], step.name
    if checkout.order_id and checkout.status in WOO_STATUS:
        assert truth["status"] == WOO_STATUS[checkout.status], step.name
    if checkout.status == "ORDER_STATUS_CANCELED" and checkout.order_id:
        assert truth["status"] == "cancelled", step.name
    for segment in answer.get("order", {}).get("status", []):
        if segment["updated"] == "UPDATE_ORDER_SEGMENT_TYPE_LINE_ITEM":
            assert segment["status"] is True
    return True


def run(shop: FakeWooCommerce, workdir: Path, steps: list[Step], lose_before: set[int]) -> list[tuple[str, int]]:
    deployment = Deployment(shop, workdir)
    checkout = Checkout()
    outcomes = []
    for index, step in enumerate(steps):
        if index in lose_before:
            deployment.restart()
        before = shop_truth(shop, checkout) if checkout.cart_id else {}
        status, answer = deployment.call(step, checkout)
        outcomes.append((step.name, status))
        if index == 0:
            assert status == 200, answer
            step.learn(checkout, answer)
            continue
        if not check_answer(step, status, answer, before, shop, checkout):
            break
    return outcomes


@pytest.fixture
def shop() -> Iterator[FakeWooCommerce]:
    shop = standard_shop()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        shop.install(rsps)
        yield shop


FLOWS = {"checkout": CHECKOUT, "cancel": CANCEL, "cancel-by-token": CANCEL_BY_TOKEN, "cart-cancel": CART_CANCEL}


@pytest.mark.parametrize("steps", FLOWS.values(), ids=FLOWS.keys())
def test_without_a_loss_every_call_succeeds(shop: FakeWooCommerce, tmp_path: Path, steps: list[Step]) -> None:
    assert all(status == 200 for _, status in run(shop, tmp_path, steps, set()))


@pytest.mark.parametrize(
    ("steps", "lose"),
    [(steps, k) for steps in FLOWS.values() for k in range(1, len(steps))],
    ids=[f"{name}-before-{step.name}" for name, steps in FLOWS.items() for step in steps[1:]],
)
def test_a_lost_state_store_never_gives_a_wrong_answer(
    shop: FakeWooCommerce, tmp_path: Path, steps: list[Step], lose: int
) -> None:
    run(shop, tmp_path, steps, {lose})


@pytest.mark.parametrize("steps", FLOWS.values(), ids=FLOWS.keys())
def test_losing_the_state_before_every_call(shop: FakeWooCommerce, tmp_path: Path, steps: list[Step]) -> None:
    run(shop, tmp_path, steps, set(range(1, len(steps))))


def test_a_removal_after_a_loss_is_refused_and_the_line_stays_untouched(shop: FakeWooCommerce, tmp_path: Path) -> None:
    """The reported case: two lines, a restart, one line removed: never 200 with the line still charged."""
    deployment = Deployment(shop, tmp_path)
    checkout = Checkout()
    status, created = deployment.call(CREATE, checkout)
    CREATE.learn(checkout, created)
    deployment.restart()
    removal = Step("remove", "update", lambda c: w(b.update(FAST_ID, c.cart_id, items=[b.item(BELT, 0)])))
    status, answer = deployment.call(removal, checkout)
    assert status == 404, answer
    assert "Fast line L-belt" in answer["message"] and "nothing was changed" in answer["message"]
    assert shop_truth(shop, checkout)["items"] == {22: 2, 14: 1}
    quantity = Step("quantity", "update", lambda c: w(b.update(FAST_ID, c.cart_id, items=[b.item(HOODIE, 2)])))
    status, answer = deployment.call(quantity, checkout)
    assert status == 404 and "Fast line L-hoodie" in answer["message"], answer
    assert shop_truth(shop, checkout)["items"] == {22: 2, 14: 1}
