"""Shopify's draft orders, orders, rates and zones as Fast's canonical model."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from mappings import model
from mappings.money import ZERO, quantize
from mappings.shopify import (
    FAST_LINE_ATTR,
    FAST_ORDER_ATTR,
    FAST_PLAN_ATTR,
    PLAN_EXTERNAL_ID,
    STATUS_TAGS,
    attribute,
    attributes,
    exponent,
    money,
)
from mappings.shopify.shipping import Rate
from service.logs import log_fields

log = logging.getLogger(__name__)

# When tags disagree (a failed tagsRemove), the furthest status wins.
_STATUS_PRECEDENCE = (
    model.STATUS_CANCELED,
    model.STATUS_PENDING_FULFILLMENT,
    model.STATUS_BOOKED,
    model.STATUS_HOLD,
)


def fast_address(mailing: dict[str, Any] | None, email: str | None = None) -> model.Address | None:
    if not mailing:
        return model.Address(email=email) if email else None
    return model.Address(
        first_name=mailing.get("firstName"),
        last_name=mailing.get("lastName"),
        company=mailing.get("company"),
        email=email,
        phone=mailing.get("phone"),
        address_1=mailing.get("address1"),
        address_2=mailing.get("address2"),
        city_locality=mailing.get("city"),
        state_province=mailing.get("province"),
        state_province_code=mailing.get("provinceCode"),
        country_code=mailing.get("countryCodeV2"),
        postal_code=mailing.get("zip"),
    )


def coupon_outcome(draft: dict[str, Any], code: str) -> tuple[bool, str | None]:
    """Whether Shopify applied a discount code to this draft, and if not, its reason."""
    wanted = code.strip().upper()
    for warning in draft.get("warnings") or []:
        if (warning.get("discountCode") or "").upper() == wanted:
            return False, warning.get("message") or f"discount code {code!r} cannot be applied"
    applied = {(pd.get("code") or "").upper() for pd in draft.get("platformDiscounts") or []}
    if wanted in applied:
        return True, None
    if wanted not in {c.upper() for c in draft.get("discountCodes") or []}:
        return False, f"Shopify did not accept discount code {code!r}"
    return False, f"discount code {code!r} does not apply to this cart"


def refused_coupon(code: str, reason: str | None, currency: str | None) -> model.Discount:
    """A code Shopify did not apply: listed with ``applied: false`` and a zero amount in the currency's unit."""
    return model.Discount(
        code=code, description=reason, origin=model.ORIGIN_USER, applied=False, total_amount=_q(ZERO, currency)
    )


def _q(amount: Decimal, currency: str | None) -> Decimal:
    return quantize(amount, exponent(currency))


def _tax(tax_lines: Iterable[dict[str, Any]] | None) -> Decimal:
    return sum((money(t.get("priceSet")) for t in tax_lines or ()), ZERO)


def _options(variant: dict[str, Any] | None) -> list[model.CustomValue]:
    if not variant or (variant.get("product") or {}).get("hasOnlyDefaultVariant"):
        return []
    return [
        model.CustomValue(o["name"], o["value"])
        for o in variant.get("selectedOptions") or []
        if not (o["name"] == "Title" and o["value"] == "Default Title")
    ]


def _line(
    node: dict[str, Any], allocated: Decimal, currency: str | None, taxes_included: bool, external_id: str
) -> model.Line:
    pairs = attributes(node.get("customAttributes"))
    variant = node.get("variant") or {}
    product = variant.get("product") or {}
    quantity = int(node["quantity"])
    subtotal = money(node.get("originalTotalSet"))
    # Shopify's per-line total discount, or the discounts it allocated to the line when those are larger
    # (order-level codes are allocated to lines but may be left out of the line's own total).
    discount = max(money(node.get("totalDiscountSet")), allocated)
    tax = _tax(node.get("taxLines"))
    discounted = subtotal - discount
    return model.Line(
        id=next((v for k, v in pairs if k == FAST_LINE_ATTR), None) or None,
        external_id=external_id,
        external_product_id=str(product["legacyResourceId"]) if product.get("legacyResourceId") else None,
        external_variant_id=str(variant["legacyResourceId"]) if variant.get("legacyResourceId") else None,
        external_options=_options(variant),
        customizations=[model.CustomValue(k, v) for k, v in pairs if not k.startswith("_")],
        quantity=quantity,
        unit_price=_q(money(node.get("originalUnitPriceSet")), currency),
        discounted_unit_price=_q(discounted / quantity if quantity else ZERO, currency),
        line_discount_amount=_q(discount, currency),
        subtotal_amount=_q(subtotal, currency),
        tax_amount=_q(tax, currency),
        total_amount=_q(discounted if taxes_included else discounted + tax, currency),
        name=node.get("name") or node.get("title"),
        description=node.get("variantTitle") or None,
        image_url=(node.get("image") or {}).get("url"),
        fulfillment_mode=model.FULFILLMENT_PHYSICAL if node.get("requiresShipping") else model.FULFILLMENT_DIGITAL,
    )


def _selected_option(shipping_line: dict[str, Any] | None, currency: str | None) -> model.ShippingOption | None:
    if not shipping_line:
        return None
    handle = shipping_line.get("shippingRateHandle") or shipping_line.get("code") or shipping_line.get("title")
    cost = money(shipping_line.get("discountedPriceSet") or shipping_line.get("originalPriceSet"))
    tax = _tax(shipping_line.get("taxLines"))
    return model.ShippingOption(
        id=handle,
        external_id=handle,
        name=shipping_line.get("title"),
        shipment_type=model.OPTION_OTHER,
        cost=_q(cost, currency),
        tax=_q(tax, currency),
        total=_q(cost + tax, currency),
    )


def _plan(
    pairs: list[tuple[str, str]],
    ship_to: model.Address | None,
    lines: list[model.Line],
    selected: model.ShippingOption | None,
    rates: list[Rate] | None,
    currency: str | None,
) -> list[model.ShipmentPlan]:
    physical = [line for line in lines if line.fulfillment_mode == model.FULFILLMENT_PHYSICAL]
    if not physical:
        return []
    options: list[model.ShippingOption] = []
    for rate in rates or []:
        if selected is not None and rate.handle == selected.external_id:
            options.append(selected)
        else:
            cost = _q(rate.price, currency)
            # Shopify quotes the tax of the chosen rate only.
            options.append(
                model.ShippingOption(
                    id=rate.handle,
                    external_id=rate.handle,
                    name=rate.title,
                    shipment_type=model.OPTION_OTHER,
                    cost=cost,
                    total=cost,
                )
            )
    if selected is not None and all(o.external_id != selected.external_id for o in options):
        options.insert(0, selected)
    plan_id = next((v for k, v in pairs if k == FAST_PLAN_ATTR), None) or PLAN_EXTERNAL_ID
    return [
        model.ShipmentPlan(
            id=plan_id,
            external_id=PLAN_EXTERNAL_ID,
            ship_to=ship_to,
            lines=[
                model.LineRef(id=line.id, quantity=line.quantity, external_id=line.external_id) for line in physical
            ],
            selected_option=selected,
            available_options=options,
        )
    ]


def _discount_type(discount_class: str | None) -> str:
    return model.DISCOUNT_SHIPPING if discount_class == "SHIPPING" else model.DISCOUNT_REGULAR


def _check_sum(order: model.Order, taxes_included: bool) -> None:
    parts = [order.sub_total, order.total_discounts, order.total_tax, order.total_shipping, order.total_amount]
    if any(p is None for p in parts):
        return
    sub, disc, tax, ship, total = parts  # type: ignore[misc]
    expected = sub - disc + ship + (ZERO if taxes_included else tax)
    if expected != total:
        log.warning(
            "Shopify's totals do not add up the way Fast's do",
            extra=log_fields(external_id=order.external_id, expected=str(expected), total=str(total)),
        )


def _line_allocations(draft: dict[str, Any]) -> dict[str, Decimal]:
    """What the draft's discounts take off each line item, by line item id."""
    allocated: dict[str, Decimal] = {}
    for discount in draft.get("platformDiscounts") or []:
        for allocation in discount.get("allocations") or []:
            target = allocation.get("target") or {}
            if target.get("__typename") == "DraftOrderLineItem" and target.get("id"):
                reduction = money(allocation.get("reductionAmountSet"))
                allocated[target["id"]] = allocated.get(target["id"], ZERO) + reduction
    return allocated


def _draft_coupons(draft: dict[str, Any], currency: str | None) -> list[model.Discount]:
    coupons = [
        model.Discount(
            code=discount.get("code"),
            description=discount.get("title") or discount.get("summary"),
            origin=model.ORIGIN_VENDOR if discount.get("automaticDiscount") else model.ORIGIN_USER,
            type=_discount_type(discount.get("discountClass")),
            applied=True,
            total_amount=_q(money(discount.get("totalAmountPriceSet")), currency),
        )
        for discount in draft.get("platformDiscounts") or []
    ]
    applied_codes = {(c.code or "").upper() for c in coupons if c.code}
    for code in draft.get("discountCodes") or []:
        if code.upper() not in applied_codes:
            applied, reason = coupon_outcome(draft, code)
            if not applied:
                coupons.append(refused_coupon(code, reason, currency))
    return coupons


def _totals(node: dict[str, Any], lines: list[model.Line], selected: Any, currency: str | None) -> dict[str, Any]:
    """The order-level amounts of a draft order or order, each in the currency's minor unit."""
    return {
        "sub_total": _q(sum((line.subtotal_amount or ZERO for line in lines), ZERO), currency),
        "total_discounts": _q(sum((line.line_discount_amount or ZERO for line in lines), ZERO), currency),
        "total_tax": _q(money(node.get("totalTaxSet")), currency),
        "total_shipping": selected.cost if selected else _q(ZERO, currency),
        "total_amount": _q(money(node.get("totalPriceSet")), currency),
    }


def draft_to_order(draft: dict[str, Any], rates: list[Rate] | None = None) -> model.Order:
    """A Shopify draft order (an open cart) as a Fast order."""
    currency = draft.get("presentmentCurrencyCode") or draft.get("currencyCode")
    taxes_included = bool(draft.get("taxesIncluded"))
    allocated = _line_allocations(draft)
    lines = [
        _line(node, allocated.get(node["id"], ZERO), currency, taxes_included, node.get("uuid") or node["id"])
        for node in draft["lineItems"]["nodes"]
    ]
    selected = _selected_option(draft.get("shippingLine"), currency)
    ship_to = fast_address(draft.get("shippingAddress"))
    canceled = STATUS_TAGS[model.STATUS_CANCELED] in (draft.get("tags") or [])
    order = model.Order(
        id=attribute(draft.get("customAttributes"), FAST_ORDER_ATTR),
        external_id=draft["id"],
        order_type=model.TYPE_CART,
        currency_code=currency,
        status=model.STATUS_CANCELED if canceled else model.STATUS_CART,
        bill_to=fast_address(draft.get("billingAddress"), draft.get("email")),
        lines=lines,
        shipment_plans=_plan(attributes(draft.get("customAttributes")), ship_to, lines, selected, rates, currency),
        coupons=_draft_coupons(draft, currency),
        **_totals(draft, lines, selected, currency),
    )
    _check_sum(order, taxes_included)
    return order


def order_status(order: dict[str, Any]) -> str:
    """Fast's status for a Shopify order: Shopify's own facts first, then the Fast status tag."""
    if order.get("cancelledAt"):
        return model.STATUS_CANCELED
    if order.get("displayFulfillmentStatus") == "FULFILLED":
        return model.STATUS_COMPLETE if order.get("closed") else model.STATUS_FULFILLED
    tags = set(order.get("tags") or [])
    for status in _STATUS_PRECEDENCE:
        if STATUS_TAGS[status] in tags:
            return status
    if order.get("displayFinancialStatus") == "PAID":
        return model.STATUS_PENDING_FULFILLMENT
    return model.STATUS_PENDING


class _Allocations:
    """The discounts Shopify allocated on an order, added up per code and per target."""

    def __init__(self) -> None:
        self.by_code: dict[str, Decimal] = {}
        self.shipping_codes: set[str] = set()

    def total(self, raw: Iterable[dict[str, Any]] | None, *, shipping: bool = False) -> Decimal:
        total = ZERO
        for allocation in raw or ():
            value = money(allocation.get("allocatedAmountSet"))
            total += value
            code = (allocation.get("discountApplication") or {}).get("code")
            if code:
                self.by_code[code] = self.by_code.get(code, ZERO) + value
                if shipping:
                    self.shipping_codes.add(code)
        return total


def _order_lines(order: dict[str, Any], found: _Allocations, currency: str | None) -> list[model.Line]:
    taxes_included = bool(order.get("taxesIncluded"))
    lines = []
    for node in order["lineItems"]["nodes"]:
        line = _line(node, found.total(node.get("discountAllocations")), currency, taxes_included, node["id"])
        if node.get("unfulfilledQuantity") is not None:
            line.quantity_fulfilled = int(node["quantity"]) - int(node["unfulfilledQuantity"])
        lines.append(line)
    return lines


def order_to_fast(order: dict[str, Any]) -> model.Order:
    """A Shopify order (a converted cart) as a Fast order."""
    currency = order.get("presentmentCurrencyCode") or order.get("currencyCode")
    found = _Allocations()
    lines = _order_lines(order, found, currency)
    shipping_line = order.get("shippingLine")
    shipping_discount = found.total((shipping_line or {}).get("discountAllocations"), shipping=True)
    selected = _selected_option(shipping_line, currency)
    if selected is not None and shipping_line and not shipping_line.get("discountedPriceSet"):
        selected.cost = _q(money(shipping_line.get("originalPriceSet")) - shipping_discount, currency)
    coupons = [
        model.Discount(
            code=code,
            origin=model.ORIGIN_USER,
            # A code Shopify allocated to the shipping line is a shipping discount, as it was on the cart.
            type=model.DISCOUNT_SHIPPING if code in found.shipping_codes else model.DISCOUNT_REGULAR,
            applied=True,
            total_amount=_q(found.by_code.get(code, ZERO), currency),
        )
        for code in order.get("discountCodes") or []
    ]
    ship_to = fast_address(order.get("shippingAddress"))
    result = model.Order(
        id=attribute(order.get("customAttributes"), FAST_ORDER_ATTR),
        external_id=order["id"],
        order_type=model.TYPE_ORDER,
        currency_code=currency,
        status=order_status(order),
        bill_to=fast_address(order.get("billingAddress"), order.get("email")),
        lines=lines,
        shipment_plans=_plan(attributes(order.get("customAttributes")), ship_to, lines, selected, None, currency),
        coupons=coupons,
        store_note=order.get("name"),
        **_totals(order, lines, selected, currency),
    )
    _check_sum(result, bool(order.get("taxesIncluded")))
    return result
