"""The store's WooCommerce options: the Fast -> WooCommerce status map and its overrides."""

from __future__ import annotations

from adapters.woocommerce.options import status_map
from mappings import model


def test_status_map_defaults_and_overrides() -> None:
    mapping, problems = status_map(None)
    assert problems == []
    assert mapping[model.STATUS_PENDING] == "on-hold"
    assert mapping[model.STATUS_BOOKED] == "on-hold"
    assert mapping[model.STATUS_PENDING_FULFILLMENT] == "processing"
    assert mapping[model.STATUS_CANCELED] == "cancelled"
    mapping, problems = status_map({"booked": "wc-fraud-check", "ORDER_STATUS_COMPLETE": "completed"})
    assert problems == [] and mapping[model.STATUS_BOOKED] == "fraud-check"
    _, problems = status_map({"CART": "pending"})
    assert problems
