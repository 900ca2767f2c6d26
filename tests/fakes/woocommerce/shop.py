"""The fake shop itself: its settings, how it is set up, and how requests reach it (responses, WSGI)."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from tests.fakes.woocommerce.cart import CartSchemaMixin
from tests.fakes.woocommerce.cart_items import CartItemsMixin
from tests.fakes.woocommerce.catalogue import (
    CRITICAL_ERROR,
    JSON,
    REST,
    STORE,
    Answer,
    Coupon,
    CriticalError,
    Fault,
    Method,
    Product,
    Session,
    TaxRate,
    WooError,
    Zone,
    lower_headers,
)
from tests.fakes.woocommerce.checkout import CheckoutMixin
from tests.fakes.woocommerce.pricing import PricingMixin
from tests.fakes.woocommerce.rest import RestMixin
from tests.fakes.woocommerce.store_api import StoreApiMixin


class FakeWooCommerce(StoreApiMixin, CartItemsMixin, CheckoutMixin, RestMixin, CartSchemaMixin, PricingMixin):
    def __init__(
        self,
        base_url: str = "https://shop.example",
        *,
        currency: str = "USD",
        minor_unit: int = 2,
        consumer_key: str = "ck_fake_key_0123456789",
        consumer_secret: str = "cs_fake_secret_0123456789",
        app_user: str | None = "fast-bot",
        app_password: str | None = "abcd efgh ijkl mnop qrst uvwx",
        local_environment: bool = False,
        clock: Callable[[], float] = time.time,
        gateways: Iterable[str] = ("cheque", "bacs", "cod"),
        default_location: tuple[str, str] | None = None,
        split_packages: bool = False,
        checks_expected_total: bool = False,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.currency = currency
        self.minor_unit = minor_unit
        self.exponent = Decimal(1).scaleb(-minor_unit)
        self.consumer_key, self.consumer_secret = consumer_key, consumer_secret
        self.app_user, self.app_password = app_user, app_password
        self.local_environment = local_environment
        self.clock = clock
        self.gateways = set(gateways)
        self.default_location = default_location  # (country, state) of WooCommerce's default customer location
        self.split_packages = split_packages  # one shipping package per shipping class (see PricingMixin._split)
        self.checks_expected_total = checks_expected_total  # WooCommerce 11.1+'s place-order total check
        self.secret = "@" + uuid.uuid4().hex  # the shop's wp_salt: the service never sees it
        self.products: dict[int, Product] = {}
        self.coupons: dict[str, Coupon] = {}
        self.zones: list[Zone] = []
        self.rest_of_world: list[Method] = []
        self.tax_rates: list[TaxRate] = []
        self.sessions: dict[str, Session] = {}
        self.orders: dict[int, JSON] = {}
        self.next_order_id = 100
        self.next_item_id = 1000
        self.calls: list[tuple[str, str]] = []
        self.faults: list[Fault] = []

    # --- set-up helpers ------------------------------------------------------------

    def add_simple(self, product_id: int, name: str, price: str, **kwargs: Any) -> Product:
        regular = kwargs.pop("regular_price", None)
        product = Product(
            product_id,
            name,
            Decimal(price),
            regular_price=Decimal(regular) if regular else None,
            sku=kwargs.pop("sku", f"SKU-{product_id}"),
            **kwargs,
        )
        self.products[product_id] = product
        return product

    def add_variable(self, product_id: int, name: str, labels: dict[str, str], **kwargs: Any) -> Product:
        product = Product(product_id, name, Decimal("0"), type="variable", attributes=dict(labels), **kwargs)
        self.products[product_id] = product
        return product

    def add_variation(
        self, variation_id: int, parent_id: int, price: str, attributes: dict[str, str], **kw: Any
    ) -> Product:
        parent = self.products[parent_id]
        product = Product(
            variation_id,
            parent.name,
            Decimal(price),
            sku=kw.pop("sku", f"SKU-{variation_id}"),
            type="variation",
            parent_id=parent_id,
            attributes=dict(attributes),
            **{"image": parent.image, **kw},
        )
        self.products[variation_id] = product
        return product

    def add_coupon(self, code: str, discount_type: str, amount: str, **kwargs: Any) -> Coupon:
        if kwargs.get("minimum_amount") is not None:
            kwargs["minimum_amount"] = Decimal(kwargs["minimum_amount"])
        coupon = Coupon(code, discount_type, Decimal(amount), **kwargs)
        self.coupons[code.lower()] = coupon  # codes are looked up whatever their case (wc_format_coupon_code)
        return coupon

    def add_zone(self, zone_id: int, name: str, locations: list[tuple[str, str]], methods: list[Method]) -> Zone:
        zone = Zone(zone_id, name, locations, methods, order=len(self.zones))
        self.zones.append(zone)
        return zone

    def add_tax(self, country: str, state: str, rate: str, name: str = "Tax", shipping: bool = True) -> None:
        self.tax_rates.append(TaxRate(country, state, Decimal(rate), name, shipping, id=len(self.tax_rates) + 1))

    def fail(
        self,
        path: str | None = None,
        *,
        method: str | None = None,
        kind: str = "status",
        status: int = 503,
        after: bool = False,
        times: int = 1,
        retry_after: str | None = None,
        body_match: Callable[[Any], bool] | None = None,
    ) -> Fault:
        fault = Fault(method, path, kind, status, after, times, retry_after, body_match)
        self.faults.append(fault)
        return fault

    def expire_session(self, session_id: str) -> None:
        """WooCommerce's cleanup dropped this session (the token itself stays valid)."""
        self.sessions.pop(session_id, None)

    def session_of(self, token: str) -> Session | None:
        from tests.fakes.woocommerce.store_api import unverified_user_id

        return self.sessions.get(unverified_user_id(token) or "")

    def stock(self, product_id: int) -> int | None:
        return self.products[product_id].stock

    def count(self, method: str | None = None, path: str = "") -> int:
        return sum(1 for m, p in self.calls if (method is None or m == method) and path in p)

    # --- transport -----------------------------------------------------------------------

    def install(self, rsps: Any) -> None:
        """Register with a ``responses.RequestsMock``."""
        pattern = re.compile("^" + re.escape(self.base_url) + r"/wp-json/.*")
        for method in ("GET", "POST", "PUT", "DELETE"):
            rsps.add_callback(method, pattern, callback=self._callback)

    def _callback(self, request: requests.PreparedRequest) -> Any:
        body = request.body
        if isinstance(body, bytes):
            body = body.decode()
        return self.handle(request.method or "GET", request.url or "", dict(request.headers), body)

    def wsgi(self, environ: JSON, start_response: Callable[..., Any]) -> list[bytes]:
        """The same shop behind a real HTTP server."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length).decode() if length else None
        headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        url = (
            self.base_url
            + environ.get("PATH_INFO", "")
            + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else "")
        )
        answer = self.handle(environ["REQUEST_METHOD"], url, headers, raw)
        if isinstance(answer, Exception):
            start_response("504 Gateway Timeout", [("Content-Type", "text/plain")])
            return [b"timeout"]
        status, out_headers, out_body = answer
        start_response(f"{status} X", list(out_headers.items()))
        return [out_body.encode() if isinstance(out_body, str) else out_body]

    def handle(self, method: str, url: str, headers: dict[str, str], raw: str | None) -> Any:
        parts = urlsplit(url)
        path = parts.path.split("/wp-json", 1)[-1]
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        body = json.loads(raw) if raw else None
        self.calls.append((method, path))
        fault = next((f for f in self.faults if f.matches(method, path, body)), None)
        if fault is not None:
            fault.times -= 1
            if not fault.after:
                return self._fault_answer(fault)
        status, out_headers, payload = self._dispatch(method, path, query, lower_headers(headers), body)
        if fault is not None:
            return self._fault_answer(fault)
        http_headers = {"Content-Type": "application/json; charset=UTF-8"}
        http_headers.update({k: str(v) for k, v in out_headers.items()})
        return status, http_headers, json.dumps(payload)

    def _fault_answer(self, fault: Fault) -> Any:
        if fault.kind == "timeout":
            return requests.exceptions.ReadTimeout("fake: the shop did not answer in time")
        if fault.kind == "connect":
            return requests.exceptions.ConnectTimeout("fake: the shop could not be reached")
        if fault.kind == "garbage":
            return 200, {"Content-Type": "text/html"}, "<html><body>Database error</body></html>"
        if fault.kind == "shape":
            return 200, {"Content-Type": "application/json"}, json.dumps({"unexpected": True})
        headers = {"Content-Type": "application/json"}
        if fault.retry_after:
            headers["Retry-After"] = fault.retry_after
        body = {"code": "fake_fault", "message": "Injected fault.", "data": {"status": fault.status}}
        return fault.status, headers, json.dumps(body)

    def _dispatch(self, method: str, path: str, query: JSON, headers: dict[str, str], body: Any) -> Answer:
        try:
            if path.startswith(STORE + "/"):
                return self._store(method, path[len(STORE) + 1 :], query, headers, body)
            if path.startswith(REST + "/"):
                self._authenticate(headers)
                return self._rest(method, path[len(REST) + 1 :], query, body)
            raise WooError(404, "rest_no_route", "No route was found matching the URL and request method.")
        except WooError as error:
            return error.status, {}, error.body()
        except CriticalError:
            return 500, {}, CRITICAL_ERROR
