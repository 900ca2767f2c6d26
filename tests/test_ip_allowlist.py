"""The optional source-address allow-list, and why X-Forwarded-For is believed only from trusted hops."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from flask import Flask

from app import create_app
from service import auth as fast_auth
from service.config import SANDBOX_STORE, ConfigError, Settings
from service.ip_allowlist import client_address, networks, parse_address
from service.state import SQLiteState
from tests import bodies as b
from tests import openapi

FAST_RANGE = "203.0.113.0/24"  # stands in for Fast's egress addresses
FAST_IP = "203.0.113.5"
STRANGER = "198.51.100.7"
ROUTER = "10.1.2.3"


def make_app(tmp_path: Any, **settings: Any) -> Flask:
    config = Settings(state_path=str(tmp_path / "state.sqlite3"), **settings)
    app = create_app(config, stores={"sandbox": SANDBOX_STORE}, state=SQLiteState(config.state_path))
    app.config["TESTING"] = True
    return app


def call(app: Flask, remote: str, forwarded: str | None = None, *, token: bool = True) -> Any:
    headers = fast_auth.sandbox_headers("sandbox") if token else {}
    if forwarded is not None:
        headers["X-Forwarded-For"] = forwarded
    response = app.test_client().post(
        "/fast/v1/read",
        json=b.read(external_id="no-such-cart"),
        headers=headers,
        environ_base={"REMOTE_ADDR": remote},
    )
    if response.status_code != 404:
        openapi.assert_valid("error", response.get_json())
    return response.status_code


# 404: allowed through (the sandbox has no such cart); 401: refused at the door.


def test_off_by_default_any_address_may_call(tmp_path: Any) -> None:
    app = make_app(tmp_path)
    assert call(app, STRANGER) == 404


def test_the_peer_address_is_checked_when_no_proxy_is_trusted(tmp_path: Any) -> None:
    app = make_app(tmp_path, allowed_source_ips=(FAST_RANGE,))
    assert call(app, FAST_IP) == 404
    assert call(app, STRANGER) == 401
    # A stranger cannot talk its way in with a forwarded-for header.
    assert call(app, STRANGER, FAST_IP) == 401


def test_behind_herokus_router_the_nearest_forwarded_entry_is_the_caller(tmp_path: Any) -> None:
    app = make_app(tmp_path, allowed_source_ips=(FAST_RANGE,), trusted_proxy_count=1)
    assert call(app, ROUTER, FAST_IP) == 404
    assert call(app, ROUTER, STRANGER) == 401
    # The router appends the real peer: a caller's own "I am Fast" entry is further left and ignored.
    assert call(app, ROUTER, f"{FAST_IP}, {STRANGER}") == 401
    assert call(app, ROUTER, f"{STRANGER}, {FAST_IP}") == 404
    # No header at all: the caller is the router itself, which is not Fast.
    assert call(app, ROUTER) == 401


def test_proxies_trusted_by_address(tmp_path: Any) -> None:
    app = make_app(tmp_path, allowed_source_ips=(FAST_RANGE,), trusted_proxies=("10.0.0.0/8",))
    assert call(app, "10.0.0.2", f"{STRANGER}, {FAST_IP}, 10.9.9.9") == 404
    assert call(app, "10.0.0.2", f"{FAST_IP}, {STRANGER}, 10.9.9.9") == 401
    # A peer outside the trusted range is the caller, whatever it forwards.
    assert call(app, "192.0.2.1", FAST_IP) == 401


@pytest.mark.parametrize("forwarded", ["garbage", "", " , ", "203.0.113.5.1", "unknown"])
def test_an_unreadable_forwarded_entry_is_refused(tmp_path: Any, forwarded: str) -> None:
    app = make_app(tmp_path, allowed_source_ips=(FAST_RANGE,), trusted_proxy_count=1)
    assert call(app, ROUTER, forwarded) == 401


def test_the_address_is_checked_before_the_token(tmp_path: Any) -> None:
    app = make_app(tmp_path, allowed_source_ips=(FAST_RANGE,))
    response = app.test_client().post(
        "/fast/v1/read", json={}, headers={"Authorization": "Bearer x.y.z"}, environ_base={"REMOTE_ADDR": STRANGER}
    )
    assert response.status_code == 401
    assert "address" in response.get_json()["message"]


def test_client_address_walks_only_trusted_hops() -> None:
    proxies = networks(("10.0.0.0/8",))
    assert str(client_address("10.0.0.1", "1.1.1.1, 2.2.2.2", proxies)) == "2.2.2.2"
    assert str(client_address("10.0.0.1", "1.1.1.1, 10.0.0.5", proxies)) == "1.1.1.1"
    assert str(client_address("9.9.9.9", "1.1.1.1", proxies)) == "9.9.9.9"
    assert str(client_address("10.0.0.1", "1.1.1.1, 2.2.2.2", (), 2)) == "1.1.1.1"
    # Every hop trusted: the leftmost entry is as far as anyone can see.
    assert str(client_address("10.0.0.1", "10.0.0.2", proxies)) == "10.0.0.2"
    assert client_address(None, None) is None


def test_a_huge_forwarded_header_costs_nothing() -> None:
    forwarded = ", ".join(["10.0.0.9"] * 10_000 + ["1.1.1.1"])
    assert str(client_address("10.0.0.1", forwarded, networks(("10.0.0.0/8",)))) == "1.1.1.1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.2.3.4", "1.2.3.4"),
        (" 1.2.3.4 ", "1.2.3.4"),
        ("1.2.3.4:5678", "1.2.3.4"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("::ffff:203.0.113.5", "203.0.113.5"),
        ("unknown", None),
        ("", None),
        ("[::1", None),
    ],
)
def test_parse_address(text: str, expected: str | None) -> None:
    parsed = parse_address(text)
    assert (str(parsed) if parsed else None) == expected
    if expected:
        assert parsed == ipaddress.ip_address(expected)


def test_settings_read_and_check_the_ranges() -> None:
    settings = Settings.from_env(
        {"FAST_ALLOWED_SOURCE_IPS": "203.0.113.0/24, 198.51.100.7", "FAST_TRUSTED_PROXY_COUNT": "1"}
    )
    assert settings.allowed_source_ips == ("203.0.113.0/24", "198.51.100.7/32")
    assert settings.trusted_proxy_count == 1
    with pytest.raises(ConfigError, match="FAST_ALLOWED_SOURCE_IPS"):
        Settings.from_env({"FAST_ALLOWED_SOURCE_IPS": "203.0.113.0/33"})
    with pytest.raises(ConfigError, match="FAST_TRUSTED_PROXIES"):
        Settings.from_env({"FAST_TRUSTED_PROXIES": "router"})
    with pytest.raises(ConfigError, match="FAST_TRUSTED_PROXY_COUNT"):
        Settings.from_env({"FAST_TRUSTED_PROXY_COUNT": "-1"})
