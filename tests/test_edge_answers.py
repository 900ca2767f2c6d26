"""Wrong answers found at the edge (issue 13 §4), each held by a test."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest

from tests import bodies as b
from tests import openapi

MUG = {"external_item_id": "MUG-001"}


def _field_of(error: dict[str, Any]) -> str:
    """The first field a BadRequest detail names (its protobuf's first string)."""
    raw = base64.b64decode(error["details"][0]["value"])
    # BadRequest{field_violations{field=1, description=2}}: tag, length, tag, length, field...
    return raw[4 : 4 + raw[3]].decode()


def test_a_405_answer_carries_allow(client: Any) -> None:
    response = client.put("/fast/v1/update", json={})
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_a_create_without_fasts_order_id_is_422_naming_it(fast: Any) -> None:
    body = b.create("F-x", [b.line("L1", 1, **MUG)])
    del body["order"]["order"]["id"]
    error = fast.call("create", body, status=422)
    assert _field_of(error) == "order.order.id"
    body["order"]["order"]["id"] = {"value": ""}
    assert _field_of(fast.call("create", body, status=422)) == "order.order.id"


def test_a_create_line_without_an_id_is_422_naming_it(fast: Any) -> None:
    lines = [b.line("L1", 1, **MUG), {"quantity": 1, **MUG}]
    error = fast.call("create", b.create("F-x", lines), status=422)
    assert _field_of(error) == "order.order.lines[1].id"


def test_two_create_lines_sharing_an_id_are_refused_not_merged(fast: Any) -> None:
    lines = [b.line("L1", 1, **MUG), b.line("L1", 2, external_item_id="TEE-BLK-M")]
    error = fast.call("create", b.create("F-x", lines), status=422)
    assert _field_of(error) == "order.order.lines[1].id"
    assert "twice" in error["message"]


def test_a_create_line_of_quantity_zero_is_refused_not_made_one(fast: Any) -> None:
    error = fast.call("create", b.create("F-x", [b.line("L1", 0, **MUG)]), status=422)
    assert _field_of(error) == "order.order.lines[0].quantity"


def test_a_create_line_without_quantity_still_means_one(fast: Any) -> None:
    line = {"id": {"value": "L1"}, **MUG}
    order = fast.call("create", b.create("F-x", [line]))["order"]["order"]
    assert order["lines"][0]["quantity"] == 1


def test_an_oversized_chunked_body_is_422_too_large(fast: Any, client: Any, app: Any) -> None:
    size = app.config["MAX_CONTENT_LENGTH"] + 10
    response = client.post(
        "/fast/v1/update",
        input_stream=io.BytesIO(b'{"pad":"' + b"x" * size + b'"}'),
        headers={**fast.headers_for(None, None, True), "Transfer-Encoding": "chunked"},
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True},  # what gunicorn sets for a chunked body
    )
    assert response.status_code == 422
    assert "too large" in response.get_json()["message"]
    openapi.assert_valid("error", response.get_json())


@pytest.mark.parametrize("depth", [33, 2_000, 100_000])
def test_a_body_nested_too_deep_is_422_too_large_however_deep(fast: Any, depth: int) -> None:
    body = '{"app_id":"sandbox","order":' + '{"a":' * depth + "1" + "}" * depth + "}"
    response = fast.raw("update", body)
    assert response.status_code == 422
    assert "too large" in response.get_json()["message"]


def test_a_refused_coupon_has_two_decimal_money(fast: Any) -> None:
    order = fast.call("create", b.create("F-coupon", [b.line("L1", 1, **MUG)]))["order"]["order"]
    r = fast.call("update", b.update("F-coupon", order["external_id"], coupon={"code": "NOPE"}))
    [refused] = r["order"]["order"]["coupons"]
    assert refused["applied"] is False
    assert refused["total_amount"] == "0.00"


def test_every_amount_on_the_wire_has_two_decimals() -> None:
    from decimal import Decimal

    from mappings.money import to_wire

    assert [to_wire(Decimal(v)) for v in ("0", "12.5", "1E+2", "-0", "54.02", "0.125")] == [
        "0.00",
        "12.50",
        "100.00",
        "-0.00",
        "54.02",
        "0.125",
    ]


def test_an_invalid_transition_is_422_failed_precondition(fast: Any) -> None:
    order = fast.call("create", b.create("F-tr", [b.line("L1", 1, **MUG)]))["order"]["order"]
    error = fast.call("update", b.update("F-tr", order["external_id"], status="ORDER_STATUS_FULFILLED"), status=422)
    assert error["code"] == 9
    # A request that is wrong whatever the order's state stays INVALID_ARGUMENT.
    assert fast.call("update", {"app_id": "sandbox", "order": {"items": "x"}}, status=422)["code"] == 3
