"""WooCommerce: carts through the Store API, orders through the REST API v3.

How a call to WooCommerce is made:

* Carts live in the Store API (``/wp-json/wc/store/v1``), addressed by their
  ``Cart-Token`` header, never by cookies. The token is the shop reference
  Fast keeps (``external_id``) while the order is a cart: it is a JWT whose
  payload names the cart's session (``user_id``) and its expiry (``exp``). We
  cannot verify it (the shop's secret signs it) but we read ``exp`` so an
  expired cart is reported as 404 instead of being answered with a new,
  empty cart.
* Every change to a cart is one ``POST /batch`` round trip (WordPress runs the
  sub-requests in order, each answering the whole cart); an update carrying
  line items and other segments takes two (the items first, so a refused
  item changes nothing else).
* Conversion is the Store API checkout (the order is created with the
  configured payment method and waits on-hold, stock reduced, nothing
  charged), then one REST v3 ``PUT /orders/{id}`` stamps Fast's ids and the
  Fast status on the order. From then on the order id is the reference, and
  status changes are REST v3 updates.

What cannot ride in the token lives in the shared state store under the
cart's session id: Fast's line ids (the Store API has no place for them),
the Store API nonce the checkout needs, the last addresses and total seen,
and the order id once converted (so a read by the old token finds the order).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from adapters.base import TRANSITIONS, Adapter, items_of, plan_items, requested_segments
from adapters.woocommerce.api import Sub, SubResult, WooApi, WooClient, json_or_none, woo_error
from adapters.woocommerce.cart_token import CartRef, parse_cart_token
from adapters.woocommerce.options import WooOptions, rest_auth
from adapters.woocommerce.token_pool import CartTokenPool
from adapters.woocommerce.zones import ShippingZones
from mappings import model
from mappings import woocommerce as wc
from mappings.money import from_minor_units
from service.config import Settings, StoreConfig
from service.errors import FastError, InvalidRequest, OrderNotFound, ShapeError, UpstreamRejected, UpstreamUnavailable
from service.logs import log_fields
from service.state import StateStore

log = logging.getLogger(__name__)

CART_RECORD_GRACE = 24 * 3600  # keep a cart's record a day past its token's expiry
ORDER_RECORD_TTL = 90 * 24 * 3600
CONVERSION_LOOKBACK = 15 * 60  # how far back a lost checkout answer is looked for


def _new_record(fast_id: str | None) -> dict[str, Any]:
    return {
        "fast_id": fast_id,
        "lines": [],
        "plans": {},
        "items": {},
        "nonce": None,
        "billing": None,
        "shipping": None,
        "total": None,
        "minor": 2,
        "pending": None,
        "converting": None,
        "order_id": None,
        "packages": [],
    }


def _snapshot(cart: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Enough of each cart item to restore it: quantity, id and variation attributes."""
    return {
        str(item["key"]): {
            "q": int(item.get("quantity") or 0),
            "id": item.get("id"),
            "v": [
                [str(v.get("raw_attribute") or v.get("attribute")), str(v.get("value"))]
                for v in item.get("variation") or []
                if isinstance(v, Mapping)
            ],
        }
        for item in wc.cart_items(cart)
    }


class WooCommerceAdapter(Adapter):
    name = "woocommerce"
    # Which ones are required depends on the store's ``auth`` option (see check_config).
    secrets = (("consumer_key", False), ("consumer_secret", False), ("application_password", False))

    def __init__(
        self,
        store: StoreConfig,
        state: StateStore,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        client: WooClient | None = None,
    ) -> None:
        super().__init__(store, state, settings)
        self.clock = clock
        self.options, _ = WooOptions.load(store)
        auth, auth_problem = rest_auth(store, self.options)
        self.client = client or WooClient(
            store.base_url or "http://invalid",
            connect_timeout=settings.upstream_connect_timeout,
            read_timeout=settings.upstream_read_timeout,
            max_attempts=settings.upstream_max_attempts,
        )
        self.api = WooApi(self.client, self.options.api_root, auth, auth_problem)
        self.statuses = self.options.statuses
        self.prefix = f"woo:{store.app_id}:"
        self.tokens = CartTokenPool(
            state,
            f"{self.prefix}cart-tokens",
            self.api.new_cart,
            size=self.options.cart_token_pool,
            budget=settings.call_deadline,
            clock=clock,
        )
        self.zones = ShippingZones(self.api, state, f"{self.prefix}zones", self.options.zones_cache_seconds)

    # --- configuration ----------------------------------------------------------

    @classmethod
    def check_config(cls, store: StoreConfig, settings: Settings) -> list[str]:
        problems = super().check_config(store, settings)
        where = f"store {store.name!r} ({store.app_id})"
        _, found = WooOptions.load(store)
        return problems + [f"{where}: {p}" for p in found]

    def close(self) -> None:
        self.api.close()

    # --- paths and records --------------------------------------------------------

    def _record_key(self, session: str) -> str:
        return f"{self.prefix}cart:{session}"

    def _load(self, cart: CartRef) -> dict[str, Any] | None:
        return self.state.get_json(self._record_key(cart.session))

    def _save(self, cart: CartRef, record: dict[str, Any]) -> None:
        converted = bool(record.get("order_id"))
        ttl = ORDER_RECORD_TTL if converted else max(cart.exp - self.clock(), 0) + CART_RECORD_GRACE
        self.state.set_json(self._record_key(cart.session), record, ttl)

    def _resolve(self, external_id: str | None) -> tuple[CartRef | None, int | None]:
        """The cart (token) or the order id a reference names."""
        if not external_id:
            raise OrderNotFound("the call names no WooCommerce cart or order")
        text = external_id.strip()
        if text.isdigit():
            return None, int(text)
        cart = parse_cart_token(text)
        if cart is None:
            raise OrderNotFound("the reference is neither a WooCommerce cart token nor an order id")
        record = self._load(cart)
        if record and record.get("order_id"):
            return cart, int(record["order_id"])
        return cart, None

    def _live(self, cart: CartRef) -> CartRef:
        if cart.exp <= self.clock():
            raise OrderNotFound("the WooCommerce cart has expired (its Cart-Token is past its expiry)")
        return cart

    # --- hydration --------------------------------------------------------------------

    def _cart_order(self, cart: CartRef, record: Mapping[str, Any], body: Mapping[str, Any]) -> model.Order:
        ctx = wc.CartContext(
            fast_id=record.get("fast_id"),
            external_id=cart.token,
            lines=[wc.TrackedLine.from_json(x) for x in record.get("lines") or []],
            plan_ids=dict(record.get("plans") or {}),
        )
        return wc.cart_to_order(body, ctx)

    def _order(self, order: Mapping[str, Any], fast_id: str | None = None) -> model.Order:
        return wc.order_to_fast(order, self.statuses, fast_id)

    def _remember_cart(self, record: dict[str, Any], body: Mapping[str, Any], nonce: str | None) -> None:
        """Keep what the next call may need from the cart the shop just answered."""
        record["items"] = _snapshot(body)
        record["seen"] = True
        keys = set(record["items"])
        record["lines"] = [x for x in record.get("lines") or [] if x["key"] in keys]
        record["billing"] = body.get("billing_address") or record.get("billing")
        record["shipping"] = body.get("shipping_address") or record.get("shipping")
        record["total"] = wc.cart_total_minor(body)
        record["packages"] = [str(p.get("package_id")) for p in body.get("shipping_rates") or [] if isinstance(p, dict)]
        totals = body.get("totals")
        if isinstance(totals, Mapping) and isinstance(totals.get("currency_minor_unit"), int):
            record["minor"] = totals["currency_minor_unit"]
        if nonce:
            record["nonce"] = nonce

    # --- the interface ------------------------------------------------------------------

    def create(self, order: model.Order) -> model.Order:
        record = _new_record(order.id)
        items = items_of(order)
        subs = self._item_subs(record, items)  # refuses what Fast cannot name before anything is sent
        cart = self.tokens.take() or self.api.new_cart()
        self.tokens.refill_later()
        customer = self._customer_sub(
            order.bill_to if order.bill_to and order.bill_to.country_iso2 else None,
            next((p.ship_to for p in order.shipment_plans if p.ship_to and p.ship_to.country_iso2), None),
            (),
        )
        if customer:
            subs.append(customer)
        if not subs:
            body, _ = self.api.get_cart(cart)
            self._remember_cart(record, body, None)
            self._save(cart, record)
            return self._cart_order(cart, record, body)
        try:
            results = self.api.batch(cart, subs)
            body = self._absorb_items(record, subs, results)
            for sub, result in zip(subs, results, strict=True):
                if sub.kind == "add" and not result.ok:
                    raise self._item_error(sub, result)
                if sub.kind == "customer" and not result.ok:
                    raise UpstreamRejected(result.error.message)
        except FastError:
            self._abandon(cart)
            raise
        if body is None:
            raise ShapeError("the shop's batch answer holds no cart")
        self._remember_cart(record, body, results[-1].header("Nonce"))
        self._save(cart, record)
        return self._cart_order(cart, record, body)

    def read(self, ref: model.OrderRef) -> model.Order:
        cart, order_id = self._resolve(ref.external_id)
        if order_id is not None:
            return self._order(self.api.get_order(order_id), ref.fast_order_id)
        assert cart is not None
        self._live(cart)
        record = self._load(cart) or _new_record(ref.fast_order_id)
        body, _ = self.api.get_cart(cart)
        if record.get("items") and not wc.cart_items(body) and not record.get("pending"):
            # A cart we filled answered empty: WooCommerce dropped the session behind the token.
            raise OrderNotFound("the WooCommerce cart no longer exists (its session ended)")
        return self._cart_order(cart, record, body)

    def update(self, ref: model.OrderRef, update: model.OrderUpdate) -> model.UpdateResult:
        cart, order_id = self._resolve(ref.external_id)
        if order_id is not None:
            with self.state.lock(f"{self.prefix}order:{order_id}"):
                return self._update_order(order_id, update, ref.fast_order_id)
        assert cart is not None
        self._live(cart)
        with self.state.lock(self._record_key(cart.session)):
            record = self._load(cart)
            if record is None:
                # A cart this service did not create, or whose record it lost (a storefront cart Fast
                # took over looks the same): its lines carry no Fast ids, and it may be an order already.
                record = _new_record(ref.fast_order_id)
                record["unrecorded"] = True
            if record.get("order_id"):  # converted while we waited for the lock
                return self._update_order(int(record["order_id"]), update, ref.fast_order_id)
            if ref.fast_order_id and not record.get("fast_id"):
                record["fast_id"] = ref.fast_order_id  # a storefront cart Fast took over
            return self._update_cart(cart, record, update)

    def delete(self, ref: model.OrderRef) -> None:
        try:
            cart, order_id = self._resolve(ref.external_id)
        except OrderNotFound:
            return
        if order_id is not None:
            raise InvalidRequest(
                f"WooCommerce order {order_id} is a placed order, not a cart: cancel it with a status update"
            )
        assert cart is not None
        if cart.exp <= self.clock():
            return
        with self.state.lock(self._record_key(cart.session)):
            response = self.client.request(
                "DELETE",
                self.api.store_path("cart/items"),
                headers={"Cart-Token": cart.token},
                ok_statuses=(401, 403, 404),
            )
            if response.status_code in (401, 403):
                if "nonce" in woo_error(json_or_none(response), response.status_code).code:
                    return  # the shop no longer knows the token: nothing left to delete
                raise self.client.translate(response)
            self.state.delete(self._record_key(cart.session))

    def shipping_zones(self) -> list[model.ShippingZone]:
        return self.zones.get()

    # --- cart updates ---------------------------------------------------------------------

    def _check(self, update: model.OrderUpdate, segments: list[str]) -> None:
        """Refuse what cannot work before anything is sent: a refused update changes nothing."""
        if model.SEGMENT_SHIPPING_ADDRESS in segments and not any(s.ship_to for s in update.shipments):
            raise InvalidRequest("the shipments update carries no ship_to address")
        if model.SEGMENT_SHIPPING_OPTION in segments and not (
            update.shipping_option and update.shipping_option.wanted_option
        ):
            raise InvalidRequest("shipping_option names no option")
        if model.SEGMENT_ORDER_STATUS in segments:
            status = update.status or ""
            if model.SEGMENT_CONVERT in segments:
                if status != model.STATUS_PENDING and status not in TRANSITIONS[model.STATUS_PENDING]:
                    raise OrderStateConflict(f"a new order cannot go from {model.STATUS_PENDING} to {status}")
            elif status != model.STATUS_CANCELED:
                raise OrderStateConflict(f"the cart has not been converted to an order: it cannot become {status}")

    def _update_cart(self, cart: CartRef, record: dict[str, Any], update: model.OrderUpdate) -> model.UpdateResult:
        segments = requested_segments(update)
        self._check(update, segments)
        self._check_plan(record, update, segments)
        statuses: dict[str, model.SegmentStatus] = {}
        body: dict[str, Any] | None = None
        nonce: str | None = None
        refused_coupon: model.Discount | None = None
        if record.get("pending"):
            body, nonce = self._reconcile(cart, record)

        if model.SEGMENT_LINE_ITEM in segments:
            if not record.get("seen") and body is None:
                # A cart we have never seen (a storefront cart Fast took over): learn its items first.
                body, nonce = self.api.get_cart(cart)
                self._remember_cart(record, body, nonce)
            body, nonce = self._apply_items(cart, record, update.items) or (body, nonce)
            statuses[model.SEGMENT_LINE_ITEM] = model.SegmentStatus(model.SEGMENT_LINE_ITEM, True)

        subs = self._segment_subs(record, update, segments)
        if subs:
            results = self.api.batch(cart, subs)
            for result in results:
                body = result.cart() or body
                nonce = result.header("Nonce") or nonce
            for sub, result in zip(subs, results, strict=True):
                for segment in sub.segments:
                    statuses[segment] = self._segment_outcome(segment, sub, result, body, update)
                if sub.kind == "coupon" and not statuses[model.SEGMENT_COUPON].status:
                    refused_coupon = model.Discount(
                        code=sub.body["code"],
                        description=statuses[model.SEGMENT_COUPON].message,
                        origin=model.ORIGIN_USER,
                        applied=False,
                        total_amount=from_minor_units(0, int(record.get("minor") or 2)),
                    )

        converting = model.SEGMENT_CONVERT in segments
        if body is None and not (converting and not subs):
            body, nonce = self.api.get_cart(cart)
        if body is not None:
            self._remember_cart(record, body, nonce)
        self._save(cart, record)

        if converting:
            order_json = self._convert(cart, record, update.status)
            statuses[model.SEGMENT_CONVERT] = model.SegmentStatus(model.SEGMENT_CONVERT, True)
            if model.SEGMENT_ORDER_STATUS in segments:
                order_json = self._set_status(int(record["order_id"]), order_json, update.status or "")
                statuses[model.SEGMENT_ORDER_STATUS] = model.SegmentStatus(model.SEGMENT_ORDER_STATUS, True)
            order = self._order(order_json, record.get("fast_id"))
        else:
            if model.SEGMENT_ORDER_STATUS in segments:
                if record.get("unrecorded") and not record.get("items"):
                    raise self._cart_record_lost(record, "cancel")
                body = self._cancel_cart(cart, record)
                statuses[model.SEGMENT_ORDER_STATUS] = model.SegmentStatus(model.SEGMENT_ORDER_STATUS, True)
            assert body is not None
            order = self._cart_order(cart, record, body)
            if record.get("canceled"):
                order.status = model.STATUS_CANCELED
            if refused_coupon is not None:
                order.coupons.append(refused_coupon)
        return model.UpdateResult(order, [statuses[s] for s in segments if s in statuses])

    def _segment_subs(self, record: dict[str, Any], update: model.OrderUpdate, segments: list[str]) -> list[Sub]:
        """The Store API requests for every cart segment but the items, in the order they apply."""
        subs: list[Sub] = []
        ship_to = None
        if model.SEGMENT_SHIPPING_ADDRESS in segments:
            plan = next(s for s in update.shipments if s.ship_to is not None)
            ship_to = plan.ship_to
            if plan.plan_id:
                self._remember_plan(record, plan.plan_id)
        address_segments = tuple(
            s for s in (model.SEGMENT_BILLING_ADDRESS, model.SEGMENT_SHIPPING_ADDRESS) if s in segments
        )
        customer = self._customer_sub(
            update.bill_to if model.SEGMENT_BILLING_ADDRESS in segments else None, ship_to, address_segments
        )
        if customer:
            subs.append(customer)
        if model.SEGMENT_SHIPPING_OPTION in segments and update.shipping_option:
            choice = update.shipping_option
            package = self._package_for(record, choice.plan_id)
            rate_body: dict[str, Any] = {"rate_id": choice.wanted_option}
            if package is not None:
                rate_body["package_id"] = int(package) if package.isdigit() else package
            subs.append(
                Sub(
                    "cart/select-shipping-rate",
                    rate_body,
                    "rate",
                    key=package,
                    segments=(model.SEGMENT_SHIPPING_OPTION,),
                )
            )
        if model.SEGMENT_COUPON in segments and update.coupon:
            code = update.coupon.code.strip()
            path = "cart/remove-coupon" if update.coupon.remove else "cart/apply-coupon"
            kind = "uncoupon" if update.coupon.remove else "coupon"
            subs.append(Sub(path, {"code": code}, kind, segments=(model.SEGMENT_COUPON,)))
        if subs:
            # A refused sub-request answers an error, not the cart (checkout.jsonl seq 8), and a GET
            # cannot ride in a batch (no-cart-token.jsonl seq 8): end with a write that changes
            # nothing and answers the cart. update-customer without addresses re-saves the
            # customer's own (StoreApi/Routes/V1/CartUpdateCustomer.php), so the answer is always
            # there without a second round trip.
            subs.append(Sub("cart/update-customer", {}, "read"))
        return subs

    def _segment_outcome(
        self,
        segment: str,
        sub: Sub,
        result: SubResult,
        cart: Mapping[str, Any] | None,
        update: model.OrderUpdate,
    ) -> model.SegmentStatus:
        if sub.kind == "customer":
            if not result.ok:
                return model.SegmentStatus(segment, False, "ADDRESS_REJECTED", result.error.message)
            if segment == model.SEGMENT_SHIPPING_ADDRESS and cart is not None and cart.get("needs_shipping"):
                packages = cart.get("shipping_rates") or []
                if not packages or all(not (p.get("shipping_rates") or []) for p in packages):
                    where = sub.body.get("shipping_address", {})
                    place = "-".join(x for x in (where.get("country"), where.get("state")) if x) or "this address"
                    return model.SegmentStatus(
                        segment, False, "ADDRESS_NOT_SERVICEABLE", f"the shop does not ship to {place}"
                    )
            return model.SegmentStatus(segment, True)
        if sub.kind == "rate":
            wanted = update.shipping_option.wanted_option if update.shipping_option else None
            if not result.ok:
                return model.SegmentStatus(segment, False, "SHIPPING_OPTION_NOT_AVAILABLE", result.error.message)
            chosen = wc.selected_rates(cart or {})
            picked = chosen.get(sub.key) if sub.key is not None else None
            if picked != wanted and wanted not in chosen.values():
                return model.SegmentStatus(
                    segment,
                    False,
                    "SHIPPING_OPTION_NOT_AVAILABLE",
                    f"shipping option {wanted!r} is not available for this cart's address",
                )
            return model.SegmentStatus(segment, True)
        if sub.kind == "coupon":
            if result.ok:
                return model.SegmentStatus(segment, True)
            code = sub.body["code"].lower()
            applied = {str(c.get("code", "")).lower() for c in (cart or {}).get("coupons") or []}
            if code in applied:
                return model.SegmentStatus(segment, True)  # already applied: a retried call changes nothing
            message = result.error.message
            return model.SegmentStatus(segment, False, wc.coupon_reason_code(message), message)
        # Removing a coupon that is not there leaves it not there.
        return model.SegmentStatus(segment, True)

    def _customer_sub(
        self, bill_to: model.Address | None, ship_to: model.Address | None, segments: tuple[str, ...]
    ) -> Sub | None:
        body: dict[str, Any] = {}
        if bill_to is not None:
            body["billing_address"] = wc.woo_address(bill_to, billing=True)
        if ship_to is not None:
            body["shipping_address"] = wc.woo_address(ship_to, billing=False)
        if not body:
            return None
        return Sub("cart/update-customer", body, "customer", segments=segments)

    def _remember_plan(self, record: dict[str, Any], plan_id: str) -> None:
        plans: dict[str, str] = record.setdefault("plans", {})
        if plan_id in plans.values() or plan_id in plans:
            return
        if len(record.get("packages") or []) <= 1:
            plans["0"] = plan_id  # one package: Fast's plan is the cart's shipment
        # Several packages (a plugin split the cart): each plan carries its package id as external_id,
        # and that is what Fast names when it chooses an option.

    def _package_for(self, record: Mapping[str, Any], plan_id: str | None) -> str | None:
        if not plan_id:
            return None
        if plan_id.isdigit():
            return plan_id
        for package, fast_plan in (record.get("plans") or {}).items():
            if fast_plan == plan_id:
                return package
        return None  # not a plan we know: with one package, the rate is chosen for it

    def _check_plan(self, record: Mapping[str, Any], update: model.OrderUpdate, segments: list[str]) -> None:
        """With several packages, a rate for a plan we cannot place would be a guess: refuse it first."""
        packages = record.get("packages") or []
        choice = update.shipping_option
        if model.SEGMENT_SHIPPING_OPTION not in segments or choice is None or len(packages) <= 1:
            return
        package = self._package_for(record, choice.plan_id)
        if package is None or package not in packages:
            raise InvalidRequest(
                f"shipping_option names plan {choice.plan_id!r}, which is not one of this cart's"
                f" {len(packages)} shipments (plans {', '.join(packages)})",
                field="shipping_option.plan_id",
            )

    def _cancel_cart(self, cart: CartRef, record: dict[str, Any]) -> dict[str, Any]:
        """A cart Fast cancels before conversion: empty it."""
        response = self.client.request(
            "DELETE", self.api.store_path("cart/items"), headers={"Cart-Token": cart.token}, ok_statuses=(404,)
        )
        self.client.json(response)
        record["lines"], record["items"], record["canceled"] = [], {}, True
        self._save(cart, record)
        body, _ = self.api.get_cart(cart)
        return body

    # --- items --------------------------------------------------------------------------

    def _item_subs(self, record: dict[str, Any], items: list[model.ItemUpdate]) -> list[Sub]:
        """Store API requests for Fast's ``items`` entries: decreases first, then increases, then new lines."""
        tracked = [wc.TrackedLine.from_json(x) for x in record.get("lines") or []]
        snapshot: dict[str, dict[str, Any]] = record.get("items") or {}
        current = [model.Line(id=t.id, external_id=t.key) for t in tracked]
        current += [model.Line(external_id=key) for key in snapshot if key not in {t.key for t in tracked}]
        wanted: dict[str, int] = {}
        adds: list[Sub] = []
        untracked = {key: n for key in snapshot if (n := _untracked(snapshot, record, key))}
        for action in plan_items(current, items):
            if action.kind == "none":
                if untracked and action.item.item_id:
                    raise self._line_map_lost(record, action.item.item_id)
                continue
            if action.kind == "add":
                try:
                    add = wc.add_item_body(action.item, action.quantity)
                except ValueError as exc:
                    if untracked and action.item.item_id:
                        raise self._line_map_lost(record, action.item.item_id) from None
                    raise InvalidRequest(str(exc)) from None
                if action.item.item_id and _may_be_untracked(add, snapshot, untracked):
                    raise self._line_map_lost(record, action.item.item_id)
                adds.append(Sub("cart/add-item", add.body, "add", line_id=action.item.item_id, add=add))
                continue
            assert action.line is not None
            key = action.line.external_id or ""
            owner = next((t for t in tracked if t.id == action.line.id), None) if action.line.id else None
            if owner is not None:
                owner.qty = action.quantity
                if action.kind == "remove":
                    tracked.remove(owner)
                wanted[key] = sum(t.qty for t in tracked if t.key == key) + _untracked(snapshot, record, key)
            else:
                wanted[key] = action.quantity if action.kind == "set" else 0
        record["lines"] = [t.to_json() for t in tracked]
        changes: list[Sub] = []
        for key, qty in wanted.items():
            before = int((snapshot.get(key) or {}).get("q", 0))
            if qty <= 0:
                changes.append(Sub("cart/remove-item", {"key": key}, "remove", key=key))
            elif qty != before:
                changes.append(Sub("cart/update-item", {"key": key, "quantity": qty}, "set", key=key))
        changes.sort(key=lambda s: 0 if s.kind == "remove" else (1 if s.body["quantity"] < _q(snapshot, s.key) else 2))
        return changes + adds

    def _line_map_lost(self, record: Mapping[str, Any], line_id: str) -> FastError:
        """A Fast line the record does not know, in a cart holding items no Fast line accounts for.

        This is what a lost or stale record looks like (a restart on an ephemeral state store, a
        storefront edit): the line may be one of those items, and guessing which would change or
        charge the wrong thing. Nothing is sent; Fast is told the cart is gone (404), which makes it
        stop or create the order again, instead of retrying a call that can never succeed.
        """
        log.error(
            "refused a line change: the service has no record tying this Fast line to the shop's cart",
            extra=log_fields(
                platform="woocommerce", store=self.store.name, fast_order_id=record.get("fast_id"), line_id=line_id
            ),
        )
        return OrderNotFound(
            f"the service no longer knows which WooCommerce cart item holds Fast line {line_id} (its record of"
            " the cart was lost); nothing was changed: create the order again"
        )

    def _cart_record_lost(self, record: Mapping[str, Any], what: str) -> FastError:
        """An empty cart the service has no record of: it may have become an order this service placed."""
        log.error(
            f"refused to {what} a cart the service has no record of: it may already be an order",
            extra=log_fields(platform="woocommerce", store=self.store.name, fast_order_id=record.get("fast_id")),
        )
        return OrderNotFound(
            f"the WooCommerce cart is empty and the service has no record of it (lost state?): it cannot {what}"
            " it safely; if the cart was converted, name the WooCommerce order id"
        )

    def _apply_items(
        self, cart: CartRef, record: dict[str, Any], items: list[model.ItemUpdate]
    ) -> tuple[dict[str, Any], str | None] | None:
        """Apply the items segment in one batch; on any refusal undo what went through and raise."""
        before_lines = [dict(x) for x in record.get("lines") or []]
        subs = self._item_subs(record, items)
        if not subs:
            return None  # nothing to change in the shop (e.g. Fast's lines re-split within one cart item)
        if any(s.kind == "add" for s in subs):
            # If the answer is lost, the next call finds out what happened before acting.
            record["pending"] = {"adds": [_pending_add(s) for s in subs if s.kind == "add"], "lines": before_lines}
            self._save(cart, {**record, "lines": before_lines})
        results = self.api.batch(cart, subs)
        failure = next(((s, r) for s, r in zip(subs, results, strict=True) if not _item_ok(s, r)), None)
        if failure is None:
            body = self._absorb_items(record, subs, results)
            record["pending"] = None
            if body is None:
                raise ShapeError("the shop's batch answer holds no cart")
            return body, next((r.header("Nonce") for r in reversed(results) if r.header("Nonce")), None)
        # Something was refused: restore the cart to what it was, then say why.
        error = self._item_error(*failure)
        record["lines"] = before_lines
        record["pending"] = None
        self._undo(cart, record, results)
        self._save(cart, record)  # the outcome is known: no reconciliation needed next time
        raise error

    def _absorb_items(self, record: dict[str, Any], subs: list[Sub], results: list[SubResult]) -> dict[str, Any] | None:
        """Walk the batch's answers in order: learn which cart item each new Fast line landed in."""
        tracked = [wc.TrackedLine.from_json(x) for x in record.get("lines") or []]
        previous = {k: int(v.get("q", 0)) for k, v in (record.get("items") or {}).items()}
        body: dict[str, Any] | None = None
        for sub, result in zip(subs, results, strict=True):
            cart = result.cart()
            if cart is None:
                continue
            body = cart
            now = wc.item_quantities(cart)
            if sub.kind == "add" and result.ok and sub.add is not None:
                key, item = _added_item(cart, previous, sub)
                if key is not None and sub.line_id:
                    tracked.append(
                        wc.TrackedLine(
                            id=sub.line_id,
                            key=key,
                            qty=now[key] - previous.get(key, 0),
                            item=item.get("id") if item else None,
                            variation=bool(item and (item.get("type") == "variation" or item.get("variation"))),
                            product=sub.add.product,
                        )
                    )
            previous = now
        record["lines"] = [t.to_json() for t in tracked]
        return body

    def _item_error(self, sub: Sub, result: SubResult) -> FastError:
        error = result.error
        what = sub.add.describe if sub.add else f"cart item {sub.key}"
        if error.code == "woocommerce_rest_cart_invalid_key":
            return UpstreamRejected(f"{what} is no longer in the cart")
        if result.status >= 500:
            return UpstreamUnavailable(f"the shop failed to change the cart ({error.message})")
        # Out of stock, unknown product, no such variation, quantity limits: the shop said no to this item.
        return UpstreamRejected(f"{what}: {error.message}")

    def _undo(self, cart: CartRef, record: dict[str, Any], results: list[SubResult]) -> None:
        """Reverse every item change of a batch that went through, so a refused update changes nothing."""
        snapshot: dict[str, dict[str, Any]] = record.get("items") or {}
        previous = {k: int(v.get("q", 0)) for k, v in snapshot.items()}
        reverse: list[Sub] = []
        for result in results:
            cart_body = result.cart()
            if not result.ok or cart_body is None:
                continue
            now = wc.item_quantities(cart_body)
            changed = [k for k in set(now) | set(previous) if now.get(k, 0) != previous.get(k, 0)]
            for key in changed:
                old = previous.get(key, 0)
                if old == 0:
                    reverse.append(Sub("cart/remove-item", {"key": key}, "remove", key=key))
                elif key in now:
                    reverse.append(Sub("cart/update-item", {"key": key, "quantity": old}, "set", key=key))
                else:
                    info = snapshot.get(key) or {}
                    readd: dict[str, Any] = {"id": info.get("id"), "quantity": old}
                    if info.get("v"):
                        readd["variation"] = [{"attribute": a, "value": v} for a, v in info["v"]]
                    reverse.append(Sub("cart/add-item", readd, "readd", key=key))
            previous = now
        if not reverse:
            return
        reverse.reverse()
        try:
            undone = self.api.batch(cart, reverse)
        except FastError:
            undone = []
        if len(undone) != len(reverse) or not all(r.ok for r in undone):
            log.error(
                "a refused cart change could not be fully undone; the cart will be re-read on the next call",
                extra=log_fields(platform="woocommerce", changes=len(reverse)),
            )
            record["pending"] = {"adds": [], "lines": record.get("lines") or []}
            self._save(cart, record)
            raise UpstreamUnavailable("the shop refused part of the change and the cart could not be restored")
        body = next((r.cart() for r in reversed(undone) if r.cart() is not None), None)
        if body is not None:
            # Re-added items may come back under new keys: follow them.
            self._rekey(record, snapshot, body)
            self._remember_cart(record, body, undone[-1].header("Nonce"))
        self._save(cart, record)

    def _rekey(self, record: dict[str, Any], snapshot: Mapping[str, Any], body: Mapping[str, Any]) -> None:
        now = _snapshot(body)
        for line in record.get("lines") or []:
            if line["key"] in now:
                continue
            old = snapshot.get(line["key"]) or {}
            match = next((k for k, v in now.items() if v["id"] == old.get("id") and v["v"] == old.get("v")), None)
            if match:
                line["key"] = match

    def _reconcile(self, cart: CartRef, record: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """A previous change's answer was lost: read the cart and adopt the lines it did add."""
        pending = record.get("pending") or {}
        body, nonce = self.api.get_cart(cart)
        previous = {k: int(v.get("q", 0)) for k, v in (record.get("items") or {}).items()}
        now = wc.item_quantities(body)
        tracked = [wc.TrackedLine.from_json(x) for x in pending.get("lines") or record.get("lines") or []]
        known = {t.id for t in tracked}
        for add in pending.get("adds") or []:
            if not add.get("line_id") or add["line_id"] in known:
                continue
            grown = [k for k in now if now[k] - previous.get(k, 0) >= int(add["qty"])]
            if not grown:
                continue  # the add never happened: the retried call will add it
            key = next((k for k in grown if _item_id(body, k) == add.get("id")), grown[0])
            item = _find_item(body, key) or {}
            tracked.append(
                wc.TrackedLine(
                    id=add["line_id"],
                    key=key,
                    qty=int(add["qty"]),
                    item=item.get("id"),
                    variation=bool(item.get("type") == "variation" or item.get("variation")),
                    product=add.get("product"),
                )
            )
            previous[key] = previous.get(key, 0) + int(add["qty"])
        record["lines"] = [t.to_json() for t in tracked]
        record["pending"] = None
        self._remember_cart(record, body, nonce)
        self._save(cart, record)
        return body, nonce

    def _abandon(self, cart: CartRef) -> None:
        """A create that failed leaves a half-filled cart nobody will reference: empty it (best effort)."""
        with contextlib.suppress(FastError):
            self.client.request(
                "DELETE",
                self.api.store_path("cart/items"),
                headers={"Cart-Token": cart.token},
                ok_statuses=(401, 403, 404),
            )

    # --- conversion -------------------------------------------------------------------

    def _convert(self, cart: CartRef, record: dict[str, Any], then_status: str | None) -> dict[str, Any]:
        """Place the cart's order through the Store API checkout, then stamp Fast's ids on it."""
        target = then_status if then_status and then_status in TRANSITIONS[model.STATUS_PENDING] else None
        if record.get("converting"):
            found = self._recover_conversion(cart, record)
            if found is not None:
                return self._stamp(record, found, target)
        if not record.get("items") or not wc.has_address(record.get("billing")):
            body, nonce = self.api.get_cart(cart)
            self._remember_cart(record, body, nonce)
        if not record.get("items"):
            if record.get("unrecorded"):
                raise self._cart_record_lost(record, "convert")
            raise InvalidRequest("the cart is empty: nothing to order")
        billing = record.get("billing") or {}
        if not billing.get("email"):
            raise InvalidRequest("the order needs the buyer's email address: send bill_to first")
        payload: dict[str, Any] = {
            "billing_address": billing,
            "shipping_address": record.get("shipping") if wc.has_address(record.get("shipping")) else billing,
            "payment_method": self.options.payment_method,
            "customer_note": "",
        }
        if self.options.send_expected_total and record.get("total") is not None:
            payload["expected_total"] = str(record["total"])
        record["converting"] = {"at": int(self.clock()), "email": billing.get("email"), "total": record.get("total")}
        self._save(cart, record)
        answer = self._checkout(cart, record, payload)
        record["order_id"] = int(answer["order_id"])
        record["converting"] = None
        self._save(cart, record)
        order = {"id": record["order_id"], "status": answer.get("status"), "meta_data": []}
        return self._stamp(record, order, target)

    def _checkout(self, cart: CartRef, record: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
        for attempt in (1, 2):
            response = self.api.checkout(cart, str(record.get("nonce") or ""), payload)
            body = self.client.json(response)
            if response.status_code < 300 and isinstance(body, dict) and isinstance(body.get("order_id"), int):
                result = body.get("payment_result") or {}
                if result.get("payment_status") in ("failure", "error"):
                    break
                return body
            places_order = isinstance(body, dict) and isinstance(body.get("order_id"), int)
            if response.status_code < 300 and not places_order:
                # A success that names no order: the order may exist. The "converting" marker
                # stays, so the retry looks for the order instead of placing another.
                raise ShapeError("the shop answered the checkout without an order id")
            error = woo_error(body, response.status_code)
            if response.status_code in (401, 403) and "nonce" in error.code and attempt == 1:
                # Only shops older than WooCommerce 9.3 get here: until woocommerce/woocommerce#50025
                # (merged 2024-07-26) the checkout wanted a Nonce even with a Cart-Token; since then
                # requires_nonce() is "no Cart-Token" (StoreApi/Routes/V1/Checkout.php; the real 9.9.5
                # checkout.jsonl). The nonce sent is the last one the shop handed out; a stale one
                # (WordPress nonces last a day) is fetched fresh once.
                fresh, nonce = self.api.get_cart(cart)
                self._remember_cart(record, fresh, nonce)
                continue
            record["converting"] = None
            self._save(cart, record)
            if response.status_code in (401, 403):
                if "nonce" in error.code:
                    raise OrderNotFound("the shop no longer accepts this cart's token")
                raise self.client.translate(response)
            if error.code == "woocommerce_rest_checkout_total_mismatch" or (
                response.status_code == 409 and "total" in error.code
            ):
                fresh = error.data.get("cart")
                if isinstance(fresh, dict) and isinstance(fresh.get("items"), list):
                    # The shop sent the cart as it is now: the next convert is judged against it.
                    self._remember_cart(record, fresh, None)
                    self._save(cart, record)
                raise UpstreamRejected(
                    f"the order total changed since the shopper saw it ({error.message}); read the order again",
                )
            if isinstance(body, dict) and isinstance(body.get("order_id"), int):
                break
            raise UpstreamRejected(f"the shop refused to place the order: {error.message}")
        record["converting"] = None
        self._save(cart, record)
        message = "payment refused"
        details = ((body or {}).get("payment_result") or {}).get("payment_details") or []
        for entry in details if isinstance(details, list) else []:
            if isinstance(entry, dict) and entry.get("key") in ("message", "error", "errorMessage"):
                message = wc.clean_text(entry.get("value")) or message
        raise UpstreamRejected(f"the payment method {self.options.payment_method!r} refused the order: {message}")

    def _recover_conversion(self, cart: CartRef, record: dict[str, Any]) -> dict[str, Any] | None:
        """An earlier checkout's answer was lost: find out whether it placed the order."""
        body, nonce = self.api.get_cart(cart)
        converting = record.get("converting") or {}
        if wc.cart_items(body):
            record["converting"] = None  # the cart is still full: the checkout never happened
            self._remember_cart(record, body, nonce)
            self._save(cart, record)
            return None
        since = dt.datetime.fromtimestamp(int(converting.get("at") or 0) - CONVERSION_LOOKBACK, dt.UTC)
        params = {
            "after": since.strftime("%Y-%m-%dT%H:%M:%S"),
            "per_page": 20,
            "orderby": "date",
            "order": "desc",
            "status": "any",
        }
        if converting.get("email"):
            params["search"] = converting["email"]
        candidates = self.client.json(self.api.rest("GET", "orders", params=params))
        minor = int(record.get("minor") or 2)
        expected = from_minor_units(converting["total"], minor) if converting.get("total") is not None else None
        for order in candidates if isinstance(candidates, list) else []:
            owner = wc.meta_value(order, wc.META_FAST_ORDER_ID)
            if order.get("status") == "checkout-draft" or (owner and owner != record.get("fast_id")):
                continue
            if converting.get("email") and (order.get("billing") or {}).get("email") != converting["email"]:
                continue
            if expected is not None and wc.decimal_amount(order.get("total")) != expected:
                continue
            record["order_id"] = int(order["id"])
            record["converting"] = None
            self._save(cart, record)
            log.info("recovered an order whose checkout answer was lost", extra=log_fields(order_id=order["id"]))
            return order
        record["converting"] = None
        self._save(cart, record)
        raise UpstreamRejected("the cart is empty and no order was found for it: nothing to order")

    def _order_record_key(self, order_id: int) -> str:
        return f"{self.prefix}order:{order_id}"

    def _stamp(self, record: Mapping[str, Any], order: Mapping[str, Any], target: str | None) -> dict[str, Any]:
        """Write Fast's ids, Fast's status and the gateway title on a freshly placed order (one PUT).

        What is written is also kept in the shared store first, so a convert
        retried after a failed PUT can finish the job from the order id alone.
        """
        order_id = int(order["id"])
        stamp = {"fast_id": record.get("fast_id") or "", "lines": record.get("lines") or []}
        self.state.set_json(self._order_record_key(order_id), stamp, ORDER_RECORD_TTL)
        status = target or model.STATUS_PENDING
        lines = [wc.TrackedLine.from_json(x) for x in stamp["lines"]]
        changes = {
            "status": self.statuses[status],
            "payment_method_title": self.options.payment_method_title,
            "meta_data": [
                {"key": wc.META_FAST_ORDER_ID, "value": stamp["fast_id"]},
                {"key": wc.META_FAST_STATUS, "value": status},
                {"key": wc.META_FAST_LINES, "value": wc.fast_lines_meta(lines)},
            ],
        }
        return self.api.put_order(order_id, changes)

    # --- orders -------------------------------------------------------------------------

    def _update_order(self, order_id: int, update: model.OrderUpdate, fast_id: str | None) -> model.UpdateResult:
        segments = requested_segments(update)
        content = [s for s in segments if s not in (model.SEGMENT_CONVERT, model.SEGMENT_ORDER_STATUS)]
        if content:
            raise InvalidRequest(
                f"WooCommerce order {order_id} is already an order: its contents can no longer change",
            )
        order = self.api.get_order(order_id)
        statuses = []
        if model.SEGMENT_CONVERT in segments:
            # Converted already; finish the stamping if an earlier attempt stopped short of it.
            stamp = self.state.get_json(self._order_record_key(order_id))
            if stamp and not wc.meta_value(order, wc.META_FAST_ORDER_ID):
                order = self._stamp(stamp, order, None)
            statuses.append(model.SegmentStatus(model.SEGMENT_CONVERT, True))
        if model.SEGMENT_ORDER_STATUS in segments:
            order = self._set_status(order_id, order, update.status or "")
            statuses.append(model.SegmentStatus(model.SEGMENT_ORDER_STATUS, True))
        return model.UpdateResult(self._order(order, fast_id), statuses)

    def _set_status(self, order_id: int, order: dict[str, Any], status: str) -> dict[str, Any]:
        current = wc.fast_status_of(order, self.statuses)
        if status == current:
            return order  # a retried status change is a no-op
        if status not in self.statuses:
            raise InvalidRequest(f"status {status} cannot be set on a WooCommerce order")
        if status not in TRANSITIONS.get(current, set()):
            raise OrderStateConflict(f"WooCommerce order {order_id} cannot go from {current} to {status}")
        changes: dict[str, Any] = {
            "status": self.statuses[status],
            "meta_data": [{"key": wc.META_FAST_STATUS, "value": status}],
        }
        return self.api.put_order(order_id, changes)


# --- helpers -----------------------------------------------------------------------------


def _q(snapshot: Mapping[str, Any], key: str | None) -> int:
    return int((snapshot.get(key or "") or {}).get("q", 0))


def _untracked(snapshot: Mapping[str, Any], record: Mapping[str, Any], key: str) -> int:
    """The part of a cart item's quantity no Fast line accounts for (e.g. added on the storefront)."""
    tracked = sum(int(x["qty"]) for x in (record.get("lines") or []) if x["key"] == key)
    return max(_q(snapshot, key) - tracked, 0)


def _may_be_untracked(add: wc.AddItem, snapshot: Mapping[str, Any], untracked: Mapping[str, int]) -> bool:
    """Whether a "new" line could be one the cart already holds but no Fast line accounts for."""
    for key in untracked:
        info = snapshot.get(key) or {}
        if info.get("id") == add.body.get("id") or ("variation" in add.body and info.get("v")):
            return True
    return False


def _item_ok(sub: Sub, result: SubResult) -> bool:
    if result.ok:
        return True
    # Removing a line that is already gone leaves it gone.
    return sub.kind == "remove" and result.error.code == "woocommerce_rest_cart_invalid_key"


def _pending_add(sub: Sub) -> dict[str, Any]:
    return {
        "line_id": sub.line_id,
        "id": sub.body.get("id"),
        "qty": int(sub.body.get("quantity") or 1),
        "product": sub.add.product if sub.add else None,
    }


def _find_item(cart: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    return next((i for i in wc.cart_items(cart) if str(i["key"]) == key), None)


def _item_id(cart: Mapping[str, Any], key: str) -> Any:
    item = _find_item(cart, key)
    return item.get("id") if item else None


def _added_item(
    cart: Mapping[str, Any], previous: Mapping[str, int], sub: Sub
) -> tuple[str | None, Mapping[str, Any] | None]:
    """The cart item an add-item landed in: a new key, or an existing one whose quantity grew."""
    grown = [item for item in wc.cart_items(cart) if int(item.get("quantity") or 0) > previous.get(str(item["key"]), 0)]
    if not grown:
        return None, None
    wanted = sub.body.get("id")
    item = next((i for i in grown if i.get("id") == wanted), None) or next(
        (i for i in grown if str(i["key"]) not in previous), grown[0]
    )
    return str(item["key"]), item
