"""WooCommerce order.updated webhooks → Fast: refunds (full, partial), cancellation, completion."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from service.events_queue import EventQueue
from simulator.fast_standin import FastStandIn
from tests.events.conftest import WOO_APP, WOO_SECRET, later, post_woo
from tests.fakes.woocommerce_events import WooEventsShop

FAST_ID = "3f2a8c1e-5b7d-4e9f-a1c3-000000000101"
LINES = [
    {"id": "fast-line-belt", "item": 93, "variation": False, "qty": 2, "product": "93"},
    {"id": "fast-line-hat", "item": 23, "variation": True, "qty": 1, "product": "22"},
]


def _order(shop: WooEventsShop, order_id: int = 501, fast_id: str | None = FAST_ID) -> dict[str, Any]:
    return shop.add_order(order_id, fast_id, LINES)


def test_woocommerce_ping_answers_200_without_a_signature(client: FlaskClient, queue: EventQueue) -> None:
    response = client.post(
        f"/webhooks/woocommerce/{WOO_APP}", data="webhook_id=12", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert queue.records() == []


def test_forged_and_missing_signatures_are_refused_and_change_nothing(
    client: FlaskClient, queue: EventQueue, woo_shop: WooEventsShop, fast_api: FastStandIn
) -> None:
    order = woo_shop.set_status(_order(woo_shop)["id"], "cancelled")
    assert post_woo(client, order, secret="not-the-secret").status_code == 401
    assert post_woo(client, order, secret=None).status_code == 401
    tampered = dict(order, status="cancelled", total="0.01")
    raw_signed_for = post_woo  # the signature covers the exact bytes: re-encoding another body fails
    assert raw_signed_for(client, tampered, secret="x").status_code == 401
    queue.work_once()
    assert queue.records() == [] and fast_api.calls == []


def test_partial_refund_reaches_fast_with_exact_amounts_and_fast_line_ids(
    client: FlaskClient, queue: EventQueue, woo_shop: WooEventsShop, fast_api: FastStandIn
) -> None:
    order = _order(woo_shop)
    woo_shop.add_refund(order["id"], [(315, 1, "3.00", "0.23")], shipping="10.00", reason="Damaged")
    answer = post_woo(client, woo_shop.orders[order["id"]])
    assert answer.status_code == 200 and answer.json["new"] == 1
    queue.work_once()
    [call] = fast_api.accepted("refund")
    assert call.order_id == FAST_ID
    assert call.body["amount"] == "13.23"
    assert call.body["tax_amount"] == "0.23"
    assert call.body["shipping_amount"] == "10.00"
    assert call.body["order_lines"][0]["line"] == {"id": {"value": "fast-line-belt"}, "quantity": "1"}
    assert call.body["note"] == "Damaged"
    assert call.body["external_refund_id"] == str(woo_shop.orders[order["id"]]["refunds"][0]["id"])


def test_full_refund_of_every_line(
    client: FlaskClient, queue: EventQueue, woo_shop: WooEventsShop, fast_api: FastStandIn
) -> None:
    order = _order(woo_shop)
    woo_shop.add_refund(order["id"], [(315, 2, "6.00", "0.45"), (316, 1, "12.00", "0.90")], shipping="10.00")
    woo_shop.set_status(order["id"], "refunded")
    post_woo(client, woo_shop.orders[order["id"]])
    queue.work_once()
    [call] = fast_api.accepted("refund")
    assert (call.body["amount"], call.body["tax_amount"]) == ("29.35", "1.35")
    assert [(x["line"]["id"]["value"], x["line"]["quantity"]) for x in call.body["order_lines"]] == [
        ("fast-line-belt", "2"),
        ("fast-line-hat", "1"),
    ]


def test_the_same_webhook_twice_makes_one_call_and_two_refunds_in_one_second_make_two(
    client: FlaskClient, queue: EventQueue, woo_shop: WooEventsShop, fast_api: FastStandIn
) -> None:
    order = _order(woo_shop)
    woo_shop.add_refund(order["id"], [(315, 1, "3.00", "0.23")])
    first = woo_shop.orders[order["id"]]
    assert post_woo(client, first).json["new"] == 1
    assert post_woo(client, first).json["new"] == 0  # a redelivery: same refund
    # A second refund in the same second: the same X-WC-Webhook-Delivery-ID, a different event.
    woo_shop.add_refund(order["id"], [(316, 1, "12.00", "0.90")])
    assert post_woo(client, woo_shop.orders[order["id"]]).json["new"] == 1
    queue.work_once()
    refunds = fast_api.accepted("refund")
    assert sorted(c.body["amount"] for c in refunds) == ["12.90", "3.23"]
    assert len(fast_api.calls) == 2


def test_cancel_and_completion(
    client: FlaskClient, queue: EventQueue, woo_shop: WooEventsShop, fast_api: FastStandIn
) -> None:
    post_woo(client, woo_shop.set_status(_order(woo_shop, 601)["id"], "cancelled"))
    post_woo(client, woo_shop.set_status(_order(woo_shop, 602, FAST_ID + "2")["id"], "completed"))
    queue.work_once()
    [cancel] = fast_api.accepted("cancel")
    assert cancel.body == {"order_id": {"value": FAST_ID}, "reason": "CANCEL_REASON_CODE_MERCHANT_INITIATED"}
    [shipped] = fast_api.accepted("business_event")
    assert shipped.body["fulfillment"]["shipment"]["order_lines"] == [
        {"id": {"value": "fast-line-belt"}, "quantity": "2"},
        {"id": {"value": "fast-line-hat"}, "quantity": "1"},
    ]


def test_an_order_that_is_not_fasts_is_ignored(
    client: FlaskClient, queue: EventQueue, woo_shop: WooEventsShop, fast_api: FastStandIn
) -> None:
    order = woo_shop.set_status(_order(woo_shop, 701, fast_id=None)["id"], "cancelled")
    answer = post_woo(client, order)
    assert answer.status_code == 200 and answer.json["events"] == 0
    queue.work_once()
    assert fast_api.calls == [] and queue.records() == []


def test_fast_503_then_200_is_delivered_once_after_its_retry_after(
    client: FlaskClient, queue: EventQueue, woo_shop: WooEventsShop, fast_api: FastStandIn
) -> None:
    fast_api.script(503, {"Retry-After": "30"})
    post_woo(client, woo_shop.set_status(_order(woo_shop)["id"], "cancelled"))
    queue.work_once()
    [record] = queue.records()
    assert record.status == "retrying" and record.next_at - record.updated > 29.9
    queue.work_once(later(5))
    assert len(fast_api.calls) == 1  # Retry-After honoured: not yet
    queue.work_once(later(31))
    assert len(fast_api.accepted("cancel")) == 1 and len(fast_api.calls) == 2
    assert queue.records()[0].status == "delivered"
    queue.work_once(later(120))
    assert len(fast_api.calls) == 2


def test_a_400_is_parked_listed_and_can_be_retried(
    events_app: Flask, client: FlaskClient, queue: EventQueue, woo_shop: WooEventsShop, fast_api: FastStandIn
) -> None:
    fast_api.script(400)
    post_woo(client, woo_shop.set_status(_order(woo_shop)["id"], "cancelled"))
    queue.work_once()
    queue.work_once(later(3600))
    assert len(fast_api.calls) == 1  # never retried on its own
    runner = events_app.test_cli_runner()
    listed = runner.invoke(args=["fast", "events", "list"])
    assert "parked" in listed.output and f"{WOO_APP}/501/cancel" in listed.output
    assert runner.invoke(args=["fast", "events", "retry", f"{WOO_APP}/501/cancel"]).exit_code == 0
    queue.work_once()
    assert len(fast_api.accepted("cancel")) == 1
    assert "no events" in runner.invoke(args=["fast", "events", "list"]).output


def test_reconciliation_delivers_a_refund_no_webhook_brought(
    events_app: Flask, queue: EventQueue, woo_shop: WooEventsShop, fast_api: FastStandIn
) -> None:
    order = _order(woo_shop)
    woo_shop.add_refund(order["id"], [(316, 1, "12.00", "0.90")])
    _order(woo_shop, 502, fast_id=None)  # not Fast's: nothing for it
    result = events_app.test_cli_runner().invoke(args=["fast", "events", "reconcile"])
    assert "1 new event" in result.output
    queue.work_once()
    [call] = fast_api.accepted("refund")
    assert call.body["amount"] == "12.90"
    # A second run finds nothing new.
    assert "0 new event" in events_app.test_cli_runner().invoke(args=["fast", "events", "reconcile"]).output


def test_install_is_idempotent_and_status_warns_when_woocommerce_disabled_the_webhook(
    events_app: Flask, woo_shop: WooEventsShop
) -> None:
    runner = events_app.test_cli_runner()
    args = ["fast", "webhooks", "install", "woo", "--url", "https://proxy.example.com"]
    assert "subscribed (webhook" in runner.invoke(args=args).output
    assert "already subscribed" in runner.invoke(args=args).output
    [hook] = woo_shop.webhooks
    assert hook["topic"] == "order.updated" and hook["secret"] == WOO_SECRET
    assert hook["delivery_url"] == f"https://proxy.example.com/webhooks/woocommerce/{WOO_APP}"
    assert runner.invoke(args=["fast", "webhooks", "status", "woo"]).exit_code == 0
    hook["status"] = "disabled"  # what WooCommerce does after repeated failed deliveries
    status = runner.invoke(args=["fast", "webhooks", "status", "woo"])
    assert status.exit_code == 1 and "WARN" in status.output and "disabled" in status.output
    assert "now active" in runner.invoke(args=args).output
    assert woo_shop.webhooks[0]["status"] == "active" and len(woo_shop.webhooks) == 1


def test_an_unknown_store_or_platform_is_404(client: FlaskClient) -> None:
    assert client.post("/webhooks/woocommerce/nobody", data=b"{}").status_code == 404
    assert client.post(f"/webhooks/shopify/{WOO_APP}", data=b"{}").status_code == 404
