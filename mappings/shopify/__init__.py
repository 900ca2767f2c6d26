"""How a Shopify draft order or order becomes a Fast order, and a Fast increment a DraftOrderInput.

Shopify keeps Fast's ids itself so the service stays stateless: the draft
order carries Fast's order id as a custom attribute (``_fast_order_id``) and a
searchable tag, each line item carries Fast's line id (``_fast_line_id``), and
the shipment plan id rides as ``_fast_plan_id``. Attributes whose key starts
with an underscore are hidden from the customer by Shopify's convention.

Amounts come from Shopify's ``MoneyBag`` (presentment money, the currency the
customer pays in) and stay ``Decimal`` from the wire to the wire.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from mappings import model
from mappings.money import ZERO, quantize, to_decimal
from mappings.shopify.documents import (  # noqa: F401 - re-exported: the documents live beside the mapping
    CREATE_LOOKUP_QUERY,
    DOCUMENTS,
    DRAFT_CALCULATE_MUTATION,
    DRAFT_COMPLETE_MUTATION,
    DRAFT_CREATE_MUTATION,
    DRAFT_DELETE_MUTATION,
    DRAFT_LINES_QUERY,
    DRAFT_QUERY,
    DRAFT_UPDATE_MUTATION,
    FIND_DRAFT_QUERY,
    FULFILLMENT_HOLD_MUTATION,
    FULFILLMENT_RELEASE_MUTATION,
    ITEMS_QUERY,
    ORDER_CANCEL_MUTATION,
    ORDER_LINES_QUERY,
    ORDER_MARK_AS_PAID_MUTATION,
    ORDER_QUERY,
    ORDER_TAGS_MUTATION,
    SHIPPING_ZONES_QUERY,
)
from service.errors import InvalidRequest, ShapeError, UpstreamRejected
from service.logs import log_fields

log = logging.getLogger(__name__)

FAST_ORDER_ATTR = "_fast_order_id"
FAST_LINE_ATTR = "_fast_line_id"
FAST_PLAN_ATTR = "_fast_plan_id"
FAST_TAG = "fast"
PLAN_EXTERNAL_ID = "default"
HOLD_HANDLE = "fast-awaiting-payment"

# Fast's order status after conversion lives in one tag on the Shopify order.
STATUS_TAGS: dict[str, str] = {
    model.STATUS_HOLD: "fast-status-hold",
    model.STATUS_BOOKED: "fast-status-booked",
    model.STATUS_PENDING_FULFILLMENT: "fast-status-pending-fulfillment",
    model.STATUS_CANCELED: "fast-status-canceled",
}
# When tags disagree (a failed tagsRemove), the furthest status wins.
_STATUS_PRECEDENCE = (
    model.STATUS_CANCELED,
    model.STATUS_PENDING_FULFILLMENT,
    model.STATUS_BOOKED,
    model.STATUS_HOLD,
)

_GID = re.compile(r"^gid://shopify/([A-Za-z]+)/([^/?#\s]+)$")
# Currencies whose minor unit is not the cent (ISO 4217).
_ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split()  # noqa: SIM905
)
_THREE_DECIMAL = frozenset("BHD IQD JOD KWD LYD OMR TND".split())  # noqa: SIM905


# --- ids ----------------------------------------------------------------------------------


def gid(kind: str, value: str | int) -> str:
    return f"gid://shopify/{kind}/{value}"


def parse_gid(value: str | None) -> tuple[str, str] | None:
    """``gid://shopify/DraftOrder/12`` -> ``("DraftOrder", "12")``; anything else -> None."""
    if not value:
        return None
    match = _GID.match(value.strip())
    return (match.group(1), match.group(2)) if match else None


def as_gid(kind: str, value: str | None) -> str | None:
    """A Fast-side id (numeric legacy id or a GID of this kind) as a GID, or None if it is neither."""
    if value is None:
        return None
    value = str(value).strip()
    parsed = parse_gid(value)
    if parsed:
        return value if parsed[0] == kind and parsed[1].isdigit() else None
    return gid(kind, value) if value.isdigit() else None


def order_tag(fast_order_id: str) -> str:
    """The searchable tag naming a Fast order; short enough for Shopify's 40-character tag limit.

    Lookups by tag always confirm the exact id in the ``_fast_order_id`` attribute.
    """
    compact = re.sub(r"[^a-z0-9]", "", fast_order_id.lower())
    if not compact or len(compact) > 32:
        compact = hashlib.sha256(fast_order_id.encode()).hexdigest()[:32]
    return f"fast-id-{compact}"


def tag_query(fast_order_id: str) -> str:
    return f'tag:"{order_tag(fast_order_id)}"'


# --- money --------------------------------------------------------------------------------


def exponent(currency: str | None) -> Decimal:
    code = (currency or "").upper()
    if code in _ZERO_DECIMAL:
        return Decimal("1")
    if code in _THREE_DECIMAL:
        return Decimal("0.001")
    return Decimal("0.01")


def money(bag: dict[str, Any] | None) -> Decimal:
    """A ``MoneyBag``'s presentment amount (what the customer pays), exactly."""
    if not bag:
        return ZERO
    inner = bag.get("presentmentMoney") or bag.get("shopMoney") or {}
    return _amount(inner)


def _amount(money_v2: dict[str, Any] | None) -> Decimal:
    if not money_v2 or money_v2.get("amount") is None:
        return ZERO
    try:
        return to_decimal(str(money_v2["amount"]))
    except ValueError:
        raise ShapeError(f"Shopify sent an amount that is not a decimal: {money_v2['amount']!r}") from None


# --- addresses ----------------------------------------------------------------------------


def address_input(address: model.Address, *, field_name: str) -> dict[str, Any]:
    """A Fast address as Shopify's ``MailingAddressInput``; a malformed country code is a 422."""
    country = address.country_iso2
    if country is not None and not re.fullmatch(r"[A-Z]{2}", country):
        raise InvalidRequest(
            f"{field_name}: country must be a two-letter ISO code, got {country!r}", field=f"{field_name}.country_code"
        )
    values = {
        "firstName": address.first_name,
        "lastName": address.last_name,
        "company": address.company,
        "address1": address.address_1,
        "address2": address.address_2,
        "city": address.city_locality,
        "provinceCode": address.region_code,
        "countryCode": country,
        "zip": address.postal_code,
        "phone": address.phone,
    }
    return {k: v.strip() for k, v in values.items() if isinstance(v, str) and v.strip()}


def mailing_to_input(mailing: dict[str, Any] | None) -> dict[str, Any] | None:
    """Shopify's ``MailingAddress`` as the input that would recreate it."""
    if not mailing:
        return None
    values = {
        "firstName": mailing.get("firstName"),
        "lastName": mailing.get("lastName"),
        "company": mailing.get("company"),
        "address1": mailing.get("address1"),
        "address2": mailing.get("address2"),
        "city": mailing.get("city"),
        "provinceCode": mailing.get("provinceCode"),
        "countryCode": mailing.get("countryCodeV2"),
        "zip": mailing.get("zip"),
        "phone": mailing.get("phone"),
    }
    return {k: v for k, v in values.items() if v}


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


def _attributes(raw: Iterable[dict[str, Any]] | None) -> list[tuple[str, str]]:
    return [(a["key"], a.get("value") or "") for a in raw or ()]


def _attribute(raw: Iterable[dict[str, Any]] | None, key: str) -> str | None:
    for k, v in _attributes(raw):
        if k == key:
            return v or None
    return None


# --- items: Fast identifiers -> product variants -------------------------------------------

# Shopify's limit on an input array ("Input arguments that accept an array have a maximum size of 250",
# https://shopify.dev/docs/api/usage/limits): a draft order's lineItems input holds at most 250 lines.
MAX_LINES = 250


@dataclass
class ItemLookups:
    """What to ask Shopify to identify a set of ``items``: variant ids, product ids and SKUs."""

    variant_ids: list[str] = field(default_factory=list)
    product_ids: list[str] = field(default_factory=list)
    skus: list[str] = field(default_factory=list)

    def add(self, item: model.ItemUpdate) -> None:
        exact = item.external_item_id
        if exact:
            variant = as_gid("ProductVariant", exact)
            if variant:
                _once(self.variant_ids, variant)
            if not parse_gid(exact):
                _once(self.skus, exact)  # a numeric id may also be an SKU: both are asked in the same trip
            return
        if item.external_variant_id:
            variant = as_gid("ProductVariant", item.external_variant_id)
            if variant:
                _once(self.variant_ids, variant)
                return
        product = as_gid("Product", item.external_product_id)
        if product:
            _once(self.product_ids, product)

    def __bool__(self) -> bool:
        return bool(self.variant_ids or self.product_ids or self.skus)

    def variables(self) -> dict[str, Any]:
        sku_query = " OR ".join(f'sku:"{_escape_search(sku)}"' for sku in self.skus)
        return {
            "withVariants": bool(self.variant_ids),
            "variantIds": list(self.variant_ids),
            "withProducts": bool(self.product_ids),
            "productIds": list(self.product_ids),
            "withSkus": bool(self.skus),
            "skuQuery": sku_query,
            # Twice the SKUs asked, so a duplicated SKU is seen rather than silently picked.
            "skuCount": max(1, min(250, 2 * len(self.skus))),
        }


def _once(values: list[str], value: str) -> None:
    if value not in values:
        values.append(value)


def _escape_search(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


@dataclass
class Catalogue:
    """Variants and products Shopify returned for an ``ItemLookups``."""

    variants: dict[str, dict[str, Any]] = field(default_factory=dict)
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_sku: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Catalogue:
        catalogue = cls()
        for node in [*(data.get("variantItems") or []), *(data.get("productItems") or [])]:
            if not node:
                continue
            if node.get("__typename") == "ProductVariant":
                catalogue.variants[node["id"]] = node
            elif node.get("__typename") == "Product":
                catalogue.products[node["id"]] = node
                for variant in node.get("variants", {}).get("nodes", []):
                    catalogue.variants.setdefault(variant["id"], variant)
        for variant in (data.get("skuVariants") or {}).get("nodes", []):
            if variant.get("sku"):
                catalogue.by_sku.setdefault(variant["sku"], []).append(variant)
        return catalogue

    def resolve(self, item: model.ItemUpdate) -> dict[str, Any]:
        """The product variant an ``items`` entry names, by Fast's order of preference."""
        exact = item.external_item_id
        if exact:
            variant_gid = as_gid("ProductVariant", exact)
            if variant_gid and variant_gid in self.variants:
                return self.variants[variant_gid]
            matches = self.by_sku.get(exact, [])
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise UpstreamRejected(
                    f"SKU {exact!r} names {len(matches)} variants in the shop; send the variant id instead",
                    field="order.items.external_item_id",
                )
            raise UpstreamRejected(
                f"the shop has no product variant or SKU {exact!r}", field="order.items.external_item_id"
            )
        if item.external_variant_id:
            variant_gid = as_gid("ProductVariant", item.external_variant_id)
            variant = self.variants.get(variant_gid or "")
            if variant is None:
                raise UpstreamRejected(
                    f"the shop has no product variant {item.external_variant_id!r}",
                    field="order.items.external_variant_id",
                )
            product_gid = as_gid("Product", item.external_product_id)
            if product_gid and variant["product"]["id"] != product_gid:
                raise UpstreamRejected(
                    f"variant {item.external_variant_id!r} does not belong to product {item.external_product_id!r}",
                    field="order.items.external_variant_id",
                )
            return variant
        if not item.external_product_id:
            raise InvalidRequest(
                "an items entry names no product: send external_item_id, external_variant_id or external_product_id",
                field="order.items",
            )
        product = self.products.get(as_gid("Product", item.external_product_id) or "")
        if product is None:
            raise UpstreamRejected(
                f"the shop has no product {item.external_product_id!r}", field="order.items.external_product_id"
            )
        variants = product.get("variants", {}).get("nodes", [])
        if item.external_options:
            return _match_options(product, variants, item.external_options)
        if len(variants) == 1:
            return variants[0]
        raise UpstreamRejected(
            f"product {product['title']!r} has {len(variants)} variants: name one (external_variant_id or"
            " external_options)",
            field="order.items.external_options",
        )


def _match_options(product: dict[str, Any], variants: list[dict[str, Any]], wanted: list[model.CustomValue]) -> Any:
    asked = {cv.key.strip().lower(): cv.value.strip().lower() for cv in wanted}
    for variant in variants:
        have = {o["name"].strip().lower(): o["value"].strip().lower() for o in variant.get("selectedOptions", [])}
        if all(have.get(key) == value for key, value in asked.items()) and set(asked) >= set(have):
            return variant
    shown = ", ".join(f"{cv.key}={cv.value}" for cv in wanted)
    more = product.get("variants", {}).get("pageInfo", {}).get("hasNextPage")
    hint = " among its first 50 variants" if more else ""
    raise UpstreamRejected(
        f"product {product['title']!r} has no variant with {shown}{hint}", field="order.items.external_options"
    )


def variant_label(variant: dict[str, Any]) -> str:
    product = variant.get("product") or {}
    title = product.get("title") or variant.get("title") or variant.get("id")
    if not product.get("hasOnlyDefaultVariant") and variant.get("title"):
        return f"{title} - {variant['title']}"
    return str(title)


def check_sellable(variant: dict[str, Any]) -> None:
    status = (variant.get("product") or {}).get("status")
    if status and status != "ACTIVE":
        raise UpstreamRejected(f"{variant_label(variant)} is not for sale", field="order.items")


def check_stock(variant: dict[str, Any], wanted: int, held_by_this_cart: int) -> None:
    """Refuse a quantity Shopify would oversell; stock this cart already reserves counts as available."""
    tracked = (variant.get("inventoryItem") or {}).get("tracked")
    if not tracked or variant.get("inventoryPolicy") != "DENY" or variant.get("inventoryQuantity") is None:
        return
    available = int(variant["inventoryQuantity"]) + held_by_this_cart
    if wanted > available:
        left = max(available, 0)
        raise UpstreamRejected(
            f"{variant_label(variant)} is out of stock: {left} left, {wanted} wanted", field="order.items"
        )


# --- the draft order as something we change --------------------------------------------------


@dataclass
class DraftLine:
    variant_id: str | None
    quantity: int
    uuid: str | None = None
    fast_line_id: str | None = None
    customizations: list[tuple[str, str]] = field(default_factory=list)
    # For a custom line item (no variant, made by the merchant): what recreates it.
    custom: dict[str, Any] | None = None
    variant: dict[str, Any] | None = None
    external_id: str | None = None
    requires_shipping: bool = True

    def to_input(self) -> dict[str, Any]:
        attributes = [(FAST_LINE_ATTR, self.fast_line_id)] if self.fast_line_id else []
        attributes += self.customizations
        entry: dict[str, Any] = {"quantity": self.quantity}
        if self.variant_id:
            entry["variantId"] = self.variant_id
        elif self.custom:
            entry.update(self.custom)
        if self.uuid:
            entry["uuid"] = self.uuid
        if attributes:
            entry["customAttributes"] = [{"key": k, "value": v} for k, v in attributes]
        return entry


@dataclass
class DraftState:
    """The parts of a draft order the adapter changes, in input form."""

    lines: list[DraftLine] = field(default_factory=list)
    billing: dict[str, Any] | None = None
    email: str | None = None
    shipping: dict[str, Any] | None = None
    shipping_line: dict[str, Any] | None = None
    discount_codes: list[str] = field(default_factory=list)
    attributes: list[tuple[str, str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    @classmethod
    def from_draft(cls, draft: dict[str, Any]) -> DraftState:
        lines = []
        for node in draft["lineItems"]["nodes"]:
            attributes = _attributes(node.get("customAttributes"))
            variant = node.get("variant")
            custom = None
            if not variant:
                custom = {
                    "title": node.get("title") or node.get("name"),
                    "originalUnitPriceWithCurrency": {
                        "amount": str(money(node.get("originalUnitPriceSet"))),
                        "currencyCode": draft.get("presentmentCurrencyCode") or draft.get("currencyCode"),
                    },
                    "requiresShipping": bool(node.get("requiresShipping")),
                    "taxable": bool(node.get("taxable")),
                }
                if node.get("sku"):
                    custom["sku"] = node["sku"]
            lines.append(
                DraftLine(
                    variant_id=variant["id"] if variant else None,
                    quantity=int(node["quantity"]),
                    uuid=node.get("uuid"),
                    fast_line_id=next((v for k, v in attributes if k == FAST_LINE_ATTR), None) or None,
                    customizations=[(k, v) for k, v in attributes if k != FAST_LINE_ATTR],
                    custom=custom,
                    variant=variant,
                    external_id=node.get("uuid") or node.get("id"),
                    requires_shipping=bool(node.get("requiresShipping")),
                )
            )
        shipping_line = None
        if draft.get("shippingLine"):
            sl = draft["shippingLine"]
            shipping_line = {
                "title": sl.get("title"),
                "priceWithCurrency": {
                    "amount": str(money(sl.get("originalPriceSet"))),
                    "currencyCode": draft.get("presentmentCurrencyCode") or draft.get("currencyCode"),
                },
            }
            if sl.get("shippingRateHandle"):
                shipping_line["shippingRateHandle"] = sl["shippingRateHandle"]
        return cls(
            lines=lines,
            billing=mailing_to_input(draft.get("billingAddress")),
            email=draft.get("email"),
            shipping=mailing_to_input(draft.get("shippingAddress")),
            shipping_line=shipping_line,
            discount_codes=list(draft.get("discountCodes") or []),
            attributes=_attributes(draft.get("customAttributes")),
            tags=list(draft.get("tags") or []),
        )

    def copy(self) -> DraftState:
        return DraftState(
            lines=[
                DraftLine(
                    line.variant_id,
                    line.quantity,
                    line.uuid,
                    line.fast_line_id,
                    list(line.customizations),
                    line.custom,
                    line.variant,
                    line.external_id,
                    line.requires_shipping,
                )
                for line in self.lines
            ],
            billing=dict(self.billing) if self.billing else None,
            email=self.email,
            shipping=dict(self.shipping) if self.shipping else None,
            shipping_line=dict(self.shipping_line) if self.shipping_line else None,
            discount_codes=list(self.discount_codes),
            attributes=list(self.attributes),
            tags=list(self.tags),
        )

    def attribute(self, key: str) -> str | None:
        return next((v for k, v in self.attributes if k == key), None)

    def set_attribute(self, key: str, value: str) -> None:
        self.attributes = [(k, v) for k, v in self.attributes if k != key] + [(key, value)]

    def lines_input(self) -> list[dict[str, Any]]:
        return [line.to_input() for line in self.lines]

    def needs_shipping(self) -> bool:
        return any(line.requires_shipping for line in self.lines)

    def full_input(self, *, accept_automatic_discounts: bool) -> dict[str, Any]:
        """Everything that prices this cart: the input ``draftOrderCalculate`` needs."""
        entry: dict[str, Any] = {
            "lineItems": self.lines_input(),
            "discountCodes": list(self.discount_codes),
            "acceptAutomaticDiscounts": accept_automatic_discounts,
        }
        if self.shipping:
            entry["shippingAddress"] = self.shipping
        if self.billing:
            entry["billingAddress"] = self.billing
        if self.shipping_line:
            entry["shippingLine"] = self.shipping_line
        return entry

    def changes_from(self, before: DraftState) -> dict[str, Any]:
        """The ``DraftOrderInput`` that turns ``before`` into this state (only what differs)."""
        changes: dict[str, Any] = {}
        if self.lines_input() != before.lines_input():
            changes["lineItems"] = self.lines_input()
        if self.billing != before.billing and self.billing is not None:
            changes["billingAddress"] = self.billing
        if self.email != before.email and self.email:
            changes["email"] = self.email
        if self.shipping != before.shipping and self.shipping is not None:
            changes["shippingAddress"] = self.shipping
        if self.shipping_line != before.shipping_line:
            # An explicit null removes a shipping line that no longer fits the address.
            changes["shippingLine"] = self.shipping_line
        if [c.upper() for c in self.discount_codes] != [c.upper() for c in before.discount_codes]:
            changes["discountCodes"] = list(self.discount_codes)
        if self.attributes != before.attributes:
            changes["customAttributes"] = [{"key": k, "value": v} for k, v in self.attributes]
        if self.tags != before.tags:
            changes["tags"] = list(self.tags)
        return changes

    def rates_key(self) -> str | None:
        """A fingerprint of what decides the shipping rates; None when Shopify cannot quote any."""
        if not self.shipping or not self.lines or not self.needs_shipping():
            return None
        basis = {
            "to": {k: self.shipping.get(k) for k in ("countryCode", "provinceCode", "zip", "city", "address1")},
            "lines": sorted(
                (line.variant_id or json.dumps(line.custom, sort_keys=True), line.quantity) for line in self.lines
            ),
            "codes": sorted(code.upper() for code in self.discount_codes),
        }
        return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:32]


# --- shipping rates -----------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    handle: str
    title: str
    price: Decimal
    currency: str | None

    def to_json(self) -> dict[str, Any]:
        return {"handle": self.handle, "title": self.title, "price": str(self.price), "currency": self.currency}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rate:
        return cls(data["handle"], data["title"], to_decimal(data["price"]), data.get("currency"))

    def shipping_line_input(self) -> dict[str, Any]:
        return {
            "shippingRateHandle": self.handle,
            "title": self.title,
            "priceWithCurrency": {"amount": str(self.price), "currencyCode": self.currency},
        }


def rates_from(calculated: dict[str, Any] | None) -> list[Rate]:
    if not calculated:
        return []
    return [
        Rate(r["handle"], r["title"], _amount(r["price"]), (r.get("price") or {}).get("currencyCode"))
        for r in calculated.get("availableShippingRates") or []
    ]


# --- coupons ------------------------------------------------------------------------------


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


def refused_coupon(code: str, reason: str | None) -> model.Discount:
    return model.Discount(code=code, description=reason, origin=model.ORIGIN_USER, applied=False, total_amount=ZERO)


# --- Shopify -> Fast ----------------------------------------------------------------------


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
    attributes = _attributes(node.get("customAttributes"))
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
        id=next((v for k, v in attributes if k == FAST_LINE_ATTR), None) or None,
        external_id=external_id,
        external_product_id=str(product["legacyResourceId"]) if product.get("legacyResourceId") else None,
        external_variant_id=str(variant["legacyResourceId"]) if variant.get("legacyResourceId") else None,
        external_options=_options(variant),
        customizations=[model.CustomValue(k, v) for k, v in attributes if not k.startswith("_")],
        quantity=quantity,
        unit_price=_q(money(node.get("originalUnitPriceSet")), currency),
        discounted_unit_price=_q(discounted / quantity, currency) if quantity else ZERO,
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
    attributes: list[tuple[str, str]],
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
    plan_id = next((v for k, v in attributes if k == FAST_PLAN_ATTR), None) or PLAN_EXTERNAL_ID
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


def draft_to_order(draft: dict[str, Any], rates: list[Rate] | None = None) -> model.Order:
    """A Shopify draft order (an open cart) as a Fast order."""
    currency = draft.get("presentmentCurrencyCode") or draft.get("currencyCode")
    taxes_included = bool(draft.get("taxesIncluded"))
    allocated: dict[str, Decimal] = {}
    for discount in draft.get("platformDiscounts") or []:
        for allocation in discount.get("allocations") or []:
            target = allocation.get("target") or {}
            if target.get("__typename") == "DraftOrderLineItem" and target.get("id"):
                amount = money(allocation.get("reductionAmountSet"))
                allocated[target["id"]] = allocated.get(target["id"], ZERO) + amount
    lines = [
        _line(node, allocated.get(node["id"], ZERO), currency, taxes_included, node.get("uuid") or node["id"])
        for node in draft["lineItems"]["nodes"]
    ]
    attributes = _attributes(draft.get("customAttributes"))
    selected = _selected_option(draft.get("shippingLine"), currency)
    coupons: list[model.Discount] = []
    applied_codes: set[str] = set()
    for discount in draft.get("platformDiscounts") or []:
        code = discount.get("code")
        if code:
            applied_codes.add(code.upper())
        coupons.append(
            model.Discount(
                code=code,
                description=discount.get("title") or discount.get("summary"),
                origin=model.ORIGIN_VENDOR if discount.get("automaticDiscount") else model.ORIGIN_USER,
                type=_discount_type(discount.get("discountClass")),
                applied=True,
                total_amount=_q(money(discount.get("totalAmountPriceSet")), currency),
            )
        )
    for code in draft.get("discountCodes") or []:
        if code.upper() not in applied_codes:
            applied, reason = coupon_outcome(draft, code)
            if not applied:
                coupons.append(refused_coupon(code, reason))
    tags = set(draft.get("tags") or [])
    order = model.Order(
        id=_attribute(draft.get("customAttributes"), FAST_ORDER_ATTR),
        external_id=draft["id"],
        order_type=model.TYPE_CART,
        currency_code=currency,
        status=model.STATUS_CANCELED if STATUS_TAGS[model.STATUS_CANCELED] in tags else model.STATUS_CART,
        bill_to=fast_address(draft.get("billingAddress"), draft.get("email")),
        lines=lines,
        shipment_plans=_plan(attributes, fast_address(draft.get("shippingAddress")), lines, selected, rates, currency),
        coupons=coupons,
        sub_total=_q(sum((line.subtotal_amount or ZERO for line in lines), ZERO), currency),
        total_discounts=_q(sum((line.line_discount_amount or ZERO for line in lines), ZERO), currency),
        total_tax=_q(money(draft.get("totalTaxSet")), currency),
        total_shipping=selected.cost if selected else _q(ZERO, currency),
        total_amount=_q(money(draft.get("totalPriceSet")), currency),
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


def order_to_fast(order: dict[str, Any]) -> model.Order:
    """A Shopify order (a converted cart) as a Fast order."""
    currency = order.get("presentmentCurrencyCode") or order.get("currencyCode")
    taxes_included = bool(order.get("taxesIncluded"))
    by_code: dict[str, Decimal] = {}

    def allocations(raw: Iterable[dict[str, Any]] | None) -> Decimal:
        total = ZERO
        for allocation in raw or ():
            amount = money(allocation.get("allocatedAmountSet"))
            total += amount
            code = (allocation.get("discountApplication") or {}).get("code")
            if code:
                by_code[code] = by_code.get(code, ZERO) + amount
        return total

    lines = []
    for node in order["lineItems"]["nodes"]:
        line = _line(node, allocations(node.get("discountAllocations")), currency, taxes_included, node["id"])
        if node.get("unfulfilledQuantity") is not None:
            line.quantity_fulfilled = int(node["quantity"]) - int(node["unfulfilledQuantity"])
        lines.append(line)
    shipping_line = order.get("shippingLine")
    shipping_discount = allocations(shipping_line.get("discountAllocations")) if shipping_line else ZERO
    selected = _selected_option(shipping_line, currency)
    if selected is not None and shipping_line and not shipping_line.get("discountedPriceSet"):
        selected.cost = _q(money(shipping_line.get("originalPriceSet")) - shipping_discount, currency)
    attributes = _attributes(order.get("customAttributes"))
    codes = list(order.get("discountCodes") or [])
    coupons = [
        model.Discount(
            code=code,
            origin=model.ORIGIN_USER,
            type=model.DISCOUNT_REGULAR,
            applied=True,
            total_amount=_q(by_code.get(code, ZERO), currency),
        )
        for code in codes
    ]
    result = model.Order(
        id=_attribute(order.get("customAttributes"), FAST_ORDER_ATTR),
        external_id=order["id"],
        order_type=model.TYPE_ORDER,
        currency_code=currency,
        status=order_status(order),
        bill_to=fast_address(order.get("billingAddress"), order.get("email")),
        lines=lines,
        shipment_plans=_plan(attributes, fast_address(order.get("shippingAddress")), lines, selected, None, currency),
        coupons=coupons,
        sub_total=_q(sum((line.subtotal_amount or ZERO for line in lines), ZERO), currency),
        total_discounts=_q(sum((line.line_discount_amount or ZERO for line in lines), ZERO), currency),
        total_tax=_q(money(order.get("totalTaxSet")), currency),
        total_shipping=selected.cost if selected else _q(ZERO, currency),
        total_amount=_q(money(order.get("totalPriceSet")), currency),
        store_note=order.get("name"),
    )
    _check_sum(result, taxes_included)
    return result


# --- shipping zones -----------------------------------------------------------------------


def shipping_zones(data: dict[str, Any]) -> list[model.ShippingZone]:
    """Countries (and, where a zone names some, provinces) the shop's delivery profiles ship to."""
    ships_to = [c for c in (data.get("shop") or {}).get("shipsToCountries") or [] if c]
    whole: set[str] = set()
    provinces: dict[str, set[str]] = {}
    rest_of_world = False
    for profile in (data.get("deliveryProfiles") or {}).get("nodes", []):
        for group in profile.get("profileLocationGroups") or []:
            for zone_link in (group.get("locationGroupZones") or {}).get("nodes", []):
                for country in (zone_link.get("zone") or {}).get("countries") or []:
                    code = country.get("code") or {}
                    if code.get("restOfWorld"):
                        rest_of_world = True
                        continue
                    iso = code.get("countryCode")
                    if not iso:
                        continue
                    names = [p["code"] for p in country.get("provinces") or [] if p.get("code")]
                    if names:
                        provinces.setdefault(iso, set()).update(names)
                    else:
                        whole.add(iso)
    if rest_of_world or (not whole and not provinces):
        whole.update(c for c in ships_to if c not in provinces)
    zones = [model.ShippingZone(country) for country in sorted(whole)]
    for country in sorted(provinces):
        if country not in whole:
            zones.extend(model.ShippingZone(country, region) for region in sorted(provinces[country]))
    return zones
