"""Runs Fast's operations against the right store: finds the adapter, resolves ids.

The routes in ``app.py`` parse and dump; this module holds what every adapter
shares: the store registry, and the map from Fast's order id to the shop's
reference (Fast sometimes names an order by its own id only).
"""

from __future__ import annotations

import logging
import threading

from adapters import UnknownAdapter, adapter_class
from adapters.base import Adapter
from mappings import model
from service.config import Settings, StoreConfig
from service.errors import OrderNotFound, StoreMisconfigured, StoreNotFound
from service.readiness import broken_stores
from service.state import StateStore

log = logging.getLogger(__name__)

ID_MAP_TTL = 60 * 24 * 3600


class Service:
    def __init__(
        self,
        settings: Settings,
        stores: dict[str, StoreConfig],
        state: StateStore,
        *,
        config_problems: list[str] | None = None,
    ) -> None:
        self.settings = settings
        self.stores = stores
        self.state = state
        # A store with problems is not served (503, never 404); the others are.
        self.broken = broken_stores(stores, settings)
        # The stores file itself could not be read: no app_id can be said to be unknown.
        self.config_problems = list(config_problems or [])
        self._adapters: dict[str, Adapter] = {}
        self._lock = threading.Lock()

    # --- stores -----------------------------------------------------------------

    def store(self, app_id: str | None) -> StoreConfig:
        if app_id in self.broken or (self.config_problems and app_id):
            raise StoreMisconfigured(self.broken.get(app_id or "", self.config_problems))
        if not app_id or app_id not in self.stores:
            raise StoreNotFound(
                f"no store is configured for app_id {app_id!r}" if app_id else "the call names no app_id"
            )
        return self.stores[app_id]

    def adapter(self, app_id: str | None) -> Adapter:
        store = self.store(app_id)
        adapter = self._adapters.get(store.app_id)
        if adapter is None:
            with self._lock:
                adapter = self._adapters.get(store.app_id)
                if adapter is None:
                    try:
                        cls = adapter_class(store.adapter)
                    except UnknownAdapter as exc:
                        raise StoreMisconfigured([str(exc)]) from None
                    adapter = cls(store, self.state, self.settings)
                    self._adapters[store.app_id] = adapter
        return adapter

    def close(self) -> None:
        for adapter in self._adapters.values():
            adapter.close()

    # --- Fast order id -> shop reference ---------------------------------------

    def _id_key(self, app_id: str, fast_order_id: str) -> str:
        return f"ids:{app_id}:{fast_order_id}"

    def remember(self, app_id: str, order: model.Order) -> None:
        if order.id and order.external_id:
            key = self._id_key(app_id, order.id)
            if self.state.get(key) != order.external_id:
                self.state.set(key, order.external_id, ID_MAP_TTL)

    def resolve(self, app_id: str, ref: model.OrderRef) -> model.OrderRef:
        """Fill in the shop reference from Fast's id when the call left it out."""
        if ref.external_id or not ref.fast_order_id:
            return ref
        external_id = self.state.get(self._id_key(app_id, ref.fast_order_id))
        if external_id is None:
            if self.adapter(app_id).finds_orders_by_fast_id:
                return ref  # the shop itself can find the cart by Fast's id
            raise OrderNotFound(f"no cart or order is known for Fast order {ref.fast_order_id}")
        return model.OrderRef(ref.fast_order_id, external_id, ref.is_cart)

    # --- the four operations -------------------------------------------------

    def create(self, app_id: str, order: model.Order) -> model.Order:
        """Create a cart; a create repeated for the same Fast order returns the cart made first."""
        adapter = self.adapter(app_id)
        if not order.id:
            return adapter.create(order)
        lock_ttl = self.settings.call_deadline + 5
        with self.state.lock(f"create:{app_id}:{order.id}", timeout=self.settings.call_deadline, ttl=lock_ttl):
            existing = self.state.get(self._id_key(app_id, order.id))
            if existing is not None:
                try:
                    return adapter.read(model.OrderRef(order.id, existing))
                except OrderNotFound:
                    log.info("the cart made for this Fast order is gone; creating a new one")
            created = adapter.create(order)
            if created.id is None:
                created.id = order.id
            self.remember(app_id, created)
            return created

    def read(self, app_id: str, ref: model.OrderRef) -> model.Order:
        adapter = self.adapter(app_id)
        order = adapter.read(self.resolve(app_id, ref))
        return order

    def shipping_zones(self, app_id: str) -> list[model.ShippingZone]:
        return self.adapter(app_id).shipping_zones()

    def update(self, app_id: str, update: model.OrderUpdate) -> model.UpdateResult:
        adapter = self.adapter(app_id)
        ref = self.resolve(app_id, update.ref)
        result = adapter.update(ref, update)
        if result.order.id is None:
            result.order.id = ref.fast_order_id
        self.remember(app_id, result.order)
        return result

    def delete(self, app_id: str, ref: model.OrderRef) -> None:
        adapter = self.adapter(app_id)
        try:
            ref = self.resolve(app_id, ref)
        except OrderNotFound:
            return  # nothing to delete: deleting twice is fine
        adapter.delete(ref)
