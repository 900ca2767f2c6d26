"""Fast's values as Shopify's inputs: addresses and the lookups that name product variants."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mappings import model
from mappings.shopify import as_gid, parse_gid
from service.errors import InvalidRequest


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
