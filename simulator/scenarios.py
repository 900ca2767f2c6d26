"""The checkouts the simulator plays, written once and run in both request dialects.

Each scenario is a function of a ``Run`` (see runner.py) and the ``Params``
(products, coupons, addresses: defaults fit the sandbox shop's catalogue,
``flask fast catalog``). A step states what it expects; the checks every
answer must pass are applied by the runner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulator import checks
from simulator.bodies import ItemRef, new_id
from simulator.runner import Abort, Run, Skip, Step

CONVERT_MODE = "CART_TO_ORDER_CONVERT_UPDATE_AND_CONVERT"
STOREFRONT_ENDPOINT = "/sandbox/v1/storefront-carts"
NO_SUCH_OPTION = "simulator-no-such-option"

NEW_YORK = {
    "first_name": "Ada",
    "last_name": "Shopper",
    "email": "ada.shopper@example.com",
    "phone": "+12125550100",
    "address_1": "100 Park Avenue",
    "city_locality": "New York",
    "state_province_code": "NY",
    "country_code": "US",
    "postal_code": "10017",
}
PARIS = {
    "first_name": "Ada",
    "last_name": "Shopper",
    "address_1": "1 Rue de Rivoli",
    "city_locality": "Paris",
    "country_code": "FR",
    "postal_code": "75001",
}


@dataclass(frozen=True)
class Params:
    product: ItemRef = field(default_factory=lambda: ItemRef(product_id="1001"))
    second_product: ItemRef = field(default_factory=lambda: ItemRef(product_id="2001", variant_id="2001-BLK-M"))
    coupon: str = "SAVE10"
    bad_coupon: str = "SUMMER2020"
    address: dict[str, Any] = field(default_factory=lambda: dict(NEW_YORK))
    unshippable_address: dict[str, Any] = field(default_factory=lambda: dict(PARIS))
    storefront_cart: str | None = None


# --- small pieces shared by the scenarios --------------------------------------------


def _total(step: Step) -> str | None:
    return step.order.get("total_amount")


def _plan_id(run: Run) -> str:
    """The shop's id for the shipment plan (Fast sends it back in shipping_option.plan_id)."""
    for plan in checks.plans(run.order or {}):
        if plan.get("external_id"):
            return str(plan["external_id"])
    return "default"


def _options(order: dict[str, Any]) -> list[str]:
    keys: list[str] = []
    for plan in checks.plans(order):
        for option in plan.get("available_options") or []:
            key = checks.option_key(option) if isinstance(option, dict) else None
            if key and key not in keys:
                keys.append(key)
    return keys


def _ship(run: Run, address: dict[str, Any], label: str = "update shipments") -> Step:
    line_ids = list(run.lines or {})
    return run.update(
        label,
        shipments=run.b.shipments(address, line_ids, plan_id="sim-plan-1"),
        check=lambda s: checks.shipping_offered(s.order),
    )


def _choose(run: Run, option: str, label: str = "update shipping_option") -> Step:
    return run.update(
        label,
        shipping_option=run.b.shipping_option(_plan_id(run), option),
        check=lambda s: checks.option_selected(s.order, option),
    )


def _convert(run: Run) -> Step:
    total_before = (run.order or {}).get("total_amount")

    def converted(step: Step) -> list[str]:
        found = checks.status_is(step.order, "ORDER_STATUS_PENDING")
        if step.order.get("total_amount") != total_before:
            found.append(f"the order costs {step.order.get('total_amount')}, the cart cost {total_before}")
        return found

    return run.update(
        "update convert",
        is_cart=True,
        convert_cart_to_order=True,
        convert_mode=CONVERT_MODE,
        check=converted,
    )


def _status(run: Run, status: str) -> Step:
    short = status.removeprefix("ORDER_STATUS_")
    return run.update(f"update status {short}", status=status, check=lambda s: checks.status_is(s.order, status))


def _checkout_to_pending(run: Run, p: Params) -> None:
    run.create([("L1", 1, p.product)])
    run.update("update bill_to", bill_to=p.address)
    _ship(run, p.address)
    _convert(run)


# --- the scenarios ----------------------------------------------------------------------


def new_shopper(run: Run, p: Params) -> None:
    """A new shopper buys from a product page: create to PENDING_FULFILLMENT."""
    run.create([("L1", 1, p.product)], check=lambda s: checks.status_is(s.order, "ORDER_STATUS_CART"))
    run.read()
    run.update("update bill_to", bill_to=p.address)
    shipped = _ship(run, p.address)
    options = _options(shipped.order)
    if not options:
        raise Abort("no shipping option to choose")
    _choose(run, options[0])
    _convert(run)
    _status(run, "ORDER_STATUS_BOOKED")
    paid = _status(run, "ORDER_STATUS_PENDING_FULFILLMENT")
    total = _total(paid)

    def same_order(step: Step) -> list[str]:
        found = checks.status_is(step.order, "ORDER_STATUS_PENDING_FULFILLMENT")
        if _total(step) != total:
            found.append(f"reading the order back gives total {_total(step)}, it was {total}")
        return found

    run.read("read by Fast's id", by_external_id=False, check=same_order)


def storefront_cart(run: Run, p: Params) -> None:
    """Checkout from the shop's cart page: read the storefront cart, take it over, clear it."""
    cart_id = p.storefront_cart or _sandbox_storefront_cart(run, p)
    storefront = run.call(
        "read storefront cart",
        "read",
        run.b.read(_req(), external_id=cart_id),
        track=False,
        check=lambda s: [] if s.order.get("lines") else ["the storefront cart has no lines"],
    )
    lines = []
    for i, line in enumerate(storefront.order.get("lines") or [], start=1):
        ref = ItemRef(product_id=line.get("external_product_id"), variant_id=line.get("external_variant_id"))
        lines.append((f"S{i}", int(line.get("quantity") or 1), ref))
    run.create(lines, label="create (Fast takes the cart over)")
    run.call(
        "delete storefront cart",
        "delete",
        run.b.delete(_req(), external_id=cart_id),
        track=False,
    )
    run.call(
        "read storefront cart again",
        "read",
        run.b.read(_req(), external_id=cart_id),
        track=False,
        any_status=True,
        check=lambda s: checks.gone(s.answer.status or 0, s.body),
    )
    sub_total = storefront.order.get("sub_total")
    run.read(
        "read Fast's cart",
        check=lambda s: (
            [] if s.order.get("sub_total") == sub_total else ["Fast's cart does not hold what the storefront cart held"]
        ),
    )
    run.delete("delete (clean up)")


def _req() -> str:
    return new_id("req")


def _sandbox_storefront_cart(run: Run, p: Params) -> str:
    body = {"app_id": run.client.app_id, "items": [{**p.product.wire(), "quantity": 2}]}
    answer = run.client.post(STOREFRONT_ENDPOINT, body)
    if answer.status in (404, 405):
        raise Skip(
            "no storefront cart to start from: give --storefront-cart ID (a cart made in the shop's"
            f" storefront), or use a sandbox store, whose deployment makes one at {STOREFRONT_ENDPOINT}"
        )
    if answer.status != 201 or not isinstance(answer.body, dict) or not answer.body.get("external_order_id"):
        raise Abort(f"making a sandbox storefront cart answered {answer.status}: {answer.message}")
    return str(answer.body["external_order_id"])


def batching(run: Run, p: Params) -> None:
    """A shopper buys again within the window: the new item joins the open order."""
    run.create([("L1", 1, p.product)])
    before = _ship(run, p.address)
    run.lines = {"L1": 1, "L2": 1}

    def added(step: Step) -> list[str]:
        if step.order.get("sub_total") == before.order.get("sub_total"):
            return ["the sub_total did not change when an item was added"]
        return []

    first = run.update("update items (batched item)", items=[run.b.item("L2", 1, p.second_product)], check=added)
    run.update(
        "update items (Fast retries it)",
        items=[run.b.item("L2", 1, p.second_product)],
        check=lambda s: [] if _total(s) == _total(first) else ["the retried add changed the total"],
    )
    run.delete("delete (clean up)")


def quantities(run: Run, p: Params) -> None:
    """The shopper changes a quantity and removes a line."""
    created = run.create([("L1", 1, p.product), ("L2", 1, p.second_product)])
    unit = next((line.get("unit_price") for line in created.order.get("lines", []) if _line_id(line) == "L1"), None)
    run.lines = {"L1": 3, "L2": 1}

    def tripled(step: Step) -> list[str]:
        line = next((x for x in step.order.get("lines", []) if _line_id(x) == "L1"), {})
        unit_now = checks.money(unit)
        if unit_now is not None and checks.money(line.get("subtotal_amount")) != unit_now * 3:
            return [f"L1's subtotal is {line.get('subtotal_amount')}, expected 3 x {unit}"]
        return []

    run.update("update items (L1 quantity 3)", items=[run.b.item("L1", 3)], check=tripled)
    run.lines = {"L1": 3}
    run.update(
        "update items (remove L2)",
        items=[run.b.removal("L2")],
        check=lambda s: checks.lines_gone(s.order, ["L2"]),
    )
    run.lines = {"L1": 2}
    run.update("update items (L1 quantity 2)", items=[run.b.item("L1", 2)])
    run.delete("delete (clean up)")


def _line_id(line: dict[str, Any]) -> str | None:
    return line.get("id", {}).get("value") if isinstance(line.get("id"), dict) else None


def coupons(run: Run, p: Params) -> None:
    """A coupon accepted, one refused, the first removed."""
    run.create([("L1", 2, p.product)])
    shipped = _ship(run, p.address)
    applied = run.update(
        f"update coupon {p.coupon}",
        coupon=run.b.coupon(p.coupon),
        check=lambda s: checks.coupon_applied(s.order, p.coupon, shipped.order),
    )
    run.update(
        f"update coupon {p.bad_coupon}",
        coupon=run.b.coupon(p.bad_coupon),
        refuse=checks.COUPON,
        check=lambda s: checks.coupon_refused(s.body, p.bad_coupon, applied.order),
    )
    run.update(
        f"update coupon {p.coupon} (remove)",
        coupon=run.b.coupon_removal(p.coupon),
        check=lambda s: checks.coupon_removed(s.order, p.coupon, _total(shipped)),
    )
    run.delete("delete (clean up)")


def unshippable_address(run: Run, p: Params) -> None:
    """The shopper asks for delivery where the shop does not ship, then corrects the address."""
    run.create([("L1", 1, p.product)])
    run.update("update bill_to", bill_to=p.address)
    line_ids = list(run.lines or {})
    run.update(
        "update shipments (unshippable)",
        shipments=run.b.shipments(p.unshippable_address, line_ids, plan_id="sim-plan-1"),
        refuse=checks.SHIPPING_ADDRESS,
        allow_error=True,
        check=lambda s: checks.no_shipping_offered(s.order) if s.answer.status == 200 else [],
    )
    run.update(
        "update convert (must be refused)",
        is_cart=True,
        convert_cart_to_order=True,
        convert_mode=CONVERT_MODE,
        refuse=checks.CONVERT,
        allow_error=True,
        check=lambda s: checks.status_is(s.order, "ORDER_STATUS_CART") if s.answer.status == 200 else [],
    )
    _ship(run, p.address, "update shipments (corrected)")
    run.delete("delete (clean up)")


def shipping_switch(run: Run, p: Params) -> None:
    """The shopper switches between the shipping options on offer."""
    run.create([("L1", 1, p.product)])
    shipped = _ship(run, p.address)
    options = _options(shipped.order)
    if len(options) < 2:
        run.delete("delete (clean up)")
        raise Skip(f"the shop offers {len(options)} shipping option(s) for this address: nothing to switch")
    for option in [*options[1:], options[0]]:
        last = _choose(run, option, f"update shipping_option {option}")
    chosen = checks.option_key(checks.plans(last.order)[0]["selected_option"]) if checks.plans(last.order) else None
    run.update(
        "update shipping_option (not offered)",
        shipping_option=run.b.shipping_option(_plan_id(run), NO_SUCH_OPTION),
        refuse=checks.SHIPPING_OPTION,
        allow_error=True,
        check=lambda s: checks.option_selected(s.order, chosen or "") if s.answer.status == 200 else [],
    )
    run.delete("delete (clean up)")


def fraud_rejection(run: Run, p: Params) -> None:
    """Payment is authorised, then the fraud check fails: BOOKED, then CANCELED, never shipped."""
    _checkout_to_pending(run, p)
    _status(run, "ORDER_STATUS_BOOKED")
    _status(run, "ORDER_STATUS_CANCELED")
    run.update(
        "update status PENDING_FULFILLMENT (must be refused)",
        status="ORDER_STATUS_PENDING_FULFILLMENT",
        refuse=checks.ORDER_STATUS,
        allow_error=True,
        check=lambda s: checks.status_is(s.order, "ORDER_STATUS_CANCELED") if s.answer.status == 200 else [],
    )


def abandoned_cart(run: Run, p: Params) -> None:
    """The shopper walks away; about an hour later Fast deletes the cart."""
    run.create([("L1", 1, p.product)])
    _ship(run, p.address)
    run.delete()
    run.read(
        "read after delete",
        any_status=True,
        track=False,
        check=lambda s: checks.gone(s.answer.status or 0, s.body),
    )
    run.delete("delete again (by Fast's id only)", by_external_id=False)


def retries(run: Run, p: Params) -> None:
    """Fast retries: the same create for the same order, the same item again; nothing doubles."""
    first = run.create([("L1", 1, p.product)])
    cart = run.external_id

    def same_cart(step: Step) -> list[str]:
        if step.order.get("external_id") != cart:
            return [f"a retried create made a second cart ({step.order.get('external_id')}, first {cart})"]
        if _total(step) != _total(first):
            return ["a retried create changed the cart"]
        return []

    run.create([("L1", 1, p.product)], label="create again (a retry with a new request_id)", check=same_cart)
    run.lines = {"L1": 1, "L2": 1}
    added = run.update("update items (add L2)", items=[run.b.item("L2", 1, p.second_product)])
    for attempt in (2, 3):
        run.update(
            f"update items (add L2, attempt {attempt})",
            items=[run.b.item("L2", 1, p.second_product)],
            check=lambda s: [] if _total(s) == _total(added) else ["a retried add changed the total"],
        )
    run.delete("delete (clean up)")


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    play: Callable[[Run, Params], None]


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("new-shopper", "new shopper from a product page", new_shopper),
    Scenario("storefront-cart", "checkout from a storefront cart", storefront_cart),
    Scenario("batching", "a second item added to an open order", batching),
    Scenario("quantities", "quantity change and removal", quantities),
    Scenario("coupons", "coupon accepted, refused, removed", coupons),
    Scenario("unshippable-address", "an address the shop cannot ship to", unshippable_address),
    Scenario("shipping-switch", "shipping option switch", shipping_switch),
    Scenario("fraud-rejection", "fraud rejection: CANCELED after BOOKED", fraud_rejection),
    Scenario("abandoned-cart", "abandoned cart deleted", abandoned_cart),
    Scenario("retries", "Fast retries: nothing happens twice", retries),
)
BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}
MAIN = "new-shopper"
