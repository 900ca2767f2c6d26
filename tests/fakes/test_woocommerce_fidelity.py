"""The fake WooCommerce answers every recorded request the way the real 9.9.5 shop did.

tests/fakes/woocommerce_fidelity.py replays the four recordings in order against
``recorded_shop()`` and lists what differs; each exchange is one test here, so a
failure names the file, the seq and the field. Every WooCommerce test depends on
this replay passing (tests/conftest.py).
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest

from tests.fakes import woocommerce_fidelity as fidelity
from tests.fakes.woocommerce import FakeWooCommerce, Method, recorded_shop

EXCHANGES = [(name, int(row["seq"])) for name in fidelity.FILES for row in fidelity.load(name)]


@pytest.fixture(scope="module")
def replayed() -> dict[tuple[str, int], fidelity.Exchange]:
    return {(r.file, r.seq): r for r in fidelity.replay()}


@pytest.mark.parametrize(("name", "seq"), EXCHANGES, ids=[f"{n}:{s}" for n, s in EXCHANGES])
def test_the_fake_answers_like_the_real_shop(replayed: dict[tuple[str, int], Any], name: str, seq: int) -> None:
    exchange = replayed[(name, seq)]
    assert exchange.problems == [], "\n".join(exchange.problems)


def test_every_recording_is_replayed(replayed: dict[tuple[str, int], Any]) -> None:
    lines = sum(len(fidelity.load(name)) for name in fidelity.FILES)
    assert len(replayed) == lines == 46
    assert {name for name, _ in replayed} == {p.name for p in fidelity.RECORDINGS.glob("*.jsonl")}


def _replay_with(rows: dict[str, list[dict[str, Any]]], shop: FakeWooCommerce | None = None) -> list[str]:
    original = fidelity.load
    fidelity.load = lambda name: copy.deepcopy(rows[name])  # type: ignore[assignment]
    try:
        return fidelity.disagreements(fidelity.replay(shop))
    finally:
        fidelity.load = original  # type: ignore[assignment]


@pytest.fixture
def rows() -> dict[str, list[dict[str, Any]]]:
    return {name: fidelity.load(name) for name in fidelity.FILES}


def test_a_different_total_in_the_real_answer_is_caught(rows: dict[str, list[dict[str, Any]]]) -> None:
    cart = rows["checkout.jsonl"][6]["response"]["body"]["responses"][0]["body"]  # TENOFF applied
    cart["totals"]["total_price"] = "10320"
    problems = _replay_with(rows)
    assert problems == [
        "checkout.jsonl:7 POST /wp-json/wc/store/v1/batch: body.responses[0].body.totals.total_price:"
        " real '10320', fake '10319'"
    ]


def test_a_missing_key_a_changed_type_and_a_status_are_caught(rows: dict[str, list[dict[str, Any]]]) -> None:
    edge = rows["edge-cases.jsonl"]
    del edge[0]["response"]["body"]["totals"]["total_tax"]
    edge[1]["response"]["body"]["responses"][4]["body"]["items_count"] = "2"
    edge[6]["response"]["status"] = 401
    problems = "\n".join(_replay_with(rows))
    assert "edge-cases.jsonl:1 GET /wp-json/wc/store/v1/cart: body.totals: the fake adds ['total_tax']" in problems
    assert "responses[4].body.items_count: real string '2', fake number 2" in problems
    assert "edge-cases.jsonl:7 POST /wp-json/wc/store/v1/checkout: status: real 401, fake 400" in problems


def test_a_fake_that_drops_the_cart_token_is_caught() -> None:
    shop = recorded_shop()
    cart_headers = shop._cart_headers
    shop._cart_headers = lambda *a: {k: v for k, v in cart_headers(*a).items() if k != "Cart-Token"}  # type: ignore[method-assign]
    problems = fidelity.disagreements(fidelity.replay(shop))
    assert "checkout.jsonl:1 GET /wp-json/wc/store/v1/cart: headers: the real shop sends Cart-Token" in problems


def test_a_fake_that_offers_another_rate_is_caught() -> None:
    shop = recorded_shop()
    shop.zones[0].methods.pop(1)  # no Express
    problems = "\n".join(fidelity.disagreements(fidelity.replay(shop)))
    assert (
        "checkout.jsonl:2 POST /wp-json/wc/store/v1/batch: body.responses[0].body.shipping_rates[0].shipping_rates:"
        in problems
    )


def test_the_batch_without_an_outer_cart_token_is_the_shops_critical_error() -> None:
    shop = recorded_shop()
    _, headers, _ = shop.handle("GET", shop.base_url + "/wp-json/wc/store/v1/cart", {}, None)
    token = headers["Cart-Token"]
    sub = {"method": "POST", "path": "/wc/store/v1/cart/add-item", "body": {"id": 12, "quantity": 1}}
    batch = shop.base_url + "/wp-json/wc/store/v1/batch"
    status, out, body = shop.handle(
        "POST", batch, {}, json.dumps({"requests": [{**sub, "headers": {"Cart-Token": token}}]})
    )
    assert (status, json.loads(body)["code"], "Cart-Token" in out) == (500, "internal_server_error", False)
    assert shop.session_of(token) is None  # nothing was added
    status, _, body = shop.handle(
        "POST", batch, {"Cart-Token": token}, json.dumps({"requests": [{**sub, "headers": {"Cart-Token": token}}]})
    )
    assert status == 207 and json.loads(body)["responses"][0]["status"] == 201


def test_a_checkout_with_a_cart_token_needs_no_nonce_and_places_an_on_hold_order() -> None:
    shop = recorded_shop()
    _, headers, _ = shop.handle("GET", shop.base_url + "/wp-json/wc/store/v1/cart", {}, None)
    token = {"Cart-Token": headers["Cart-Token"]}
    shop.handle(
        "POST", shop.base_url + "/wp-json/wc/store/v1/cart/add-item", token, json.dumps({"id": 17, "quantity": 2})
    )
    address = {"first_name": "J", "last_name": "S", "address_1": "1 Main", "city": "SF", "state": "CA"}
    address |= {"postcode": "94103", "country": "US", "email": "j@example.com"}
    checkout = json.dumps({"billing_address": address, "payment_method": "bacs"})
    status, _, body = shop.handle("POST", shop.base_url + "/wp-json/wc/store/v1/checkout", token, checkout)
    assert (status, json.loads(body)["status"], shop.stock(17)) == (200, "on-hold", 2)
    status, _, body = shop.handle("POST", shop.base_url + "/wp-json/wc/store/v1/checkout", {}, checkout)
    assert (status, json.loads(body)["code"]) == (401, "woocommerce_rest_missing_nonce")


def split_shop() -> FakeWooCommerce:
    shop = FakeWooCommerce(split_packages=True, default_location=("US", "NY"))
    shop.add_simple(1, "Sofa", "300.00", shipping_class="freight")
    shop.add_simple(2, "Mug", "10.00")
    shop.add_simple(3, "Lamp", "40.00", shipping_class="freight")
    shop.add_tax("US", "NY", "10", name="NY Tax")
    rates = [Method(1, "flat_rate", "Flat rate", Decimal("5.00")), Method(2, "flat_rate", "Express", Decimal("20.00"))]
    shop.add_zone(1, "US", [("US", "country")], rates)
    return shop


def _post(shop: FakeWooCommerce, token: dict[str, str], route: str, body: dict[str, Any]) -> dict[str, Any]:
    status, _, text = shop.handle("POST", f"{shop.base_url}/wp-json/wc/store/v1/{route}", token, json.dumps(body))
    assert status in (200, 201), text
    return json.loads(text)


def test_a_shop_that_splits_packages_ships_each_shipping_class_apart() -> None:
    shop = split_shop()
    _, headers, _ = shop.handle("GET", shop.base_url + "/wp-json/wc/store/v1/cart", {}, None)
    token = {"Cart-Token": headers["Cart-Token"]}
    for product in (1, 2, 3):
        cart = _post(shop, token, "cart/add-item", {"id": product, "quantity": 1})
    packages = cart["shipping_rates"]
    assert [(p["package_id"], p["name"], [i["name"] for i in p["items"]]) for p in packages] == [
        (0, "Shipment 1", ["Sofa", "Lamp"]),
        (1, "Shipment 2", ["Mug"]),
    ]
    assert cart["totals"]["total_shipping"] == "1000" and cart["totals"]["total_shipping_tax"] == "100"
    cart = _post(shop, token, "cart/select-shipping-rate", {"package_id": 0, "rate_id": "flat_rate:2"})
    assert [[r["selected"] for r in p["shipping_rates"]] for p in cart["shipping_rates"]] == [
        [False, True],
        [True, False],
    ]
    assert cart["totals"]["total_shipping"] == "2500"
    cart = _post(shop, token, "cart/select-shipping-rate", {"rate_id": "flat_rate:2"})  # every package
    assert cart["totals"]["total_shipping"] == "4000" and cart["totals"]["total_price"] == str(35000 + 4000 + 3900)
    # The same shape as the recorded single package, one entry per package.
    recorded = fidelity.load("checkout.jsonl")[1]["response"]["body"]["responses"][0]["body"]["shipping_rates"][0]
    assert all(set(p) == set(recorded) for p in cart["shipping_rates"])


def test_without_splitting_the_same_cart_is_one_package() -> None:
    shop = split_shop()
    shop.split_packages = False
    _, headers, _ = shop.handle("GET", shop.base_url + "/wp-json/wc/store/v1/cart", {}, None)
    token = {"Cart-Token": headers["Cart-Token"]}
    for product in (1, 2):
        cart = _post(shop, token, "cart/add-item", {"id": product, "quantity": 1})
    assert [len(p["items"]) for p in cart["shipping_rates"]] == [2]
