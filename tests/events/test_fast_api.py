"""The Fast seller API client: headers, and how each answer is classified."""

from __future__ import annotations

from decimal import Decimal

import requests
import responses

from mappings.fast import events as ev
from service.fast_api import FastApiClient

BASE = "https://api.sandbox.fast.co"
ORDER = "f-order-1"
EVENT = ev.Event("app-1", "shopify", ev.CANCEL, "cancel", "9", ORDER, ev.Cancel())
URL = f"{BASE}/v1/external/orders/{ORDER}"


def _client() -> FastApiClient:
    return FastApiClient(BASE, "app-1", "tok-secret")


@responses.activate
def test_a_delivered_call_carries_the_app_headers() -> None:
    responses.post(URL, json={})
    outcome = _client().send(ORDER, EVENT)
    assert outcome.delivered
    sent = responses.calls[0].request
    assert sent.headers["X-Fast-App"] == "app-1"
    assert sent.headers["X-Fast-App-Auth"] == "tok-secret"


@responses.activate
def test_503_with_retry_after_is_retried_later_after_one_attempt() -> None:
    responses.post(URL, status=503, headers={"Retry-After": "7"}, json={"code": 14, "message": "down"})
    outcome = _client().send(ORDER, EVENT)
    assert (outcome.result, outcome.status, outcome.wait) == ("retry", 503, 7)
    assert len(responses.calls) == 1  # the queue retries, durably; not this process


@responses.activate
def test_400_is_parked_with_fasts_message() -> None:
    responses.post(URL, status=400, json={"code": 3, "message": "order is not cancellable"})
    outcome = _client().send(ORDER, EVENT)
    assert outcome.result == "parked"
    assert "not cancellable" in outcome.reason


@responses.activate
def test_401_is_parked_naming_the_token_setting_not_the_token() -> None:
    responses.post(URL, status=401, json={"code": 16, "message": "bad token"})
    outcome = _client().send(ORDER, EVENT)
    assert outcome.result == "parked" and "FAST_API_TOKEN" in outcome.reason
    assert "tok-secret" not in outcome.reason


@responses.activate
def test_409_on_a_refund_means_fast_already_has_it() -> None:
    refund = ev.Event("app-1", "shopify", ev.REFUND, "refund:1", "9", ORDER, ev.Refund("1", Decimal("1.00")))
    responses.post(f"{URL}/refund", status=409, json={"code": 6, "message": "exists"})
    assert _client().send(ORDER, refund).delivered


@responses.activate
def test_no_answer_is_retried_later() -> None:
    responses.post(URL, body=requests.ConnectionError("refused"))
    assert _client().send(ORDER, EVENT).result == "retry"
