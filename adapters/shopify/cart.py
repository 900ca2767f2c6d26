"""What one update does to a cart (a draft order), segment by segment, before anything is sent.

Each handler changes the ``DraftState`` being built, or raises ``Refused`` (the segment answers
``status: false`` and the rest of the call goes on), or a project error (the call fails, nothing sent).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from adapters.base import ItemAction, plan_items
from adapters.shopify.catalogue import Catalogue, check_sellable, check_stock
from adapters.shopify.draft import MAX_LINES, DraftLine, DraftState
from adapters.shopify.rates import Rates
from mappings import model
from mappings.shopify import FAST_PLAN_ATTR, STATUS_TAGS
from mappings.shopify.to_shopify import address_input
from service.errors import InvalidRequest, OrderStateConflict


class Refused(Exception):
    """A segment Shopify declines without failing the call (segment ``status: false``)."""

    def __init__(self, reason_code: str, message: str) -> None:
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message


@dataclass
class CartChange:
    """One update's work on a draft order: the state it had, the state being built, what Shopify must judge."""

    before: DraftState
    state: DraftState
    catalogue: Catalogue
    rates: Rates
    held: bool  # the cart's stock is still reserved: what it holds counts as available
    new_code: str | None = None
    results: dict[str, model.SegmentStatus] = field(default_factory=dict)


def add_lines(state: DraftState, adds: list[ItemAction], catalogue: Catalogue) -> None:
    for action in adds:
        variant = catalogue.resolve(action.item)
        check_sellable(variant)
        state.lines.append(
            DraftLine(
                variant_id=variant["id"],
                quantity=action.quantity,
                fast_line_id=action.item.item_id,
                customizations=[(cv.key, cv.value) for cv in action.item.customizations],
                variant=variant,
                requires_shipping=(variant.get("inventoryItem") or {}).get("requiresShipping", True),
            )
        )


def check_quantities(state: DraftState, before: DraftState, *, held: bool) -> None:
    """Refuse quantities the shop cannot sell; only variants whose quantity grows are checked."""
    wanted: dict[str, int] = {}
    variants: dict[str, dict[str, Any]] = {}
    for line in state.lines:
        if line.variant_id and line.variant:
            wanted[line.variant_id] = wanted.get(line.variant_id, 0) + line.quantity
            variants[line.variant_id] = line.variant
    had: dict[str, int] = {}
    for line in before.lines:
        if line.variant_id:
            had[line.variant_id] = had.get(line.variant_id, 0) + line.quantity
    for variant_id, quantity in wanted.items():
        if quantity > had.get(variant_id, 0):
            check_stock(variants[variant_id], quantity, had.get(variant_id, 0) if held else 0)


def check_line_count(state: DraftState, field_name: str) -> None:
    if len(state.lines) > MAX_LINES:
        raise InvalidRequest(f"a Shopify cart holds at most {MAX_LINES} lines", field=field_name)


# --- the segments ---------------------------------------------------------------------------


def _items(change: CartChange, update: model.OrderUpdate) -> None:
    state = change.state
    current = [model.Line(id=line.fast_line_id, external_id=line.external_id) for line in state.lines]
    actions = plan_items(current, update.items)
    add_lines(state, [a for a in actions if a.kind == "add"], change.catalogue)
    for action in actions:
        if action.kind not in ("set", "remove") or action.line is None:
            continue
        index = next(i for i, line in enumerate(state.lines) if line.external_id == action.line.external_id)
        if action.kind == "remove":
            del state.lines[index]
        else:
            state.lines[index].quantity = action.quantity
            if action.item.customizations:
                state.lines[index].customizations = [(cv.key, cv.value) for cv in action.item.customizations]
    if not state.lines:
        raise InvalidRequest(
            "a Shopify draft order needs at least one line item: delete the cart instead of emptying it",
            field="order.items",
        )
    check_line_count(state, "order.items")
    check_quantities(state, change.before, held=change.held)


def _billing(change: CartChange, update: model.OrderUpdate) -> None:
    bill_to = update.bill_to
    if bill_to is None:
        return
    change.state.billing = address_input(bill_to, field_name="order.bill_to") or change.state.billing
    if bill_to.email:
        change.state.email = bill_to.email.strip()


def _shipping_address(change: CartChange, update: model.OrderUpdate) -> None:
    state = change.state
    plan = next((s for s in update.shipments if s.ship_to is not None), None)
    if plan is None or plan.ship_to is None:
        raise InvalidRequest("the shipments update carries no ship_to address", field="order.shipments")
    address = address_input(plan.ship_to, field_name="order.shipments.ship_to")
    if address != state.shipping and state.shipping_line is not None:
        state.shipping_line = None  # the old rate may not exist at the new address: Fast chooses again
    state.shipping = address
    if plan.plan_id:
        state.set_attribute(FAST_PLAN_ATTR, plan.plan_id)


def _shipping_option(change: CartChange, update: model.OrderUpdate) -> None:
    choice = update.shipping_option
    wanted = choice.wanted_option if choice else None
    if not wanted:
        raise InvalidRequest("shipping_option names no option", field="order.shipping_option.option_id")
    rate = next((r for r in change.rates.for_draft(change.state) if r.handle == wanted), None)
    if rate is None:
        raise Refused(
            "SHIPPING_OPTION_NOT_AVAILABLE", f"shipping option {wanted!r} is not offered for this cart and address"
        )
    change.state.shipping_line = rate.shipping_line_input()


def _coupon(change: CartChange, update: model.OrderUpdate) -> None:
    """Add or remove a discount code; a newly added code is judged by Shopify on update."""
    coupon = update.coupon
    if coupon is None or not coupon.code.strip():
        return
    state = change.state
    code = coupon.code.strip()
    others = [c for c in state.discount_codes if c.upper() != code.upper()]
    if coupon.remove:
        state.discount_codes = others
    elif len(others) == len(state.discount_codes):  # not there yet (a retried call changes nothing)
        state.discount_codes = [*state.discount_codes, code]
        change.new_code = code


def _cart_status(change: CartChange, update: model.OrderUpdate) -> None:
    if update.convert_cart_to_order or update.status in (None, model.STATUS_CART):
        return  # a status sent with a conversion is applied to the order once it exists
    if update.status == model.STATUS_CANCELED:
        tag = STATUS_TAGS[model.STATUS_CANCELED]
        if tag not in change.state.tags:
            change.state.tags = [*change.state.tags, tag]
        return
    raise OrderStateConflict(f"the cart has not been converted to an order: it cannot become {update.status}")


HANDLERS: dict[str, Callable[[CartChange, model.OrderUpdate], None]] = {
    model.SEGMENT_LINE_ITEM: _items,
    model.SEGMENT_BILLING_ADDRESS: _billing,
    model.SEGMENT_SHIPPING_ADDRESS: _shipping_address,
    model.SEGMENT_SHIPPING_OPTION: _shipping_option,
    model.SEGMENT_COUPON: _coupon,
    model.SEGMENT_ORDER_STATUS: _cart_status,
}


def apply_segments(change: CartChange, update: model.OrderUpdate, segments: list[str]) -> None:
    """Each requested segment's handler, in Fast's order; a refusal is that segment's status, not the call's."""
    for segment in segments:
        handler = HANDLERS.get(segment)
        if handler is None:
            continue  # conversion is done after the cart's changes are sent
        try:
            handler(change, update)
        except Refused as refusal:
            change.results[segment] = model.SegmentStatus(segment, False, refusal.reason_code, refusal.message)
            continue
        if not (segment == model.SEGMENT_ORDER_STATUS and update.convert_cart_to_order):
            change.results[segment] = model.SegmentStatus(segment, True)


def reservation_until(now: dt.datetime, minutes: int) -> str | None:
    if not minutes:
        return None
    return (now + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def reservation_active(draft: dict[str, Any], now: dt.datetime) -> bool:
    until = draft.get("reserveInventoryUntil")
    if not until:
        return False
    try:
        when = dt.datetime.fromisoformat(str(until).replace("Z", "+00:00"))
    except ValueError:
        return False
    return when > now
