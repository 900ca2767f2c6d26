"""The upstream choke point: timeouts, retries, Retry-After, the call deadline, error translation."""

from __future__ import annotations

import email.utils
import http.server
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses

from adapters.http import RetryPolicy, Transient, UpstreamClient, backoff, parse_retry_after
from service import deadline
from service.config import TIMEOUTS
from service.errors import UpstreamRejected, UpstreamUnavailable

BASE = "https://shop.test"


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(sleeps: Sleeps) -> UpstreamClient:
    return UpstreamClient(BASE, rng=lambda: 0.5, sleep=sleeps, max_attempts=4)


@responses.activate
def test_transient_statuses_are_retried_then_succeed(client: UpstreamClient, sleeps: Sleeps) -> None:
    responses.get(f"{BASE}/cart", status=503)
    responses.get(f"{BASE}/cart", status=502)
    responses.get(f"{BASE}/cart", json={"ok": True})
    assert client.json(client.request("GET", "/cart")) == {"ok": True}
    assert client.calls == 3
    # Full jitter with rng=0.5: half of 0.1 * 2**(attempt-1).
    assert sleeps == [0.05, 0.1]


@responses.activate
def test_retry_after_seconds_is_waited_out(client: UpstreamClient, sleeps: Sleeps) -> None:
    responses.post(f"{BASE}/cart/add-item", status=429, headers={"Retry-After": "2"})
    responses.post(f"{BASE}/cart/add-item", json={"items": []})
    client.request("POST", "/cart/add-item", json={})
    assert sleeps == [2.0]
    assert client.calls == 2


def test_retry_after_http_date() -> None:
    now = time.time()
    date = email.utils.formatdate(now + 3, usegmt=True)
    assert 1.9 <= (parse_retry_after(date, now=now) or 0) <= 3.0
    assert parse_retry_after("not a date") is None
    assert parse_retry_after(None) is None


def test_backoff_is_exponential_and_capped() -> None:
    assert [backoff(n, rng=lambda: 1.0) for n in (1, 2, 3, 4, 5, 6, 7)] == [0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0]


@responses.activate
def test_a_non_idempotent_write_is_not_resent_after_a_gateway_error(client: UpstreamClient) -> None:
    responses.post(f"{BASE}/checkout", status=502)
    with pytest.raises(UpstreamUnavailable):
        client.request("POST", "/checkout", json={})
    assert client.calls == 1


@responses.activate
def test_an_idempotent_write_is_resent(client: UpstreamClient) -> None:
    responses.post(f"{BASE}/batch", status=504)
    responses.post(f"{BASE}/batch", json={"responses": []})
    client.request("POST", "/batch", json={}, idempotent=True)
    assert client.calls == 2


@responses.activate
def test_gives_up_after_max_attempts_with_503_and_retry_after(client: UpstreamClient) -> None:
    responses.get(f"{BASE}/cart", status=503)
    with pytest.raises(UpstreamUnavailable) as caught:
        client.request("GET", "/cart")
    assert client.calls == 4
    assert caught.value.retry_after
    assert caught.value.http_status == 503


@responses.activate
def test_a_retry_after_longer_than_the_budget_is_not_waited(client: UpstreamClient, sleeps: Sleeps) -> None:
    responses.get(f"{BASE}/cart", status=429, headers={"Retry-After": "8"})
    with deadline.budget(2.0), pytest.raises(UpstreamUnavailable) as caught:
        client.request("GET", "/cart")
    assert sleeps == []
    assert client.calls == 1
    assert caught.value.retry_after == 9


@responses.activate
def test_client_errors_are_not_retried_and_become_422(client: UpstreamClient) -> None:
    responses.post(f"{BASE}/cart/add-item", status=400, json={"code": "bad"})
    with pytest.raises(UpstreamRejected):
        client.request("POST", "/cart/add-item", json={})
    assert client.calls == 1


@responses.activate
def test_auth_failures_upstream_are_503_and_logged_loudly(client: UpstreamClient, caplog: Any) -> None:
    responses.get(f"{BASE}/orders/1", status=401, json={"code": "woocommerce_rest_cannot_view"})
    with caplog.at_level(logging.ERROR), pytest.raises(UpstreamUnavailable):
        client.request("GET", "/orders/1")
    assert any(r.levelno == logging.ERROR and "credentials" in r.getMessage() for r in caplog.records)


@responses.activate
def test_garbage_is_503(client: UpstreamClient) -> None:
    responses.get(f"{BASE}/cart", body="<html>Maintenance</html>", content_type="text/html")
    response = client.request("GET", "/cart")
    with pytest.raises(UpstreamUnavailable, match="not JSON"):
        client.json(response)


@responses.activate
def test_request_id_is_forwarded_and_cookies_never_kept(client: UpstreamClient) -> None:
    from service.logs import request_id_var

    responses.get(f"{BASE}/cart", json={}, headers={"Set-Cookie": "woocommerce_session=abc; Path=/"})
    responses.get(f"{BASE}/cart", json={})
    token = request_id_var.set("req-123")
    try:
        client.request("GET", "/cart")
        client.request("GET", "/cart")
    finally:
        request_id_var.reset(token)
    assert responses.calls[0].request.headers["X-Request-ID"] == "req-123"
    assert "Cookie" not in responses.calls[1].request.headers
    assert len(client.session.cookies) == 0


def test_connection_refused_is_retried_then_503() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sleeps = Sleeps()
    client = UpstreamClient(f"http://127.0.0.1:{port}", rng=lambda: 0.0, sleep=sleeps, max_attempts=3)
    with pytest.raises(UpstreamUnavailable, match="connection failed"):
        client.request("POST", "/checkout", json={})
    # Refused connections never reached the shop, so even a write is retried.
    assert client.calls == 3


class _Hang(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        time.sleep(5)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hanging_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hang)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_hanging_shop_hits_the_deadline_and_answers_503_in_time(hanging_server: str) -> None:
    client = UpstreamClient(hanging_server, read_timeout=10.0)
    started = time.monotonic()
    with deadline.budget(1.0), pytest.raises(UpstreamUnavailable):
        client.request("GET", "/cart")
    elapsed = time.monotonic() - started
    # The shop hangs for 5 s and the read timeout is 10 s: only the deadline ends the call this soon
    # (the margin is for a loaded machine; the benchmark, not this test, measures how soon).
    assert elapsed < 2.5, elapsed


def test_a_hang_through_the_app_answers_503_within_the_deadline(hanging_server: str, tmp_path: Any) -> None:
    """End to end: a Fast call whose shop hangs gets a clean 503 with Retry-After before its deadline."""
    from app import create_app
    from service import auth as fast_auth
    from service.config import Settings, StoreConfig
    from service.errors import FastError

    class HangingAdapter:
        def __init__(self) -> None:
            self.client = UpstreamClient(hanging_server)

        def read(self, ref: Any) -> Any:
            self.client.request("GET", "/cart")
            raise AssertionError("unreachable")

    settings = Settings(state_path=str(tmp_path / "s.sqlite3"), call_deadline=1.0)
    store = StoreConfig("hang", "hang", "sandbox")
    app = create_app(settings, stores={"hang": store})
    app.extensions["fast.service"]._adapters["hang"] = HangingAdapter()
    started = time.monotonic()
    response = app.test_client().post(
        "/fast/v1/read",
        json={"app_id": "hang", "order": {"external_order_id": "c1"}},
        headers=fast_auth.sandbox_headers("hang"),
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.get_json()["code"] == 14
    assert elapsed < 2.5, elapsed  # the shop hangs 5 s: only the 1 s deadline answers this soon
    assert issubclass(UpstreamUnavailable, FastError)


def test_no_urllib3_retries_underneath(client: UpstreamClient) -> None:
    adapter = client.session.get_adapter(BASE)
    assert isinstance(adapter, requests.adapters.HTTPAdapter)
    assert adapter.max_retries.total == 0


# --- the retry policy, rule by rule -------------------------------------------------------


def test_the_policy_waits_what_the_shop_asks_else_backs_off_with_the_given_jitter() -> None:
    policy = RetryPolicy(rng=lambda: 0.5)
    assert policy.sleep_time(Transient("HTTP 429", wait=3.0), attempt=1) == 3.0
    assert [policy.sleep_time(Transient("HTTP 503"), attempt=n) for n in (1, 2, 3)] == [0.05, 0.1, 0.2]


def test_the_policy_resends_a_write_only_when_the_shop_did_not_act() -> None:
    policy = RetryPolicy()
    assert policy.should_retry(Transient("HTTP 429", sent=False), 1, idempotent=False)
    assert not policy.should_retry(Transient("HTTP 502"), 1, idempotent=False)
    assert policy.should_retry(Transient("HTTP 502"), 1, idempotent=True)
    assert not policy.should_retry(Transient("HTTP 502"), 4, idempotent=True)  # max_attempts reached
    assert not policy.should_retry(ValueError("not ours"), 1, idempotent=True)


def test_a_wait_must_fit_in_what_is_left_of_the_call() -> None:
    policy = RetryPolicy(max_single_wait=10.0, deadline_margin=0.25)
    with deadline.budget(2.0):
        assert policy.fits_in_budget(1.0)
        assert not policy.fits_in_budget(1.9)  # no time left to run the retry
    with deadline.budget(60.0):
        assert not policy.fits_in_budget(11.0)  # never one wait over max_single_wait
    with deadline.budget(1.0):
        connect, read = policy.timeouts(3.05, 10.0)
        assert connect <= 0.75 and read <= 0.75
    with deadline.budget(0.1), pytest.raises(UpstreamUnavailable):
        policy.timeouts(3.05, 10.0)


def test_the_client_uses_the_settings_timeouts_by_default() -> None:
    client = UpstreamClient(BASE)
    assert (client.connect_timeout, client.read_timeout) == (TIMEOUTS.upstream_connect, TIMEOUTS.upstream_read)
    assert client.retry.max_attempts == TIMEOUTS.upstream_max_attempts


@responses.activate
def test_a_redirect_is_still_followed(client: UpstreamClient) -> None:
    responses.get(f"{BASE}/cart", status=301, headers={"Location": f"{BASE}/wp-json/cart"})
    responses.get(f"{BASE}/wp-json/cart", json={"ok": True})
    assert client.json(client.request("GET", "/cart")) == {"ok": True}


def test_a_header_with_a_line_break_is_refused_before_sending(client: UpstreamClient) -> None:
    with pytest.raises(requests.exceptions.InvalidHeader):
        client.request("GET", "/cart", headers={"Cart-Token": "x\r\nX-Evil: 1"})
