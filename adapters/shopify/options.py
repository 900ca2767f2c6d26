"""A Shopify store's options from the stores file: one parse, used by the adapter and by ``check-config``."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

from service.config import StoreConfig

DEFAULT_API_VERSION = "2025-01"
CANCEL_REASONS = ("CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF")
MARK_PAID_ON = ("BOOKED", "PENDING_FULFILLMENT", "never")
_API_VERSION = re.compile(r"^(\d{4}-(01|04|07|10)|unstable)$")


@dataclass(frozen=True)
class ShopifyOptions:
    """The store's options in the stores file; every one has a documented default (docs/shopify.md)."""

    api_version: str = DEFAULT_API_VERSION
    reserve_inventory_minutes: int = 60
    accept_automatic_discounts: bool = True
    payment_pending: bool = True
    hold_fulfillment: bool = True
    mark_paid_on: str = "PENDING_FULFILLMENT"
    cancel_reason: str = "OTHER"
    cancel_restock: bool = True
    cancel_notify_customer: bool = False
    cancel_refund: bool = False
    rates_cache_seconds: int = 600

    @classmethod
    def load(cls, store: StoreConfig) -> tuple[ShopifyOptions, list[str]]:
        where = f"store {store.name!r} ({store.app_id})"
        problems: list[str] = []
        values: dict[str, Any] = {}
        defaults = cls()
        for option in fields(cls):
            default = getattr(defaults, option.name)
            value = store.option(option.name, default)
            problem = _type_problem(option.name, default, value)
            if problem:
                problems.append(f"{where}: {problem}")
            else:
                values[option.name] = value
        options = cls(**values)
        problems += [f"{where}: {problem}" for problem in options._value_problems()]
        return options, problems

    def _value_problems(self) -> list[str]:
        problems = []
        if not _API_VERSION.match(self.api_version):
            problems.append(f"api_version must look like 2025-01 (a released version), got {self.api_version!r}")
        if self.cancel_reason not in CANCEL_REASONS:
            problems.append(f"cancel_reason must be one of {', '.join(CANCEL_REASONS)}")
        if self.mark_paid_on not in MARK_PAID_ON:
            problems.append(f"mark_paid_on must be one of {', '.join(MARK_PAID_ON)}")
        return problems


def _type_problem(name: str, default: Any, value: Any) -> str | None:
    if isinstance(default, bool):
        return None if isinstance(value, bool) else f"{name} must be true or false, got {value!r}"
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return f"{name} must be a whole number >= 0, got {value!r}"
        return None
    return None if isinstance(value, str) else f"{name} must be a string, got {value!r}"
