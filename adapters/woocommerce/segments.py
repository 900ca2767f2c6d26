"""The cart segments other than items: addresses, shipping rate, coupon — their sub-requests and their outcomes.

Everything they change rides in one batch ending with a write that answers
the cart; each segment's outcome is judged from its own answer and that cart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from adapters.base import STATUS_TRANSITIONS, refused_coupon
from adapters.woocommerce.api import Sub, SubKind, SubResult, WooApi
from adapters.woocommerce.cart_token import CartRef
from adapters.woocommerce.record import CartRecord
from mappings import model
from mappings import woocommerce as wc
from service.errors import InvalidRequest, OrderStateConflict

ADDRESS_SEGMENTS = (model.SEGMENT_BILLING_ADDRESS, model.SEGMENT_SHIPPING_ADDRESS)


def check(update: model.OrderUpdate, segments: list[str]) -> None:
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
            if status != model.STATUS_PENDING and status not in STATUS_TRANSITIONS[model.STATUS_PENDING]:
                raise OrderStateConflict(f"a new order cannot go from {model.STATUS_PENDING} to {status}")
        elif status != model.STATUS_CANCELED:
            raise OrderStateConflict(f"the cart has not been converted to an order: it cannot become {status}")


def check_plan(record: CartRecord, update: model.OrderUpdate, segments: list[str]) -> None:
    """With several packages, a rate for a plan we cannot place would be a guess: refuse it first."""
    packages = record.packages
    choice = update.shipping_option
    if model.SEGMENT_SHIPPING_OPTION not in segments or choice is None or len(packages) <= 1:
        return
    package = package_for(record, choice.plan_id)
    if package is None or package not in packages:
        raise InvalidRequest(
            f"shipping_option names plan {choice.plan_id!r}, which is not one of this cart's"
            f" {len(packages)} shipments (plans {', '.join(packages)})",
            field="shipping_option.plan_id",
        )


def remember_plan(record: CartRecord, plan_id: str) -> None:
    plans = record.plans
    if plan_id in plans.values() or plan_id in plans:
        return
    if len(record.packages) <= 1:
        plans["0"] = plan_id  # one package: Fast's plan is the cart's shipment
    # Several packages (a plugin split the cart): each plan carries its package id as external_id,
    # and that is what Fast names when it chooses an option.


def package_for(record: CartRecord, plan_id: str | None) -> str | None:
    if not plan_id:
        return None
    if plan_id.isdigit():
        return plan_id
    for package, fast_plan in record.plans.items():
        if fast_plan == plan_id:
            return package
    return None  # not a plan we know: with one package, the rate is chosen for it


def customer_sub(bill_to: model.Address | None, ship_to: model.Address | None, segments: tuple[str, ...]) -> Sub | None:
    body: dict[str, Any] = {}
    if bill_to is not None:
        body["billing_address"] = wc.woo_address(bill_to, billing=True)
    if ship_to is not None:
        body["shipping_address"] = wc.woo_address(ship_to, billing=False)
    if not body:
        return None
    return Sub("cart/update-customer", body, SubKind.CUSTOMER, segments=segments)


@dataclass
class Progress:
    """What an update of a cart has learned so far: the last cart answered, its nonce, each segment's outcome."""

    body: dict[str, Any] | None = None
    nonce: str | None = None
    statuses: dict[str, model.SegmentStatus] = field(default_factory=dict)
    refused: model.Discount | None = None

    def succeeded(self, segment: str) -> None:
        self.statuses[segment] = model.SegmentStatus(segment, True)


def segment_subs(record: CartRecord, update: model.OrderUpdate, segments: list[str]) -> list[Sub]:
    """The Store API requests for every cart segment but the items, in the order they apply."""
    subs: list[Sub] = []
    ship_to = None
    if model.SEGMENT_SHIPPING_ADDRESS in segments:
        plan = next(s for s in update.shipments if s.ship_to is not None)
        ship_to = plan.ship_to
        if plan.plan_id:
            remember_plan(record, plan.plan_id)
    address_segments = tuple(s for s in ADDRESS_SEGMENTS if s in segments)
    customer = customer_sub(
        update.bill_to if model.SEGMENT_BILLING_ADDRESS in segments else None, ship_to, address_segments
    )
    if customer:
        subs.append(customer)
    if model.SEGMENT_SHIPPING_OPTION in segments and update.shipping_option:
        subs.append(_rate_sub(record, update.shipping_option))
    if model.SEGMENT_COUPON in segments and update.coupon:
        code = update.coupon.code.strip()
        if update.coupon.remove:
            subs.append(Sub("cart/remove-coupon", {"code": code}, SubKind.UNCOUPON, segments=(model.SEGMENT_COUPON,)))
        else:
            subs.append(Sub("cart/apply-coupon", {"code": code}, SubKind.COUPON, segments=(model.SEGMENT_COUPON,)))
    if subs:
        # A refused sub-request answers an error, not the cart (checkout.jsonl seq 8), and a GET
        # cannot ride in a batch (no-cart-token.jsonl seq 8): end with a write that changes
        # nothing and answers the cart. update-customer without addresses re-saves the
        # customer's own (StoreApi/Routes/V1/CartUpdateCustomer.php), so the answer is always
        # there without a second round trip.
        subs.append(Sub("cart/update-customer", {}, SubKind.READ))
    return subs


def _rate_sub(record: CartRecord, choice: Any) -> Sub:
    package = package_for(record, choice.plan_id)
    rate_body: dict[str, Any] = {"rate_id": choice.wanted_option}
    if package is not None:
        rate_body["package_id"] = int(package) if package.isdigit() else package
    return Sub(
        "cart/select-shipping-rate", rate_body, SubKind.RATE, key=package, segments=(model.SEGMENT_SHIPPING_OPTION,)
    )


def apply_segments(
    api: WooApi, cart: CartRef, record: CartRecord, update: model.OrderUpdate, subs: list[Sub], progress: Progress
) -> None:
    """Send the segments' batch and judge each segment from its answer and the cart that ends the batch."""
    results = api.batch(cart, subs)
    for result in results:
        progress.body = result.cart() or progress.body
        progress.nonce = result.header("Nonce") or progress.nonce
    for sub, result in zip(subs, results, strict=True):
        for segment in sub.segments:
            progress.statuses[segment] = outcome(segment, sub, result, progress.body, update)
        coupon = progress.statuses.get(model.SEGMENT_COUPON)
        if sub.kind == SubKind.COUPON and coupon is not None and not coupon.status:
            progress.refused = refused_coupon(sub.body["code"], coupon.message)


def outcome(
    segment: str, sub: Sub, result: SubResult, cart: Mapping[str, Any] | None, update: model.OrderUpdate
) -> model.SegmentStatus:
    if sub.kind == SubKind.CUSTOMER:
        return _address_outcome(segment, sub, result, cart)
    if sub.kind == SubKind.RATE:
        wanted = update.shipping_option.wanted_option if update.shipping_option else None
        return _rate_outcome(segment, sub, result, cart, wanted)
    if sub.kind == SubKind.COUPON:
        return _coupon_outcome(segment, sub, result, cart)
    # Removing a coupon that is not there leaves it not there.
    return model.SegmentStatus(segment, True)


def _address_outcome(segment: str, sub: Sub, result: SubResult, cart: Mapping[str, Any] | None) -> model.SegmentStatus:
    if not result.ok:
        return model.SegmentStatus(segment, False, "ADDRESS_REJECTED", result.error.message)
    if segment == model.SEGMENT_SHIPPING_ADDRESS and cart is not None and cart.get("needs_shipping"):
        packages = cart.get("shipping_rates") or []
        if not packages or all(not (p.get("shipping_rates") or []) for p in packages):
            where = sub.body.get("shipping_address", {})
            place = "-".join(x for x in (where.get("country"), where.get("state")) if x) or "this address"
            return model.SegmentStatus(segment, False, "ADDRESS_NOT_SERVICEABLE", f"the shop does not ship to {place}")
    return model.SegmentStatus(segment, True)


def _rate_outcome(
    segment: str, sub: Sub, result: SubResult, cart: Mapping[str, Any] | None, wanted: str | None
) -> model.SegmentStatus:
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


def _coupon_outcome(segment: str, sub: Sub, result: SubResult, cart: Mapping[str, Any] | None) -> model.SegmentStatus:
    if result.ok:
        return model.SegmentStatus(segment, True)
    code = sub.body["code"].lower()
    applied = {str(c.get("code", "")).lower() for c in (cart or {}).get("coupons") or []}
    if code in applied:
        return model.SegmentStatus(segment, True)  # already applied: a retried call changes nothing
    message = result.error.message
    return model.SegmentStatus(segment, False, wc.coupon_reason_code(message), message)
