"""The Store API routes of the fake shop: sessions, Cart-Tokens, nonces, the batch route, cart changes.

Behaviours follow WooCommerce 9.9.5 (plugins/woocommerce/src/StoreApi/) as recorded
in tests/fixtures/woocommerce/recordings/ (file and seq named where they apply).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import jwt

from tests.fakes.woocommerce.catalogue import (
    BILLING_KEYS,
    JSON,
    SESSION_TTL,
    SHIPPING_KEYS,
    STORE,
    WRITES,
    Answer,
    CriticalError,
    Session,
    WooError,
    lower_headers,
)

if TYPE_CHECKING:
    from tests.fakes.woocommerce.shop import FakeWooCommerce

NONCE_TICK = 43200  # WordPress nonces change every 12 h and are accepted for two ticks
# The Allow header WordPress sends for each route (the recordings' sub-answers and answers).
ALLOW = {"cart": "GET", "cart/items": "GET, POST, DELETE", "checkout": "GET, POST, PUT, PATCH"}
BATCH_METHODS = "POST, PUT, PATCH, and DELETE"


def unverified_user_id(token: str) -> str | None:
    try:
        payload = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    return str(payload["user_id"]) if isinstance(payload, dict) and payload.get("user_id") else None


class StoreApiMixin:
    # --- tokens, nonces, sessions ------------------------------------------------------------

    def _token(self: FakeWooCommerce, session_id: str) -> str:
        # AbstractCartRoute::get_cart_token: user_id, exp (48 h), iss (the namespace), signed with '@' . wp_salt().
        now = int(self.clock())
        payload = {"user_id": session_id, "exp": now + SESSION_TTL, "iss": "wc/store/v1", "iat": now}
        return jwt.encode(payload, self.secret, algorithm="HS256")

    def _nonce(self: FakeWooCommerce, tick: int | None = None) -> str:
        # wp_create_nonce('wc_store_api') for a guest: user 0 and no login session, so every guest session
        # gets the same nonce (the recordings show one Nonce value across all their sessions).
        tick = int(self.clock() // NONCE_TICK) if tick is None else tick
        return hashlib.sha256(f"{self.secret}|0|{tick}".encode()).hexdigest()[:10]

    def _nonce_ok(self: FakeWooCommerce, nonce: str | None) -> bool:
        tick = int(self.clock() // NONCE_TICK)
        return nonce is not None and nonce in (self._nonce(tick), self._nonce(tick - 1))

    def _verified(self: FakeWooCommerce, token: str) -> JSON | None:
        """JsonWebToken::validate: the shop's signature and an unexpired ``exp``."""
        try:
            # Times are judged by the shop's own clock, not PyJWT's (tests move the shop's clock).
            checks = {"verify_exp": False, "verify_iat": False, "verify_nbf": False}
            payload = jwt.decode(token, self.secret, algorithms=["HS256"], options=checks)
            return payload if int(payload["exp"]) > self.clock() else None
        except (jwt.PyJWTError, KeyError, ValueError, TypeError):
            return None

    def _new_session(self: FakeWooCommerce, session_id: str | None = None) -> Session:
        session = Session(session_id or "t_" + uuid.uuid4().hex[:30])
        if self.default_location:
            # WooCommerce's "Default customer location": a new customer starts at the shop's base address
            # (every fresh cart of the recordings has state CA, country US).
            country, state = self.default_location
            session.billing = {**{k: "" for k in BILLING_KEYS}, "country": country, "state": state}
            session.shipping = {**{k: "" for k in SHIPPING_KEYS}, "country": country, "state": state}
        return session

    def _load_session(self: FakeWooCommerce, own: dict[str, str], transport: dict[str, str]) -> tuple[Session, bool]:
        """The cart a request addresses, and whether it came with a valid Cart-Token.

        AbstractCartRoute::load_cart_session validates the request's own Cart-Token (in a batch: the
        sub-request's); only then does StoreApi/SessionHandler.php take over, and it reads the token of
        the HTTP request itself ($_SERVER['HTTP_CART_TOKEN'], in a batch: the outer request's) without
        checking it. A batch whose sub-requests carry a token but whose outer request does not makes
        JsonWebToken::get_parts('') throw a TypeError: a 500 (batch-without-outer-cart-token.jsonl seq 2).
        """
        if self._verified(own.get("cart-token", "")) is None:
            # No valid token (none, garbage, forged or expired): the cookie session handler starts a new
            # guest session, answered 200 with a fresh Cart-Token (edge-cases.jsonl seq 5 and 6).
            return self._new_session(), False
        session_id = unverified_user_id(transport.get("cart-token", ""))
        if session_id is None:
            raise CriticalError("JsonWebToken::get_parts(): the outer request carries no Cart-Token")
        return self.sessions.get(session_id) or self._new_session(session_id), True

    def _cart_headers(self: FakeWooCommerce, session: Session, route: str, method: str) -> dict[str, Any]:
        # AbstractCartRoute::add_response_headers, on answers and refusals alike; a batch shows
        # Nonce-Timestamp and User-ID as numbers (edge-cases.jsonl seq 2).
        return {
            "Nonce": self._nonce(),
            "Nonce-Timestamp": int(self.clock()),
            "User-ID": 0,
            "Cart-Token": self._token(session.id),
            "Cart-Hash": self._cart_hash(session),
            "Allow": ALLOW.get(route, "POST" if method in WRITES else method),
        }

    # --- dispatch -----------------------------------------------------------------------------

    def _store(
        self: FakeWooCommerce,
        method: str,
        route: str,
        query: JSON,
        headers: dict[str, str],
        body: Any,
        transport: dict[str, str] | None = None,
    ) -> Answer:
        if route == "batch" and method == "POST":
            return self._batch(body, headers)
        self._validate_args(method, route, body or {})
        session, has_token = self._load_session(headers, headers if transport is None else transport)
        writes = method in WRITES
        try:
            # AbstractCartRoute::requires_nonce: a write without a valid Cart-Token (no-cart-token.jsonl seq 1
            # and 3); 9.9.5's Checkout: any request without one (edge-cases.jsonl seq 8 goes through unsigned).
            if not has_token and (writes or route == "checkout"):
                self._check_nonce(headers.get("nonce"))
            status, payload = self._store_route(method, route, query, session, body or {})
        except WooError as error:
            if error.status == 409:
                error.data["cart"] = self._cart_response(session)
            status, payload = error.status, error.body()
        if writes and status < 400:
            self.sessions[session.id] = session
        return status, self._cart_headers(session, route, method), payload

    def _check_nonce(self: FakeWooCommerce, nonce: str | None) -> None:
        if nonce is None:
            raise WooError(
                401, "woocommerce_rest_missing_nonce", "Missing the Nonce header. This endpoint requires a valid nonce."
            )
        if not self._nonce_ok(nonce):
            raise WooError(403, "woocommerce_rest_invalid_nonce", "Nonce is invalid.")

    def _batch(self: FakeWooCommerce, body: Any, headers: dict[str, str]) -> Answer:
        requests_ = (body or {}).get("requests")
        if not isinstance(requests_, list) or len(requests_) > 25:
            raise WooError(400, "rest_invalid_param", "Invalid parameter(s): requests", headers=False)
        for index, sub in enumerate(requests_):
            if sub.get("method", "POST") not in WRITES:
                # Batch.php's schema: the method enum (no-cart-token.jsonl seq 8, a GET in a batch).
                message = f"requests[{index}][method] is not one of {BATCH_METHODS}."
                raise WooError(
                    400,
                    "rest_invalid_param",
                    "Invalid parameter(s): requests",
                    headers=False,
                    params={"requests": message},
                    details={"requests": {"code": "rest_not_in_enum", "message": message, "data": None}},
                )
        answers = []
        for sub in requests_:
            path = str(sub.get("path", ""))
            if not path.startswith(STORE + "/"):
                raise WooError(400, "woocommerce_rest_invalid_path", "Invalid path provided.", headers=False)
            try:
                status, sub_headers, payload = self._store(
                    sub.get("method", "POST"),
                    path[len(STORE) + 1 :],
                    {},
                    lower_headers(sub.get("headers") or {}),
                    sub.get("body"),
                    transport=headers,
                )
            except WooError as error:
                status, sub_headers, payload = error.status, {}, error.body()
            answers.append({"body": payload, "status": status, "headers": sub_headers})
        # Refusals and successes side by side, one 207 (edge-cases.jsonl seq 2); the outer answer has a
        # Nonce but no Cart-Token.
        return 207, {"Nonce": self._nonce(), "Allow": "POST"}, {"responses": answers}

    def _validate_args(self: FakeWooCommerce, method: str, route: str, body: JSON) -> None:
        """WordPress's argument validation, which runs before the route and so answers without cart headers."""
        if route == "checkout" and method == "POST" and "billing_address" not in body:
            raise WooError(
                400,
                "rest_missing_callback_param",
                "Missing parameter(s): billing_address",
                headers=False,
                params=["billing_address"],
            )  # edge-cases.jsonl seq 7
        if route == "cart/update-customer" and method == "POST":
            invalid = [n for n in ("billing_address", "shipping_address") if n in body and _bad_address(n, body[n])]
            if invalid:
                raise WooError(
                    400,
                    "rest_invalid_param",
                    "Invalid parameter(s): " + ", ".join(invalid),
                    headers=False,
                    params={n: "Invalid parameter." for n in invalid},
                )

    def _store_route(
        self: FakeWooCommerce, method: str, route: str, query: JSON, session: Session, body: JSON
    ) -> tuple[int, Any]:
        args = {**query, **body}
        if route == "cart" and method == "GET":
            return 200, self._cart_response(session)
        if route == "cart/add-item" and method == "POST":
            self._add_item(session, args)
            return 201, self._cart_response(session)  # CartAddItem answers 201 (checkout.jsonl seq 2)
        if route == "cart/update-item" and method == "POST":
            self._set_quantity(session, str(args.get("key")), int(args.get("quantity") or 0))
        elif route == "cart/remove-item" and method == "POST":
            if str(args.get("key")) not in session.items:
                raise WooError(409, "woocommerce_rest_cart_invalid_key", "Cart item no longer exists or is invalid.")
            del session.items[str(args.get("key"))]
        elif route == "cart/items" and method == "DELETE":
            session.items.clear()
            return 200, []  # batch-without-outer-cart-token.jsonl seq 3
        elif route == "cart/apply-coupon" and method == "POST":
            self._apply_coupon(session, str(args.get("code") or ""))
        elif route == "cart/remove-coupon" and method == "POST":
            self._remove_coupon(session, str(args.get("code") or ""))
        elif route == "cart/update-customer" and method == "POST":
            self._update_customer(session, args)
        elif route == "cart/select-shipping-rate" and method == "POST":
            self._select_rate(session, args)
        elif route == "checkout" and method == "POST":
            return self._checkout(session, body)
        else:
            raise WooError(404, "rest_no_route", "No route was found matching the URL and request method.")
        return 200, self._cart_response(session)

    # --- cart rules ---------------------------------------------------------------------------

    def _coupon_problem(self: FakeWooCommerce, code: str, session: Session) -> str | None:
        coupon = self._coupon(code)
        if coupon is None:
            return f"Coupon &quot;{code}&quot; does not exist!"  # edge-cases.jsonl seq 2
        if coupon.expires is not None and coupon.expires < self.clock():
            return f"Coupon &quot;{code}&quot; has expired."  # checkout.jsonl seq 8
        if coupon.usage_limit is not None and coupon.usage_count >= coupon.usage_limit:
            return "Coupon usage limit has been reached."
        if coupon.minimum_amount is not None:
            subtotal = sum((self.products[i["pid"]].price * i["quantity"] for i in session.items.values()), Decimal(0))
            if subtotal < coupon.minimum_amount:
                return f"The minimum spend for this coupon is ${coupon.minimum_amount:.2f}."
        return None

    def _apply_coupon(self: FakeWooCommerce, session: Session, code: str) -> None:
        # CartApplyCoupon keeps the code as typed ("min50" for MIN50, edge-cases.jsonl seq 2).
        typed = code.strip()
        if typed.lower() in (c.lower() for c in session.coupons):
            raise WooError(
                400, "woocommerce_rest_cart_coupon_error", f'Coupon code "{typed}" has already been applied.'
            )
        problem = self._coupon_problem(typed, session)
        if problem:
            raise WooError(400, "woocommerce_rest_cart_coupon_error", problem)
        coupon = self._coupon(typed)
        if coupon is not None and coupon.individual_use:
            session.coupons.clear()
        session.coupons.append(typed)

    def _remove_coupon(self: FakeWooCommerce, session: Session, code: str) -> None:
        applied = next((c for c in session.coupons if c.lower() == code.strip().lower()), None)
        if applied is None:
            raise WooError(
                400,
                "woocommerce_rest_cart_coupon_invalid_code",
                "Coupon cannot be removed because it is not already applied to the cart.",
            )
        session.coupons.remove(applied)  # edge-cases.jsonl seq 4

    def _update_customer(self: FakeWooCommerce, session: Session, args: JSON) -> None:
        # CartUpdateCustomer: each address given replaces the fields it names (checkout.jsonl seq 4, 5);
        # a cart that ships nothing takes the billing address as its shipping address.
        billing = {**{k: "" for k in BILLING_KEYS}, **session.billing, **(args.get("billing_address") or {})}
        shipping = {**{k: "" for k in SHIPPING_KEYS}, **session.shipping, **(args.get("shipping_address") or {})}
        if not self._needs_shipping(session) and "shipping_address" not in args:
            shipping = {k: billing.get(k, "") for k in SHIPPING_KEYS}
        session.billing = {k: billing.get(k, "") for k in BILLING_KEYS}
        session.shipping = {k: shipping.get(k, "") for k in SHIPPING_KEYS}

    def _select_rate(self: FakeWooCommerce, session: Session, args: JSON) -> None:
        if not args.get("rate_id"):
            raise WooError(400, "woocommerce_rest_cart_missing_rate_id", "Invalid Rate ID.")
        package = args.get("package_id")
        # CartSelectShippingRate: without a package_id the rate is chosen for every package.
        count = max(1, len(self._split(self._price(session)["lines"])))
        for key in [str(package)] if package is not None else [str(i) for i in range(count)]:
            session.chosen[key] = str(args["rate_id"])


def _bad_address(name: str, address: Any) -> bool:
    if not isinstance(address, dict):
        return True
    country, postcode = str(address.get("country") or ""), str(address.get("postcode") or "")
    return bool(
        (country and not re.fullmatch(r"[A-Z]{2}", country))
        or (country == "US" and postcode and not re.fullmatch(r"\d{5}(-\d{4})?", postcode))
        or (name == "billing_address" and address.get("email") and "@" not in str(address["email"]))
    )
