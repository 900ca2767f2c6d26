"""The Shopify adapter against recorded Admin API answers (tests/fixtures/shopify/*.json).

Each fixture holds one answer and, for recorded calls, the variables the adapter
sent. The replays pin the adapter's requests (operation by operation, variable by
variable) and check the Fast order it builds from Shopify's answers, to the cent.
The shape test executes each answer's document against Shopify's schema with the
recorded data as the source, so a fixture that is not exactly what Shopify would
send for that document fails.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import responses
from graphql import FieldNode, OperationDefinitionNode, execute, parse

from adapters.shopify.adapter import ShopifyAdapter
from mappings import model
from mappings.shopify.documents import DOCUMENTS
from service.config import Settings
from service.errors import UpstreamRejected, UpstreamUnavailable
from service.state import SQLiteState
from tests.adapters.shopify.shop import BASE_URL, NY, Sleeps, make_adapter, require_schema
from tests.fakes.shopify import admin_schema

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "shopify"
URL = f"{BASE_URL}/admin/api/2025-01/graphql.json"
FAST_ID = "6f1b7e0c-6bd8-4f3c-9a55-0f0d2b7a1c01"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def recording(prefix: str) -> list[dict[str, Any]]:
    """A scenario the fake played (``fake_<prefix>_*.json``: made by tests/fakes/shopify.py, not captured)."""
    return [json.loads(p.read_text()) for p in sorted(FIXTURES.glob(f"fake_{prefix}_*.json"))]


@pytest.fixture
def adapter(state: SQLiteState, settings: Settings, sleeps: Sleeps) -> ShopifyAdapter:
    return make_adapter(state, settings, sleeps)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@contextmanager
def answering(*answers: dict[str, Any]) -> Iterator[responses.RequestsMock]:
    """Shopify answers these, in order, one per request."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        for answer in answers:
            rsps.add(responses.POST, URL, json=answer["response"], status=answer["status"])
        yield rsps


def sent(rsps: responses.RequestsMock) -> list[dict[str, Any]]:
    return [json.loads(call.request.body) for call in rsps.calls]


# --- the fixtures are Shopify's shapes ---------------------------------------------------------


def _resolve_type(value: Any, info: Any, abstract_type: Any) -> str | None:
    if isinstance(value, dict):
        if value.get("__typename"):
            return value["__typename"]
        kind = str(value.get("id", "")).split("/")
        return kind[3] if len(kind) > 4 else None
    return None


@pytest.mark.parametrize("path", sorted(p.name for p in FIXTURES.glob("*.json")), ids=lambda p: p[:-5])
def test_each_recorded_answer_is_exactly_what_shopify_sends_for_its_document(path: str) -> None:
    recorded = json.loads((FIXTURES / path).read_text())
    body = recorded["response"]
    if "errors" in body:
        # Shopify's documented error shapes: a list of {message, extensions.code}, or a REST-style string on 401.
        assert isinstance(body["errors"], list) or recorded["status"] == 401
        return
    require_schema()
    assert set(body["extensions"]["cost"]) == {"requestedQueryCost", "actualQueryCost", "throttleStatus"}
    document = parse(recorded.get("document") or DOCUMENTS[recorded["operation"]])
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    assert operation.name.value == recorded["operation"]  # type: ignore[union-attr]
    # Each root field answers the recorded value under its response key (two aliases may share a field name).
    root = {
        field.name.value: lambda info, **_: body["data"].get(info.path.key)
        for field in operation.selection_set.selections
        if isinstance(field, FieldNode)
    }
    result = execute(
        admin_schema(),
        document,
        root_value=root,
        variable_values=recorded["variables"],
        type_resolver=_resolve_type,
    )
    assert result.errors is None  # type: ignore[union-attr]
    assert result.data == body["data"]  # type: ignore[union-attr]


# --- replays ---------------------------------------------------------------------------------


def update(adapter: ShopifyAdapter, external_id: str, fast_id: str | None = FAST_ID, **segments: Any) -> Any:
    upd = model.OrderUpdate(order_id=fast_id, external_id=external_id, **segments)
    return adapter.update(upd.ref, upd)


def test_a_recorded_checkout_from_cart_to_canceled_order(adapter: ShopifyAdapter) -> None:
    answers = recording("checkout")
    with answering(*answers) as rsps:
        order = adapter.create(
            model.Order(
                id=FAST_ID,
                lines=[
                    model.Line(
                        id="L-tee",
                        quantity=2,
                        external_product_id="8474977763649",
                        external_options=[model.CustomValue("size", "M"), model.CustomValue("color", "Black")],
                    ),
                    model.Line(id="L-mug", quantity=1, external_item_id="MUG"),
                ],
            )
        )
        assert str(order.total_amount) == "62.50"
        draft_id = order.external_id

        r = update(adapter, draft_id, shipments=[model.ShipmentUpdate(plan_id="plan-1", ship_to=NY)])
        assert [(o.name, o.cost) for o in r.order.shipment_plans[0].available_options] == [
            ("Standard", Decimal("5.99")),
            ("Express", Decimal("14.99")),
        ]
        assert str(r.order.total_tax) == "5.55"  # taxes follow the New York address

        r = update(adapter, draft_id, shipping_option=model.ShippingOptionUpdate(option_id="shopify-Express-14.99"))
        assert (str(r.order.total_shipping), str(r.order.total_tax), str(r.order.total_amount)) == (
            "14.99",
            "6.88",
            "84.37",
        )

        r = update(adapter, draft_id, coupon=model.CouponUpdate("SAVE10"))
        assert r.statuses[0].status and str(r.order.total_discounts) == "6.25"
        assert str(r.order.total_amount) == "77.56"

        r = update(adapter, draft_id, coupon=model.CouponUpdate("SUMMER2020"))
        assert not r.statuses[0].status
        assert r.statuses[0].message == "Discount code SUMMER2020 has expired."
        assert [(c.code, c.applied) for c in r.order.coupons] == [("SAVE10", True), ("SUMMER2020", False)]
        assert str(r.order.total_amount) == "77.56"

        placed = update(adapter, draft_id, convert_cart_to_order=True).order
        assert (placed.status, str(placed.total_amount)) == (model.STATUS_PENDING, "77.56")
        order_id = placed.external_id

        booked = update(adapter, order_id, None, convert_cart_to_order=True, status=model.STATUS_BOOKED).order
        assert booked.status == model.STATUS_BOOKED
        canceled = update(adapter, order_id, None, convert_cart_to_order=True, status=model.STATUS_CANCELED).order
        assert canceled.status == model.STATUS_CANCELED

        requests = sent(rsps)
    # The adapter sent exactly what was recorded, call by call.
    assert [r["variables"] for r in requests] == [a["variables"] for a in answers]
    assert [parse(r["query"]).definitions[0].name.value for r in requests] == [a["operation"] for a in answers]  # type: ignore[attr-defined]
    cancel = next(r["variables"] for r in requests if "reason" in r["variables"])
    assert (cancel["reason"], cancel["restock"], cancel["notifyCustomer"], cancel["refund"]) == (
        "OTHER",
        True,
        False,
        False,
    )


def test_a_recorded_out_of_stock_variant(adapter: ShopifyAdapter) -> None:
    with answering(*recording("out_of_stock")), pytest.raises(UpstreamRejected) as raised:
        adapter.create(
            model.Order(
                id="F-oos",
                lines=[
                    model.Line(
                        id="w",
                        quantity=2,
                        external_product_id="8474977763649",
                        external_options=[model.CustomValue("size", "M"), model.CustomValue("color", "White")],
                    )
                ],
            )
        )
    assert raised.value.message == "Tee - M / White is out of stock: 1 left, 2 wanted"


def test_recorded_shipping_zones(adapter: ShopifyAdapter) -> None:
    with answering(*recording("zones")):
        zones = adapter.shipping_zones()
    assert [(z.country_iso2, z.subdivision_iso2) for z in zones] == [
        ("CA", None),
        ("GB", None),
        ("US", "NJ"),
        ("US", "NY"),
    ]


def test_the_documented_throttle_answer_is_waited_out(adapter: ShopifyAdapter, sleeps: Sleeps) -> None:
    with answering(fixture("error_throttled"), *recording("zones")):
        adapter.shipping_zones()
    assert sleeps == [pytest.approx(1.72)]  # (752 - 666) / 50


def test_the_documented_internal_error_is_retried(adapter: ShopifyAdapter, sleeps: Sleeps) -> None:
    with answering(fixture("error_internal"), *recording("zones")):
        assert adapter.shipping_zones()
    assert len(sleeps) == 1


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("error_access_denied", "write_draft_orders"),
        ("error_invalid_token", "access token"),
    ],
)
def test_documented_auth_failures_are_503(adapter: ShopifyAdapter, name: str, match: str) -> None:
    with answering(fixture(name)), pytest.raises(UpstreamUnavailable, match=match):
        adapter.shipping_zones()


def test_documented_user_errors_are_422_with_shopifys_message(adapter: ShopifyAdapter) -> None:
    answers = recording("checkout")
    draft_answer = answers[2]  # a FastDraftOrder read of the cart
    draft_id = draft_answer["response"]["data"]["draftOrder"]["id"]
    with answering(draft_answer, fixture("error_user_errors")), pytest.raises(UpstreamRejected) as raised:
        update(adapter, draft_id, bill_to=model.Address(email="nope", country_code="US"))
    assert raised.value.message == "Shopify refused to update the cart: Email is invalid"
    assert raised.value.http_status == 422
