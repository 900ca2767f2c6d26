"""Shopify refunds/create, orders/cancelled, fulfillments/create|update → Fast; install and status."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from service.events_queue import EventQueue
from simulator.fast_standin import FastStandIn
from tests.events.conftest import SHOP_APP, post_shopify
from tests.fakes.shopify_events import ShopifyEventsShop

FAST_ID = "7d1e2f30-aaaa-4bbb-8ccc-000000000777"
ORDER = 450789469


def _shop_order(shop: ShopifyEventsShop, fast_id: str | None = FAST_ID) -> None:
    lines = {466157049: "fast-line-1", 518995019: "fast-line-2"} if fast_id else {}
    shop.add_order(ORDER, fast_id, lines)


def _refund_payload(shop: ShopifyEventsShop, refund_id: int = 509562969) -> dict[str, Any]:
    """Shaped like Shopify's refunds/create example (shopify.dev webhook topics), API 2025-01."""
    return {
        "id": refund_id,
        "order_id": ORDER,
        "created_at": "2026-11-30T12:00:00-05:00",
        "note": "wrong size",
        "user_id": None,
        "processed_at": "2026-11-30T12:00:00-05:00",
        "restock": True,
        "admin_graphql_api_id": f"gid://shopify/Refund/{refund_id}",
        "refund_line_items": [
            {
                "id": 104689539,
                "quantity": 1,
                "line_item_id": 466157049,
                "location_id": 487838322,
                "restock_type": "return",
                "subtotal": "19.99",
                "total_tax": "1.65",
                "line_item": shop.line_item(ORDER, 466157049),
            }
        ],
        "transactions": [
            {"id": 1, "kind": "refund", "status": "success", "amount": "26.64", "gateway": "bogus"},
            {"id": 2, "kind": "refund", "status": "failure", "amount": "26.64", "gateway": "bogus"},
        ],
        "order_adjustments": [],
        "refund_shipping_lines": [
            {
                "id": 1,
                "shipping_line_id": 9,
                "subtotal_amount_set": {"shop_money": {"amount": "4.50", "currency_code": "USD"}},
                "tax_amount_set": {"shop_money": {"amount": "0.50", "currency_code": "USD"}},
            }
        ],
    }


def test_refund_is_told_to_fast_with_exact_amounts(
    client: FlaskClient, queue: EventQueue, shopify_shop: ShopifyEventsShop, fast_api: FastStandIn
) -> None:
    _shop_order(shopify_shop)
    assert post_shopify(client, "refunds/create", _refund_payload(shopify_shop)).json["new"] == 1
    queue.work_once()
    [call] = fast_api.accepted("refund")
    assert call.order_id == FAST_ID  # read from the order's custom attributes
    assert call.body["external_refund_id"] == "509562969"
    assert (call.body["amount"], call.body["tax_amount"], call.body["shipping_amount"]) == ("26.64", "2.15", "4.50")
    assert call.body["order_lines"][0]["line"] == {"id": {"value": "fast-line-1"}, "quantity": "1"}
    assert call.body["note"] == "wrong size"


def test_shipping_only_refund_of_an_order_that_is_not_fasts_is_ignored(
    client: FlaskClient, queue: EventQueue, shopify_shop: ShopifyEventsShop, fast_api: FastStandIn
) -> None:
    _shop_order(shopify_shop, fast_id=None)
    payload = dict(_refund_payload(shopify_shop), refund_line_items=[])
    assert post_shopify(client, "refunds/create", payload).status_code == 200
    queue.work_once()
    assert fast_api.calls == []
    assert [r.status for r in queue.records()] == ["ignored"]


def test_cancel_with_the_shops_reason(
    client: FlaskClient, queue: EventQueue, shopify_shop: ShopifyEventsShop, fast_api: FastStandIn
) -> None:
    order = {
        "id": ORDER,
        "cancelled_at": "2026-11-30T12:00:00-05:00",
        "cancel_reason": "customer",
        "note_attributes": [{"name": "_fast_order_id", "value": FAST_ID}],
        "tags": "fast, fast-7d1e2f30",
        "line_items": [],
    }
    post_shopify(client, "orders/cancelled", order)
    post_shopify(client, "orders/cancelled", order)  # Shopify redelivers: same cancellation
    queue.work_once()
    [call] = fast_api.accepted("cancel")
    assert call.body == {"order_id": {"value": FAST_ID}, "reason": "CANCEL_REASON_CODE_CUSTOMER_INITIATED"}
    assert len(fast_api.calls) == 1


def test_fulfilment_then_a_tracking_change(
    client: FlaskClient, queue: EventQueue, shopify_shop: ShopifyEventsShop, fast_api: FastStandIn
) -> None:
    _shop_order(shopify_shop)
    fulfilment = {
        "id": 255858046,
        "order_id": ORDER,
        "status": "success",
        "tracking_company": "USPS",
        "tracking_number": "1Z2345",
        "tracking_numbers": ["1Z2345"],
        "tracking_url": "https://tools.usps.com/go/TrackConfirmAction?tLabels=1Z2345",
        "line_items": [dict(shopify_shop.line_item(ORDER, 518995019), quantity=2)],
    }
    post_shopify(client, "fulfillments/create", fulfilment)
    post_shopify(client, "fulfillments/update", fulfilment)  # nothing changed: no new event
    post_shopify(client, "fulfillments/update", dict(fulfilment, tracking_number="9400111"))
    queue.work_once()
    calls = fast_api.accepted("business_event")
    assert [c.body["fulfillment"]["shipment"]["tracking_number"] for c in calls] == ["1Z2345", "9400111"]
    assert calls[0].body["fulfillment"]["shipment"]["order_lines"] == [
        {"id": {"value": "fast-line-2"}, "quantity": "2"}
    ]
    assert calls[0].body["fulfillment"]["shipment"]["carrier"] == "USPS"


def test_forged_signature_is_refused(client: FlaskClient, queue: EventQueue, shopify_shop: ShopifyEventsShop) -> None:
    _shop_order(shopify_shop)
    assert post_shopify(client, "refunds/create", _refund_payload(shopify_shop), secret="guess").status_code == 401
    assert post_shopify(client, "refunds/create", _refund_payload(shopify_shop), secret=None).status_code == 401
    assert queue.records() == []


def test_reconciliation_finds_a_refund_and_a_fulfilment_no_webhook_brought(
    events_app: Flask, queue: EventQueue, shopify_shop: ShopifyEventsShop, fast_api: FastStandIn
) -> None:
    _shop_order(shopify_shop)
    order = shopify_shop.orders[ORDER]
    order["refunds"].append(
        {
            "id": 77,
            "note": None,
            "transactions": [{"amount": "10.00"}],
            "refund_line_items": [{"line_item_id": 518995019, "quantity": 1, "subtotal": "9.00", "total_tax": "1.00"}],
        }
    )
    order["fulfillments"].append(
        {
            "id": 88,
            "status": "success",
            "tracking_company": "DHL",
            "tracking_number": "JD0001",
            "items": [{"line_item_id": 466157049, "quantity": 1}],
        }
    )
    shopify_shop.changed(ORDER)
    output = events_app.test_cli_runner().invoke(args=["fast", "events", "reconcile"]).output
    assert "2 new event" in output
    queue.work_once()
    [refund] = fast_api.accepted("refund")
    assert (refund.body["amount"], refund.body["tax_amount"]) == ("10.00", "1.00")
    [shipped] = fast_api.accepted("business_event")
    assert shipped.body["fulfillment"]["shipment"]["tracking_number"] == "JD0001"


def test_install_is_idempotent_and_status_warns_when_a_subscription_is_gone(
    events_app: Flask, shopify_shop: ShopifyEventsShop
) -> None:
    runner = events_app.test_cli_runner()
    first = runner.invoke(args=["fast", "webhooks", "install", "shop", "--url", "https://proxy.example.com"])
    assert first.exit_code == 0 and first.output.count(": subscribed") == 4
    second = runner.invoke(args=["fast", "webhooks", "install", "shop", "--url", "https://proxy.example.com"])
    assert second.output.count("already subscribed") == 4 and len(shopify_shop.subscriptions) == 4
    url = f"https://proxy.example.com/webhooks/shopify/{SHOP_APP}"
    assert all(s["endpoint"]["callbackUrl"] == url for s in shopify_shop.subscriptions)
    assert runner.invoke(args=["fast", "webhooks", "status", "shop"]).exit_code == 0
    shopify_shop.subscriptions.pop()  # Shopify removed it after failed deliveries
    status = runner.invoke(args=["fast", "webhooks", "status", "shop"])
    assert status.exit_code == 1 and "WARN fulfillments/update" in status.output
