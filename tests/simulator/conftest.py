"""Real answers from the sandbox shop, for the checks' tests to break on purpose."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests import bodies as b


@pytest.fixture
def answers(fast: Any) -> dict[str, Any]:
    """A cart with two lines, shipped to New York, SAVE10 applied: each answer as it came."""
    created = fast.call(
        "create",
        b.create(
            "F-sim", [b.line("L1", 2, external_product_id="1001"), b.line("L2", 1, external_product_id="5001")], "r1"
        ),
    )
    shipped = fast.call("update", b.update("F-sim", shipments=b.shipments(b.NY, ["L1", "L2"]), request_id="r2"))
    coupon_request = b.update("F-sim", coupon={"code": "SAVE10"}, request_id="r3")
    couponed = fast.call("update", coupon_request)
    refused_request = b.update("F-sim", coupon={"code": "SUMMER2020"}, request_id="r4")
    refused = fast.call("update", refused_request)
    return {
        "create": created,
        "shipped": shipped,
        "coupon_request": coupon_request["order"],
        "couponed": couponed,
        "refused_request": refused_request["order"],
        "refused": refused,
    }


@pytest.fixture
def order(answers: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of the couponed order, free to break."""
    return copy.deepcopy(answers["couponed"]["order"]["order"])
