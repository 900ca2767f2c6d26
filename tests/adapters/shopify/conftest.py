"""The Shopify tests' shop (the fake Admin API, served) and adapter; a module may override either."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.shopify.adapter import ShopifyAdapter
from service.config import Settings
from service.state import SQLiteState
from tests.adapters.shopify.shop import make_adapter, make_shop, require_schema, serving
from tests.fakes.shopify import FakeShopify


@pytest.fixture
def shop() -> Iterator[FakeShopify]:
    require_schema()
    fake = make_shop()
    with serving(fake):
        yield fake


@pytest.fixture
def adapter(state: SQLiteState, settings: Settings) -> ShopifyAdapter:
    return make_adapter(state, settings)
