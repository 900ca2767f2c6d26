"""What stops a store from being served: the one check behind the service, ``/readyz`` and check-config."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from adapters import UnknownAdapter, adapter_class
from service.config import Settings, StoreConfig
from service.logs import log_fields

log = logging.getLogger("fast.config")


def store_problems(store: StoreConfig, settings: Settings) -> list[str]:
    """Every problem with one store: its generic keys, its adapter's name, its options and secrets."""
    problems = list(store.problems)
    if not store.adapter:
        return problems
    try:
        cls = adapter_class(store.adapter)
    except UnknownAdapter as exc:
        return [*problems, f"store {store.name!r} ({store.app_id}): {exc}"]
    return [*problems, *cls.check_config(store, settings)]


def broken_stores(stores: Mapping[str, StoreConfig], settings: Settings) -> dict[str, list[str]]:
    """The stores that must not be served, by app_id, with why."""
    broken = {}
    for app_id, store in stores.items():
        problems = store_problems(store, settings)
        if problems:
            broken[app_id] = problems
    return broken


def log_broken_stores(stores: Mapping[str, StoreConfig], broken: Mapping[str, list[str]]) -> None:
    """One ERROR line per store that is not served, at start."""
    for app_id, problems in broken.items():
        log.error(
            "store not served: its configuration has problems",
            extra=log_fields(store=stores[app_id].name, app_id=app_id, problems=problems),
        )
