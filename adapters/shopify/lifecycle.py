"""A converted cart's life: completing the draft, holding fulfilment until Fast says paid, Fast's statuses.

Shopify makes an order's fulfillment orders asynchronously: right after ``draftOrderComplete`` an order
typically has none yet (Shopify's documentation of the fulfillment-order model and of Flow's "Order
created" trigger). So conversion waits for them briefly, with backoff, within the call's deadline; an
order still without them is logged and held at every later Fast call on it, until Fast moves it to
``PENDING_FULFILLMENT``. No path before that status releases a hold.

Each status change is one document of aliased mutations (``OrderSteps``), run in order by Shopify,
whose last step reads the order back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from adapters.shopify import api
from adapters.shopify.api import ShopifyClient
from adapters.shopify.cart import check_quantities
from adapters.shopify.draft import DraftState
from adapters.shopify.options import ShopifyOptions
from mappings import model
from mappings.shopify import HOLD_HANDLE, STATUS_TAGS
from mappings.shopify.order_steps import OrderSteps
from mappings.shopify.to_fast import order_status
from service import deadline
from service.errors import InvalidRequest, OrderStateConflict, UpstreamUnavailable
from service.logs import log_fields
from service.state import StateStore

log = logging.getLogger(__name__)

# Statuses Fast may move a converted order to, from each status (FULFILLED and COMPLETE are Shopify's to set).
TRANSITIONS: dict[str, set[str]] = {
    model.STATUS_PENDING: {
        model.STATUS_HOLD,
        model.STATUS_BOOKED,
        model.STATUS_PENDING_FULFILLMENT,
        model.STATUS_CANCELED,
    },
    model.STATUS_HOLD: {model.STATUS_BOOKED, model.STATUS_PENDING_FULFILLMENT, model.STATUS_CANCELED},
    model.STATUS_BOOKED: {model.STATUS_HOLD, model.STATUS_PENDING_FULFILLMENT, model.STATUS_CANCELED},
    model.STATUS_PENDING_FULFILLMENT: {model.STATUS_CANCELED},
    model.STATUS_FULFILLED: set(),
    model.STATUS_COMPLETE: set(),
    model.STATUS_CANCELED: set(),
}
# Until Fast confirms payment and fraud checks, fulfilment stays held.
HELD_STATUSES = {model.STATUS_PENDING, model.STATUS_HOLD, model.STATUS_BOOKED}
HOLD_INPUT = {
    "reason": "AWAITING_PAYMENT",
    "reasonNotes": "Fast checkout: waiting for Fast to confirm the payment",
    "handle": HOLD_HANDLE,
    "notifyMerchant": False,
}
# How long conversion waits for Shopify's fulfillment orders (seconds between looks; 3 s in all).
FULFILLMENT_ORDER_WAITS = (0.25, 0.5, 1.0, 1.25)
_DEADLINE_MARGIN = 1.0
_HOLDABLE = ("OPEN", "SCHEDULED", "ON_HOLD")
CANCEL_JOB_TTL = 24 * 3600


def _fulfillment_orders(order_json: dict[str, Any]) -> list[dict[str, Any]]:
    return list((order_json.get("fulfillmentOrders") or {}).get("nodes", []))


def _ours(fulfillment_order: dict[str, Any]) -> list[dict[str, Any]]:
    return [h for h in fulfillment_order.get("fulfillmentHolds") or [] if h.get("handle") == HOLD_HANDLE]


def _ships(order_json: dict[str, Any]) -> bool:
    return any(line.get("requiresShipping") for line in (order_json.get("lineItems") or {}).get("nodes", []))


def unheld(order_json: dict[str, Any]) -> list[str]:
    """The fulfillment orders that could ship and carry no Fast hold."""
    return [fo["id"] for fo in _fulfillment_orders(order_json) if fo.get("status") in _HOLDABLE and not _ours(fo)]


@dataclass
class Lifecycle:
    client: ShopifyClient
    options: ShopifyOptions
    state: StateStore
    prefix: str
    sleep: Callable[[float], None]

    # --- conversion ---------------------------------------------------------------------------

    def convert(self, draft: dict[str, Any], state: DraftState, *, reserved: bool, then: str | None) -> dict[str, Any]:
        """Complete the draft order (payment pending) and hold it back from fulfilment."""
        if not state.lines:
            raise InvalidRequest("the cart is empty: nothing to order")
        if state.needs_shipping() and not draft.get("shippingLine"):
            raise InvalidRequest(
                "the cart has items to ship and no shipping option: choose one before converting",
                field="order.shipping_option",
            )
        if not reserved:
            check_quantities(state, DraftState(), held=False)  # nothing reserved any more: stock must be there
        if not draft.get("ready", True):
            raise UpstreamUnavailable("Shopify is still calculating this draft order", retry_after=2)
        order_json, errors = api.complete_draft(self.client, draft["id"], self.options.payment_pending)
        if errors or order_json is None:
            order_json = self._completed_before(draft["id"], errors)
        log.info(
            "Shopify draft order completed",
            extra=log_fields(platform="shopify", draft=draft["id"], order=order_json.get("id")),
        )
        if then in (model.STATUS_PENDING_FULFILLMENT, model.STATUS_CANCELED):
            return order_json  # released or canceled in this same call: nothing to hold
        return self.keep_held(order_json, wait=True)

    def _completed_before(self, draft_id: str, errors: list[str]) -> dict[str, Any]:
        """The order an earlier attempt made (its answer lost), or Shopify's refusal."""
        again = api.read_draft(self.client, draft_id).get("draftOrder") or {}
        made = api.read_order(self.client, again["order"]["id"]) if again.get("order") else None
        if again.get("status") != "COMPLETED" or made is None:
            raise api.reject(errors or ["no order in the answer"], "convert the cart to an order")
        return made

    # --- holds ------------------------------------------------------------------------------

    def keep_held(self, order_json: dict[str, Any], *, wait: bool = False) -> dict[str, Any]:
        """Hold every fulfillment order an unpaid order has; with ``wait``, wait for Shopify to make them."""
        if not self.options.hold_fulfillment or order_status(order_json) not in HELD_STATUSES:
            return order_json
        if wait and _ships(order_json) and not _fulfillment_orders(order_json):
            order_json["fulfillmentOrders"] = {"nodes": self._wait_for_fulfillment_orders(order_json["id"])}
        targets = unheld(order_json)
        if not targets:
            return order_json
        steps = OrderSteps(order_json["id"], holds=targets, hold=HOLD_INPUT)
        data = api.order_steps(self.client, steps)
        errors = [e for i in range(len(targets)) for e in api.user_errors(data.get(f"hold{i}") or {})]
        if errors:
            log.error(
                "the order exists but could not be held back from fulfilment",
                extra=log_fields(platform="shopify", order=order_json.get("id"), detail="; ".join(errors)),
            )
            raise UpstreamUnavailable(
                f"the order was created but Shopify refused to hold it: {'; '.join(errors)}", platform="shopify"
            )
        return steps.order_from(data) or order_json

    def _wait_for_fulfillment_orders(self, order_id: str) -> list[dict[str, Any]]:
        for seconds in FULFILLMENT_ORDER_WAITS:
            if seconds + _DEADLINE_MARGIN >= deadline.remaining():
                break
            self.sleep(seconds)
            found = api.read_fulfillment_orders(self.client, order_id)
            if found:
                return found
        log.warning(
            "the order could not be held in time: Shopify has not made its fulfillment orders yet;"
            " it is held at the next Fast call on it",
            extra=log_fields(platform="shopify", order=order_id),
        )
        return []

    # --- Fast's statuses ----------------------------------------------------------------------

    def set_status(self, order_json: dict[str, Any], target: str) -> dict[str, Any]:
        current = order_status(order_json)
        if target != current and target not in TRANSITIONS.get(current, set()):
            raise OrderStateConflict(f"order {order_json.get('name')} cannot go from {current} to {target}")
        if target not in STATUS_TAGS:
            raise InvalidRequest(f"Fast cannot set {target} on a Shopify order: Shopify sets it when the order ships")
        # Each step is planned from Shopify's state, so a retried call finishes what a failed one began.
        steps = self._steps(order_json, target)
        if not steps:
            return order_json
        data = api.order_steps(self.client, steps)
        after = steps.order_from(data) or api.read_order(self.client, order_json["id"]) or order_json
        self._check_steps(steps, data, after)
        if steps.cancel is not None and (data.get("cancel") or {}).get("job"):
            job = data["cancel"]["job"]
            self.state.set(f"{self.prefix}cancel-job:{order_json['id']}", str(job.get("id")), CANCEL_JOB_TTL)
        return after

    def _steps(self, order_json: dict[str, Any], target: str) -> OrderSteps:
        steps = OrderSteps(order_json["id"])
        can_pay = bool(order_json.get("canMarkAsPaid"))
        if target == model.STATUS_BOOKED:
            steps.mark_paid = can_pay and self.options.mark_paid_on == "BOOKED"
        if target == model.STATUS_PENDING_FULFILLMENT:
            steps.mark_paid = can_pay and self.options.mark_paid_on != "never"
            steps.releases = [
                (fo["id"], [h["id"] for h in _ours(fo) if h.get("id")])
                for fo in _fulfillment_orders(order_json)
                if any(h.get("id") for h in _ours(fo))
            ]
        elif target in HELD_STATUSES and self.options.hold_fulfillment:
            steps.holds, steps.hold = unheld(order_json), HOLD_INPUT
        if target == model.STATUS_CANCELED and not self._canceling(order_json):
            steps.cancel = self._cancel_arguments()
        tag = STATUS_TAGS[target]
        tags = list(order_json.get("tags") or [])
        steps.add_tags = [] if tag in tags else [tag]
        steps.remove_tags = [t for t in STATUS_TAGS.values() if t in tags and t != tag]
        return steps

    def _canceling(self, order_json: dict[str, Any]) -> bool:
        """Canceled, or a cancel job Shopify is still running (its outcome shows in a while)."""
        if order_json.get("cancelledAt") or STATUS_TAGS[model.STATUS_CANCELED] in (order_json.get("tags") or []):
            return True
        return self.state.get(f"{self.prefix}cancel-job:{order_json['id']}") is not None

    def _cancel_arguments(self) -> dict[str, Any]:
        return {
            "reason": self.options.cancel_reason,
            "refund": self.options.cancel_refund,
            "restock": self.options.cancel_restock,
            "notifyCustomer": self.options.cancel_notify_customer,
            "staffNote": "Canceled by Fast: the payment or fraud check failed",
        }

    def _check_steps(self, steps: OrderSteps, data: dict[str, Any], after: dict[str, Any]) -> None:
        """Shopify's refusals of the steps, unless the order already shows the step done (a resend)."""
        if steps.mark_paid and api.user_errors(data.get("markPaid") or {}) and after.get("canMarkAsPaid"):
            raise api.reject(api.user_errors(data["markPaid"]), "mark the order as paid")
        for i, (fulfillment_order, _) in enumerate(steps.releases):
            errors = api.user_errors(data.get(f"release{i}") or {})
            still = any(fo["id"] == fulfillment_order and _ours(fo) for fo in _fulfillment_orders(after))
            if errors and still:
                raise api.reject(errors, "release the order for fulfilment")
        cancel_errors = api.user_errors(data.get("cancel") or {}, "orderCancelUserErrors")
        if steps.cancel is not None and cancel_errors and not after.get("cancelledAt"):
            if steps.add_tags:
                api.order_steps(self.client, OrderSteps(after["id"], remove_tags=steps.add_tags))
            raise api.reject(cancel_errors, "cancel the order")
        tag_errors = api.user_errors(data.get("tagsAdd") or {}) + api.user_errors(data.get("tagsRemove") or {})
        if tag_errors:
            raise api.reject(tag_errors, "record Fast's status on the order")
