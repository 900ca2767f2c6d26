"""The one parse of a store's options (adapters/options.py), as check-config and the service see it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from adapters.options import StoreOptions, option
from adapters.sandbox.adapter import SandboxAdapter
from service.config import Settings, StoreConfig
from service.errors import StoreMisconfigured


@dataclass(frozen=True, kw_only=True)
class ShopOptions(StoreOptions):
    payment_method: str = option(required=True, help='the gateway id, e.g. "cheque"')
    auth: str = option("consumer_key", choices=("consumer_key", "application_password"))
    zones_cache_seconds: int = option(600, minimum=0)
    send_expected_total: bool = True
    ratio: float = 1.5
    statuses: dict[str, str] = option(default_factory=dict)
    tags: list[str] = option(default_factory=list)
    username: str | None = None

    def check(self) -> list[str]:
        if self.auth == "application_password" and not self.username:
            return ['auth = "application_password" needs username']
        return []


def store(**options: Any) -> StoreConfig:
    return StoreConfig("app-1", "acme", "shop", "https://shop.test", options)


def load(**options: Any) -> tuple[ShopOptions | None, list[str]]:
    return ShopOptions.load(store(**options), secrets=["consumer_secret"])


def test_good_options_are_parsed_with_defaults() -> None:
    options, problems = load(payment_method="cheque", ratio=2, statuses={"paid": "processing"}, tags=["a"])
    assert problems == []
    assert options == ShopOptions(
        payment_method="cheque", ratio=2, statuses={"paid": "processing"}, tags=["a"], zones_cache_seconds=600
    )


def test_an_unknown_key_suggests_the_one_meant() -> None:
    _, problems = load(payment_method="cheque", zones_cache_secs=60)
    assert problems == ["store 'acme' (app-1): unknown option 'zones_cache_secs'; did you mean 'zones_cache_seconds'?"]


def test_an_unknown_key_with_nothing_close_lists_the_known_ones() -> None:
    _, problems = load(payment_method="cheque", colour="red")
    assert "unknown option 'colour'; known options: auth, payment_method" in problems[0]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("send_expected_total", "yes", "send_expected_total must be true or false, got 'yes'"),
        ("zones_cache_seconds", True, "zones_cache_seconds must be a whole number, got True"),
        ("zones_cache_seconds", 1.5, "zones_cache_seconds must be a whole number, got 1.5"),
        ("zones_cache_seconds", -1, "zones_cache_seconds must be at least 0, got -1"),
        ("ratio", False, "ratio must be a number, got False"),
        ("auth", "oauth", "auth must be one of consumer_key, application_password, got 'oauth'"),
        ("statuses", {"paid": 3}, "statuses must be a table of strings, got {'paid': 3}"),
        ("tags", "a,b", "tags must be a list of strings, got 'a,b'"),
        ("username", 5, "username must be a string, got 5"),
    ],
)
def test_values_are_type_checked(key: str, value: Any, expected: str) -> None:
    options, problems = load(payment_method="cheque", **{key: value})
    assert options is None
    assert problems == [f"store 'acme' (app-1): {expected}"]


def test_a_secret_in_the_stores_file_is_refused_with_its_environment_variable() -> None:
    _, problems = load(payment_method="cheque", consumer_secret="cs_live_abc", api_token="t0k3n")
    assert problems == [
        "store 'acme' (app-1): consumer_secret is a secret and must not be written in the stores file;"
        " remove it and set the environment variable FAST_STORE_ACME_CONSUMER_SECRET",
        "store 'acme' (app-1): api_token is a secret and must not be written in the stores file;"
        " remove it and set the environment variable FAST_STORE_ACME_API_TOKEN",
    ]
    assert "cs_live_abc" not in " ".join(problems)


def test_every_problem_is_reported_at_once() -> None:
    _, problems = load(send_expected_total="yes", zones_cache_secs=1, consumer_secret="x", auth="oauth")
    assert len(problems) == 5  # the four keys and the missing payment_method
    assert problems[-1] == 'store \'acme\' (app-1): payment_method is required: the gateway id, e.g. "cheque"'


def test_rules_across_keys_run_once_each_value_is_right() -> None:
    _, problems = load(payment_method="cheque", auth="application_password")
    assert problems == ['store \'acme\' (app-1): auth = "application_password" needs username']
    assert load(payment_method="cheque", auth="application_password", username="shop")[1] == []


def test_from_store_raises_for_a_broken_store_without_telling_the_caller_why() -> None:
    with pytest.raises(StoreMisconfigured) as caught:
        ShopOptions.from_store(store(send_expected_total="yes"))
    assert caught.value.http_status == 503
    assert "send_expected_total" not in caught.value.message
    assert any("send_expected_total" in p for p in caught.value.problems)


def test_the_sandbox_takes_no_options() -> None:
    sandbox = StoreConfig("sandbox", "sandbox", "sandbox", options={"catalogue": "x.toml"})
    problems = SandboxAdapter.check_config(sandbox, Settings())
    assert problems == ["store 'sandbox' (sandbox): unknown option 'catalogue'; known options: (none)"]
    assert SandboxAdapter.check_config(StoreConfig("sandbox", "sandbox", "sandbox"), Settings()) == []
