"""The draft order as something the adapter changes: its parts in input form, and the diff to send."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mappings.shopify import FAST_LINE_ATTR, attributes, money
from mappings.shopify.to_shopify import mailing_to_input

# Shopify's limit on an input array ("Input arguments that accept an array have a maximum size of 250",
# https://shopify.dev/docs/api/usage/limits): a draft order's lineItems input holds at most 250 lines.
MAX_LINES = 250


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
        pairs = [(FAST_LINE_ATTR, self.fast_line_id)] if self.fast_line_id else []
        pairs += self.customizations
        entry: dict[str, Any] = {"quantity": self.quantity}
        if self.variant_id:
            entry["variantId"] = self.variant_id
        elif self.custom:
            entry.update(self.custom)
        if self.uuid:
            entry["uuid"] = self.uuid
        if pairs:
            entry["customAttributes"] = [{"key": k, "value": v} for k, v in pairs]
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
        currency = draft.get("presentmentCurrencyCode") or draft.get("currencyCode")
        return cls(
            lines=[_line_from(node, currency) for node in draft["lineItems"]["nodes"]],
            billing=mailing_to_input(draft.get("billingAddress")),
            email=draft.get("email"),
            shipping=mailing_to_input(draft.get("shippingAddress")),
            shipping_line=_shipping_line_from(draft.get("shippingLine"), currency),
            discount_codes=list(draft.get("discountCodes") or []),
            attributes=attributes(draft.get("customAttributes")),
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


def _line_from(node: dict[str, Any], currency: str | None) -> DraftLine:
    pairs = attributes(node.get("customAttributes"))
    variant = node.get("variant")
    custom = None
    if not variant:
        # A custom line item (no variant, made by the merchant): what recreates it.
        custom = {
            "title": node.get("title") or node.get("name"),
            "originalUnitPriceWithCurrency": {
                "amount": str(money(node.get("originalUnitPriceSet"))),
                "currencyCode": currency,
            },
            "requiresShipping": bool(node.get("requiresShipping")),
            "taxable": bool(node.get("taxable")),
        }
        if node.get("sku"):
            custom["sku"] = node["sku"]
    return DraftLine(
        variant_id=variant["id"] if variant else None,
        quantity=int(node["quantity"]),
        uuid=node.get("uuid"),
        fast_line_id=next((v for k, v in pairs if k == FAST_LINE_ATTR), None) or None,
        customizations=[(k, v) for k, v in pairs if k != FAST_LINE_ATTR],
        custom=custom,
        variant=variant,
        external_id=node.get("uuid") or node.get("id"),
        requires_shipping=bool(node.get("requiresShipping")),
    )


def _shipping_line_from(line: dict[str, Any] | None, currency: str | None) -> dict[str, Any] | None:
    if not line:
        return None
    entry: dict[str, Any] = {
        "title": line.get("title"),
        "priceWithCurrency": {"amount": str(money(line.get("originalPriceSet"))), "currencyCode": currency},
    }
    if line.get("shippingRateHandle"):
        entry["shippingRateHandle"] = line["shippingRateHandle"]
    return entry
