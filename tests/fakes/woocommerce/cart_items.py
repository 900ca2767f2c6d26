"""How the fake shop adds and changes cart items: products, variations by options, stock, cart item keys.

Follows StoreApi/Utilities/CartController.php (9.9.5) as recorded in
tests/fixtures/woocommerce/recordings/edge-cases.jsonl seq 2 and checkout.jsonl seq 2-11.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from tests.fakes.woocommerce.catalogue import JSON, Product, Session, WooError, slug

if TYPE_CHECKING:
    from tests.fakes.woocommerce.shop import FakeWooCommerce


class CartItemsMixin:
    def _product(self: FakeWooCommerce, product_id: Any) -> Product:
        product = self.products.get(int(product_id)) if str(product_id).isdigit() else None
        if product is None or (product.type == "variation" and product.parent_id not in self.products):
            # CartController::add_to_cart (edge-cases.jsonl seq 2, id 999999)
            raise WooError(400, "woocommerce_rest_cart_invalid_product", "This product cannot be added to the cart.")
        return product

    def _resolve_variation(
        self: FakeWooCommerce, product: Product, variation: list[JSON]
    ) -> tuple[Product, dict[str, str]]:
        if product.type == "variation":
            return product, dict(product.attributes)
        if product.type != "variable":
            return product, {}
        given: dict[str, str] = {}
        for entry in variation or []:
            name = str(entry.get("attribute", "")).removeprefix("attribute_")
            for attr, label in product.attributes.items():
                if name in (attr, label, label.lower()):
                    value = str(entry.get("value", ""))
                    given[attr] = slug(value) if attr.startswith("pa_") else value
        for candidate in self.products.values():
            if candidate.parent_id == product.id and candidate.attributes == given:
                return candidate, given
        # CartController::get_variation_id_from_variation_data, with the options missing or matching none
        # (edge-cases.jsonl seq 2: Size XL, and no variation at all).
        raise WooError(400, "woocommerce_rest_variation_id_from_variation_data", "No matching variation found.")

    def _add_item(self: FakeWooCommerce, session: Session, args: JSON) -> None:
        product, attributes = self._resolve_variation(self._product(args.get("id")), args.get("variation") or [])
        quantity = int(args.get("quantity") or 1)
        if not product.purchasable:
            raise WooError(
                400,
                "woocommerce_rest_product_not_purchasable",
                f"&quot;{product.name}&quot; is not available for purchase.",
            )
        if quantity <= 0:
            raise WooError(
                400,
                "woocommerce_rest_product_invalid_quantity",
                f"You cannot add &quot;{product.name}&quot; with a quantity less than or equal to 0 to the cart.",
            )
        if product.stock is not None and product.stock <= 0:
            raise WooError(
                400,
                "woocommerce_rest_product_out_of_stock",
                f"You cannot add &quot;{product.name}&quot; to the cart because the product is out of stock.",
            )
        product_id = product.parent_id or product.id
        variation_id = product.id if product.type == "variation" else 0
        # WC_Cart::generate_cart_id: md5 of "product_variation_attributes" (the real shop's keys, e.g. md5("12")).
        parts = [str(product_id)] + ([str(variation_id)] if variation_id else [])
        if attributes:
            parts.append("".join(f"attribute_{a}{v}" for a, v in attributes.items()))
        key = hashlib.md5("_".join(parts).encode()).hexdigest()
        in_cart = sum(i["quantity"] for i in session.items.values() if i["pid"] == product.id)
        if product.stock is not None and product.stock < in_cart + quantity:
            raise WooError(
                400,
                "woocommerce_rest_product_partially_out_of_stock",
                f"You cannot add that amount of &quot;{product.name}&quot; to the cart"
                f" because there is not enough stock ({product.stock} remaining).",
            )  # edge-cases.jsonl seq 2 (6 Caps, 4 left)
        if key in session.items:
            session.items[key]["quantity"] += quantity
        else:
            session.items[key] = {"key": key, "pid": product.id, "attributes": attributes, "quantity": quantity}

    def _set_quantity(self: FakeWooCommerce, session: Session, key: str, quantity: int) -> None:
        item = session.items.get(key)
        if item is None:
            raise WooError(409, "woocommerce_rest_cart_invalid_key", "Cart item does not exist.")
        product = self.products[item["pid"]]
        if quantity <= 0:
            raise WooError(
                400,
                "woocommerce_rest_product_invalid_quantity",
                f"The quantity of &quot;{product.name}&quot; must be at least 1.",
            )
        if product.stock is not None and product.stock < quantity:
            raise WooError(
                400,
                "woocommerce_rest_product_partially_out_of_stock",
                f"The quantity of &quot;{product.name}&quot; cannot be more than {product.stock}.",
            )
        item["quantity"] = quantity
