"""A small, stateful WooCommerce in process: the parts of the Store API and REST v3 the adapter uses.

It answers in the documented shapes (Store API money as minor-unit strings
with ``currency_minor_unit``; REST v3 money as decimal strings) and keeps
state like a shop: carts keyed by the session inside a ``Cart-Token`` JWT,
stock, coupons, shipping zones and rates, taxes, checkout, orders.

Use it with ``responses``::

    shop = FakeWooCommerce()
    shop.add_simple(22, "Belt", "55.00", stock=3)
    with responses.RequestsMock() as rsps:
        shop.install(rsps)
        ...

or as a WSGI app (``shop.wsgi``) behind a real HTTP server. ``shop.fail(...)``
injects faults (HTTP errors, timeouts, garbage, lost answers) at any request,
for the fault-injection suite; ``shop.calls`` counts round trips.

Deliberate simplifications, none of which changes a shape: tax is one
percentage per (country, state) rounded half-up per line; one shipping
package per cart; prices exclude tax.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import requests

JSON = dict[str, Any]
Answer = tuple[int, dict[str, str], Any]

STORE = "/wc/store/v1"
REST = "/wc/v3"
SESSION_TTL = 2 * 24 * 3600
CONTINENTS = {
    "EU": ["AT", "BE", "DE", "DK", "ES", "FR", "IE", "IT", "NL", "PT", "SE"],
    "NA": ["CA", "MX", "US"],
}
COUNTRIES = ["AT", "BE", "CA", "DE", "DK", "ES", "FR", "GB", "IE", "IT", "MX", "NL", "PT", "SE", "US"]
GATEWAYS = {"bacs": "Direct bank transfer", "cheque": "Check payments", "cod": "Cash on delivery"}
ORDER_STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "trash")
STOCK_HELD = ("on-hold", "processing", "completed")


class WooError(Exception):
    def __init__(self, status: int, code: str, message: str, **data: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.data = status, code, message, data

    def body(self) -> JSON:
        return {"code": self.code, "message": self.message, "data": {"status": self.status, **self.data}}


# --- the catalogue --------------------------------------------------------------------


@dataclass
class Product:
    id: int
    name: str
    price: Decimal
    sku: str = ""
    type: str = "simple"  # simple | variable | variation
    parent_id: int = 0
    regular_price: Decimal | None = None
    # variation: attribute name -> value ("pa_color" -> "black", "size" -> "M"); variable: name -> label
    attributes: dict[str, str] = field(default_factory=dict)
    stock: int | None = None
    virtual: bool = False
    purchasable: bool = True
    description: str = ""


@dataclass
class Coupon:
    code: str
    discount_type: str  # percent | fixed_cart | fixed_product
    amount: Decimal
    free_shipping: bool = False
    minimum_amount: Decimal | None = None
    expires: float | None = None
    usage_limit: int | None = None
    usage_count: int = 0
    individual_use: bool = False


@dataclass
class Method:
    instance_id: int
    method_id: str  # flat_rate | free_shipping | local_pickup
    title: str
    cost: Decimal = Decimal("0")
    enabled: bool = True
    requires: str = ""  # free_shipping: "" | coupon | min_amount | either
    min_amount: Decimal = Decimal("0")
    taxable: bool = True


@dataclass
class Zone:
    id: int
    name: str
    locations: list[tuple[str, str]]  # (code, type): ("US", "country"), ("US:CA", "state"), ("EU", "continent")
    methods: list[Method]
    order: int = 0


@dataclass
class TaxRate:
    country: str
    state: str  # "" = every state
    rate: Decimal  # percent
    name: str = "Tax"
    shipping: bool = True


# --- a session (cart) -------------------------------------------------------------------


@dataclass
class Session:
    id: str
    items: dict[str, JSON] = field(default_factory=dict)
    coupons: list[str] = field(default_factory=list)
    billing: JSON = field(default_factory=dict)
    shipping: JSON = field(default_factory=dict)
    chosen: dict[str, str] = field(default_factory=dict)
    method_counts: dict[str, int] = field(default_factory=dict)


BILLING_KEYS = (
    "first_name",
    "last_name",
    "company",
    "address_1",
    "address_2",
    "city",
    "state",
    "postcode",
    "country",
    "email",
    "phone",
)
SHIPPING_KEYS = tuple(k for k in BILLING_KEYS if k != "email")


@dataclass
class Fault:
    """Make matching requests fail. ``after``: the shop acts, then the answer is lost."""

    method: str | None
    path: str | None
    kind: str  # status | timeout | connect | garbage | shape
    status: int = 503
    after: bool = False
    times: int = 1
    retry_after: str | None = None
    body_match: Callable[[Any], bool] | None = None

    def matches(self, method: str, path: str, body: Any) -> bool:
        if self.times <= 0:
            return False
        if self.method and self.method != method:
            return False
        if self.path and not re.search(self.path, path):
            return False
        return self.body_match is None or self.body_match(body)


class FakeWooCommerce:
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

    def add_variable(self, product_id: int, name: str, labels: dict[str, str]) -> Product:
        product = Product(product_id, name, Decimal("0"), type="variable", attributes=dict(labels))
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
            **kw,
        )
        self.products[variation_id] = product
        return product

    def add_coupon(self, code: str, discount_type: str, amount: str, **kwargs: Any) -> Coupon:
        if "minimum_amount" in kwargs and kwargs["minimum_amount"] is not None:
            kwargs["minimum_amount"] = Decimal(kwargs["minimum_amount"])
        coupon = Coupon(code.lower(), discount_type, Decimal(amount), **kwargs)
        self.coupons[coupon.code] = coupon
        return coupon

    def add_zone(self, zone_id: int, name: str, locations: list[tuple[str, str]], methods: list[Method]) -> Zone:
        zone = Zone(zone_id, name, locations, methods, order=len(self.zones))
        self.zones.append(zone)
        return zone

    def add_tax(self, country: str, state: str, rate: str, name: str = "Tax", shipping: bool = True) -> None:
        self.tax_rates.append(TaxRate(country, state, Decimal(rate), name, shipping))

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
        payload = jwt.decode(token, options={"verify_signature": False})
        return self.sessions.get(str(payload["user_id"]))

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
        status, out_headers, payload = self._dispatch(method, path, query, _headers(headers), body)
        if fault is not None:
            return self._fault_answer(fault)
        out_headers = {"Content-Type": "application/json; charset=UTF-8", **out_headers}
        return status, out_headers, json.dumps(payload)

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

    # --- Store API -------------------------------------------------------------------------

    def _token(self, session_id: str) -> str:
        payload = {"user_id": session_id, "exp": int(self.clock()) + SESSION_TTL, "iss": "store-api"}
        return jwt.encode(payload, self.secret, algorithm="HS256")

    def _nonce(self, session_id: str, tick: int | None = None) -> str:
        tick = int(self.clock() // 43200) if tick is None else tick
        return hashlib.sha256(f"{self.secret}|{session_id}|{tick}".encode()).hexdigest()[:10]

    def _nonce_ok(self, session_id: str, nonce: str | None) -> bool:
        tick = int(self.clock() // 43200)
        return nonce is not None and nonce in (self._nonce(session_id, tick), self._nonce(session_id, tick - 1))

    def _session_from(self, headers: dict[str, str]) -> tuple[Session, bool]:
        """The cart a request addresses, and whether it came with a valid Cart-Token."""
        token = headers.get("cart-token", "")
        try:
            payload = jwt.decode(token, self.secret, algorithms=["HS256"], options={"verify_exp": False})
            valid = int(payload["exp"]) > self.clock()
        except (jwt.PyJWTError, KeyError, ValueError):
            valid = False
        if valid:
            session_id = str(payload["user_id"])
            return self.sessions.get(session_id) or Session(session_id), True
        # No usable token: WooCommerce starts a fresh guest session.
        return Session("t_" + uuid.uuid4().hex[:30]), False

    def _store(self, method: str, route: str, query: JSON, headers: dict[str, str], body: Any) -> Answer:
        if route == "batch" and method == "POST":
            return self._batch(body)
        session, has_token = self._session_from(headers)
        writes = method in ("POST", "PUT", "PATCH", "DELETE")
        if route == "checkout" or (writes and not has_token):
            nonce = headers.get("nonce")
            if nonce is None:
                raise WooError(
                    401,
                    "woocommerce_rest_missing_nonce",
                    "Missing the Nonce header. This endpoint requires a valid nonce.",
                )
            if not self._nonce_ok(session.id, nonce):
                raise WooError(403, "woocommerce_rest_invalid_nonce", "Nonce is invalid.")
        try:
            status, payload = self._store_route(method, route, query, session, body or {})
        except WooError as error:
            if error.status == 409:
                error.data["cart"] = self._cart_response(session)
            status, payload = error.status, error.body()
        if writes and status < 400:
            self.sessions[session.id] = session
        cart_headers = {
            "Cart-Token": self._token(session.id),
            "Nonce": self._nonce(session.id),
            "Nonce-Timestamp": str(int(self.clock())),
            "User-ID": "0",
        }
        return status, cart_headers, payload

    def _batch(self, body: Any) -> Answer:
        requests_ = (body or {}).get("requests")
        if not isinstance(requests_, list) or len(requests_) > 25:
            raise WooError(400, "rest_invalid_param", "Invalid parameter(s): requests")
        responses_ = []
        for sub in requests_:
            path = str(sub.get("path", ""))
            if "wc/store" not in path:
                raise WooError(400, "woocommerce_rest_invalid_path", "Invalid path provided.")
            sub_method = sub.get("method", "POST")
            if sub_method not in ("POST", "PUT", "PATCH", "DELETE"):
                raise WooError(400, "rest_invalid_param", "Invalid parameter(s): requests")
            route = path.split(STORE + "/", 1)[-1]
            status, headers, payload = self._dispatch_store_sub(
                sub_method, route, _headers(sub.get("headers") or {}), sub.get("body")
            )
            responses_.append({"body": payload, "status": status, "headers": headers})
        return 207, {}, {"responses": responses_}

    def _dispatch_store_sub(self, method: str, route: str, headers: dict[str, str], body: Any) -> Answer:
        try:
            return self._store(method, route, {}, headers, body)
        except WooError as error:
            return error.status, {}, error.body()

    def _store_route(self, method: str, route: str, query: JSON, session: Session, body: JSON) -> tuple[int, Any]:
        args = {**query, **body}
        if route == "cart" and method == "GET":
            return 200, self._cart_response(session)
        if route == "cart/add-item" and method == "POST":
            self._add_item(session, args)
        elif route == "cart/update-item" and method == "POST":
            self._set_quantity(session, str(args.get("key")), int(args.get("quantity") or 0))
        elif route == "cart/remove-item" and method == "POST":
            if str(args.get("key")) not in session.items:
                raise WooError(409, "woocommerce_rest_cart_invalid_key", "Cart item no longer exists or is invalid.")
            del session.items[str(args.get("key"))]
        elif route == "cart/items" and method == "DELETE":
            session.items.clear()
            return 200, []
        elif route == "cart/apply-coupon" and method == "POST":
            self._apply_coupon(session, str(args.get("code") or ""))
        elif route == "cart/remove-coupon" and method == "POST":
            code = str(args.get("code") or "").lower()
            if code not in session.coupons:
                raise WooError(
                    400,
                    "woocommerce_rest_cart_coupon_invalid_code",
                    "Coupon cannot be removed because it is not already applied to the cart.",
                )
            session.coupons.remove(code)
        elif route == "cart/update-customer" and method == "POST":
            self._update_customer(session, args)
        elif route == "cart/select-shipping-rate" and method == "POST":
            if not args.get("rate_id"):
                raise WooError(400, "woocommerce_rest_cart_missing_rate_id", "Invalid Rate ID.")
            package = args.get("package_id")
            packages = [str(package)] if package is not None else ["0"]
            for key in packages:
                session.chosen[key] = str(args["rate_id"])
        elif route == "checkout" and method == "POST":
            return self._checkout(session, body)
        else:
            raise WooError(404, "rest_no_route", "No route was found matching the URL and request method.")
        return 200, self._cart_response(session)

    # --- cart rules ---------------------------------------------------------------------

    def _product(self, product_id: Any) -> Product:
        product = self.products.get(int(product_id)) if str(product_id).isdigit() else None
        if product is None:
            raise WooError(
                400,
                "woocommerce_rest_cart_invalid_product",
                f'Product with ID "{product_id}" was not found and cannot be added to the cart.',
            )
        return product

    def _resolve_variation(self, product: Product, variation: list[JSON]) -> tuple[Product, dict[str, str]]:
        if product.type == "variation":
            return product, dict(product.attributes)
        if product.type != "variable":
            return product, {}
        given: dict[str, str] = {}
        for entry in variation or []:
            name = str(entry.get("attribute", "")).removeprefix("attribute_")
            for attr, label in product.attributes.items():
                if name in (attr, label, label.lower()):
                    value = str(entry.get("value", ""))
                    given[attr] = _slug(value) if attr.startswith("pa_") else value
        missing = [label for attr, label in product.attributes.items() if attr not in given]
        if missing:
            raise WooError(
                400,
                "woocommerce_rest_missing_variation_data",
                "Missing variation data for variable product. "
                + " and ".join(missing)
                + (" is a required field" if len(missing) == 1 else " are required fields"),
            )
        for candidate in self.products.values():
            if candidate.parent_id == product.id and candidate.attributes == given:
                return candidate, given
        raise WooError(400, "woocommerce_rest_variation_id_from_variation_data", "No matching variation found.")

    def _add_item(self, session: Session, args: JSON) -> None:
        product, attributes = self._resolve_variation(self._product(args.get("id")), args.get("variation") or [])
        quantity = int(args.get("quantity") or 1)
        if not product.purchasable:
            raise WooError(
                400,
                "woocommerce_rest_product_not_purchasable",
                f"&quot;{product.name}&quot; is not available for purchase.",
            )
        if quantity <= 0:
            raise WooError(
                400,
                "woocommerce_rest_product_invalid_quantity",
                f"You cannot add &quot;{product.name}&quot; with a quantity less than or equal to 0 to the cart.",
            )
        if product.stock is not None and product.stock <= 0:
            raise WooError(
                400,
                "woocommerce_rest_product_out_of_stock",
                f"You cannot add &quot;{product.name}&quot; to the cart because the product is out of stock.",
            )
        product_id = product.parent_id or product.id
        variation_id = product.id if product.type == "variation" else 0
        key = hashlib.md5(f"{product_id}_{variation_id}_{sorted(attributes.items())}".encode()).hexdigest()
        in_cart = sum(i["quantity"] for i in session.items.values() if i["pid"] == product.id)
        if product.stock is not None and product.stock < in_cart + quantity:
            raise WooError(
                400,
                "woocommerce_rest_product_partially_out_of_stock",
                f"You cannot add that amount of &quot;{product.name}&quot; to the cart"
                f" because there is not enough stock ({product.stock} remaining).",
            )
        if key in session.items:
            session.items[key]["quantity"] += quantity
        else:
            session.items[key] = {"key": key, "pid": product.id, "attributes": attributes, "quantity": quantity}

    def _set_quantity(self, session: Session, key: str, quantity: int) -> None:
        item = session.items.get(key)
        if item is None:
            raise WooError(409, "woocommerce_rest_cart_invalid_key", "Cart item does not exist.")
        product = self.products[item["pid"]]
        if quantity <= 0:
            raise WooError(
                400,
                "woocommerce_rest_product_invalid_quantity",
                f"The quantity of &quot;{product.name}&quot; must be at least 1.",
            )
        if product.stock is not None and product.stock < quantity:
            raise WooError(
                400,
                "woocommerce_rest_product_partially_out_of_stock",
                f"The quantity of &quot;{product.name}&quot; cannot be more than {product.stock}.",
            )
        item["quantity"] = quantity

    def _coupon_problem(self, coupon: Coupon | None, code: str, session: Session) -> str | None:
        if coupon is None:
            return f'Coupon "{code}" cannot be applied because it does not exist.'
        if coupon.expires is not None and coupon.expires < self.clock():
            return "This coupon has expired."
        if coupon.usage_limit is not None and coupon.usage_count >= coupon.usage_limit:
            return "Coupon usage limit has been reached."
        if coupon.minimum_amount is not None:
            subtotal = sum((self._line_subtotal(i) for i in session.items.values()), Decimal("0"))
            if subtotal < coupon.minimum_amount:
                return f"The minimum spend for this coupon is ${coupon.minimum_amount:.2f}."
        return None

    def _apply_coupon(self, session: Session, code: str) -> None:
        lowered = code.strip().lower()
        if lowered in session.coupons:
            raise WooError(
                400, "woocommerce_rest_cart_coupon_error", f'Coupon code "{lowered}" has already been applied.'
            )
        coupon = self.coupons.get(lowered)
        problem = self._coupon_problem(coupon, code, session)
        if problem:
            raise WooError(400, "woocommerce_rest_cart_coupon_error", problem)
        assert coupon is not None
        if coupon.individual_use:
            session.coupons.clear()
        session.coupons.append(lowered)

    def _update_customer(self, session: Session, args: JSON) -> None:
        billing = {**{k: "" for k in BILLING_KEYS}, **session.billing, **(args.get("billing_address") or {})}
        shipping = {**{k: "" for k in SHIPPING_KEYS}, **session.shipping, **(args.get("shipping_address") or {})}
        if not self._needs_shipping(session) and "shipping_address" not in args:
            shipping = {k: billing.get(k, "") for k in SHIPPING_KEYS}
        invalid = []
        for name, address in (("billing_address", billing), ("shipping_address", shipping)):
            if name not in args:
                continue
            if (
                (address.get("country") and not re.fullmatch(r"[A-Z]{2}", address["country"]))
                or (
                    address.get("country") == "US"
                    and address.get("postcode")
                    and not re.fullmatch(r"\d{5}(-\d{4})?", address["postcode"])
                )
                or (name == "billing_address" and address.get("email") and "@" not in address["email"])
            ):
                invalid.append(name)
        if invalid:
            raise WooError(
                400,
                "rest_invalid_param",
                "Invalid parameter(s): " + ", ".join(invalid),
                params={n: "Invalid parameter." for n in invalid},
            )
        session.billing = {k: billing.get(k, "") for k in BILLING_KEYS}
        session.shipping = {k: shipping.get(k, "") for k in SHIPPING_KEYS}

    # --- pricing -------------------------------------------------------------------------

    def _q(self, amount: Decimal) -> Decimal:
        return amount.quantize(self.exponent, rounding=ROUND_HALF_UP)

    def _minor(self, amount: Decimal) -> str:
        return str(int(self._q(amount).scaleb(self.minor_unit)))

    def _line_subtotal(self, item: JSON) -> Decimal:
        return self._q(self.products[item["pid"]].price * item["quantity"])

    def _tax_rate(self, session: Session) -> TaxRate | None:
        where = (
            session.shipping if session.shipping.get("country") and self._needs_shipping(session) else session.billing
        )
        country, state = where.get("country", ""), where.get("state", "")
        for rate in self.tax_rates:
            if rate.country == country and rate.state in ("", state):
                return rate
        return None

    def _needs_shipping(self, session: Session) -> bool:
        return any(not self.products[i["pid"]].virtual for i in session.items.values())

    def _zone_for(self, address: JSON) -> list[Method]:
        country, state, postcode = address.get("country", ""), address.get("state", ""), address.get("postcode", "")
        for zone in sorted(self.zones, key=lambda z: z.order):
            places = [(c, t) for c, t in zone.locations if t != "postcode"]
            codes = [c for c, t in zone.locations if t == "postcode"]
            hit = any(
                (t == "country" and c == country)
                or (t == "state" and c == f"{country}:{state}")
                or (t == "continent" and country in CONTINENTS.get(c, []))
                for c, t in places
            )
            if hit and (not codes or any(postcode.startswith(c.rstrip("*")) for c in codes)):
                return zone.methods
        return self.rest_of_world

    def _price(self, session: Session) -> JSON:
        """Every amount of the cart, computed the way the fake shop computes them."""
        items = list(session.items.values())
        subtotals = [self._line_subtotal(i) for i in items]
        discounts = [Decimal("0") for _ in items]
        coupon_totals: dict[str, Decimal] = {}
        free_shipping = False
        for code in session.coupons:
            coupon = self.coupons[code]
            remaining = [s - d for s, d in zip(subtotals, discounts, strict=True)]
            if coupon.discount_type == "percent":
                parts = [self._q(r * coupon.amount / 100) for r in remaining]
            elif coupon.discount_type == "fixed_product":
                parts = [min(self._q(coupon.amount * i["quantity"]), r) for i, r in zip(items, remaining, strict=True)]
            else:
                parts = _spread(min(coupon.amount, sum(remaining, Decimal("0"))), remaining, self._q)
            discounts = [d + p for d, p in zip(discounts, parts, strict=True)]
            coupon_totals[code] = sum(parts, Decimal("0"))
            free_shipping = free_shipping or coupon.free_shipping
        rate = self._tax_rate(session)
        percent = rate.rate / 100 if rate else Decimal("0")
        lines = []
        for item, subtotal, discount in zip(items, subtotals, discounts, strict=True):
            total = subtotal - discount
            lines.append(
                {
                    "item": item,
                    "subtotal": subtotal,
                    "subtotal_tax": self._q(subtotal * percent),
                    "total": total,
                    "total_tax": self._q(total * percent),
                }
            )
        packages = []
        shipping = shipping_tax = Decimal("0")
        address = session.shipping
        physical = [line for line in lines if not self.products[line["item"]["pid"]].virtual]
        calculated = bool(physical) and bool(address.get("country"))
        if calculated:
            discounted = sum((line["total"] for line in lines), Decimal("0"))
            rates = []
            for method in self._zone_for(address):
                if not method.enabled:
                    continue
                if method.method_id == "free_shipping":
                    ok = {
                        "": True,
                        "coupon": free_shipping,
                        "min_amount": discounted >= method.min_amount,
                        "either": free_shipping or discounted >= method.min_amount,
                    }.get(method.requires, False)
                    if not ok:
                        continue
                cost = method.cost
                tax = self._q(cost * percent) if method.taxable and rate and rate.shipping else Decimal("0")
                rates.append((method, cost, tax))
            package_id = "0"
            ids = [f"{m.method_id}:{m.instance_id}" for m, _, _ in rates]
            chosen = session.chosen.get(package_id)
            changed = session.method_counts.get(package_id) != len(ids)
            # As wc_get_chosen_shipping_method_for_package: a choice that vanished, or a changed set of
            # rates, falls back to the default (free shipping with a free-shipping coupon, else the first
            # rate); a chosen local pickup that is still offered stays chosen.
            keep_pickup = chosen in ids and str(chosen).startswith("local_pickup")
            if rates and (chosen not in ids or (changed and not keep_pickup)):
                chosen = next((i for i in ids if i.startswith("free_shipping") and free_shipping), ids[0])
            session.method_counts[package_id] = len(ids)
            if chosen in ids:
                session.chosen[package_id] = chosen  # type: ignore[assignment]
            for method, cost, tax in rates:
                if f"{method.method_id}:{method.instance_id}" == chosen:
                    shipping, shipping_tax = cost, tax
            packages.append({"id": 0, "lines": physical, "rates": rates, "chosen": chosen})
        return {
            "lines": lines,
            "coupons": coupon_totals,
            "packages": packages,
            "calculated": calculated,
            "shipping": shipping,
            "shipping_tax": shipping_tax,
            "rate": rate,
        }

    def _currency(self) -> JSON:
        return {
            "currency_code": self.currency,
            "currency_symbol": "$",
            "currency_minor_unit": self.minor_unit,
            "currency_decimal_separator": ".",
            "currency_thousand_separator": ",",
            "currency_prefix": "$",
            "currency_suffix": "",
        }

    def _cart_response(self, session: Session) -> JSON:
        priced = self._price(session)
        money = self._minor
        items_out = []
        for line in priced["lines"]:
            item = line["item"]
            product = self.products[item["pid"]]
            parent = self.products.get(product.parent_id) if product.parent_id else None
            variation = []
            for attr, value in item["attributes"].items():
                label = (parent.attributes.get(attr) if parent else None) or attr
                variation.append(
                    {
                        "raw_attribute": f"attribute_{attr}",
                        "attribute": label,
                        "value": value.title() if attr.startswith("pa_") else value,
                    }
                )
            regular = product.regular_price or product.price
            items_out.append(
                {
                    "key": item["key"],
                    "parent_item_key": None,
                    "id": product.id,
                    "type": product.type,
                    "quantity": item["quantity"],
                    "quantity_limits": {
                        "minimum": 1,
                        "maximum": product.stock if product.stock is not None else 9999,
                        "multiple_of": 1,
                        "editable": True,
                    },
                    "name": product.name,
                    "short_description": f"<p>{product.description}</p>" if product.description else "",
                    "description": f"<p>{product.description}</p>" if product.description else "",
                    "sku": product.sku,
                    "low_stock_remaining": product.stock if product.stock is not None and product.stock < 3 else None,
                    "backorders_allowed": False,
                    "show_backorder_badge": False,
                    "sold_individually": False,
                    "permalink": f"{self.base_url}/product/{product.parent_id or product.id}/",
                    "images": [
                        {
                            "id": product.id,
                            "src": f"{self.base_url}/wp-content/uploads/{product.id}.jpg",
                            "thumbnail": f"{self.base_url}/wp-content/uploads/{product.id}-450x450.jpg",
                            "srcset": "",
                            "sizes": "",
                            "name": f"{product.id}.jpg",
                            "alt": "",
                        }
                    ],
                    "variation": variation,
                    "item_data": [],
                    "prices": {
                        "price": money(product.price),
                        "regular_price": money(regular),
                        "sale_price": money(product.price),
                        "price_range": None,
                        **self._currency(),
                        "raw_prices": {
                            "precision": 6,
                            "price": str(int(product.price.scaleb(6))),
                            "regular_price": str(int(regular.scaleb(6))),
                            "sale_price": str(int(product.price.scaleb(6))),
                        },
                    },
                    "totals": {
                        "line_subtotal": money(line["subtotal"]),
                        "line_subtotal_tax": money(line["subtotal_tax"]),
                        "line_total": money(line["total"]),
                        "line_total_tax": money(line["total_tax"]),
                        **self._currency(),
                    },
                    "catalog_visibility": "visible",
                    "extensions": {},
                }
            )
        lines = priced["lines"]
        total_items = sum((x["subtotal"] for x in lines), Decimal("0"))
        total_items_tax = sum((x["subtotal_tax"] for x in lines), Decimal("0"))
        net = sum((x["total"] for x in lines), Decimal("0"))
        net_tax = sum((x["total_tax"] for x in lines), Decimal("0"))
        total_tax = net_tax + priced["shipping_tax"]
        rate = priced["rate"]
        shipping_rates = []
        for package in priced["packages"]:
            shipping_rates.append(
                {
                    "package_id": package["id"],
                    "name": "Shipment 1",
                    "destination": {
                        k: session.shipping.get(k, "")
                        for k in ("address_1", "address_2", "city", "state", "postcode", "country")
                    },
                    "items": [
                        {
                            "key": x["item"]["key"],
                            "name": self.products[x["item"]["pid"]].name,
                            "quantity": x["item"]["quantity"],
                        }
                        for x in package["lines"]
                    ],
                    "shipping_rates": [
                        {
                            "rate_id": f"{m.method_id}:{m.instance_id}",
                            "name": m.title,
                            "description": "",
                            "delivery_time": "",
                            "price": money(cost),
                            "taxes": money(tax),
                            "instance_id": m.instance_id,
                            "method_id": m.method_id,
                            "meta_data": [
                                {
                                    "key": "Items",
                                    "value": ", ".join(
                                        f"{self.products[x['item']['pid']].name} &times; {x['item']['quantity']}"
                                        for x in package["lines"]
                                    ),
                                }
                            ],
                            "selected": f"{m.method_id}:{m.instance_id}" == package["chosen"],
                            **self._currency(),
                        }
                        for m, cost, tax in package["rates"]
                    ],
                }
            )
        return {
            "items": items_out,
            "coupons": [
                {
                    "code": code,
                    "discount_type": self.coupons[code].discount_type,
                    "totals": {
                        "total_discount": money(amount),
                        "total_discount_tax": money(self._q(amount * (rate.rate / 100 if rate else 0))),
                        **self._currency(),
                    },
                }
                for code, amount in priced["coupons"].items()
            ],
            "fees": [],
            "totals": {
                "total_items": money(total_items),
                "total_items_tax": money(total_items_tax),
                "total_fees": "0",
                "total_fees_tax": "0",
                "total_discount": money(total_items - net),
                "total_discount_tax": money(total_items_tax - net_tax),
                "total_shipping": money(priced["shipping"]) if priced["calculated"] else None,
                "total_shipping_tax": money(priced["shipping_tax"]) if priced["calculated"] else None,
                "total_price": money(net + net_tax + priced["shipping"] + priced["shipping_tax"]),
                "total_tax": money(total_tax),
                "tax_lines": [{"name": rate.name, "price": money(total_tax), "rate": f"{rate.rate.normalize()}%"}]
                if rate and total_tax
                else [],
                **self._currency(),
            },
            "shipping_address": {k: session.shipping.get(k, "") for k in SHIPPING_KEYS},
            "billing_address": {k: session.billing.get(k, "") for k in BILLING_KEYS},
            "needs_payment": net + net_tax + priced["shipping"] > 0,
            "needs_shipping": self._needs_shipping(session),
            "payment_requirements": ["products"],
            "has_calculated_shipping": priced["calculated"],
            "shipping_rates": shipping_rates,
            "items_count": sum(i["quantity"] for i in session.items.values()),
            "items_weight": 0,
            "cross_sells": [],
            "errors": [],
            "payment_methods": sorted(self.gateways),
            "extensions": {},
        }

    # --- checkout -------------------------------------------------------------------------

    def _checkout(self, session: Session, body: JSON) -> tuple[int, Any]:
        if not session.items:
            raise WooError(400, "woocommerce_rest_cart_empty", "Cannot place an order, your cart is empty.")
        for item in session.items.values():
            product = self.products[item["pid"]]
            if product.stock is not None and product.stock < item["quantity"]:
                raise WooError(
                    409,
                    "woocommerce_stock_availability_error",
                    f"There is not enough {product.name} in stock. Please reduce the quantity in your cart.",
                )
        billing = {**{k: "" for k in BILLING_KEYS}, **(body.get("billing_address") or {})}
        shipping = {
            **{k: "" for k in SHIPPING_KEYS},
            **(body.get("shipping_address") or body.get("billing_address") or {}),
        }
        session.billing = {k: billing.get(k, "") for k in BILLING_KEYS}
        session.shipping = {k: shipping.get(k, "") for k in SHIPPING_KEYS}
        for key, label in (
            ("first_name", "First name"),
            ("last_name", "Last name"),
            ("address_1", "Address"),
            ("city", "City"),
            ("postcode", "ZIP Code"),
            ("country", "Country / Region"),
            ("email", "Email address"),
        ):
            if not billing.get(key):
                raise WooError(400, "woocommerce_rest_invalid_address", f"Billing {label} is required")
        cart = self._cart_response(session)
        if cart["needs_shipping"] and not any(
            r["selected"] for p in cart["shipping_rates"] for r in p["shipping_rates"]
        ):
            raise WooError(
                400, "woocommerce_rest_checkout_no_shipping_method", "Sorry, this order requires a shipping option."
            )
        expected = body.get("expected_total")
        if expected is not None and str(expected) != cart["totals"]["total_price"]:
            raise WooError(
                409,
                "woocommerce_rest_checkout_total_mismatch",
                "The order total has changed. Please review your order before placing it.",
            )
        total = Decimal(cart["totals"]["total_price"]).scaleb(-self.minor_unit)
        method = str(body.get("payment_method") or "")
        if total > 0 and not method:
            raise WooError(400, "woocommerce_rest_checkout_missing_payment_method", "No payment method provided.")
        if method and method not in self.gateways:
            raise WooError(
                400,
                "woocommerce_rest_checkout_payment_method_disabled",
                f"{GATEWAYS.get(method, method)} is not available for this order"
                "—please choose a different payment method",
            )
        order = self._order_from_cart(session, cart, method)
        status = "processing" if total == 0 or method == "cod" else "on-hold"
        self._transition(order, status)
        for code in session.coupons:
            self.coupons[code].usage_count += 1
        session.items.clear()
        session.coupons.clear()
        self.sessions[session.id] = session
        answer = {
            "order_id": order["id"],
            "status": order["status"],
            "order_key": order["order_key"],
            "order_number": order["number"],
            "customer_note": order["customer_note"],
            "customer_id": 0,
            "billing_address": order["billing"],
            "shipping_address": {k: v for k, v in order["shipping"].items()},
            "payment_method": method,
            "payment_result": {
                "payment_status": "success",
                "payment_details": [],
                "redirect_url": f"{self.base_url}/checkout/order-received/{order['id']}/?key={order['order_key']}",
            },
            "additional_fields": {},
            "extensions": {},
        }
        return 200, answer

    def _order_from_cart(self, session: Session, cart: JSON, method: str) -> JSON:
        order_id = self.next_order_id
        self.next_order_id += 1
        dec = lambda minor: format(Decimal(minor).scaleb(-self.minor_unit), "f")  # noqa: E731
        line_items = []
        for item in cart["items"]:
            product = self.products[item["id"]]
            line_items.append(
                {
                    "id": self._item_id(),
                    "name": product.name
                    + (" - " + ", ".join(v["value"] for v in item["variation"]) if item["variation"] else ""),
                    "product_id": product.parent_id or product.id,
                    "variation_id": product.id if product.type == "variation" else 0,
                    "quantity": item["quantity"],
                    "tax_class": "",
                    "subtotal": dec(item["totals"]["line_subtotal"]),
                    "subtotal_tax": dec(item["totals"]["line_subtotal_tax"]),
                    "total": dec(item["totals"]["line_total"]),
                    "total_tax": dec(item["totals"]["line_total_tax"]),
                    "taxes": [],
                    "meta_data": [
                        {
                            "id": self._item_id(),
                            "key": v["raw_attribute"].removeprefix("attribute_"),
                            "value": v["value"],
                            "display_key": v["attribute"],
                            "display_value": v["value"],
                        }
                        for v in item["variation"]
                    ],
                    "sku": product.sku,
                    "price": float(product.price),
                }
            )
        shipping_lines = []
        for package in cart["shipping_rates"]:
            for rate in package["shipping_rates"]:
                if rate["selected"]:
                    shipping_lines.append(
                        {
                            "id": self._item_id(),
                            "method_title": rate["name"],
                            "method_id": rate["method_id"],
                            "instance_id": str(rate["instance_id"]),
                            "total": dec(rate["price"]),
                            "total_tax": dec(rate["taxes"]),
                            "taxes": [],
                            "meta_data": [],
                        }
                    )
        totals = cart["totals"]
        now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.clock()))
        order = {
            "id": order_id,
            "parent_id": 0,
            "number": str(order_id),
            "order_key": "wc_order_" + uuid.uuid4().hex[:13],
            "created_via": "store-api",
            "version": "9.8.0",
            "status": "pending",
            "currency": self.currency,
            "date_created": now,
            "date_created_gmt": now,
            "date_modified": now,
            "date_modified_gmt": now,
            "discount_total": dec(totals["total_discount"]),
            "discount_tax": dec(totals["total_discount_tax"]),
            "shipping_total": dec(totals["total_shipping"] or "0"),
            "shipping_tax": dec(totals["total_shipping_tax"] or "0"),
            "cart_tax": format(sum((Decimal(x["total_tax"]) for x in line_items), Decimal("0")), "f"),
            "total": dec(totals["total_price"]),
            "total_tax": dec(totals["total_tax"]),
            "prices_include_tax": False,
            "customer_id": 0,
            "customer_ip_address": "",
            "customer_user_agent": "",
            "customer_note": "",
            "billing": dict(cart["billing_address"]),
            "shipping": dict(cart["shipping_address"]),
            "payment_method": method,
            "payment_method_title": GATEWAYS.get(method, method),
            "transaction_id": "",
            "date_paid": None,
            "date_paid_gmt": None,
            "date_completed": None,
            "date_completed_gmt": None,
            "cart_hash": hashlib.md5(json.dumps(cart["items"], sort_keys=True).encode()).hexdigest(),
            "meta_data": [],
            "line_items": line_items,
            "tax_lines": [],
            "shipping_lines": shipping_lines,
            "fee_lines": [],
            "coupon_lines": [
                {
                    "id": self._item_id(),
                    "code": c["code"],
                    "discount": dec(c["totals"]["total_discount"]),
                    "discount_tax": dec(c["totals"]["total_discount_tax"]),
                    "meta_data": [],
                }
                for c in cart["coupons"]
            ],
            "refunds": [],
            "_stock_reduced": False,
        }
        self.orders[order_id] = order
        return order

    def _item_id(self) -> int:
        self.next_item_id += 1
        return self.next_item_id

    def _transition(self, order: JSON, status: str) -> None:
        """WooCommerce's side effects of a status change: stock held or given back, dates."""
        if status == order["status"]:
            return
        if status in STOCK_HELD and not order["_stock_reduced"]:
            for line in order["line_items"]:
                product = self.products[line["variation_id"] or line["product_id"]]
                if product.stock is not None:
                    product.stock -= line["quantity"]
            order["_stock_reduced"] = True
        elif status in ("cancelled", "pending") and order["_stock_reduced"]:
            for line in order["line_items"]:
                product = self.products[line["variation_id"] or line["product_id"]]
                if product.stock is not None:
                    product.stock += line["quantity"]
            order["_stock_reduced"] = False
        now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.clock()))
        if status in ("processing", "completed") and order["date_paid"] is None:
            order["date_paid"] = order["date_paid_gmt"] = now
        if status == "completed":
            order["date_completed"] = order["date_completed_gmt"] = now
        order["status"] = status
        order["date_modified"] = order["date_modified_gmt"] = now

    # --- REST v3 -----------------------------------------------------------------------------

    def _authenticate(self, headers: dict[str, str]) -> None:
        denied = WooError(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        auth = headers.get("authorization", "")
        if not auth.lower().startswith("basic "):
            raise denied
        try:
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        except ValueError:
            raise denied from None
        https = self.base_url.startswith("https://")
        if user == self.consumer_key and password == self.consumer_secret and https:
            return  # consumer keys travel as basic auth over https only
        if (
            self.app_user
            and user == self.app_user
            and password == self.app_password
            and (https or self.local_environment)
        ):
            return  # application passwords need https, or a 'local' WordPress environment
        raise denied

    def _rest(self, method: str, route: str, query: JSON, body: Any) -> Answer:
        parts = route.strip("/").split("/")
        if parts[0] == "orders":
            if len(parts) == 1 and method == "GET":
                return 200, {}, [self._public(o) for o in self._search_orders(query)]
            order = self.orders.get(int(parts[1])) if len(parts) == 2 and parts[1].isdigit() else None
            if order is None:
                raise WooError(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
            if method == "GET":
                return 200, {}, self._public(order)
            if method in ("PUT", "POST"):
                self._update_order(order, body or {})
                return 200, {}, self._public(order)
        if parts[0] == "shipping" and len(parts) >= 2 and parts[1] == "zones" and method == "GET":
            return 200, {}, self._zones_route(parts[2:])
        if parts[:2] == ["data", "countries"]:
            return 200, {}, [{"code": c, "name": c, "states": []} for c in COUNTRIES]
        if parts[:2] == ["data", "continents"]:
            return (
                200,
                {},
                [
                    {"code": k, "name": k, "countries": [{"code": c, "name": c, "states": []} for c in v]}
                    for k, v in CONTINENTS.items()
                ],
            )
        raise WooError(404, "rest_no_route", "No route was found matching the URL and request method.")

    def _public(self, order: JSON) -> JSON:
        public = {k: copy.deepcopy(v) for k, v in order.items() if not k.startswith("_")}
        public["_links"] = {
            "self": [{"href": f"{self.base_url}/wp-json/wc/v3/orders/{order['id']}"}],
            "collection": [{"href": f"{self.base_url}/wp-json/wc/v3/orders"}],
        }
        return public

    def _search_orders(self, query: JSON) -> list[JSON]:
        found = list(self.orders.values())
        if query.get("search"):
            needle = str(query["search"]).lower()
            found = [o for o in found if needle in json.dumps([o["billing"], o["shipping"]]).lower()]
        if query.get("after"):
            found = [o for o in found if o["date_created_gmt"] > str(query["after"])]
        status = query.get("status", "any")
        if status != "any":
            found = [o for o in found if o["status"] in status.split(",")]
        found.sort(key=lambda o: o["id"], reverse=query.get("order", "desc") == "desc")
        return found[: int(query.get("per_page", 10))]

    def _update_order(self, order: JSON, body: JSON) -> None:
        status = body.get("status")
        if status is not None and status not in ORDER_STATUSES:
            raise WooError(
                400,
                "rest_invalid_param",
                "Invalid parameter(s): status",
                params={"status": f"status is not one of {', '.join(ORDER_STATUSES)}."},
            )
        for key in ("payment_method_title", "customer_note", "transaction_id"):
            if key in body:
                order[key] = str(body[key])
        for meta in body.get("meta_data") or []:
            existing = next((m for m in order["meta_data"] if m["key"] == meta["key"]), None)
            if existing:
                existing["value"] = meta["value"]
            else:
                order["meta_data"].append({"id": self._item_id(), "key": meta["key"], "value": meta["value"]})
        if status is not None:
            self._transition(order, status)

    def _zones_route(self, rest: list[str]) -> Any:
        everyone = Zone(0, "Locations not covered by your other zones", [], self.rest_of_world)
        zones = [everyone, *sorted(self.zones, key=lambda z: z.order)]
        if not rest:
            return [{"id": z.id, "name": z.name, "order": z.order} for z in zones]
        zone = next((z for z in zones if str(z.id) == rest[0]), None)
        if zone is None:
            raise WooError(404, "woocommerce_rest_shipping_zone_invalid", "Resource does not exist.")
        if rest[1:] == ["locations"]:
            return [{"code": c, "type": t} for c, t in zone.locations]
        if rest[1:] == ["methods"]:
            return [
                {
                    "instance_id": m.instance_id,
                    "title": m.title,
                    "order": i,
                    "enabled": m.enabled,
                    "method_id": m.method_id,
                    "method_title": m.title,
                    "method_description": "",
                    "settings": {},
                }
                for i, m in enumerate(zone.methods)
            ]
        return {"id": zone.id, "name": zone.name, "order": zone.order}


def _headers(headers: dict[str, Any]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")


def _spread(amount: Decimal, bases: list[Decimal], q: Callable[[Decimal], Decimal]) -> list[Decimal]:
    total = sum(bases, Decimal("0"))
    if total <= 0:
        return [Decimal("0") for _ in bases]
    parts = [q(amount * b / total) for b in bases]
    parts[-1] += amount - sum(parts, Decimal("0"))
    return parts


def standard_shop(**kwargs: Any) -> FakeWooCommerce:
    """The shop most tests use: simple and variable products, taxes, three zones, coupons."""
    shop = FakeWooCommerce(**kwargs)
    shop.add_simple(22, "Belt", "55.00", regular_price="65.00", stock=10, sku="woo-belt")
    shop.add_simple(38, "Beanie with Logo", "18.00", regular_price="20.00", sku="Woo-beanie-logo")
    shop.add_simple(50, "Album (download)", "15.00", virtual=True, sku="woo-album")
    shop.add_simple(60, "Limited print", "40.00", stock=2, sku="woo-print")
    shop.add_simple(61, "Sold-out mug", "12.00", stock=0, sku="woo-mug")
    shop.add_variable(13, "Hoodie", {"pa_color": "Color", "size": "Size"})
    shop.add_variation(14, 13, "42.00", {"pa_color": "red", "size": "M"}, sku="woo-hoodie-red-m", stock=5)
    shop.add_variation(15, 13, "45.00", {"pa_color": "blue", "size": "L"}, sku="woo-hoodie-blue-l", stock=5)
    shop.add_tax("US", "NY", "8.875", name="NY Tax")
    shop.add_tax("US", "CA", "7.25", name="CA Tax", shipping=False)
    shop.add_zone(
        1,
        "New York",
        [("US:NY", "state")],
        [
            Method(10, "flat_rate", "Flat rate", Decimal("5.99")),
            Method(11, "flat_rate", "Express", Decimal("14.99")),
            Method(12, "free_shipping", "Free shipping", requires="coupon"),
            Method(13, "local_pickup", "Local pickup", Decimal("0"), taxable=False),
        ],
    )
    shop.add_zone(2, "Rest of US", [("US", "country")], [Method(20, "flat_rate", "Flat rate", Decimal("9.99"))])
    shop.add_zone(3, "Europe", [("EU", "continent")], [Method(30, "flat_rate", "International", Decimal("25.00"))])
    shop.add_zone(
        4, "Nowhere", [("AQ", "country")], [Method(40, "flat_rate", "Disabled", Decimal("1.00"), enabled=False)]
    )
    shop.add_coupon("save10", "percent", "10")
    shop.add_coupon("fiver", "fixed_cart", "5.00")
    shop.add_coupon("shipfree", "fixed_cart", "0", free_shipping=True)
    shop.add_coupon("big50", "fixed_cart", "50", minimum_amount="500.00")
    shop.add_coupon("summer2020", "percent", "20", expires=0.0)
    return shop
