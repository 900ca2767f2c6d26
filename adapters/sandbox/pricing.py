"""How a sandbox cart (a small JSON document) becomes a priced Fast order.

The arithmetic is a real shop's: percent coupons per line, fixed coupons
spread over the lines in proportion (the last line takes the rounding
remainder so the parts add up to the coupon), tax per line on the discounted
amount, tax on shipping where the region taxes it, free shipping over a
threshold. Every amount is a Decimal rounded half-up to the cent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from adapters.sandbox.catalog import Catalog, Coupon, Item, Rate
from mappings import model
from mappings.money import quantize

PLAN_ID = "default"
# Every amount this shop answers with has two decimals, zero included.
ZERO = Decimal("0.00")


@dataclass
class CouponCheck:
    ok: bool
    reason_code: str | None = None
    message: str | None = None


def check_coupon(coupon: Coupon | None, code: str, item_subtotal: Decimal, today: dt.date) -> CouponCheck:
    """Whether a coupon may apply to a cart with this item subtotal, and why not."""
    if coupon is None:
        return CouponCheck(False, "COUPON_NOT_FOUND", f"coupon {code!r} does not exist")
    if coupon.expires is not None and today > coupon.expires:
        return CouponCheck(False, "COUPON_EXPIRED", f"coupon {coupon.code!r} expired on {coupon.expires.isoformat()}")
    if coupon.minimum_subtotal is not None and item_subtotal < coupon.minimum_subtotal:
        return CouponCheck(
            False,
            "COUPON_MINIMUM_NOT_MET",
            f"coupon {coupon.code!r} needs a subtotal of at least {coupon.minimum_subtotal}",
        )
    return CouponCheck(True)


def address(data: dict[str, Any] | None) -> model.Address | None:
    return None if not data else model.Address(**data)


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


def available_rates(
    catalog: Catalog, doc: dict[str, Any], discounted_subtotal: Decimal, free_shipping: bool
) -> list[tuple[Rate, Decimal]]:
    """The rates on offer for the cart's ship-to address, each with its cost."""
    ship_to = address(doc.get("ship_to"))
    if ship_to is None:
        return []
    zone = catalog.zone_for(ship_to.country_iso2, ship_to.region_code)
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


def price(doc: dict[str, Any], catalog: Catalog, today: dt.date) -> model.Order:
    """The cart or order document, priced and shaped as a Fast order."""
    items: list[tuple[dict[str, Any], Item]] = [(line, catalog.item(line["sku"])) for line in doc["lines"]]
    subtotals = [item.price * line["qty"] for line, item in items]
    item_subtotal = sum(subtotals, ZERO)

    # Coupons, in the order they were applied.
    discounts = [ZERO for _ in items]
    coupons: list[model.Discount] = []
    free_shipping_coupon: Coupon | None = None
    for code in doc.get("coupons", []):
        coupon = catalog.coupons.get(code.upper())
        check = check_coupon(coupon, code, item_subtotal, today)
        if not check.ok or coupon is None:
            coupons.append(
                model.Discount(
                    code=code, description=check.message, origin=model.ORIGIN_USER, applied=False, total_amount=ZERO
                )
            )
            continue
        remaining = [s - d for s, d in zip(subtotals, discounts, strict=True)]
        if coupon.kind == "percent":
            parts = [quantize(r * coupon.amount / 100) for r in remaining]
        elif coupon.kind == "fixed":
            parts = _allocate(coupon.amount, remaining)
        else:
            parts = [ZERO for _ in items]
            free_shipping_coupon = coupon
        discounts = [d + p for d, p in zip(discounts, parts, strict=True)]
        coupons.append(
            model.Discount(
                code=coupon.code,
                description=coupon.description,
                origin=model.ORIGIN_USER,
                type=model.DISCOUNT_SHIPPING if coupon.kind == "free_shipping" else model.DISCOUNT_REGULAR,
                applied=True,
                total_amount=sum(parts, ZERO),
            )
        )
    discounted_subtotal = item_subtotal - sum(discounts, ZERO)

    # Tax follows where the goods go (the billing address for digital-only carts).
    ship_to = address(doc.get("ship_to"))
    bill_to = address(doc.get("bill_to"))
    where = ship_to or bill_to
    rule = catalog.tax_rule(where.country_iso2, where.region_code) if where else None
    rate = rule.rate if rule else ZERO

    lines: list[model.Line] = []
    for (line, item), subtotal, discount in zip(items, subtotals, discounts, strict=True):
        taxable = subtotal - discount
        tax = quantize(taxable * rate)
        qty = line["qty"]
        lines.append(
            model.Line(
                id=line.get("id"),
                external_id=line["line_id"],
                external_product_id=item.product_id,
                external_variant_id=item.variant_id,
                external_options=[model.CustomValue(k, v) for k, v in item.options],
                quantity=qty,
                unit_price=item.price,
                discounted_unit_price=quantize(taxable / qty),
                line_discount_amount=discount,
                subtotal_amount=subtotal,
                tax_amount=tax,
                total_amount=taxable + tax,
                name=item.display_name,
                description=item.description,
                image_url=item.image_url,
                fulfillment_mode=model.FULFILLMENT_DIGITAL if item.digital else model.FULFILLMENT_PHYSICAL,
            )
        )

    # Shipping: one plan for every physical line.
    physical = [line for line, (_, item) in zip(lines, items, strict=True) if not item.digital]
    plans: list[model.ShipmentPlan] = []
    shipping = shipping_tax = ZERO
    if physical:
        options: list[model.ShippingOption] = []
        for rate_def, cost in available_rates(catalog, doc, discounted_subtotal, free_shipping_coupon is not None):
            option_tax = quantize(cost * rate) if rule and rule.shipping else ZERO
            options.append(
                model.ShippingOption(
                    id=rate_def.id,
                    external_id=rate_def.id,
                    name=rate_def.name,
                    shipment_type=model.OPTION_PICKUP if rate_def.pickup else model.OPTION_OTHER,
                    cost=cost,
                    tax=option_tax,
                    total=cost + option_tax,
                    carrier="Sandbox Post" if not rate_def.pickup else None,
                    service_level=rate_def.service_level,
                )
            )
        selected = next((o for o in options if o.external_id == doc.get("rate")), options[0] if options else None)
        if selected is not None:
            shipping, shipping_tax = selected.cost or ZERO, selected.tax or ZERO
        if free_shipping_coupon is not None:
            saved = _free_shipping_saving(catalog, doc, discounted_subtotal, selected)
            for coupon in coupons:
                if coupon.code == free_shipping_coupon.code:
                    coupon.total_amount = saved
        plans.append(
            model.ShipmentPlan(
                id=doc.get("plan_id") or PLAN_ID,
                external_id=PLAN_ID,
                ship_to=ship_to,
                lines=[
                    model.LineRef(id=line.id, quantity=line.quantity, external_id=line.external_id) for line in physical
                ],
                selected_option=selected,
                available_options=options,
            )
        )

    total_tax = sum((line.tax_amount or ZERO for line in lines), ZERO) + shipping_tax
    total_discounts = sum(discounts, ZERO)
    is_cart = doc["status"] == model.STATUS_CART
    return model.Order(
        id=doc.get("fast_id"),
        external_id=doc.get("order_no") or doc["id"],
        order_type=model.TYPE_CART if is_cart else model.TYPE_ORDER,
        currency_code=catalog.currency,
        status=doc["status"],
        bill_to=bill_to,
        lines=lines,
        shipment_plans=plans,
        coupons=coupons,
        sub_total=item_subtotal,
        total_discounts=total_discounts,
        total_tax=total_tax,
        total_shipping=shipping,
        total_amount=item_subtotal - total_discounts + total_tax + shipping,
    )


def _free_shipping_saving(
    catalog: Catalog, doc: dict[str, Any], discounted_subtotal: Decimal, selected: model.ShippingOption | None
) -> Decimal:
    if selected is None:
        return ZERO
    for rate_def, cost in available_rates(catalog, doc, discounted_subtotal, free_shipping=False):
        if rate_def.id == selected.external_id:
            return cost
    return ZERO
