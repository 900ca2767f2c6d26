"""How the sandbox shop prices a cart: the shop's own arithmetic, shaped as a Fast order.

The arithmetic is a real shop's: percent coupons per line, fixed coupons
spread over the lines in proportion (the line with the largest base takes the
rounding remainder so the parts add up to the coupon), tax per line on the
discounted amount, tax on shipping where the region taxes it, free shipping
over a threshold. Every amount is a Decimal rounded half-up to the cent.

(It lives with the shop, not in ``mappings/``: the sandbox has no wire format of
its own to translate, and these are the shop's business rules.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from adapters.base import refused_coupon
from adapters.sandbox.cart import CartLine, SandboxCart
from adapters.sandbox.catalog import Catalogue, Coupon, CouponKind, Item, ShippingRate, TaxRule
from mappings import model
from mappings.money import quantize

PLAN_ID = "default"
# Every amount this shop answers with has two decimals, zero included.
ZERO = Decimal("0.00")


class Refusal(StrEnum):
    """The reason codes of the segments this shop declines (``status: false``)."""

    COUPON_NOT_FOUND = "COUPON_NOT_FOUND"
    COUPON_EXPIRED = "COUPON_EXPIRED"
    COUPON_MINIMUM_NOT_MET = "COUPON_MINIMUM_NOT_MET"
    COUPON_REFUSED = "COUPON_REFUSED"
    ADDRESS_NOT_SERVICEABLE = "ADDRESS_NOT_SERVICEABLE"
    SHIPPING_OPTION_NOT_AVAILABLE = "SHIPPING_OPTION_NOT_AVAILABLE"


@dataclass
class CouponCheck:
    ok: bool
    reason_code: Refusal | None = None
    message: str | None = None


def check_coupon(coupon: Coupon | None, code: str, item_subtotal: Decimal, today: dt.date) -> CouponCheck:
    """Whether a coupon may apply to a cart with this item subtotal, and why not."""
    if coupon is None:
        return CouponCheck(False, Refusal.COUPON_NOT_FOUND, f"coupon {code!r} does not exist")
    if coupon.expires is not None and today > coupon.expires:
        return CouponCheck(
            False, Refusal.COUPON_EXPIRED, f"coupon {coupon.code!r} expired on {coupon.expires.isoformat()}"
        )
    if coupon.minimum_subtotal is not None and item_subtotal < coupon.minimum_subtotal:
        return CouponCheck(
            False,
            Refusal.COUPON_MINIMUM_NOT_MET,
            f"coupon {coupon.code!r} needs a subtotal of at least {coupon.minimum_subtotal}",
        )
    return CouponCheck(True)


def item_subtotal(cart: SandboxCart, catalog: Catalogue) -> Decimal:
    return sum((catalog.item(line.sku).price * line.qty for line in cart.lines), ZERO)


def available_rates(
    catalog: Catalogue, cart: SandboxCart, discounted_subtotal: Decimal, free_shipping: bool
) -> list[tuple[ShippingRate, Decimal]]:
    """The rates on offer for the cart's ship-to address, each with its cost."""
    ship_to = cart.ship_to_address()
    zone = catalog.zone_for(ship_to.country_iso2, ship_to.region_code) if ship_to else None
    if zone is None:
        return []
    rates = []
    for rate in zone.rates:
        cost = rate.cost
        if rate.free_over is not None and discounted_subtotal >= rate.free_over:
            cost = ZERO
        if free_shipping and not rate.pickup:
            cost = ZERO
        rates.append((rate, cost))
    return rates


# --- the pieces of a price --------------------------------------------------------------


@dataclass
class _Discounts:
    """What the cart's coupons take off each line, and the coupons as Fast shows them."""

    per_line: list[Decimal]
    coupons: list[model.Discount] = field(default_factory=list)
    free_shipping: Coupon | None = None


def _allocate(amount: Decimal, bases: list[Decimal]) -> list[Decimal]:
    """Split ``amount`` over ``bases`` proportionally; the parts add up to ``amount`` exactly."""
    total = sum(bases, ZERO)
    if total <= ZERO:
        return [ZERO for _ in bases]
    amount = min(amount, total)
    parts = [quantize(amount * base / total) for base in bases]
    last = max(range(len(bases)), key=lambda i: bases[i])
    parts[last] += amount - sum(parts, ZERO)
    return parts


def _coupon_parts(coupon: Coupon, remaining: list[Decimal]) -> list[Decimal]:
    """What one coupon takes off each line, given what is left of each."""
    if coupon.kind == CouponKind.PERCENT:
        return [quantize(r * coupon.amount / 100) for r in remaining]
    if coupon.kind == CouponKind.FIXED:
        return _allocate(coupon.amount, remaining)
    return [ZERO for _ in remaining]  # free shipping: nothing off the lines


def _discounts(cart: SandboxCart, catalog: Catalogue, subtotals: list[Decimal], today: dt.date) -> _Discounts:
    """The coupons, in the order they were applied, each on what the ones before it left."""
    result = _Discounts([ZERO for _ in subtotals])
    total = sum(subtotals, ZERO)
    for code in cart.coupons:
        coupon = catalog.coupons.get(code.upper())
        check = check_coupon(coupon, code, total, today)
        if not check.ok or coupon is None:
            result.coupons.append(refused_coupon(code, check.message))
            continue
        remaining = [s - d for s, d in zip(subtotals, result.per_line, strict=True)]
        parts = _coupon_parts(coupon, remaining)
        if coupon.kind == CouponKind.FREE_SHIPPING:
            result.free_shipping = coupon
        result.per_line = [d + p for d, p in zip(result.per_line, parts, strict=True)]
        result.coupons.append(
            model.Discount(
                code=coupon.code,
                description=coupon.description,
                origin=model.ORIGIN_USER,
                type=model.DISCOUNT_SHIPPING if coupon.kind == CouponKind.FREE_SHIPPING else model.DISCOUNT_REGULAR,
                applied=True,
                total_amount=sum(parts, ZERO),
            )
        )
    return result


def _priced_line(line: CartLine, item: Item, subtotal: Decimal, discount: Decimal, tax_rate: Decimal) -> model.Line:
    taxable = subtotal - discount
    tax = quantize(taxable * tax_rate)
    return model.Line(
        id=line.id,
        external_id=line.line_id,
        external_product_id=item.product_id,
        external_variant_id=item.variant_id,
        external_options=[model.CustomValue(k, v) for k, v in item.options],
        quantity=line.qty,
        unit_price=item.price,
        discounted_unit_price=quantize(taxable / line.qty),
        line_discount_amount=discount,
        subtotal_amount=subtotal,
        tax_amount=tax,
        total_amount=taxable + tax,
        name=item.display_name,
        description=item.description,
        image_url=item.image_url,
        fulfillment_mode=model.FULFILLMENT_DIGITAL if item.digital else model.FULFILLMENT_PHYSICAL,
    )


def _shipping_option(rate: ShippingRate, cost: Decimal, rule: TaxRule | None) -> model.ShippingOption:
    tax = quantize(cost * rule.rate) if rule and rule.shipping else ZERO
    return model.ShippingOption(
        id=rate.id,
        external_id=rate.id,
        name=rate.name,
        shipment_type=model.OPTION_PICKUP if rate.pickup else model.OPTION_OTHER,
        cost=cost,
        tax=tax,
        total=cost + tax,
        carrier="Sandbox Post" if not rate.pickup else None,
        service_level=rate.service_level,
    )


def _free_shipping_saving(
    catalog: Catalogue, cart: SandboxCart, discounted_subtotal: Decimal, selected: model.ShippingOption | None
) -> Decimal:
    if selected is None:
        return ZERO
    for rate, cost in available_rates(catalog, cart, discounted_subtotal, free_shipping=False):
        if rate.id == selected.external_id:
            return cost
    return ZERO


def _plan(
    cart: SandboxCart,
    catalog: Catalogue,
    physical: list[model.Line],
    discounted_subtotal: Decimal,
    discounts: _Discounts,
    rule: TaxRule | None,
) -> model.ShipmentPlan:
    """The one shipment plan (every physical line), its options and the chosen one."""
    rates = available_rates(catalog, cart, discounted_subtotal, discounts.free_shipping is not None)
    options = [_shipping_option(rate, cost, rule) for rate, cost in rates]
    selected = next((o for o in options if o.external_id == cart.rate), options[0] if options else None)
    if discounts.free_shipping is not None:
        saved = _free_shipping_saving(catalog, cart, discounted_subtotal, selected)
        for coupon in discounts.coupons:
            if coupon.code == discounts.free_shipping.code:
                coupon.total_amount = saved
    return model.ShipmentPlan(
        id=cart.plan_id or PLAN_ID,
        external_id=PLAN_ID,
        ship_to=cart.ship_to_address(),
        lines=[model.LineRef(id=line.id, quantity=line.quantity, external_id=line.external_id) for line in physical],
        selected_option=selected,
        available_options=options,
    )


# --- the whole price --------------------------------------------------------------------------


def price(cart: SandboxCart, catalog: Catalogue, today: dt.date) -> model.Order:
    """The cart or order, priced and shaped as a Fast order."""
    items = [catalog.item(line.sku) for line in cart.lines]
    subtotals = [item.price * line.qty for line, item in zip(cart.lines, items, strict=True)]
    discounts = _discounts(cart, catalog, subtotals, today)
    item_total = sum(subtotals, ZERO)
    total_discounts = sum(discounts.per_line, ZERO)

    # Tax follows where the goods go (the billing address for digital-only carts).
    where = cart.ship_to_address() or cart.bill_to_address()
    rule = catalog.tax_rule(where.country_iso2, where.region_code) if where else None
    lines = [
        _priced_line(line, item, subtotal, discount, rule.rate if rule else ZERO)
        for line, item, subtotal, discount in zip(cart.lines, items, subtotals, discounts.per_line, strict=True)
    ]
    physical = [line for line, item in zip(lines, items, strict=True) if not item.digital]
    plans = [_plan(cart, catalog, physical, item_total - total_discounts, discounts, rule)] if physical else []
    selected = plans[0].selected_option if plans else None
    shipping = (selected.cost or ZERO) if selected else ZERO
    shipping_tax = (selected.tax or ZERO) if selected else ZERO
    total_tax = sum((line.tax_amount or ZERO for line in lines), ZERO) + shipping_tax
    return model.Order(
        id=cart.fast_id,
        external_id=cart.reference,
        order_type=model.TYPE_CART if cart.is_cart else model.TYPE_ORDER,
        currency_code=catalog.currency,
        status=cart.status,
        bill_to=cart.bill_to_address(),
        lines=lines,
        shipment_plans=plans,
        coupons=discounts.coupons,
        sub_total=item_total,
        total_discounts=total_discounts,
        total_tax=total_tax,
        total_shipping=shipping,
        total_amount=item_total - total_discounts + total_tax + shipping,
    )
