"""The Store API cart as the fake shop answers it (StoreApi/Schemas/V1/CartSchema.php and friends).

Shapes and values follow the real 9.9.5 shop's answers in
tests/fixtures/woocommerce/recordings/ (checkout.jsonl, edge-cases.jsonl).
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tests.fakes.woocommerce.catalogue import (
    BILLING_KEYS,
    JSON,
    LOW_STOCK_AMOUNT,
    QUANTITY_LIMIT,
    SHIPPING_KEYS,
    Product,
    Session,
)

if TYPE_CHECKING:
    from tests.fakes.woocommerce.shop import FakeWooCommerce

ZERO = Decimal("0")


class CartSchemaMixin:
    def _currency(self: FakeWooCommerce) -> JSON:
        return {
            "currency_code": self.currency,
            "currency_symbol": "$",
            "currency_minor_unit": self.minor_unit,
            "currency_decimal_separator": ".",
            "currency_thousand_separator": ",",
            "currency_prefix": "$",
            "currency_suffix": "",
        }

    def _display_name(self: FakeWooCommerce, product: Product) -> str:
        """WC_Product_Variation::get_name: "Tee - L" (a package's item names, checkout.jsonl seq 3)."""
        if product.type != "variation":
            return product.name
        return product.name + " - " + ", ".join(self._shown_value(a, v) for a, v in product.attributes.items())

    def _shown_value(self: FakeWooCommerce, attr: str, value: str) -> str:
        return value.title() if attr.startswith("pa_") else value

    def _cart_hash(self: FakeWooCommerce, session: Session) -> str:
        """The Cart-Hash header: empty for an empty cart (no-cart-token.jsonl seq 1), else a hash of the items."""
        if not session.items:
            return ""
        return hashlib.md5(json.dumps(sorted(session.items.items()), sort_keys=True).encode()).hexdigest()

    def _quantity_limits(self: FakeWooCommerce, product: Product) -> JSON:
        # StoreApi QuantityLimits: the stock left when it is managed, else the 9999 default
        # (checkout.jsonl seq 19: the Cap with 4 in stock; edge-cases.jsonl seq 2: the Gift Card, 9999).
        maximum = QUANTITY_LIMIT if product.stock is None else max(0, min(product.stock, QUANTITY_LIMIT))
        return {"minimum": 1, "maximum": maximum, "multiple_of": 1, "editable": True}

    def _low_stock(self: FakeWooCommerce, product: Product) -> int | None:
        # ProductSchema::get_low_stock_remaining: the stock when at or under wc_get_low_stock_amount.
        threshold = product.low_stock_amount if product.low_stock_amount is not None else LOW_STOCK_AMOUNT
        return product.stock if product.stock is not None and product.stock <= threshold else None

    def _permalink(self: FakeWooCommerce, product: Product) -> str:
        parent = self.products.get(product.parent_id) if product.parent_id else None
        base = f"{self.base_url}/product/{(parent or product).slug or (parent or product).id}/"
        if product.type != "variation":
            return base
        return base + "?" + "&".join(f"attribute_{a}={v}" for a, v in product.attributes.items())

    def _images(self: FakeWooCommerce, product: Product) -> list[JSON]:
        if not product.image:
            return []  # the recorded shop's products have no image (checkout.jsonl seq 2)
        return [
            {
                "id": product.id,
                "src": f"{self.base_url}/wp-content/uploads/{product.id}.jpg",
                "thumbnail": f"{self.base_url}/wp-content/uploads/{product.id}-450x450.jpg",
                "srcset": "",
                "sizes": "",
                "name": f"{product.id}.jpg",
                "alt": "",
            }
        ]

    def _prices(self: FakeWooCommerce, product: Product) -> JSON:
        regular = product.regular_price or product.price
        return {
            "price": self._money(self._cents(product.price)),
            "regular_price": self._money(self._cents(regular)),
            "sale_price": self._money(self._cents(product.price)),
            "price_range": None,
            **self._currency(),
            "raw_prices": {
                "precision": 6,
                "price": str(int(product.price.scaleb(6))),
                "regular_price": str(int(regular.scaleb(6))),
                "sale_price": str(int(product.price.scaleb(6))),
            },
        }

    def _cart_item(self: FakeWooCommerce, line: JSON) -> JSON:
        item = line["item"]
        product = self.products[item["pid"]]
        parent = self.products.get(product.parent_id) if product.parent_id else None
        variation = [
            # CartItemSchema: the attribute's label and the value (no raw attribute name in 9.9.5, checkout.jsonl seq 3)
            {
                "attribute": (parent.attributes.get(attr) if parent else None) or attr,
                "value": self._shown_value(attr, v),
            }
            for attr, v in item["attributes"].items()
        ]
        description = f"<p>{product.description}</p>" if product.description else ""
        return {
            "key": item["key"],
            "id": product.id,
            "type": product.type,
            "quantity": item["quantity"],
            "quantity_limits": self._quantity_limits(product),
            "name": product.name,
            "short_description": description,
            "description": description,
            "sku": product.sku,
            "low_stock_remaining": self._low_stock(product),
            "backorders_allowed": False,
            "show_backorder_badge": False,
            "sold_individually": False,
            "permalink": self._permalink(product),
            "images": self._images(product),
            "variation": variation,
            "item_data": [],
            "prices": self._prices(product),
            "totals": {
                "line_subtotal": self._money(line["subtotal"]),
                "line_subtotal_tax": self._money(line["subtotal_tax"]),
                "line_total": self._money(line["total"]),
                "line_total_tax": self._money(line["total_tax"]),
                **self._currency(),
            },
            "catalog_visibility": "visible",
            "extensions": {},
        }

    def _package(self: FakeWooCommerce, session: Session, package: JSON) -> JSON:
        listing = ", ".join(
            f"{self._display_name(self.products[x['item']['pid']])} &times; {x['item']['quantity']}"
            for x in package["lines"]
        )
        return {
            "package_id": package["id"],
            "name": package["name"],
            "destination": {
                k: session.shipping.get(k, "")
                for k in ("address_1", "address_2", "city", "state", "postcode", "country")
            },
            "items": [
                {
                    "key": x["item"]["key"],
                    "name": self._display_name(self.products[x["item"]["pid"]]),
                    "quantity": x["item"]["quantity"],
                }
                for x in package["lines"]
            ],
            "shipping_rates": [
                {
                    "rate_id": f"{m.method_id}:{m.instance_id}",
                    "name": m.title,
                    "description": "",
                    "delivery_time": "",
                    "price": self._money(cost),
                    "taxes": self._money(tax),
                    "instance_id": m.instance_id,
                    "method_id": m.method_id,
                    "meta_data": [{"key": "Items", "value": listing}],
                    "selected": f"{m.method_id}:{m.instance_id}" == package["chosen"],
                    **self._currency(),
                }
                for m, cost, tax, _raw in package["rates"]
            ],
        }

    def _coupon_entry(self: FakeWooCommerce, typed: str, totals: tuple[Decimal, Decimal]) -> JSON:
        coupon = self._coupon(typed)
        assert coupon is not None
        # CartCouponSchema looks the totals up by the code as applied, WC_Discounts files them under the
        # coupon's own code: a code typed in another case shows 0 (edge-cases.jsonl seq 2 "min50" for MIN50;
        # checkout.jsonl seq 7 "TENOFF" shows 890).
        amount, tax = totals if typed == coupon.code else (ZERO, ZERO)
        return {
            "code": typed,
            "discount_type": coupon.discount_type,
            "totals": {
                "total_discount": self._money(amount),
                "total_discount_tax": self._money(tax),
                **self._currency(),
            },
        }

    def _cart_response(self: FakeWooCommerce, session: Session) -> JSON:
        priced = self._price(session)
        money = self._money
        lines = priced["lines"]
        total_items = sum((x["subtotal"] for x in lines), ZERO)
        total_items_tax = sum((x["subtotal_tax"] for x in lines), ZERO)
        net = sum((x["total"] for x in lines), ZERO)
        net_tax = sum((x["total_tax"] for x in lines), ZERO)
        total_tax = net_tax + priced["shipping_tax"]
        total_price = net + net_tax + priced["shipping"] + priced["shipping_tax"]
        rate = priced["rate"]
        weight: Any = sum(float(self.products[i["pid"]].weight) * i["quantity"] for i in session.items.values())
        return {
            "items": [self._cart_item(line) for line in lines],
            "coupons": [self._coupon_entry(typed, totals) for typed, totals in priced["coupons"].items()],
            "fees": [],
            "totals": {
                "total_items": money(total_items),
                "total_items_tax": money(total_items_tax),
                "total_fees": "0",
                "total_fees_tax": "0",
                "total_discount": money(total_items - net),
                "total_discount_tax": money(priced["discount_tax"]),
                "total_shipping": money(priced["shipping"]) if priced["calculated"] else None,
                "total_shipping_tax": money(priced["shipping_tax"]) if priced["calculated"] else None,
                "total_price": money(total_price),
                "total_tax": money(total_tax),
                "tax_lines": [{"name": rate.name, "price": money(total_tax), "rate": f"{rate.rate.normalize()}%"}]
                if rate and total_tax
                else [],
                **self._currency(),
            },
            "shipping_address": {k: session.shipping.get(k, "") for k in SHIPPING_KEYS},
            "billing_address": {k: session.billing.get(k, "") for k in BILLING_KEYS},
            "needs_payment": total_price > 0,
            "needs_shipping": self._needs_shipping(session),
            "payment_requirements": ["products"],
            "has_calculated_shipping": priced["calculated"],
            "shipping_rates": [self._package(session, p) for p in priced["packages"]],
            "items_count": sum(i["quantity"] for i in session.items.values()),
            "items_weight": weight if weight else 0,
            "cross_sells": [],
            "errors": [],
            "payment_methods": sorted(self.gateways),
            "extensions": {},
        }
