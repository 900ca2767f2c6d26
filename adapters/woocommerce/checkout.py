"""Converting a WooCommerce cart: the Store API checkout, finding an order whose answer was lost, the stamp.

The checkout places the order with the configured payment method (on-hold,
stock reduced, nothing charged); one REST v3 ``PUT /orders/{id}`` then stamps
Fast's ids and status on it. A "converting" marker is saved before the
checkout is sent, so a retry after a lost answer looks for the order instead
of placing another.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import requests

from adapters.base import STATUS_TRANSITIONS
from adapters.woocommerce.api import WooApi, WooError, woo_error
from adapters.woocommerce.cart_token import CartRef
from adapters.woocommerce.items import CartItems
from adapters.woocommerce.options import WooOptions
from adapters.woocommerce.record import ORDER_RECORD_TTL, CartRecord, CartRecords, Converting
from mappings import model
from mappings import woocommerce as wc
from mappings.money import from_minor_units
from service.errors import InvalidRequest, OrderNotFound, ShapeError, UpstreamRejected
from service.logs import log_fields
from service.state import StateStore

log = logging.getLogger(__name__)

CONVERSION_LOOKBACK = 15 * 60  # how far back a lost checkout answer is looked for


class Checkout:
    def __init__(
        self,
        api: WooApi,
        records: CartRecords,
        state: StateStore,
        options: WooOptions,
        items: CartItems,
        clock: Callable[[], float],
    ) -> None:
        self.api = api
        self.records = records
        self.state = state
        self.options = options
        self.items = items
        self.clock = clock

    def convert(self, cart: CartRef, record: CartRecord, then_status: str | None) -> dict[str, Any]:
        """Place the cart's order through the Store API checkout, then stamp Fast's ids on it."""
        target = then_status if then_status and then_status in STATUS_TRANSITIONS[model.STATUS_PENDING] else None
        if record.converting is not None:
            found = self._recover(cart, record)
            if found is not None:
                return self.stamp(record.fast_id, record.lines, found, target)
        payload = self._payload(cart, record)
        record.converting = Converting(int(self.clock()), payload["billing_address"].get("email"), record.total)
        self.records.save(cart, record)
        answer = self._checkout(cart, record, payload)
        record.order_id = int(answer["order_id"])
        record.converting = None
        self.records.save(cart, record)
        order = {"id": record.order_id, "status": answer.get("status"), "meta_data": []}
        return self.stamp(record.fast_id, record.lines, order, target)

    def _payload(self, cart: CartRef, record: CartRecord) -> dict[str, Any]:
        """The checkout body, refusing a cart that cannot become an order yet."""
        seen = record.total
        # With send_expected_total the order must not be placed at a total the shopper was not shown;
        # WooCommerce 11.1+ refuses such a checkout itself, older shops need the cart read here.
        verify_here = self.options.send_expected_total and not self.options.shop_checks_expected_total
        if not record.items or not wc.has_address(record.billing) or verify_here:
            body, nonce = self.api.get_cart(cart)
            record.remember(body, nonce)
            if verify_here and seen is not None and record.total != seen:
                # WooCommerce before 11.1 ignores expected_total (checkout would place the new total):
                # the cart the shopper was shown is compared here instead, and nothing is placed.
                self.records.save(cart, record)
                raise UpstreamRejected(
                    f"the order total changed since the shopper saw it ({from_minor_units(seen, record.minor)}"
                    f" then, {from_minor_units(record.total or 0, record.minor)} now); read the order again"
                )
        if not record.items:
            if record.unrecorded:
                raise self.items.cart_record_lost(record, "convert")
            raise InvalidRequest("the cart is empty: nothing to order")
        billing = record.billing or {}
        if not billing.get("email"):
            raise InvalidRequest("the order needs the buyer's email address: send bill_to first")
        payload: dict[str, Any] = {
            "billing_address": billing,
            "shipping_address": record.shipping if wc.has_address(record.shipping) else billing,
            "payment_method": self.options.payment_method,
            "customer_note": "",
        }
        if self.options.send_expected_total and record.total is not None:
            payload["expected_total"] = str(record.total)
        return payload

    def _checkout(self, cart: CartRef, record: CartRecord, payload: dict[str, Any]) -> dict[str, Any]:
        body: Any = None
        for attempt in (1, 2):
            response = self.api.checkout(cart, str(record.nonce or ""), payload)
            body = self.api.client.json(response)
            places_order = isinstance(body, dict) and isinstance(body.get("order_id"), int)
            if response.status_code < 300 and places_order:
                if (body.get("payment_result") or {}).get("payment_status") not in ("failure", "error"):
                    return body
                break
            if response.status_code < 300:
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
                record.remember(fresh, nonce)
                continue
            self._refused(cart, record, response, error)
            if not places_order:
                raise UpstreamRejected(f"the shop refused to place the order: {error.message}")
            break
        record.converting = None
        self.records.save(cart, record)
        raise UpstreamRejected(
            f"the payment method {self.options.payment_method!r} refused the order: {_payment_message(body)}"
        )

    def _refused(self, cart: CartRef, record: CartRecord, response: requests.Response, error: WooError) -> None:
        """The checkout said no: nothing was placed. Raise what Fast is told, unless the payment was refused."""
        record.converting = None
        self.records.save(cart, record)
        if response.status_code in (401, 403):
            if "nonce" in error.code:
                raise OrderNotFound("the shop no longer accepts this cart's token")
            raise self.api.client.translate(response)
        if error.code == "woocommerce_rest_checkout_total_mismatch" or (
            response.status_code == 409 and "total" in error.code
        ):
            fresh = error.data.get("cart")
            if isinstance(fresh, dict) and isinstance(fresh.get("items"), list):
                # The shop sent the cart as it is now: the next convert is judged against it.
                record.remember(fresh, None)
                self.records.save(cart, record)
            raise UpstreamRejected(
                f"the order total changed since the shopper saw it ({error.message}); read the order again",
            )

    def _recover(self, cart: CartRef, record: CartRecord) -> dict[str, Any] | None:
        """An earlier checkout's answer was lost: find out whether it placed the order."""
        body, nonce = self.api.get_cart(cart)
        converting = record.converting or Converting(0, None, None)
        if wc.cart_items(body):
            record.converting = None  # the cart is still full: the checkout never happened
            record.remember(body, nonce)
            self.records.save(cart, record)
            return None
        found = self._placed_order(record, converting)
        record.converting = None
        if found is None:
            self.records.save(cart, record)
            raise UpstreamRejected("the cart is empty and no order was found for it: nothing to order")
        record.order_id = int(found["id"])
        self.records.save(cart, record)
        log.info("recovered an order whose checkout answer was lost", extra=log_fields(order_id=found["id"]))
        return found

    def _placed_order(self, record: CartRecord, converting: Converting) -> dict[str, Any] | None:
        """The order the lost checkout placed: recent, the buyer's, the total seen, no other Fast order's."""
        since = dt.datetime.fromtimestamp(converting.at - CONVERSION_LOOKBACK, dt.UTC)
        params: dict[str, Any] = {
            "after": since.strftime("%Y-%m-%dT%H:%M:%S"),
            "per_page": 20,
            "orderby": "date",
            "order": "desc",
            "status": "any",
        }
        if converting.email:
            params["search"] = converting.email
        candidates = self.api.search_orders(params)
        expected = from_minor_units(converting.total, record.minor) if converting.total is not None else None
        for order in candidates if isinstance(candidates, list) else []:
            owner = wc.meta_value(order, wc.META_FAST_ORDER_ID)
            if order.get("status") == "checkout-draft" or (owner and owner != record.fast_id):
                continue
            if converting.email and (order.get("billing") or {}).get("email") != converting.email:
                continue
            if expected is not None and wc.decimal_amount(order.get("total")) != expected:
                continue
            return order
        return None

    # --- the stamp --------------------------------------------------------------------

    def order_record_key(self, order_id: int) -> str:
        return f"{self.records.prefix}order:{order_id}"

    def stamp(
        self, fast_id: str | None, lines: list[wc.TrackedLine], order: dict[str, Any], target: str | None
    ) -> dict[str, Any]:
        """Write Fast's ids, Fast's status and the gateway title on a freshly placed order (one PUT).

        What is written is also kept in the shared store first, so a convert
        retried after a failed PUT can finish the job from the order id alone.
        """
        order_id = int(order["id"])
        kept = {"fast_id": fast_id or "", "lines": [t.to_json() for t in lines]}
        self.state.set_json(self.order_record_key(order_id), kept, ORDER_RECORD_TTL)
        status = target or model.STATUS_PENDING
        changes = {
            "status": self.options.statuses[status],
            "payment_method_title": self.options.payment_method_title,
            "meta_data": [
                {"key": wc.META_FAST_ORDER_ID, "value": kept["fast_id"]},
                {"key": wc.META_FAST_STATUS, "value": status},
                {"key": wc.META_FAST_LINES, "value": wc.fast_lines_meta(lines)},
            ],
        }
        return self.api.put_order(order_id, changes)

    def finish_stamp(self, order_id: int, order: dict[str, Any]) -> dict[str, Any]:
        """Converted already: finish the stamping if an earlier attempt stopped short of it."""
        kept = self.state.get_json(self.order_record_key(order_id))
        if kept and not wc.meta_value(order, wc.META_FAST_ORDER_ID):
            lines = [wc.TrackedLine.from_json(x) for x in kept.get("lines") or []]
            return self.stamp(kept.get("fast_id") or "", lines, order, None)
        return order


def _payment_message(body: Any) -> str:
    message = "payment refused"
    details = ((body or {}).get("payment_result") or {}).get("payment_details") or []
    for entry in details if isinstance(details, list) else []:
        if isinstance(entry, dict) and entry.get("key") in ("message", "error", "errorMessage"):
            message = wc.clean_text(entry.get("value")) or message
    return message
