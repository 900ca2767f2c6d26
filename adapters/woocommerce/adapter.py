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
import time
from collections.abc import Callable, Mapping
from typing import Any

from adapters.base import Adapter, items_of, requested_segments
from adapters.woocommerce import segments as seg
from adapters.woocommerce.api import SubKind, WooApi, WooClient, json_or_none, woo_error
from adapters.woocommerce.cart_token import CartRef, parse_cart_token
from adapters.woocommerce.checkout import Checkout
from adapters.woocommerce.items import CartItems, absorb, item_error
from adapters.woocommerce.lifecycle import Lifecycle
from adapters.woocommerce.options import WooOptions, rest_auth
from adapters.woocommerce.record import CartRecord, CartRecords
from adapters.woocommerce.token_pool import CartTokenPool
from adapters.woocommerce.zones import ShippingZones
from mappings import model
from mappings import woocommerce as wc
from service.config import Settings, StoreConfig
from service.errors import FastError, InvalidRequest, OrderNotFound, ShapeError, UpstreamRejected
from service.state import StateStore


class WooCommerceAdapter(Adapter):
    name = "woocommerce"
    # Which ones are required depends on the store's ``auth`` option (see options.py).
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
        # What code outside this package reads (adapters/woocommerce/webhooks.py): the REST root and credentials.
        self.api_root, self.auth, self.auth_problem = self.options.api_root, auth, auth_problem
        self.prefix = f"woo:{store.app_id}:"
        self.records = CartRecords(state, self.prefix, clock)
        self.items = CartItems(self.api, self.records, store.name)
        self.checkout = Checkout(self.api, self.records, state, self.options, self.items, clock)
        self.lifecycle = Lifecycle(self.api, self.records, self.checkout, self.options.statuses)
        self.zones = ShippingZones(self.api, state, f"{self.prefix}zones", self.options.zones_cache_seconds)
        self.tokens = CartTokenPool(
            state,
            f"{self.prefix}cart-tokens",
            self.api.new_cart,
            size=self.options.cart_token_pool,
            budget=settings.call_deadline,
            clock=clock,
        )

    @classmethod
    def check_config(cls, store: StoreConfig, settings: Settings) -> list[str]:
        problems = super().check_config(store, settings)
        where = f"store {store.name!r} ({store.app_id})"
        _, found = WooOptions.load(store)
        return problems + [f"{where}: {p}" for p in found]

    def close(self) -> None:
        self.api.close()

    # --- the interface ------------------------------------------------------------------

    def create(self, order: model.Order) -> model.Order:
        record = CartRecord(fast_id=order.id)
        subs = self.items.subs(record, items_of(order))  # refuses what Fast cannot name before anything is sent
        cart = self.tokens.take() or self.api.new_cart()
        self.tokens.refill_later()
        customer = seg.customer_sub(
            order.bill_to if order.bill_to and order.bill_to.country_iso2 else None,
            next((p.ship_to for p in order.shipment_plans if p.ship_to and p.ship_to.country_iso2), None),
            (),
        )
        if customer:
            subs.append(customer)
        if not subs:
            body, _ = self.api.get_cart(cart)
            record.remember(body, None)
            self.records.save(cart, record)
            return self._cart_order(cart, record, body)
        try:
            results = self.api.batch(cart, subs)
            answer = absorb(record, subs, results)
            for sub, result in zip(subs, results, strict=True):
                if sub.kind == SubKind.ADD and not result.ok:
                    raise item_error(sub, result)
                if sub.kind == SubKind.CUSTOMER and not result.ok:
                    raise UpstreamRejected(result.error.message)
        except FastError:
            self._abandon(cart)
            raise
        if answer is None:
            raise ShapeError("the shop's batch answer holds no cart")
        record.remember(answer, results[-1].header("Nonce"))
        self.records.save(cart, record)
        return self._cart_order(cart, record, answer)

    def read(self, ref: model.OrderRef) -> model.Order:
        cart, order_id = self._resolve(ref.external_id)
        if order_id is not None:
            return self.lifecycle.order(self.api.get_order(order_id), ref.fast_order_id)
        assert cart is not None
        self._live(cart)
        record = self.records.load(cart) or CartRecord(fast_id=ref.fast_order_id)
        body, _ = self.api.get_cart(cart)
        if record.items and not wc.cart_items(body) and record.pending is None:
            # A cart we filled answered empty: WooCommerce dropped the session behind the token.
            raise OrderNotFound("the WooCommerce cart no longer exists (its session ended)")
        return self._cart_order(cart, record, body)

    def update(self, ref: model.OrderRef, update: model.OrderUpdate) -> model.UpdateResult:
        cart, order_id = self._resolve(ref.external_id)
        if order_id is not None:
            with self.state.lock(f"{self.prefix}order:{order_id}"):
                return self.lifecycle.update_order(order_id, update, ref.fast_order_id)
        assert cart is not None
        self._live(cart)
        with self.state.lock(self.records.key(cart.session)):
            record = self.records.load(cart)
            if record is None:
                # A cart this service did not create, or whose record it lost (a storefront cart Fast
                # took over looks the same): its lines carry no Fast ids, and it may be an order already.
                record = CartRecord(fast_id=ref.fast_order_id, unrecorded=True)
            if record.order_id:  # converted while we waited for the lock
                return self.lifecycle.update_order(record.order_id, update, ref.fast_order_id)
            if ref.fast_order_id and not record.fast_id:
                record.fast_id = ref.fast_order_id  # a storefront cart Fast took over
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
        with self.state.lock(self.records.key(cart.session)):
            response = self.api.delete_items(cart, ok_statuses=(401, 403, 404))
            if response.status_code in (401, 403):
                if "nonce" in woo_error(json_or_none(response), response.status_code).code:
                    return  # the shop no longer knows the token: nothing left to delete
                raise self.client.translate(response)
            self.records.delete(cart)

    def shipping_zones(self) -> list[model.ShippingZone]:
        return self.zones.get()

    # --- references -----------------------------------------------------------------------

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
        record = self.records.load(cart)
        if record and record.order_id:
            return cart, record.order_id
        return cart, None

    def _live(self, cart: CartRef) -> CartRef:
        if cart.exp <= self.clock():
            raise OrderNotFound("the WooCommerce cart has expired (its Cart-Token is past its expiry)")
        return cart

    def _cart_order(self, cart: CartRef, record: CartRecord, body: Mapping[str, Any]) -> model.Order:
        ctx = wc.CartContext(
            fast_id=record.fast_id, external_id=cart.token, lines=list(record.lines), plan_ids=dict(record.plans)
        )
        return wc.cart_to_order(body, ctx)

    def _abandon(self, cart: CartRef) -> None:
        """A create that failed leaves a half-filled cart nobody will reference: empty it (best effort)."""
        with contextlib.suppress(FastError):
            self.api.delete_items(cart, ok_statuses=(401, 403, 404))

    # --- cart updates ---------------------------------------------------------------------

    def _update_cart(self, cart: CartRef, record: CartRecord, update: model.OrderUpdate) -> model.UpdateResult:
        segments = requested_segments(update)
        seg.check(update, segments)
        seg.check_plan(record, update, segments)
        progress = seg.Progress()
        if record.pending is not None:
            progress.body, progress.nonce = self.items.reconcile(cart, record)
        if model.SEGMENT_LINE_ITEM in segments:
            self._apply_items(cart, record, update, progress)
        subs = seg.segment_subs(record, update, segments)
        if subs:
            seg.apply_segments(self.api, cart, record, update, subs, progress)
        converting = model.SEGMENT_CONVERT in segments
        if progress.body is None and not (converting and not subs):
            progress.body, progress.nonce = self.api.get_cart(cart)
        if progress.body is not None:
            record.remember(progress.body, progress.nonce)
        self.records.save(cart, record)
        if converting:
            order = self._converted(cart, record, update, segments, progress)
        else:
            order = self._cart_result(cart, record, segments, progress)
        return model.UpdateResult(order, [progress.statuses[s] for s in segments if s in progress.statuses])

    def _apply_items(
        self, cart: CartRef, record: CartRecord, update: model.OrderUpdate, progress: seg.Progress
    ) -> None:
        if not record.seen and progress.body is None:
            # A cart we have never seen (a storefront cart Fast took over): learn its items first.
            progress.body, progress.nonce = self.api.get_cart(cart)
            record.remember(progress.body, progress.nonce)
        answer = self.items.apply(cart, record, update.items)
        if answer is not None:
            progress.body, progress.nonce = answer
        progress.succeeded(model.SEGMENT_LINE_ITEM)

    def _converted(
        self,
        cart: CartRef,
        record: CartRecord,
        update: model.OrderUpdate,
        segments: list[str],
        progress: seg.Progress,
    ) -> model.Order:
        order_json = self.checkout.convert(cart, record, update.status)
        progress.succeeded(model.SEGMENT_CONVERT)
        if model.SEGMENT_ORDER_STATUS in segments:
            assert record.order_id is not None
            order_json = self.lifecycle.set_status(record.order_id, order_json, update.status or "")
            progress.succeeded(model.SEGMENT_ORDER_STATUS)
        return self.lifecycle.order(order_json, record.fast_id)

    def _cart_result(
        self, cart: CartRef, record: CartRecord, segments: list[str], progress: seg.Progress
    ) -> model.Order:
        body = progress.body
        if model.SEGMENT_ORDER_STATUS in segments:
            if record.unrecorded and not record.items:
                raise self.items.cart_record_lost(record, "cancel")
            body = self.lifecycle.cancel_cart(cart, record)
            progress.succeeded(model.SEGMENT_ORDER_STATUS)
        assert body is not None
        order = self._cart_order(cart, record, body)
        if record.canceled:
            order.status = model.STATUS_CANCELED
        if progress.refused is not None:
            order.coupons.append(progress.refused)
        return order
