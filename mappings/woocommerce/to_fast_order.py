"""A REST API v3 order as a Fast order (after conversion).

REST v3 sends money as decimal strings (``"29.35"``) and line items with their
own ids; the Fast line ids ride in the order's ``_fast_lines`` meta. Nothing
here talks to the network.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from mappings import model
from mappings.money import ZERO, quantize
from mappings.woocommerce.common import (
    FREE_SHIPPING_METHOD,
    META_FAST_ORDER_ID,
    PICKUP_METHODS,
    clean_text,
    decimal_amount,
    fast_status_of,
    meta_value,
    str_or_none,
)
from mappings.woocommerce.lines import OrderLineRef, TrackedLine, allocate, order_line_refs, split_quantity
from mappings.woocommerce.to_fast import fast_address
from service.errors import ShapeError


def order_to_fast(order: Mapping[str, Any], status_map: Mapping[str, str], fast_id: str | None = None) -> model.Order:
    """A REST v3 order as a Fast order (after conversion)."""
    try:
        return _order_to_fast(order, status_map, fast_id)
    except ShapeError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation):
        raise ShapeError() from None


def _order_to_fast(order: Mapping[str, Any], status_map: Mapping[str, str], fast_id: str | None) -> model.Order:
    if not isinstance(order, Mapping) or "id" not in order or not isinstance(order.get("line_items"), list):
        raise ShapeError("the shop's order has no line items")
    status = fast_status_of(order, status_map)
    refs = order_line_refs(order)
    used: set[int] = set()
    # REST v3 formats every amount with the store's decimals: the order total shows how many.
    exponent = Decimal(1).scaleb(min(decimal_amount(order.get("total")).as_tuple().exponent, 0))  # type: ignore[arg-type]
    lines: list[model.Line] = []
    for item in order["line_items"]:
        lines.extend(_order_lines(item, refs, used, exponent))
    coupons = _order_coupons(order)
    plans = _order_plans(order, lines)
    fee_total = sum((decimal_amount(f.get("total")) for f in order.get("fee_lines") or []), ZERO)
    result = model.Order(
        id=fast_id or str_or_none(meta_value(order, META_FAST_ORDER_ID)),
        external_id=str(order["id"]),
        order_type=model.TYPE_CART if status == model.STATUS_CART else model.TYPE_ORDER,
        currency_code=str_or_none(order.get("currency")),
        status=status,
        bill_to=fast_address(order.get("billing")),
        lines=lines,
        shipment_plans=plans,
        coupons=coupons,
        sub_total=sum((line.subtotal_amount or ZERO for line in lines), ZERO),
        total_discounts=decimal_amount(order.get("discount_total")),
        total_tax=decimal_amount(order.get("total_tax")),
        total_shipping=decimal_amount(order.get("shipping_total")),
        total_amount=decimal_amount(order.get("total")),
        user_note=clean_text(order.get("customer_note")),
    )
    if fee_total:
        result.custom_values.append(model.CustomValue("woocommerce_fees", format(fee_total, "f")))
    if order.get("number") not in (None, "") and str(order.get("number")) != str(order["id"]):
        result.custom_values.append(model.CustomValue("woocommerce_order_number", str(order["number"])))
    return result


def _order_coupons(order: Mapping[str, Any]) -> list[model.Discount]:
    free_shipping = any(s.get("method_id") == FREE_SHIPPING_METHOD for s in order.get("shipping_lines") or [])
    coupons = []
    for coupon in order.get("coupon_lines") or []:
        amount = decimal_amount(coupon.get("discount"))
        shipping = not amount and free_shipping
        coupons.append(
            model.Discount(
                code=str(coupon.get("code")),
                description="Free shipping" if shipping else None,
                origin=model.ORIGIN_USER,
                type=model.DISCOUNT_SHIPPING if shipping else model.DISCOUNT_REGULAR,
                applied=True,
                total_amount=amount,
            )
        )
    return coupons


def _order_plans(order: Mapping[str, Any], lines: list[model.Line]) -> list[model.ShipmentPlan]:
    """One plan per shipping line, each holding every line (REST v3 does not say which line ships how)."""
    plans = []
    ship_to = fast_address(order.get("shipping"))
    for index, shipping_line in enumerate(order.get("shipping_lines") or []):
        option = _shipping_line_option(shipping_line)
        plans.append(
            model.ShipmentPlan(
                id=str(index),
                external_id=str(index),
                ship_to=ship_to,
                lines=[
                    model.LineRef(id=line.id, quantity=line.quantity, external_id=line.external_id) for line in lines
                ],
                selected_option=option,
                available_options=[option],
            )
        )
    return plans


def _shipping_line_option(shipping_line: Mapping[str, Any]) -> model.ShippingOption:
    rate_id = str(shipping_line.get("method_id") or "")
    if shipping_line.get("instance_id") not in (None, "", 0, "0"):
        rate_id = f"{rate_id}:{shipping_line['instance_id']}"
    cost = decimal_amount(shipping_line.get("total"))
    tax = decimal_amount(shipping_line.get("total_tax"))
    return model.ShippingOption(
        id=rate_id,
        external_id=rate_id,
        name=clean_text(shipping_line.get("method_title")),
        shipment_type=model.OPTION_PICKUP if shipping_line.get("method_id") in PICKUP_METHODS else model.OPTION_OTHER,
        cost=cost,
        tax=tax,
        total=cost + tax,
    )


def _order_lines(
    item: Mapping[str, Any], refs: list[OrderLineRef], used: set[int], exponent: Decimal
) -> list[model.Line]:
    variation_id = int(item.get("variation_id") or 0)
    product_id = int(item.get("product_id") or 0)
    qty = int(item.get("quantity") or 0)
    owners = _claim_refs(refs, used, product_id, variation_id)
    subtotal = decimal_amount(item.get("subtotal"))
    net = decimal_amount(item.get("total"))
    tax = decimal_amount(item.get("total_tax"))
    tracked = [TrackedLine(id=r.id, key=str(item.get("id")), qty=r.qty) for r in owners]
    shares = split_quantity(qty, tracked) if tracked else [qty]
    names: list[str | None] = [t.id for t in tracked] if tracked else [None]
    pairs = [(n, s) for n, s in zip(names, shares, strict=True) if s > 0 or n is None]
    weights = [s for _, s in pairs]
    parts = zip(
        pairs,
        allocate(subtotal, weights, exponent),
        allocate(net, weights, exponent),
        allocate(tax, weights, exponent),
        strict=True,
    )
    options = _variation_options(item) if variation_id else []
    out = []
    for (name, share), sub, line_net, line_tax in parts:
        out.append(
            model.Line(
                id=name,
                external_id=str(item.get("id")),
                external_product_id=str(product_id) if product_id else None,
                external_variant_id=str(variation_id) if variation_id else None,
                external_options=options,
                quantity=share,
                unit_price=quantize(sub / share, exponent) if share else sub,
                discounted_unit_price=quantize(line_net / share, exponent) if share else line_net,
                line_discount_amount=sub - line_net,
                subtotal_amount=sub,
                tax_amount=line_tax,
                total_amount=line_net + line_tax,
                name=clean_text(item.get("name")),
            )
        )
    return out


def _claim_refs(refs: list[OrderLineRef], used: set[int], product_id: int, variation_id: int) -> list[OrderLineRef]:
    """The Fast lines recorded for an order line (its variation, or its simple product), each claimed once."""
    owners = [
        (i, r)
        for i, r in enumerate(refs)
        if i not in used and (r.item == variation_id if variation_id else (r.item == product_id and not r.variation))
    ]
    used.update(i for i, _ in owners)
    return [r for _, r in owners]


def _variation_options(item: Mapping[str, Any]) -> list[model.CustomValue]:
    """A variation's attributes as the order line's meta shows them (hidden ``_`` keys left out)."""
    return [
        model.CustomValue(str(m.get("display_key") or m.get("key")), str(m.get("display_value") or m.get("value")))
        for m in item.get("meta_data") or []
        if isinstance(m, Mapping) and not str(m.get("key", "_")).startswith("_")
    ]
