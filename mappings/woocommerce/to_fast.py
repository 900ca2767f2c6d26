"""A Store API cart as a Fast cart; WooCommerce shipping zones as Fast's.

The Store API cart (``/wc/store/v1/cart``) sends money as integer strings in
the currency's minor unit (``"1800"`` with ``currency_minor_unit: 2``), items
keyed by a cart item key, shipping as packages of rates. Nothing here talks
to the network.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from mappings import model
from mappings.money import ZERO, quantize
from mappings.woocommerce.common import (
    COUPON_TYPE_LABELS,
    FREE_SHIPPING_METHOD,
    PICKUP_METHODS,
    cart_items,
    clean_text,
    minor_amount,
    minor_unit,
    str_or_none,
)
from mappings.woocommerce.lines import TrackedLine, allocate, lines_by_key, split_quantity
from service.errors import ShapeError


def fast_address(data: Mapping[str, Any] | None) -> model.Address | None:
    if not data:
        return None
    address = model.Address(
        first_name=str_or_none(data.get("first_name")),
        last_name=str_or_none(data.get("last_name")),
        company=str_or_none(data.get("company")),
        email=str_or_none(data.get("email")),
        phone=str_or_none(data.get("phone")),
        address_1=str_or_none(data.get("address_1")),
        address_2=str_or_none(data.get("address_2")),
        city_locality=str_or_none(data.get("city")),
        state_province_code=str_or_none(data.get("state")),
        country_code=str_or_none(data.get("country")),
        postal_code=str_or_none(data.get("postcode")),
    )
    if not any(
        getattr(address, name) for name in ("address_1", "city_locality", "country_code", "postal_code")
    ) and not (address.email or address.first_name or address.last_name):
        return None
    return address


def has_address(data: Mapping[str, Any] | None) -> bool:
    return bool(data) and bool(data.get("country")) and bool(data.get("address_1") or data.get("postcode"))  # type: ignore[union-attr]


@dataclass
class CartContext:
    """What the adapter knows beside the cart: Fast's ids."""

    fast_id: str | None
    external_id: str
    lines: list[TrackedLine]
    plan_ids: dict[str, str]


def cart_to_order(cart: Mapping[str, Any], ctx: CartContext) -> model.Order:
    """A Store API cart as a Fast cart, every amount exact in the shop's currency."""
    try:
        return _cart_to_order(cart, ctx)
    except ShapeError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation):
        raise ShapeError() from None


def _cart_to_order(cart: Mapping[str, Any], ctx: CartContext) -> model.Order:
    if not isinstance(cart, Mapping) or not isinstance(cart.get("totals"), Mapping):
        raise ShapeError("the shop's cart has no totals")
    totals = cart["totals"]
    minor = minor_unit(totals)
    exponent = Decimal(1).scaleb(-minor)
    lines, refs_by_key = _cart_lines(cart, lines_by_key(ctx.lines), minor, exponent)
    plans, shipping, physical_keys = _plans(cart, ctx, refs_by_key, minor, exponent)
    _mark_fulfillment(lines, physical_keys, cart.get("needs_shipping"))
    coupons = _cart_coupons(cart, minor, free_shipping_selected=_free_shipping_selected(cart))
    order = model.Order(
        id=ctx.fast_id,
        external_id=ctx.external_id,
        order_type=model.TYPE_CART,
        currency_code=str(totals.get("currency_code") or "") or None,
        status=model.STATUS_CART,
        bill_to=fast_address(cart.get("billing_address")),
        lines=lines,
        shipment_plans=plans,
        coupons=coupons,
        sub_total=minor_amount(totals, "total_items", minor),
        total_discounts=minor_amount(totals, "total_discount", minor),
        total_tax=minor_amount(totals, "total_tax", minor),
        total_shipping=shipping if shipping is not None else minor_amount(totals, "total_shipping", minor),
        total_amount=minor_amount(totals, "total_price", minor),
    )
    fees = minor_amount(totals, "total_fees", minor)
    if fees:
        # Fast has no fee field: the fees are inside total_amount (and their tax inside total_tax).
        order.custom_values.append(model.CustomValue("woocommerce_fees", format(fees, "f")))
    return order


def _cart_lines(
    cart: Mapping[str, Any], grouped: Mapping[str, list[TrackedLine]], minor: int, exponent: Decimal
) -> tuple[list[model.Line], dict[str, list[model.Line]]]:
    """Each cart item as Fast lines (one per Fast line sharing it), and the lines by cart item key."""
    lines: list[model.Line] = []
    refs_by_key: dict[str, list[model.Line]] = {}
    for item in cart_items(cart):
        key = str(item["key"])
        item_totals = item.get("totals") or {}
        item_minor = minor_unit(item_totals, minor)
        qty = int(item.get("quantity") or 0)
        tracked = grouped.get(key) or []
        shares = split_quantity(qty, tracked) if tracked else [qty]
        owners: list[TrackedLine | None] = list(tracked) if tracked else [None]
        pairs = [(o, s) for o, s in zip(owners, shares, strict=True) if s > 0 or o is None]
        if not pairs:
            continue
        weights = [s for _, s in pairs]
        subtotals = allocate(minor_amount(item_totals, "line_subtotal", item_minor), weights, exponent)
        nets = allocate(minor_amount(item_totals, "line_total", item_minor), weights, exponent)
        taxes = allocate(minor_amount(item_totals, "line_total_tax", item_minor), weights, exponent)
        for (owner, share), subtotal, net, tax in zip(pairs, subtotals, nets, taxes, strict=True):
            line = _line(item, key, owner, share, subtotal, net, tax, exponent)
            lines.append(line)
            refs_by_key.setdefault(key, []).append(line)
    return lines, refs_by_key


def _mark_fulfillment(lines: list[model.Line], physical_keys: set[str] | None, needs_shipping: Any) -> None:
    """Lines in a shipping package are shipped; the others (or all, when nothing needs shipping) are digital."""
    if physical_keys is not None:
        for line in lines:
            shipped = line.external_id in physical_keys
            line.fulfillment_mode = model.FULFILLMENT_PHYSICAL if shipped else model.FULFILLMENT_DIGITAL
    elif needs_shipping is False:
        for line in lines:
            line.fulfillment_mode = model.FULFILLMENT_DIGITAL


def _line(
    item: Mapping[str, Any],
    key: str,
    owner: TrackedLine | None,
    qty: int,
    subtotal: Decimal,
    net: Decimal,
    tax: Decimal,
    exponent: Decimal,
) -> model.Line:
    item_id = item.get("id")
    is_variation = item.get("type") == "variation" or bool(item.get("variation"))
    product = owner.product if owner else None
    images = item.get("images") or []
    return model.Line(
        id=owner.id if owner else None,
        external_id=key,
        external_product_id=product or (None if is_variation else str_or_none(item_id)),
        external_variant_id=str_or_none(item_id) if is_variation else None,
        external_options=[
            model.CustomValue(str(v.get("attribute")), str(v.get("value")))
            for v in item.get("variation") or []
            if isinstance(v, Mapping)
        ],
        quantity=qty,
        unit_price=quantize(subtotal / qty, exponent) if qty else subtotal,
        discounted_unit_price=quantize(net / qty, exponent) if qty else net,
        line_discount_amount=subtotal - net,
        subtotal_amount=subtotal,
        tax_amount=tax,
        total_amount=net + tax,
        name=clean_text(item.get("name")),
        description=clean_text(item.get("short_description")),
        image_url=str_or_none(images[0].get("src")) if images and isinstance(images[0], Mapping) else None,
    )


def _plans(
    cart: Mapping[str, Any],
    ctx: CartContext,
    refs_by_key: dict[str, list[model.Line]],
    minor: int,
    exponent: Decimal,
) -> tuple[list[model.ShipmentPlan], Decimal | None, set[str] | None]:
    packages = cart.get("shipping_rates") or []
    if not packages:
        return [], None, None
    ship_to = fast_address(cart.get("shipping_address"))
    plans: list[model.ShipmentPlan] = []
    shipping = ZERO * exponent
    physical: set[str] = set()
    for package in packages:
        package_id = str(package.get("package_id"))
        refs: list[model.LineRef] = []
        for entry in package.get("items") or []:
            key = str(entry.get("key"))
            physical.add(key)
            for line in refs_by_key.get(key, []):
                refs.append(model.LineRef(id=line.id, quantity=line.quantity, external_id=key))
        options: list[model.ShippingOption] = []
        selected: model.ShippingOption | None = None
        for rate in package.get("shipping_rates") or []:
            rate_minor = minor_unit(rate, minor)
            cost = minor_amount(rate, "price", rate_minor)
            tax = minor_amount(rate, "taxes", rate_minor)
            method = str(rate.get("method_id") or "")
            option = model.ShippingOption(
                id=str(rate.get("rate_id")),
                external_id=str(rate.get("rate_id")),
                name=clean_text(rate.get("name")),
                shipment_type=model.OPTION_PICKUP if method in PICKUP_METHODS else model.OPTION_OTHER,
                cost=cost,
                tax=tax,
                total=cost + tax,
                service_level=clean_text(rate.get("delivery_time")) or clean_text(rate.get("description")),
            )
            options.append(option)
            if rate.get("selected"):
                selected = option
        if selected is not None:
            shipping += selected.cost or ZERO
        plans.append(
            model.ShipmentPlan(
                id=ctx.plan_ids.get(package_id) or package_id,
                external_id=package_id,
                ship_to=ship_to,
                lines=refs,
                selected_option=selected,
                available_options=options,
            )
        )
    return plans, shipping, physical


def _free_shipping_selected(cart: Mapping[str, Any]) -> bool:
    for package in cart.get("shipping_rates") or []:
        for rate in package.get("shipping_rates") or []:
            if rate.get("selected") and rate.get("method_id") == FREE_SHIPPING_METHOD:
                return True
    return False


def _cart_coupons(cart: Mapping[str, Any], minor: int, *, free_shipping_selected: bool) -> list[model.Discount]:
    coupons = [c for c in cart.get("coupons") or [] if isinstance(c, Mapping)]
    amounts = [
        minor_amount(c.get("totals") or {}, "total_discount", minor_unit(c.get("totals") or {}, minor)) for c in coupons
    ]
    _attribute_unexplained(cart, amounts, minor)
    out: list[model.Discount] = []
    for coupon, amount in zip(coupons, amounts, strict=True):
        kind = str(coupon.get("discount_type") or "")
        shipping = not amount and free_shipping_selected
        out.append(
            model.Discount(
                code=str(coupon.get("code")),
                description="Free shipping" if shipping else COUPON_TYPE_LABELS.get(kind, clean_text(kind)),
                origin=model.ORIGIN_USER,
                type=model.DISCOUNT_SHIPPING if shipping else model.DISCOUNT_REGULAR,
                applied=True,
                total_amount=amount,
            )
        )
    return out


def _attribute_unexplained(cart: Mapping[str, Any], amounts: list[Decimal], minor: int) -> None:
    """Give the one coupon reported at 0 the discount the cart has and no coupon accounts for.

    WooCommerce 9.9.5 keeps a code in the case the shopper typed and then looks its discount up under
    the shop's own case, finding 0 (edge-cases.jsonl seq 2: "min50" and "five" at 0 while the cart is
    15.00 off). With one such coupon the cart's total discount says exactly what it is worth; with
    several, which got what cannot be known, and they are left as the shop reports them.
    """
    total = minor_amount(cart.get("totals") or {}, "total_discount", minor)
    unexplained = total - sum(amounts, Decimal(0))
    zeros = [i for i, amount in enumerate(amounts) if not amount]
    if unexplained > 0 and len(zeros) == 1:
        amounts[zeros[0]] = unexplained


def zones_from_locations(
    locations: Iterable[Mapping[str, Any]], continents: Mapping[str, list[str]]
) -> list[model.ShippingZone]:
    """Fast shipping zones from one WooCommerce zone's locations (postcode ranges widen to their country)."""
    zones: list[model.ShippingZone] = []
    for location in locations:
        code = str(location.get("code") or "").strip().upper()
        kind = location.get("type")
        if not code:
            continue
        if kind == "country":
            zones.append(model.ShippingZone(code))
        elif kind == "state" and ":" in code:
            country, state = code.split(":", 1)
            zones.append(model.ShippingZone(country, state))
        elif kind == "continent":
            zones.extend(model.ShippingZone(country) for country in continents.get(code, []))
    return zones


def dedupe_zones(zones: Iterable[model.ShippingZone]) -> list[model.ShippingZone]:
    """Drop duplicates and states of countries that are served whole."""
    zones = list(zones)
    whole = {z.country_iso2 for z in zones if z.subdivision_iso2 is None}
    seen: set[tuple[str, str | None]] = set()
    out: list[model.ShippingZone] = []
    for zone in zones:
        key = (zone.country_iso2, zone.subdivision_iso2)
        if key in seen or (zone.subdivision_iso2 is not None and zone.country_iso2 in whole):
            continue
        seen.add(key)
        out.append(zone)
    return sorted(out, key=lambda z: (z.country_iso2, z.subdivision_iso2 or ""))
