"""The sandbox shop's catalogue: products, tax rules, shipping zones and coupons from TOML."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cache, cached_property
from pathlib import Path

from mappings.model import CustomValue, ItemUpdate, ShippingZone
from mappings.money import to_decimal
from service.errors import UpstreamRejected

CATALOG_PATH = Path(__file__).with_name("catalog.toml")


@dataclass(frozen=True)
class Item:
    """One sellable item (a simple product, or one variant of a product)."""

    sku: str
    product_id: str
    name: str
    price: Decimal
    variant_id: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    stock: int | None = None  # None: unlimited
    digital: bool = False
    description: str | None = None
    image_url: str | None = None

    @property
    def display_name(self) -> str:
        if not self.options:
            return self.name
        return f"{self.name} - {' / '.join(value for _, value in self.options)}"


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    items: tuple[Item, ...]
    option_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaxRule:
    country: str
    region: str
    rate: Decimal
    shipping: bool


@dataclass(frozen=True)
class ShippingRate:
    id: str
    name: str
    cost: Decimal
    pickup: bool = False
    free_over: Decimal | None = None
    service_level: str | None = None


@dataclass(frozen=True)
class Zone:
    name: str
    countries: tuple[str, ...]
    regions: tuple[str, ...]
    rates: tuple[ShippingRate, ...]

    def covers(self, country: str | None, region: str | None) -> bool:
        if not country or country not in self.countries:
            return False
        return not self.regions or (region or "") in self.regions


class CouponKind(StrEnum):
    PERCENT = "percent"
    FIXED = "fixed"
    FREE_SHIPPING = "free_shipping"


@dataclass(frozen=True)
class Coupon:
    code: str
    kind: CouponKind
    description: str
    amount: Decimal = Decimal("0")
    minimum_subtotal: Decimal | None = None
    expires: dt.date | None = None


@dataclass(frozen=True)
class Catalogue:
    currency: str
    products: tuple[Product, ...]
    tax_rules: tuple[TaxRule, ...]
    zones: tuple[Zone, ...]
    coupons: dict[str, Coupon] = field(hash=False)

    @cached_property
    def items(self) -> dict[str, Item]:
        return {item.sku: item for product in self.products for item in product.items}

    def product(self, product_id: str) -> Product | None:
        return next((p for p in self.products if p.id == product_id), None)

    def item(self, sku: str) -> Item:
        return self.items[sku]

    def resolve(self, wanted: ItemUpdate) -> Item:
        """Fast's identifiers -> one item, in Fast's order of preference."""
        items = self.items
        if wanted.external_item_id:
            item = items.get(wanted.external_item_id) or next(
                (i for i in items.values() if i.variant_id == wanted.external_item_id), None
            )
            if item is not None:
                return item
            if not wanted.external_product_id:
                raise UpstreamRejected(f"unknown item {wanted.external_item_id!r}", field="external_item_id")
        if not wanted.external_product_id:
            raise UpstreamRejected("the item names no product", field="external_product_id")
        product = self.product(wanted.external_product_id)
        if product is None:
            raise UpstreamRejected(f"unknown product {wanted.external_product_id!r}", field="external_product_id")
        if wanted.external_variant_id:
            for item in product.items:
                if wanted.external_variant_id in (item.variant_id, item.sku):
                    return item
            # Fast sends the product id as the variant id for products without variants.
            if len(product.items) == 1 and wanted.external_variant_id == product.id:
                return product.items[0]
            raise UpstreamRejected(
                f"product {product.name!r} has no variant {wanted.external_variant_id!r}",
                field="external_variant_id",
            )
        if wanted.external_options:
            return _match_options(product, wanted.external_options)
        if len(product.items) == 1:
            return product.items[0]
        raise UpstreamRejected(
            f"product {product.name!r} has variants: name one with external_variant_id"
            f" or external_options ({', '.join(product.option_names)})",
            field="external_variant_id",
        )

    def tax_rule(self, country: str | None, region: str | None) -> TaxRule | None:
        for rule in self.tax_rules:
            if rule.country == country and rule.region in ("", region or ""):
                return rule
        return None

    def zone_for(self, country: str | None, region: str | None) -> Zone | None:
        return next((zone for zone in self.zones if zone.covers(country, region)), None)

    def shipping_zones(self) -> list[ShippingZone]:
        zones: list[ShippingZone] = []
        for zone in self.zones:
            for country in zone.countries:
                if zone.regions:
                    zones.extend(ShippingZone(country, region) for region in zone.regions)
                else:
                    zones.append(ShippingZone(country))
        return zones


def _match_options(product: Product, wanted: list[CustomValue]) -> Item:
    asked = {cv.key.strip().lower(): cv.value.strip().lower() for cv in wanted}
    for item in product.items:
        have = {k.lower(): v.lower() for k, v in item.options}
        if all(have.get(key) == value for key, value in asked.items()) and set(asked) >= set(have):
            return item
    shown = ", ".join(f"{cv.key}={cv.value}" for cv in wanted)
    raise UpstreamRejected(f"product {product.name!r} has no variant with {shown}", field="external_options")


def _decimal(value: object | None) -> Decimal | None:
    return None if value is None else to_decimal(str(value))


@cache
def load_catalog(path: Path = CATALOG_PATH) -> Catalogue:
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    products = []
    for raw in data["products"]:
        items = tuple(
            Item(
                sku=item["sku"],
                product_id=raw["id"],
                name=raw["name"],
                price=to_decimal(item["price"]),
                variant_id=item.get("variant_id"),
                options=tuple((k, v) for k, v in item.get("options", {}).items()),
                stock=item.get("stock"),
                digital=raw.get("digital", False),
                description=raw.get("description"),
                image_url=raw.get("image_url"),
            )
            for item in raw["items"]
        )
        products.append(Product(raw["id"], raw["name"], items, tuple(raw.get("options", ()))))
    return Catalogue(
        currency=data["currency"],
        products=tuple(products),
        tax_rules=tuple(
            TaxRule(t["country"], t.get("region", ""), to_decimal(t["rate"]), t.get("shipping", False))
            for t in data.get("tax", ())
        ),
        zones=tuple(
            Zone(
                z["name"],
                tuple(z["countries"]),
                tuple(z.get("regions", ())),
                tuple(
                    ShippingRate(
                        r["id"],
                        r["name"],
                        to_decimal(r["cost"]),
                        r.get("pickup", False),
                        _decimal(r.get("free_over")),
                        r.get("service_level"),
                    )
                    for r in z["rates"]
                ),
            )
            for z in data.get("zones", ())
        ),
        coupons={
            c["code"].upper(): Coupon(
                code=c["code"],
                kind=CouponKind(c["kind"]),
                description=c.get("description", ""),
                amount=to_decimal(c.get("amount", "0")),
                minimum_subtotal=_decimal(c.get("minimum_subtotal")),
                expires=dt.date.fromisoformat(c["expires"]) if "expires" in c else None,
            )
            for c in data.get("coupons", ())
        },
    )
