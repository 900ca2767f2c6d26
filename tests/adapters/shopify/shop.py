"""The Shopify test shop: a fake Admin API with a small catalogue, and an adapter wired to it."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import responses

from adapters.shopify.adapter import ShopifyAdapter
from mappings import model
from service.config import Settings, StoreConfig
from service.state import StateStore
from tests.fakes.shopify import FakeShopify, SchemaMissing, admin_schema

APP_ID = "shopify-app"
TOKEN = "shpat_0123456789abcdef0123456789abcdef"
BASE_URL = "https://fast-test.myshopify.com"
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)

# The address the Shopify tests ship to and bill.
NY = model.Address(
    first_name="Solutions",
    last_name="Team",
    email="solutions@fast.co",
    address_1="100 Park Avenue",
    city_locality="New York",
    state_province_code="NY",
    country_code="US",
    postal_code="10017",
)


def require_schema() -> None:
    try:
        admin_schema()
    except SchemaMissing as exc:
        pytest.skip(str(exc))


def make_shop(first_id: int = 1001) -> FakeShopify:
    """Tees in sizes and colours, a mug, an ebook, a limited print; rates, New York tax, discount codes."""
    counter = itertools.count(1)
    shop = FakeShopify(
        token=TOKEN,
        now=lambda: NOW,
        new_uuid=lambda: f"9f3c2a10-5d4e-4b8a-9c1d-{next(counter):012d}",
        first_id=first_id,
    )
    shop.tee = shop.add_product(  # type: ignore[attr-defined]
        "Tee",
        [
            {"options": [("Size", "M"), ("Color", "Black")], "price": "25.00", "sku": "TEE-M-BLK", "stock": 10},
            {"options": [("Size", "L"), ("Color", "Black")], "price": "25.00", "sku": "TEE-L-BLK", "stock": 10},
            {"options": [("Size", "M"), ("Color", "White")], "price": "25.00", "sku": "TEE-M-WHT", "stock": 1},
        ],
        image_url="https://cdn.shopify.com/s/files/1/tee.png",
    )
    shop.mug = shop.add_product("Mug", [{"price": "12.50", "sku": "MUG", "stock": 5}])  # type: ignore[attr-defined]
    shop.ebook = shop.add_product(  # type: ignore[attr-defined]
        "Ebook", [{"price": "9.99", "sku": "EBOOK", "requires_shipping": False}]
    )
    shop.print = shop.add_product("Limited print", [{"price": "40.00", "sku": "PRINT-LTD", "stock": 3}])  # type: ignore[attr-defined]
    shop.add_rate("Standard", "5.99", {"US"}, free_over="150.00")
    shop.add_rate("Express", "14.99", {"US"})
    shop.add_rate("Canada Post", "9.00", {"CA"})
    shop.set_tax("US", "NY", "NY State Tax", "0.08875", shipping=True)
    shop.add_code("SAVE10", "percent", "10", title="10% off every item")
    shop.add_code("TENOFF", "fixed", "10", title="$10 off orders over $50", minimum_subtotal="50")
    shop.add_code("FREESHIP", "free_shipping", title="Free shipping")
    shop.add_code("SUMMER2020", "percent", "20", title="Summer sale", expired=True)
    return shop


def make_store(**options: Any) -> StoreConfig:
    return StoreConfig(
        app_id=APP_ID,
        name="acme",
        adapter="shopify",
        base_url=BASE_URL,
        options=options,
        env={"FAST_STORE_ACME_ACCESS_TOKEN": TOKEN},
    )


class MemoryState(StateStore):
    """The state store in a dict, for tests that run hundreds of checkouts (no file, no fsync)."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.guard = threading.Lock()

    def get(self, key: str) -> str | None:
        return self.data.get(key)

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        self.data[key] = value

    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        with self.guard:
            if key in self.data:
                return False
            self.data[key] = value
            return True

    def delete(self, key: str, *, only_if: str | None = None) -> None:
        with self.guard:
            if only_if is None or self.data.get(key) == only_if:
                self.data.pop(key, None)

    def ping(self) -> None:
        return None


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@contextmanager
def serving(shop: FakeShopify) -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        shop.install(rsps)
        yield rsps


def make_adapter(state: StateStore, settings: Settings, sleeps: Sleeps | None = None, **options: Any) -> ShopifyAdapter:
    return ShopifyAdapter(make_store(**options), state, settings, now=lambda: NOW, sleep=sleeps)


def update(adapter: ShopifyAdapter, order: model.Order, **segments: Any) -> model.UpdateResult:
    """One Fast update of ``order`` (its ids) carrying ``segments``."""
    upd = model.OrderUpdate(order_id=order.id, external_id=order.external_id, **segments)
    return adapter.update(upd.ref, upd)
