"""What a queued event needs from the rest of the service: the shop's reads, Fast's client, reconciliation."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

from adapters.shopify import webhooks as shopify_webhooks
from adapters.woocommerce import webhooks as woo_webhooks
from mappings.fast import events as ev
from service.config import StoreConfig
from service.errors import FastError
from service.events_config import EventSettings
from service.fast_api import FastApiClient, Outcome
from service.logs import log_fields
from service.operations import Service

log = logging.getLogger(__name__)

# The platform module that verifies, translates, completes and reconciles each platform's webhooks.
PLATFORMS: dict[str, ModuleType] = {"shopify": shopify_webhooks, "woocommerce": woo_webhooks}
WATERMARK_OVERLAP = 300  # seconds re-read each run: an order saved as the last run read is not missed
FIRST_LOOKBACK = 24 * 3600


class Delivery:
    def __init__(self, service: Service, settings: EventSettings, *, clock: Callable[[], float] = time.time) -> None:
        self.service = service
        self.settings = settings
        self.clock = clock
        self._clients: dict[str, FastApiClient] = {}

    def complete(self, event: ev.Event) -> ev.Event | None:
        module = PLATFORMS[event.platform]
        return module.complete(self.service.adapter(event.app_id), event)

    def send(self, event: ev.Event) -> Outcome:
        store = self.service.store(event.app_id)
        if not event.fast_order_id:
            return Outcome("parked", None, "the event names no Fast order")
        client = self._client(store)
        if client is None:
            return Outcome("parked", None, f"{store.secret_env_name('fast_api_token')} is not set")
        return client.send(event.fast_order_id, event)

    def _client(self, store: StoreConfig) -> FastApiClient | None:
        token = store.secret("fast_api_token")
        if not token:
            return None
        client = self._clients.get(store.app_id)
        if client is None:
            client = FastApiClient(
                self.settings.fast_api_url, store.app_id, token, read_timeout=self.settings.fast_timeout
            )
            self._clients[store.app_id] = client
        return client

    # --- reconciliation --------------------------------------------------------------

    def reconcile(self, submit: Callable[[ev.Event], bool]) -> int:
        """Submit every event of the orders changed since each store's watermark; how many were new."""
        new = 0
        for store in self.service.stores.values():
            if store.adapter in PLATFORMS:
                try:
                    new += self.reconcile_store(store, submit)
                except FastError as exc:
                    log.warning("reconciliation failed", extra=log_fields(app_id=store.app_id, reason=exc.message))
        return new

    def reconcile_store(self, store: StoreConfig, submit: Callable[[ev.Event], bool]) -> int:
        key = f"events:watermark:{store.app_id}"
        started = self.clock()
        mark: Any = self.service.state.get(key)
        since = float(mark) - WATERMARK_OVERLAP if mark else started - FIRST_LOOKBACK
        module = PLATFORMS[store.adapter]
        events = module.reconcile(
            self.service.adapter(store.app_id), store.app_id, dt.datetime.fromtimestamp(since, dt.UTC)
        )
        new = sum(1 for event in events if submit(event))
        self.service.state.set(key, str(started))
        if new:
            log.warning(
                "reconciliation found events no webhook brought", extra=log_fields(app_id=store.app_id, count=new)
            )
        return new
