"""The only module that talks to the WooCommerce shop: the client, the API paths, the error bodies, the batch.

Carts live in the Store API (``/wp-json/wc/store/v1``), addressed by their
``Cart-Token`` header, never by cookies; orders and configuration live in the
REST API v3 (``/wp-json/wc/v3``), authenticated with the store's REST key or
application password.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import requests

from adapters.http import UpstreamClient
from adapters.woocommerce.cart_token import CartRef, parse_cart_token
from mappings import woocommerce as wc
from service.errors import FastError, OrderNotFound, ShapeError, UpstreamRejected, UpstreamUnavailable
from service.logs import log_fields

log = logging.getLogger(__name__)

STORE_API = "/wc/store/v1"
REST_API = wc.REST_API  # "/wc/v3"


@dataclass
class WooError:
    code: str
    message: str
    status: int
    data: dict[str, Any]


def woo_error(body: Any, status: int) -> WooError:
    """A WooCommerce ``{code, message, data: {status}}`` error, tolerant of other shapes."""
    if isinstance(body, Mapping):
        data = body.get("data") if isinstance(body.get("data"), Mapping) else {}
        code = str(body.get("code") or f"http_{status}")
        message = wc.clean_text(body.get("message")) or f"HTTP {status}"
        inner = data.get("status") if isinstance(data, Mapping) else None
        return WooError(code, message, int(inner) if isinstance(inner, int) else status, dict(data or {}))
    return WooError(f"http_{status}", f"HTTP {status}", status, {})


def json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class WooClient(UpstreamClient):
    """The one place a WooCommerce request is made: WooCommerce's error bodies taught to the base client."""

    platform = "woocommerce"

    def translate(self, response: requests.Response) -> FastError:
        error = woo_error(json_or_none(response), response.status_code)
        if response.status_code in (401, 403):
            log.error(
                "WooCommerce refused the service's credentials: check this store's REST key or application password",
                extra=log_fields(
                    platform=self.platform,
                    status=response.status_code,
                    code=error.code,
                    path=response.request.path_url.split("?", 1)[0] if response.request else None,
                ),
            )
            return UpstreamUnavailable("the shop refused the service's credentials")
        if 400 <= response.status_code < 500:
            return UpstreamRejected(error.message)
        return UpstreamUnavailable(f"the shop answered HTTP {response.status_code}")


class SubKind(StrEnum):
    """What a Store API request inside a batch is for."""

    ADD = "add"  # a new Fast line
    READD = "readd"  # an undo putting back an item a refused batch removed
    SET = "set"  # a new quantity for a cart item
    REMOVE = "remove"
    CUSTOMER = "customer"  # addresses
    RATE = "rate"  # a shipping rate
    COUPON = "coupon"
    UNCOUPON = "uncoupon"
    READ = "read"  # a write that changes nothing and answers the cart


@dataclass
class Sub:
    """One Store API request inside a batch, and what it is for."""

    path: str
    body: dict[str, Any]
    kind: SubKind
    method: str = "POST"
    line_id: str | None = None
    add: wc.AddItem | None = None
    key: str | None = None
    segments: tuple[str, ...] = ()


@dataclass
class SubResult:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def error(self) -> WooError:
        return woo_error(self.body, self.status)

    def cart(self) -> dict[str, Any] | None:
        if self.ok and isinstance(self.body, dict) and isinstance(self.body.get("items"), list):
            return self.body
        if self.status == 409 and isinstance(self.body, dict):
            data = self.body.get("data")
            if isinstance(data, dict) and isinstance(data.get("cart"), dict):
                return data["cart"]
        return None

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return str(value)
        return None


class WooApi:
    """One small method per remote operation, for one store."""

    def __init__(self, client: WooClient, api_root: str, auth: tuple[str, str] | None, auth_problem: str) -> None:
        self.client = client
        self.api_root = api_root
        self.auth = auth
        self.auth_problem = auth_problem

    def close(self) -> None:
        self.client.session.close()

    def store_path(self, path: str) -> str:
        return f"{self.api_root}{STORE_API}/{path}"

    def rest_path(self, path: str) -> str:
        return f"{self.api_root}{REST_API}/{path}"

    # --- Store API ------------------------------------------------------------------

    def get_cart(self, cart: CartRef) -> tuple[dict[str, Any], str | None]:
        """The cart and the nonce the shop handed out with it."""
        response = self.client.request(
            "GET", self.store_path("cart"), headers={"Cart-Token": cart.token}, ok_statuses=(401, 403)
        )
        if response.status_code in (401, 403):
            self.token_refused(json_or_none(response), response.status_code, response)
        body = self.client.json(response)
        same_session(cart, response.headers.get("Cart-Token"))
        if not isinstance(body, dict):
            raise ShapeError("the shop's cart is not a JSON object")
        wc.cart_items(body)
        return body, response.headers.get("Nonce")

    def new_cart(self) -> CartRef:
        """A token for a new, empty cart: the shop hands one out with any cart answer."""
        response = self.client.request("GET", self.store_path("cart"))
        self.client.json(response)
        cart = parse_cart_token(response.headers.get("Cart-Token") or "")
        if cart is None:
            raise ShapeError("the shop did not hand out a Cart-Token (is the Store API enabled?)")
        return cart

    def token_refused(self, body: Any, status: int, response: requests.Response | None = None) -> None:
        error = woo_error(body, status)
        if "nonce" in error.code:
            raise OrderNotFound("the shop no longer accepts this cart's token")
        if response is not None:
            raise self.client.translate(response)
        log.error(
            "WooCommerce refused a cart request for another reason than its token:"
            " a security plugin or firewall may block the Store API",
            extra=log_fields(platform="woocommerce", status=status, code=error.code),
        )
        raise UpstreamUnavailable("the shop refused the request")

    def batch(self, cart: CartRef, subs: list[Sub]) -> list[SubResult]:
        """One round trip: every sub-request, in order, for this cart."""
        payload = {
            "requests": [
                {
                    "method": sub.method,
                    "path": f"{STORE_API}/{sub.path}",
                    "body": sub.body,
                    "headers": {"Cart-Token": cart.token},
                }
                for sub in subs
            ]
        }
        # Resending is safe unless a sub-request adds to a quantity.
        idempotent = not any(sub.kind in (SubKind.ADD, SubKind.READD) for sub in subs)
        # The token goes on the outer request too: WooCommerce's SessionHandler reads the session from the
        # outer HTTP request while Authentication validates each sub-request's header; without the outer
        # one a real 9.9 shop dies with a 500 (recordings/batch-without-outer-cart-token.jsonl).
        response = self.client.request(
            "POST",
            self.store_path("batch"),
            headers={"Cart-Token": cart.token},
            json=payload,
            idempotent=idempotent,
        )
        data = self.client.json(response)
        answers = data.get("responses") if isinstance(data, dict) else None
        if not isinstance(answers, list) or len(answers) != len(subs):
            raise ShapeError("the shop's batch answer does not match the batch it was sent")
        return [self._sub_result(cart, answer) for answer in answers]

    def _sub_result(self, cart: CartRef, answer: Any) -> SubResult:
        if not isinstance(answer, dict) or not isinstance(answer.get("status"), int):
            raise ShapeError("the shop's batch answer holds a malformed response")
        headers = answer.get("headers") if isinstance(answer.get("headers"), dict) else {}
        result = SubResult(answer["status"], answer.get("body"), headers)
        if result.status in (401, 403):
            self.token_refused(result.body, result.status)
        if result.status >= 500:
            raise UpstreamUnavailable(f"the shop failed a cart change ({result.error.message})")
        same_session(cart, result.header("Cart-Token"))
        return result

    def delete_items(self, cart: CartRef, ok_statuses: tuple[int, ...]) -> requests.Response:
        """Empty the cart (``DELETE /cart/items``)."""
        return self.client.request(
            "DELETE", self.store_path("cart/items"), headers={"Cart-Token": cart.token}, ok_statuses=ok_statuses
        )

    def checkout(self, cart: CartRef, nonce: str, payload: dict[str, Any]) -> requests.Response:
        """Place the cart's order: never resent (it is not idempotent); the caller reads every answer."""
        return self.client.request(
            "POST",
            self.store_path("checkout"),
            headers={"Cart-Token": cart.token, "Nonce": nonce},
            json=payload,
            idempotent=False,
            ok_statuses=(400, 401, 402, 403, 404, 409, 422),
        )

    # --- REST v3 ----------------------------------------------------------------------

    def rest(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        if self.auth is None:
            log.error(
                "WooCommerce REST call not made", extra=log_fields(platform="woocommerce", reason=self.auth_problem)
            )
            raise UpstreamUnavailable(self.auth_problem)
        return self.client.request(method, self.rest_path(path), auth=self.auth, **kwargs)

    def get_order(self, order_id: int) -> dict[str, Any]:
        return self._order_answer(order_id, self.rest("GET", f"orders/{order_id}", ok_statuses=(404,)))

    def put_order(self, order_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        return self._order_answer(order_id, self.rest("PUT", f"orders/{order_id}", json=changes, ok_statuses=(404,)))

    def _order_answer(self, order_id: int, response: requests.Response) -> dict[str, Any]:
        body = self.client.json(response)
        if response.status_code == 404:
            raise OrderNotFound(f"WooCommerce order {order_id} not found")
        if not isinstance(body, dict):
            raise ShapeError("the shop's order is not a JSON object")
        return body

    def search_orders(self, params: dict[str, Any]) -> Any:
        return self.client.json(self.rest("GET", "orders", params=params))

    def zones(self) -> Any:
        return self.client.json(self.rest("GET", "shipping/zones"))

    def zone_methods(self, zone_id: int) -> Any:
        return self.client.json(self.rest("GET", f"shipping/zones/{zone_id}/methods"))

    def zone_locations(self, zone_id: int) -> Any:
        return self.client.json(self.rest("GET", f"shipping/zones/{zone_id}/locations"))

    def countries(self) -> Any:
        return self.client.json(self.rest("GET", "data/countries"))

    def continents(self) -> Any:
        return self.client.json(self.rest("GET", "data/continents"))


def same_session(cart: CartRef, token: str | None) -> None:
    """The shop answers an unknown token with a brand new cart: that is a cart we no longer have."""
    if not token:
        return
    answered = parse_cart_token(token)
    if answered is not None and answered.session != cart.session:
        raise OrderNotFound("the shop no longer recognises this cart's token")
