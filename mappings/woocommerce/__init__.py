"""How a WooCommerce cart or order becomes a Fast order, and Fast increments become Store API requests.

Two WooCommerce shapes come in:

* the Store API cart (``/wc/store/v1/cart``): money as integer strings in the
  currency's minor unit (``"1800"`` with ``currency_minor_unit: 2``), items
  keyed by a cart item key, shipping as packages of rates;
* the REST API v3 order (``/wc/v3/orders/{id}``): money as decimal strings
  (``"29.35"``), line items with their own ids.

The Store API cannot carry Fast's line ids, so the adapter keeps a small map
(``TrackedLine``) from each Fast line to the WooCommerce cart item key it lives
in. Two Fast lines may share one cart item (WooCommerce merges the same
product into one item); the map keeps each Fast line's own quantity and the
amounts of the shared item are split between them exactly.

Nothing here talks to the network.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from mappings import model
from mappings.money import ZERO, from_minor_units, quantize, to_decimal
from service.errors import ShapeError

STORE_API = "/wc/store/v1"
REST_API = "/wc/v3"

# Order meta keys the adapter writes on orders it converts (underscore: hidden from the custom fields box).
META_FAST_ORDER_ID = "_fast_order_id"
META_FAST_STATUS = "_fast_status"
META_FAST_LINES = "_fast_lines"

# Rate methods that mean "the shopper collects the goods".
PICKUP_METHODS = frozenset({"local_pickup", "pickup_location"})
FREE_SHIPPING_METHOD = "free_shipping"

# WooCommerce's own labels for its coupon types (wc_get_coupon_types()).
COUPON_TYPE_LABELS = {
    "percent": "Percentage discount",
    "fixed_cart": "Fixed cart discount",
    "fixed_product": "Fixed product discount",
}

# The WooCommerce status each Fast status becomes, unless the store overrides it.
DEFAULT_STATUS_MAP: dict[str, str] = {
    model.STATUS_PENDING: "on-hold",
    model.STATUS_HOLD: "on-hold",
    model.STATUS_BOOKED: "on-hold",
    model.STATUS_PENDING_FULFILLMENT: "processing",
    model.STATUS_FULFILLED: "completed",
    model.STATUS_COMPLETE: "completed",
    model.STATUS_CANCELED: "cancelled",
}
# What a WooCommerce status means to Fast when the order carries no (matching) Fast status of ours.
WOO_TO_FAST_STATUS: dict[str, str] = {
    "checkout-draft": model.STATUS_CART,
    "pending": model.STATUS_PENDING,
    "on-hold": model.STATUS_PENDING,
    "processing": model.STATUS_PENDING_FULFILLMENT,
    "completed": model.STATUS_COMPLETE,
    "cancelled": model.STATUS_CANCELED,
    "refunded": model.STATUS_CANCELED,
    "failed": model.STATUS_CANCELED,
    "trash": model.STATUS_DELETED,
}
_WOO_STATUS = re.compile(r"^[a-z0-9][a-z0-9_-]{0,30}$")


# --- the Fast line map ------------------------------------------------------------


@dataclass
class TrackedLine:
    """One Fast line and the WooCommerce cart item holding it.

    ``item`` is the cart item's ``id`` (a product id, or a variation id when
    ``variation`` is true); ``product`` is the parent product Fast named, kept
    so the line can be described after conversion.
    """

    id: str
    key: str
    qty: int
    item: int | None = None
    variation: bool = False
    product: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TrackedLine:
        return cls(
            id=str(data["id"]),
            key=str(data["key"]),
            qty=int(data["qty"]),
            item=data.get("item"),
            variation=bool(data.get("variation")),
            product=data.get("product"),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def lines_by_key(lines: Iterable[TrackedLine]) -> dict[str, list[TrackedLine]]:
    grouped: dict[str, list[TrackedLine]] = {}
    for line in lines:
        grouped.setdefault(line.key, []).append(line)
    return grouped


def split_quantity(total: int, lines: list[TrackedLine]) -> list[int]:
    """Each Fast line's share of a cart item's quantity; the shares add up to ``total``.

    When the shop's quantity differs from what the lines say (a storefront
    edit, a quantity limit), the earlier lines keep theirs and the last line
    absorbs the difference; lines that would be left with nothing get 0.
    """
    shares: list[int] = []
    left = total
    for index, line in enumerate(lines):
        if index == len(lines) - 1:
            shares.append(max(left, 0))
        else:
            take = min(line.qty, max(left, 0))
            shares.append(take)
            left -= take
    return shares


def allocate(amount: Decimal, weights: list[int], exponent: Decimal) -> list[Decimal]:
    """Split ``amount`` in proportion to ``weights``; the parts add up to ``amount`` exactly."""
    total = sum(weights)
    if not weights:
        return []
    if total <= 0:
        return [ZERO] * (len(weights) - 1) + [amount]
    parts = [quantize(amount * w / total, exponent) for w in weights]
    parts[-1] += amount - sum(parts, ZERO)
    return parts


# --- small parsing helpers ------------------------------------------------------


def clean_text(value: Any) -> str | None:
    """WooCommerce's HTML-ish text (entities, tags) as plain text; None when empty."""
    if value is None:
        return None
    text = re.sub(r"<(?:br|/p|/li|/div|/h\d)[^>]*>", " ", str(value), flags=re.IGNORECASE)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    text = re.sub(r"\s+", " ", text).strip()
    return text or None


def _minor(data: Mapping[str, Any], fallback: int = 2) -> int:
    unit = data.get("currency_minor_unit", fallback)
    if isinstance(unit, bool) or not isinstance(unit, int) or not 0 <= unit <= 8:
        raise ShapeError("the shop sent an invalid currency_minor_unit")
    return unit


def _amount(data: Mapping[str, Any], key: str, minor: int) -> Decimal:
    value = data.get(key, "0")
    if value in (None, ""):
        value = "0"
    if isinstance(value, float):
        raise ShapeError(f"the shop sent {key} as a float")
    return from_minor_units(value, minor)


def decimal_amount(value: Any) -> Decimal:
    if value in (None, ""):
        return ZERO
    if isinstance(value, float):
        # REST v3 sends a few amounts as JSON numbers; go through their text, never binary float.
        return Decimal(repr(value))
    return to_decimal(value)


def _str_or_none(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


# --- addresses ----------------------------------------------------------------------

_ADDRESS_KEYS = ("first_name", "last_name", "company", "address_1", "address_2", "city", "state", "postcode", "country")


def woo_address(address: model.Address, *, billing: bool) -> dict[str, str]:
    """A Fast address as a Store API address: a full replacement of the fields Fast names.

    Empty strings clear what the previous address had, except email and phone,
    which are only sent when Fast gives them (an address update must not wipe
    the contact details the order needs).
    """
    out = {
        "first_name": address.first_name or "",
        "last_name": address.last_name or "",
        "company": address.company or "",
        "address_1": address.address_1 or "",
        "address_2": address.address_2 or "",
        "city": address.city_locality or "",
        "state": address.region_code or "",
        "postcode": address.postal_code or "",
        "country": address.country_iso2 or "",
    }
    if address.phone:
        out["phone"] = address.phone
    if billing and address.email:
        out["email"] = address.email
    return out


def fast_address(data: Mapping[str, Any] | None) -> model.Address | None:
    if not data:
        return None
    address = model.Address(
        first_name=_str_or_none(data.get("first_name")),
        last_name=_str_or_none(data.get("last_name")),
        company=_str_or_none(data.get("company")),
        email=_str_or_none(data.get("email")),
        phone=_str_or_none(data.get("phone")),
        address_1=_str_or_none(data.get("address_1")),
        address_2=_str_or_none(data.get("address_2")),
        city_locality=_str_or_none(data.get("city")),
        state_province_code=_str_or_none(data.get("state")),
        country_code=_str_or_none(data.get("country")),
        postal_code=_str_or_none(data.get("postcode")),
    )
    if not any(
        getattr(address, name) for name in ("address_1", "city_locality", "country_code", "postal_code")
    ) and not (address.email or address.first_name or address.last_name):
        return None
    return address


def has_address(data: Mapping[str, Any] | None) -> bool:
    return bool(data) and bool(data.get("country")) and bool(data.get("address_1") or data.get("postcode"))  # type: ignore[union-attr]


# --- Fast item -> Store API add-item --------------------------------------------------


@dataclass
class AddItem:
    """A resolved ``add-item`` body and what it is for."""

    body: dict[str, Any]
    product: str | None
    describe: str


def add_item_body(item: model.ItemUpdate, quantity: int) -> AddItem:
    """Resolve Fast's identifiers in Fast's order of preference into an ``add-item`` body.

    1. an exact item id (``external_item_id``): a WooCommerce product or variation id;
    2. ``external_product_id`` + ``external_variant_id``: the variation id;
    3. ``external_product_id`` + ``external_options``: WooCommerce finds the
       variation from the attribute values (attribute names, labels or
       ``pa_`` slugs);
    4. ``external_product_id`` alone: a simple product.

    Raises ``ValueError`` with a message for Fast when the entry names nothing usable.
    """
    if item.external_item_id:
        item_id = _woo_id(item.external_item_id, "external_item_id")
        return AddItem({"id": item_id, "quantity": quantity}, item.external_product_id, f"item {item.external_item_id}")
    if not item.external_product_id:
        raise ValueError("a new line needs external_item_id or external_product_id")
    product_id = _woo_id(item.external_product_id, "external_product_id")
    if item.external_variant_id:
        variant_id = _woo_id(item.external_variant_id, "external_variant_id")
        return AddItem(
            {"id": variant_id, "quantity": quantity},
            str(product_id),
            f"product {product_id} variation {variant_id}",
        )
    body: dict[str, Any] = {"id": product_id, "quantity": quantity}
    if item.external_options:
        body["variation"] = [{"attribute": o.key, "value": o.value} for o in item.external_options]
        options = ", ".join(f"{o.key}={o.value}" for o in item.external_options)
        return AddItem(body, str(product_id), f"product {product_id} ({options})")
    return AddItem(body, str(product_id), f"product {product_id}")


def _woo_id(value: str, field: str) -> int:
    text = str(value).strip()
    if not text.isdigit() or int(text) <= 0:
        raise ValueError(f"{field} {value!r} is not a WooCommerce product id (a positive whole number)")
    return int(text)


# --- Store API errors -----------------------------------------------------------------


@dataclass
class WooError:
    code: str
    message: str
    status: int
    data: dict[str, Any]


def woo_error(body: Any, status: int) -> WooError:
    """A WooCommerce ``{code, message, data: {status}}`` error, tolerant of other shapes."""
    if isinstance(body, Mapping):
        data = body.get("data") if isinstance(body.get("data"), Mapping) else {}
        code = str(body.get("code") or f"http_{status}")
        message = clean_text(body.get("message")) or f"HTTP {status}"
        inner = data.get("status") if isinstance(data, Mapping) else None
        return WooError(code, message, int(inner) if isinstance(inner, int) else status, dict(data or {}))
    return WooError(f"http_{status}", f"HTTP {status}", status, {})


_COUPON_REASONS = (
    ("does not exist", "COUPON_NOT_FOUND"),
    ("invalid coupon", "COUPON_NOT_FOUND"),
    ("expired", "COUPON_EXPIRED"),
    ("minimum spend", "COUPON_MINIMUM_NOT_MET"),
    ("maximum spend", "COUPON_MAXIMUM_EXCEEDED"),
    ("usage limit", "COUPON_USAGE_LIMIT_REACHED"),
    ("not applicable", "COUPON_NOT_APPLICABLE"),
    ("cannot be used in conjunction", "COUPON_NOT_COMBINABLE"),
    ("individual use", "COUPON_NOT_COMBINABLE"),
)


def coupon_reason_code(message: str) -> str:
    """A stable reason code from WooCommerce's (English) coupon message; COUPON_REFUSED otherwise."""
    lowered = message.lower()
    for needle, code in _COUPON_REASONS:
        if needle in lowered:
            return code
    return "COUPON_REFUSED"


# --- the Store API cart -> a Fast order ----------------------------------------------


@dataclass
class CartContext:
    """What the adapter knows beside the cart: Fast's ids."""

    fast_id: str | None
    external_id: str
    lines: list[TrackedLine]
    plan_ids: dict[str, str]


def cart_items(cart: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    items = cart.get("items")
    if not isinstance(items, list) or not all(isinstance(i, Mapping) and "key" in i for i in items):
        raise ShapeError("the shop's cart has no items list")
    return items


def item_quantities(cart: Mapping[str, Any]) -> dict[str, int]:
    return {str(item["key"]): int(item.get("quantity") or 0) for item in cart_items(cart)}


def selected_rates(cart: Mapping[str, Any]) -> dict[str, str]:
    """package id -> selected rate id."""
    chosen: dict[str, str] = {}
    for package in cart.get("shipping_rates") or []:
        for rate in package.get("shipping_rates") or []:
            if rate.get("selected"):
                chosen[str(package.get("package_id"))] = str(rate.get("rate_id"))
    return chosen


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
    minor = _minor(totals)
    exponent = Decimal(1).scaleb(-minor)
    grouped = lines_by_key(ctx.lines)

    lines: list[model.Line] = []
    refs_by_key: dict[str, list[model.Line]] = {}
    for item in cart_items(cart):
        key = str(item["key"])
        item_totals = item.get("totals") or {}
        item_minor = _minor(item_totals, minor)
        qty = int(item.get("quantity") or 0)
        tracked = grouped.get(key) or []
        shares = split_quantity(qty, tracked) if tracked else [qty]
        owners: list[TrackedLine | None] = list(tracked) if tracked else [None]
        pairs = [(o, s) for o, s in zip(owners, shares, strict=True) if s > 0 or o is None]
        if not pairs:
            continue
        weights = [s for _, s in pairs]
        subtotals = allocate(_amount(item_totals, "line_subtotal", item_minor), weights, exponent)
        nets = allocate(_amount(item_totals, "line_total", item_minor), weights, exponent)
        taxes = allocate(_amount(item_totals, "line_total_tax", item_minor), weights, exponent)
        for (owner, share), subtotal, net, tax in zip(pairs, subtotals, nets, taxes, strict=True):
            line = _line(item, key, owner, share, subtotal, net, tax, exponent)
            lines.append(line)
            refs_by_key.setdefault(key, []).append(line)

    plans, shipping, physical_keys = _plans(cart, ctx, refs_by_key, minor, exponent)
    if physical_keys is not None:
        for line in lines:
            shipped = line.external_id in physical_keys
            line.fulfillment_mode = model.FULFILLMENT_PHYSICAL if shipped else model.FULFILLMENT_DIGITAL
    elif cart.get("needs_shipping") is False:
        for line in lines:
            line.fulfillment_mode = model.FULFILLMENT_DIGITAL

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
        sub_total=_amount(totals, "total_items", minor),
        total_discounts=_amount(totals, "total_discount", minor),
        total_tax=_amount(totals, "total_tax", minor),
        total_shipping=shipping if shipping is not None else _amount(totals, "total_shipping", minor),
        total_amount=_amount(totals, "total_price", minor),
    )
    fees = _amount(totals, "total_fees", minor)
    if fees:
        # Fast has no fee field: the fees are inside total_amount (and their tax inside total_tax).
        order.custom_values.append(model.CustomValue("woocommerce_fees", format(fees, "f")))
    return order


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
        external_product_id=product or (None if is_variation else _str_or_none(item_id)),
        external_variant_id=_str_or_none(item_id) if is_variation else None,
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
        image_url=_str_or_none(images[0].get("src")) if images and isinstance(images[0], Mapping) else None,
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
            rate_minor = _minor(rate, minor)
            cost = _amount(rate, "price", rate_minor)
            tax = _amount(rate, "taxes", rate_minor)
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
    coupons: list[model.Discount] = []
    for coupon in cart.get("coupons") or []:
        coupon_totals = coupon.get("totals") or {}
        amount = _amount(coupon_totals, "total_discount", _minor(coupon_totals, minor))
        kind = str(coupon.get("discount_type") or "")
        shipping = not amount and free_shipping_selected
        coupons.append(
            model.Discount(
                code=str(coupon.get("code")),
                description="Free shipping" if shipping else COUPON_TYPE_LABELS.get(kind, clean_text(kind)),
                origin=model.ORIGIN_USER,
                type=model.DISCOUNT_SHIPPING if shipping else model.DISCOUNT_REGULAR,
                applied=True,
                total_amount=amount,
            )
        )
    return coupons


def cart_total_minor(cart: Mapping[str, Any]) -> str | None:
    """``totals.total_price`` as WooCommerce sends it (for ``expected_total`` at checkout)."""
    totals = cart.get("totals")
    if isinstance(totals, Mapping) and isinstance(totals.get("total_price"), str | int):
        return str(totals["total_price"])
    return None


# --- the REST v3 order -> a Fast order ------------------------------------------------


@dataclass
class OrderLineRef:
    """A Fast line as recorded on the order (meta ``_fast_lines``)."""

    id: str
    item: int | None
    variation: bool
    qty: int
    product: str | None = None


def fast_lines_meta(lines: list[TrackedLine]) -> str:
    return json.dumps(
        [{"id": t.id, "item": t.item, "variation": t.variation, "qty": t.qty, "product": t.product} for t in lines],
        separators=(",", ":"),
    )


def meta_value(order: Mapping[str, Any], key: str) -> Any:
    for entry in order.get("meta_data") or []:
        if isinstance(entry, Mapping) and entry.get("key") == key:
            return entry.get("value")
    return None


def _order_line_refs(order: Mapping[str, Any]) -> list[OrderLineRef]:
    raw = meta_value(order, META_FAST_LINES)
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return []
    refs: list[OrderLineRef] = []
    for entry in raw or []:
        if isinstance(entry, Mapping) and entry.get("id"):
            refs.append(
                OrderLineRef(
                    id=str(entry["id"]),
                    item=entry.get("item") if isinstance(entry.get("item"), int) else None,
                    variation=bool(entry.get("variation")),
                    qty=int(entry.get("qty") or 0),
                    product=entry.get("product"),
                )
            )
    return refs


def fast_status_of(order: Mapping[str, Any], status_map: Mapping[str, str]) -> str:
    """Fast's status for a WooCommerce order: ours when the order still carries it, else the meaning of Woo's."""
    woo_status = str(order.get("status") or "")
    ours = meta_value(order, META_FAST_STATUS)
    if isinstance(ours, str) and status_map.get(ours) == woo_status:
        return ours
    return WOO_TO_FAST_STATUS.get(woo_status, model.STATUS_HOLD)


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
    refs = _order_line_refs(order)
    used: set[int] = set()
    # REST v3 formats every amount with the store's decimals: the order total shows how many.
    exponent = Decimal(1).scaleb(min(decimal_amount(order.get("total")).as_tuple().exponent, 0))  # type: ignore[arg-type]
    lines: list[model.Line] = []
    for item in order["line_items"]:
        lines.extend(_order_lines(item, refs, used, exponent))
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
    plans = []
    ship_to = fast_address(order.get("shipping"))
    for index, shipping_line in enumerate(order.get("shipping_lines") or []):
        rate_id = str(shipping_line.get("method_id") or "")
        if shipping_line.get("instance_id") not in (None, "", 0, "0"):
            rate_id = f"{rate_id}:{shipping_line['instance_id']}"
        cost = decimal_amount(shipping_line.get("total"))
        tax = decimal_amount(shipping_line.get("total_tax"))
        option = model.ShippingOption(
            id=rate_id,
            external_id=rate_id,
            name=clean_text(shipping_line.get("method_title")),
            shipment_type=model.OPTION_PICKUP
            if shipping_line.get("method_id") in PICKUP_METHODS
            else model.OPTION_OTHER,
            cost=cost,
            tax=tax,
            total=cost + tax,
        )
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
    fee_total = sum((decimal_amount(f.get("total")) for f in order.get("fee_lines") or []), ZERO)
    result = model.Order(
        id=fast_id or _str_or_none(meta_value(order, META_FAST_ORDER_ID)),
        external_id=str(order["id"]),
        order_type=model.TYPE_CART if status == model.STATUS_CART else model.TYPE_ORDER,
        currency_code=_str_or_none(order.get("currency")),
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


def _order_lines(
    item: Mapping[str, Any], refs: list[OrderLineRef], used: set[int], exponent: Decimal
) -> list[model.Line]:
    variation_id = int(item.get("variation_id") or 0)
    product_id = int(item.get("product_id") or 0)
    qty = int(item.get("quantity") or 0)
    owners = [
        (i, r)
        for i, r in enumerate(refs)
        if i not in used and (r.item == variation_id if variation_id else (r.item == product_id and not r.variation))
    ]
    for i, _ in owners:
        used.add(i)
    subtotal = decimal_amount(item.get("subtotal"))
    net = decimal_amount(item.get("total"))
    tax = decimal_amount(item.get("total_tax"))
    tracked = [TrackedLine(id=r.id, key=str(item.get("id")), qty=r.qty) for _, r in owners]
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
    options = [
        model.CustomValue(str(m.get("display_key") or m.get("key")), str(m.get("display_value") or m.get("value")))
        for m in item.get("meta_data") or []
        if isinstance(m, Mapping) and not str(m.get("key", "_")).startswith("_") and variation_id
    ]
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


# --- statuses ----------------------------------------------------------------------------


def status_map(overrides: Any) -> tuple[dict[str, str], list[str]]:
    """The Fast -> WooCommerce status map with the store's overrides, and every problem with them."""
    mapping = dict(DEFAULT_STATUS_MAP)
    problems: list[str] = []
    if overrides is None:
        return mapping, problems
    if not isinstance(overrides, Mapping):
        return mapping, ["statuses must be a table of Fast status = WooCommerce status"]
    for key, value in overrides.items():
        name = str(key).upper()
        if not name.startswith("ORDER_STATUS_"):
            name = f"ORDER_STATUS_{name}"
        if name not in DEFAULT_STATUS_MAP:
            problems.append(f"statuses: {key!r} is not a Fast order status that maps to a WooCommerce status")
            continue
        slug = str(value).strip().lower()
        slug = slug.removeprefix("wc-")
        if not _WOO_STATUS.match(slug) or slug in {"checkout-draft", "trash", "pending"}:
            problems.append(f"statuses: {value!r} is not a WooCommerce order status Fast orders may take")
            continue
        mapping[name] = slug
    return mapping, problems


# --- shipping zones ------------------------------------------------------------------------


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
