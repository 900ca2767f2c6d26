"""Two shops to test against: the one most tests use, and the real shop the recordings were made on."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.fakes.woocommerce.catalogue import Method
from tests.fakes.woocommerce.shop import FakeWooCommerce


def standard_shop(**kwargs: Any) -> FakeWooCommerce:
    """The shop most tests use: simple and variable products, taxes, three zones, coupons."""
    shop = FakeWooCommerce(**kwargs)
    shop.add_simple(22, "Belt", "55.00", regular_price="65.00", stock=10, sku="woo-belt")
    shop.add_simple(38, "Beanie with Logo", "18.00", regular_price="20.00", sku="Woo-beanie-logo")
    shop.add_simple(50, "Album (download)", "15.00", virtual=True, sku="woo-album")
    shop.add_simple(60, "Limited print", "40.00", stock=2, sku="woo-print")
    shop.add_simple(61, "Sold-out mug", "12.00", stock=0, sku="woo-mug")
    shop.add_variable(13, "Hoodie", {"pa_color": "Color", "size": "Size"})
    shop.add_variation(14, 13, "42.00", {"pa_color": "red", "size": "M"}, sku="woo-hoodie-red-m", stock=5)
    shop.add_variation(15, 13, "45.00", {"pa_color": "blue", "size": "L"}, sku="woo-hoodie-blue-l", stock=5)
    shop.add_tax("US", "NY", "8.875", name="NY Tax")
    shop.add_tax("US", "CA", "7.25", name="CA Tax", shipping=False)
    shop.add_zone(
        1,
        "New York",
        [("US:NY", "state")],
        [
            Method(10, "flat_rate", "Flat rate", Decimal("5.99")),
            Method(11, "flat_rate", "Express", Decimal("14.99")),
            Method(12, "free_shipping", "Free shipping", requires="coupon"),
            Method(13, "local_pickup", "Local pickup", Decimal("0"), taxable=False),
        ],
    )
    shop.add_zone(2, "Rest of US", [("US", "country")], [Method(20, "flat_rate", "Flat rate", Decimal("9.99"))])
    shop.add_zone(3, "Europe", [("EU", "continent")], [Method(30, "flat_rate", "International", Decimal("25.00"))])
    shop.add_zone(
        4, "Nowhere", [("AQ", "country")], [Method(40, "flat_rate", "Disabled", Decimal("1.00"), enabled=False)]
    )
    shop.add_coupon("save10", "percent", "10")
    shop.add_coupon("fiver", "fixed_cart", "5.00")
    shop.add_coupon("shipfree", "fixed_cart", "0", free_shipping=True)
    shop.add_coupon("big50", "fixed_cart", "50", minimum_amount="500.00")
    shop.add_coupon("summer2020", "percent", "20", expires=0.0)
    return shop


def recorded_shop(base_url: str = "http://127.0.0.1:8080", **kwargs: Any) -> FakeWooCommerce:
    """The real WooCommerce 9.9.5 shop of tests/fixtures/woocommerce/recordings/ (README.md there).

    Ids, SKUs, instance ids and stock are read from the recordings: the Hoodie's
    ``quantity_limits.maximum`` is 994 and the Cap's 4 when checkout.jsonl starts
    (the README's "5 in stock" is from before an earlier, unrecorded order); the
    Tee L's limit is 1000, the Beanie's 500; the Gift Card's stock is not managed.
    The Cap shows ``low_stock_remaining`` 4, so its low-stock threshold is at least 4.
    The zones' own ids are not in the recordings (the adapter read no zones there).
    """
    options: dict[str, Any] = {
        "gateways": ("bacs",),
        "default_location": ("US", "CA"),
        "local_environment": True,
        **kwargs,
    }
    shop = FakeWooCommerce(base_url, **options)
    shop.next_order_id = 31
    plain: dict[str, Any] = {"image": False}
    shop.add_simple(12, "Hoodie", "45.00", sku="HOODIE", stock=994, weight=362.8736, slug="hoodie", **plain)
    shop.add_variable(13, "Tee", {"size": "Size"}, slug="tee", **plain)
    shop.add_variation(14, 13, "20.00", {"size": "S"}, sku="TEE-S")
    shop.add_variation(15, 13, "20.00", {"size": "M"}, sku="TEE-M")
    shop.add_variation(16, 13, "22.00", {"size": "L"}, sku="TEE-L", stock=1000)
    shop.add_simple(17, "Cap", "18.00", sku="CAP", stock=4, low_stock_amount=5, slug="cap", **plain)
    shop.add_simple(18, "Gift Card", "25.00", sku="GIFTCARD", virtual=True, slug="gift-card", **plain)
    shop.add_simple(19, "Beanie", "24.00", regular_price="30.00", sku="BEANIE", stock=500, slug="beanie", **plain)
    shop.add_tax("US", "CA", "8.5", name="CA Tax", shipping=True)
    shop.add_zone(
        1,
        "United States",
        [("US", "country")],
        [
            Method(1, "flat_rate", "Flat rate", Decimal("5.00")),
            Method(2, "flat_rate", "Express", Decimal("15.00")),
            Method(3, "free_shipping", "Free shipping", requires="either", min_amount=Decimal("100.00")),
        ],
    )
    shop.add_zone(2, "Canada", [("CA", "country")], [Method(4, "flat_rate", "Flat rate", Decimal("12.00"))])
    shop.add_coupon(
        "TENOFF", "percent", "10", id=20
    )  # coupon_info [20, "TENOFF", "percent", 10], checkout.jsonl seq 13
    shop.add_coupon("FIVE", "fixed_cart", "5.00", id=21)
    shop.add_coupon("FREESHIP", "fixed_cart", "0", free_shipping=True, id=22)
    shop.add_coupon("MIN50", "fixed_cart", "10.00", minimum_amount="50.00", id=23)
    shop.add_coupon("EXPIRED", "percent", "10", expires=0.0, id=24)
    return shop
