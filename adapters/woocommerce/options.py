"""A WooCommerce store's options, parsed once: the values the adapter uses and every problem with them.

``check_config`` reports the problems; the adapter runs with the values (an
invalid value falls back to its default, so a misconfigured option never
crashes a call the configuration check already flagged).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mappings import woocommerce as wc
from service.config import StoreConfig
from service.logs import register_secret

DEFAULT_ZONES_CACHE = 600
DEFAULT_TOKEN_POOL = 2
MAX_TOKEN_POOL = 20
AUTH_MODES = ("consumer_key", "application_password")
_WOO_STATUS = re.compile(r"^[a-z0-9][a-z0-9_-]{0,30}$")


def status_map(overrides: Any) -> tuple[dict[str, str], list[str]]:
    """The Fast -> WooCommerce status map with the store's overrides, and every problem with them."""
    mapping = dict(wc.DEFAULT_STATUS_MAP)
    problems: list[str] = []
    if overrides is None:
        return mapping, problems
    if not isinstance(overrides, Mapping):
        return mapping, ["statuses must be a table of Fast status = WooCommerce status"]
    for key, value in overrides.items():
        name = str(key).upper()
        if not name.startswith("ORDER_STATUS_"):
            name = f"ORDER_STATUS_{name}"
        if name not in wc.DEFAULT_STATUS_MAP:
            problems.append(f"statuses: {key!r} is not a Fast order status that maps to a WooCommerce status")
            continue
        slug = str(value).strip().lower()
        slug = slug.removeprefix("wc-")
        if not _WOO_STATUS.match(slug) or slug in {"checkout-draft", "trash", "pending"}:
            problems.append(f"statuses: {value!r} is not a WooCommerce order status Fast orders may take")
            continue
        mapping[name] = slug
    return mapping, problems


def _whole(value: Any, low: int, high: int | None = None) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and value >= low and (high is None or value <= high)


@dataclass
class WooOptions:
    payment_method: str = ""
    payment_method_title: str = "Fast"
    auth: str = "consumer_key"
    username: str | None = None
    api_root: str = "/wp-json"
    statuses: dict[str, str] = field(default_factory=lambda: dict(wc.DEFAULT_STATUS_MAP))
    send_expected_total: bool = True
    # WooCommerce 11.1+ refuses a checkout whose total is above expected_total; older shops ignore it,
    # so unless this is true the cart is read (one round trip) and its total compared before the checkout.
    shop_checks_expected_total: bool = False
    zones_cache_seconds: int = DEFAULT_ZONES_CACHE
    cart_token_pool: int = DEFAULT_TOKEN_POOL

    @classmethod
    def load(cls, store: StoreConfig) -> tuple[WooOptions, list[str]]:
        """The options (defaults where a value is unusable) and every problem with them, in reading order."""
        problems = _auth_problems(store)
        method = store.option("payment_method")
        if not isinstance(method, str) or not method.strip():
            problems.append(
                "payment_method is required: the id of the WooCommerce payment gateway"
                ' Fast orders are placed with, e.g. "cheque"'
            )
        title = store.option("payment_method_title", "Fast")
        if not isinstance(title, str) or not title.strip():
            problems.append("payment_method_title must be a non-empty string")
        zones_cache = store.option("zones_cache_seconds", DEFAULT_ZONES_CACHE)
        if not _whole(zones_cache, 0):
            problems.append("zones_cache_seconds must be a whole number of seconds")
        pool = store.option("cart_token_pool", DEFAULT_TOKEN_POOL)
        if not _whole(pool, 0, MAX_TOKEN_POOL):
            problems.append(f"cart_token_pool must be a whole number from 0 to {MAX_TOKEN_POOL}")
        checks_total = store.option("shop_checks_expected_total", False)
        if not isinstance(checks_total, bool):
            problems.append("shop_checks_expected_total must be true or false")
        statuses, status_problems = status_map(store.option("statuses"))
        problems.extend(status_problems)
        username = store.option("username")
        options = cls(
            payment_method=str(method or ""),
            payment_method_title=str(title or "Fast"),
            auth=str(store.option("auth", "consumer_key")),
            username=username if isinstance(username, str) and username else None,
            api_root="/" + str(store.option("api_root", "/wp-json")).strip("/"),
            statuses=statuses,
            send_expected_total=bool(store.option("send_expected_total", True)),
            shop_checks_expected_total=checks_total is True,
            # The adapter has always accepted any int >= 0 here (only check_config also refuses True/False).
            zones_cache_seconds=(
                zones_cache if isinstance(zones_cache, int) and zones_cache >= 0 else DEFAULT_ZONES_CACHE
            ),
            cart_token_pool=pool if _whole(pool, 0) else DEFAULT_TOKEN_POOL,
        )
        return options, problems


def _auth_problems(store: StoreConfig) -> list[str]:
    problems: list[str] = []
    mode = store.option("auth", "consumer_key")
    plain_http = (store.base_url or "").lower().startswith("http://")
    if mode == "consumer_key":
        for key in ("consumer_key", "consumer_secret"):
            if not store.secret(key):
                problems.append(f"environment variable {store.secret_env_name(key)} is not set")
        if plain_http:
            problems.append(
                "WooCommerce accepts REST consumer keys over plain http only with OAuth 1.0a,"
                ' which this service does not send; use https, or auth = "application_password"'
                " for a local development shop"
            )
    elif mode == "application_password":
        if not isinstance(store.option("username"), str) or not store.option("username"):
            problems.append('auth = "application_password" needs username = "<WordPress user>"')
        if not store.secret("application_password"):
            problems.append(f"environment variable {store.secret_env_name('application_password')} is not set")
    else:
        problems.append(f'auth must be "consumer_key" or "application_password", got {mode!r}')
    return problems


def rest_auth(store: StoreConfig, options: WooOptions) -> tuple[tuple[str, str] | None, str]:
    """The REST v3 credentials, or None and why none are sent; every secret is registered for redaction."""
    if options.auth == "application_password":
        user, secret = store.option("username"), store.secret("application_password")
    else:
        user, secret = store.secret("consumer_key"), store.secret("consumer_secret")
    register_secret(secret)
    register_secret(store.secret("consumer_key"))
    plain_http = (store.base_url or "").lower().startswith("http://")
    if options.auth != "application_password" and plain_http:
        # WooCommerce would refuse it anyway, and the key would have crossed the network in the clear.
        return None, "WooCommerce REST consumer keys are not sent over plain http"
    if user and secret:
        return (str(user), secret), ""
    return None, "the store has no WooCommerce REST credentials configured"
