"""Fast increments as Store API request bodies: addresses and add-item.

Nothing here talks to the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mappings import model


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
