"""Fast's seller API: the calls that tell Fast about refunds, cancellations and shipments.

Every call goes through ``adapters.http.UpstreamClient`` (pooled session,
timeouts, error translation). It makes ONE attempt per delivery: the durable
queue (service/events_queue.py) is the one retry layer, so a retry survives a
restart and waits as long as Fast asks. Each answer is classified here, once:
delivered, retry later (with Fast's ``Retry-After`` when it gave one), or
parked (a 4xx that will never succeed as sent).

Calls carry ``X-Fast-App: <app_id>`` and ``X-Fast-App-Auth: <token>``
(FAST_API_FACTS.md); the token is the store's ``FAST_STORE_<NAME>_FAST_API_TOKEN``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import requests

from adapters.http import UpstreamClient, parse_retry_after
from mappings.fast import events as ev
from service.errors import FastError
from service.logs import log_fields

log = logging.getLogger(__name__)

PRODUCTION_URL = "https://api.fast.co"
SANDBOX_URL = "https://api.sandbox.fast.co"

# Fast answers these when it did not act and may later: try again.
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# A refund whose external_refund_id Fast already holds: the first delivery landed.
ALREADY_DONE_STATUSES = frozenset({409})


@dataclass(frozen=True)
class Outcome:
    """What one attempt to tell Fast came to."""

    result: str  # "delivered", "retry" or "parked"
    status: int | None = None
    reason: str = ""
    wait: float | None = None  # seconds Fast asked us to wait (Retry-After)

    @property
    def delivered(self) -> bool:
        return self.result == "delivered"


class FastApiClient(UpstreamClient):
    """One store's client for Fast's seller API."""

    platform = "fast"

    def __init__(self, base_url: str, app_id: str, token: str, **kwargs: Any) -> None:
        kwargs.setdefault("max_attempts", 1)
        super().__init__(
            base_url,
            headers={"X-Fast-App": app_id, "X-Fast-App-Auth": token, "Content-Type": "application/json"},
            **kwargs,
        )

    def check_transient(self, response: requests.Response) -> None:
        # Every answer is classified by ``send``; retries belong to the queue.
        return None

    def send(self, fast_order_id: str, event: ev.Event) -> Outcome:
        path, body = ev.fast_call(fast_order_id, event)
        return self.post(path, body)

    def post(self, path: str, body: dict[str, Any]) -> Outcome:
        try:
            response = self.request("POST", path, json=body, ok_statuses=tuple(range(300, 600)))
        except FastError as exc:
            # No answer at all (connection refused, timeout): Fast may or may not have acted.
            return Outcome("retry", None, exc.message)
        return classify(response)


def classify(response: requests.Response) -> Outcome:
    status = response.status_code
    if 200 <= status < 300:
        return Outcome("delivered", status)
    reason = _message(response)
    if status in ALREADY_DONE_STATUSES:
        log.info("Fast already holds this event", extra=log_fields(status=status))
        return Outcome("delivered", status, reason)
    if status in RETRY_STATUSES:
        return Outcome("retry", status, reason, parse_retry_after(response.headers.get("Retry-After")))
    if status in (401, 403):
        reason = "Fast refused the store's credentials (check FAST_STORE_<NAME>_FAST_API_TOKEN)"
    return Outcome("parked", status, reason)


def _message(response: requests.Response) -> str:
    """Fast's rpcStatus message, cut short; never the whole body."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    message = body.get("message") if isinstance(body, dict) else None
    text = f"HTTP {response.status_code}" + (f": {message}" if isinstance(message, str) and message else "")
    return text[:300]
