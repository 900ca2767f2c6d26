"""A minimal "real" shop adapter for security tests: every operation is an HTTP call to its shop.

It stands in for WooCommerce/Shopify so these tests do not depend on them:
each store sends its own secret (``FAST_STORE_<NAME>_TOKEN``) in ``X-Shop-Token``
to its own ``base_url``, through the project's one upstream client, so tests
can see (with ``responses``) exactly what was sent where and with whose key.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, ClassVar

import pytest
import responses

import adapters
from adapters.base import Adapter, requested_segments
from adapters.http import UpstreamClient, path_segment
from mappings import model
from service.config import Settings, StoreConfig
from service.state import StateStore

SHOP_ANSWER = {"id": "cart-1", "currency": "USD", "total": "10.00"}


class SpyAdapter(Adapter):
    name = "spy"
    secrets = (("token", True),)
    # (app_id, operation) for every operation that reached the adapter, across instances.
    calls: ClassVar[list[tuple[str, str]]] = []

    def __init__(self, store: StoreConfig, state: StateStore, settings: Settings) -> None:
        super().__init__(store, state, settings)
        self.client = UpstreamClient(
            store.base_url or "",
            headers={"X-Shop-Token": store.secret("token") or ""},
            max_attempts=1,
        )

    def _call(self, operation: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        SpyAdapter.calls.append((self.store.app_id, operation))
        return self.client.json(self.client.request(method, path, **kwargs))

    def _order(self, data: dict[str, Any], fast_id: str | None) -> model.Order:
        return model.Order(
            id=fast_id,
            external_id=str(data.get("id", "cart-1")),
            order_type="ORDER_TYPE_CART",
            status="ORDER_STATUS_CART",
            currency_code="USD",
            total_amount=Decimal(str(data.get("total", "0"))),
        )

    def create(self, order: model.Order) -> model.Order:
        return self._order(self._call("create", "POST", "carts", json={"lines": len(order.lines)}), order.id)

    def read(self, ref: model.OrderRef) -> model.Order:
        data = self._call("read", "GET", f"carts/{path_segment(ref.external_id or '')}")
        return self._order(data, ref.fast_order_id)

    def update(self, ref: model.OrderRef, update: model.OrderUpdate) -> model.UpdateResult:
        data = self._call("update", "PUT", f"carts/{path_segment(ref.external_id or '')}", json={})
        statuses = [model.SegmentStatus(segment, True) for segment in requested_segments(update)]
        return model.UpdateResult(self._order(data, ref.fast_order_id), statuses)

    def delete(self, ref: model.OrderRef) -> None:
        self._call("delete", "DELETE", f"carts/{path_segment(ref.external_id or '')}")

    def shipping_zones(self) -> list[model.ShippingZone]:
        self._call("zones", "GET", "zones")
        return [model.ShippingZone("US")]


def spy_store(app_id: str, name: str, host: str) -> StoreConfig:
    """A real (non-sandbox) store with its own host and its own secret."""
    secret = f"shop-secret-{name}-7f3a9c"
    return StoreConfig(app_id, name, "spy", f"https://{host}/api", env={f"FAST_STORE_{name.upper()}_TOKEN": secret})


def register(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(adapters.REGISTRY, "spy", "tests.spy:SpyAdapter")
    SpyAdapter.calls.clear()


def shop_mock(hosts: list[str]) -> responses.RequestsMock:
    """Every spy shop answers every path; unmatched URLs fail loudly."""
    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    for host in hosts:
        for method in ("GET", "POST", "PUT", "DELETE"):
            mock.add(method, re.compile(rf"https://{re.escape(host)}/.*"), json=SHOP_ANSWER)
    return mock
