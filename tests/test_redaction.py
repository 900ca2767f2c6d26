"""Secrets never reach a log line, an error body or check-config's output."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import responses

from adapters.base import Adapter
from app import create_app
from mappings import model
from service import logs
from service.config import Settings, StoreConfig, load_stores
from service.errors import UpstreamUnavailable
from service.state import SQLiteState
from tests import bodies as b
from tests import openapi, spy, tokens

WOO_KEY = "ck_" + "4f1c" * 10
WOO_SECRET = "cs_" + "9a7e" * 10
SHOPIFY_TOKEN = "shpat_" + "0123456789abcdef" * 2
JWT = tokens.fast_token("app-a")


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every log line, formatted exactly as production formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JSONFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def line(stream: io.StringIO) -> dict[str, Any]:
    return json.loads(stream.getvalue().splitlines()[-1])


# --- the formatter --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        (f"Authorization: Bearer {JWT}", JWT),
        (f"token {JWT} rejected", JWT),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
        # urllib3's DEBUG line for a WooCommerce call authenticated by query string
        (
            f'https://shop.example:443 "GET /wp-json/wc/v3/orders/12?consumer_key={WOO_KEY}'
            f'&consumer_secret={WOO_SECRET} HTTP/1.1" 200 512',
            WOO_SECRET,
        ),
        (f"consumer_key={WOO_KEY}", WOO_KEY),
        (f"X-Shopify-Access-Token: {SHOPIFY_TOKEN}", SHOPIFY_TOKEN),
        (f"unexpected value {SHOPIFY_TOKEN} in reply", SHOPIFY_TOKEN),
        ("shared secret shpss_" + "ab12" * 8, "shpss_" + "ab12" * 8),
        ('{"client_secret": "s3cr3t-value", "ok": 1}', "s3cr3t-value"),
        ("password=hunter2-hunter2", "hunter2-hunter2"),
        ("redis://:p4ssw0rd-redis@redis.example:6379/0", "p4ssw0rd-redis"),
        ("https://admin:adm1n-pass@shop.example/wp-json", "adm1n-pass"),
        ("api_key: k-12345678", "k-12345678"),
    ],
)
def test_secret_shapes_are_redacted_in_messages(captured: io.StringIO, message: str, secret: str) -> None:
    logging.getLogger("test").info("upstream said %s", message)
    entry = line(captured)
    assert secret not in captured.getvalue()
    assert "[REDACTED]" in entry["msg"]


def test_harmless_text_is_left_alone(captured: io.StringIO) -> None:
    message = "cart cart-1 has 3 lines; tokens=2 status=200 total 54.02 USD"
    logging.getLogger("test").info(message)
    assert line(captured)["msg"] == message


def test_structured_fields_are_redacted_at_any_depth(captured: io.StringIO) -> None:
    logging.getLogger("test").info(
        "call",
        extra=logs.log_fields(
            request={"headers": {"Authorization": "anything at all", "Accept": "application/json"}},
            seen=[f"Bearer {JWT}", 3, None, {"token": 12345678, "note": "ok"}],
            consumer_secret=WOO_SECRET,
            url=f"https://shop.example/orders?consumer_secret={WOO_SECRET}",
            status=200,
        ),
    )
    entry = line(captured)
    text = captured.getvalue()
    assert JWT not in text and WOO_SECRET not in text and "anything at all" not in text
    assert entry["request"]["headers"]["Accept"] == "application/json"
    assert entry["seen"][1:3] == [3, None]
    assert entry["seen"][3]["note"] == "ok"
    assert entry["status"] == 200


def test_a_registered_secret_of_any_shape_is_redacted(captured: io.StringIO) -> None:
    odd = "plain-words-secret-42"
    logs.register_secret(odd)
    logging.getLogger("test").warning("the shop said: %s", f"bad key {odd}!", extra=logs.log_fields(key=odd))
    assert odd not in captured.getvalue()


def test_exceptions_are_logged_by_type_only(captured: io.StringIO) -> None:
    try:
        raise ValueError(f"boom with {WOO_SECRET}")
    except ValueError:
        logging.getLogger("test").exception("failed")
    entry = line(captured)
    assert entry["exc_type"] == "ValueError"
    assert WOO_SECRET not in captured.getvalue()


# --- store secrets --------------------------------------------------------------------


def test_every_store_secret_is_registered_when_the_stores_are_loaded(tmp_path: Any, captured: io.StringIO) -> None:
    stores_file = tmp_path / "stores.toml"
    stores_file.write_text(
        '[stores."app-w"]\nname = "woo_shop"\nadapter = "woocommerce"\nbase_url = "https://w.example"\n'
    )
    env = {"FAST_STORE_WOO_SHOP_CONSUMER_SECRET": "zz-unguessable-shape-1", "OTHER": "not-a-secret-value"}
    load_stores(str(stores_file), env)
    logging.getLogger("test").info("values: zz-unguessable-shape-1 not-a-secret-value")
    assert "zz-unguessable-shape-1" not in captured.getvalue()
    assert "not-a-secret-value" in captured.getvalue()


def test_a_secret_read_through_the_store_is_registered(captured: io.StringIO) -> None:
    store = StoreConfig("app-x", "shop_x", "spy", env={"FAST_STORE_SHOP_X_TOKEN": "qq-read-at-runtime-9"})
    assert store.secret("token") == "qq-read-at-runtime-9"
    logging.getLogger("test").info("using qq-read-at-runtime-9")
    assert "qq-read-at-runtime-9" not in captured.getvalue()


def test_settings_never_show_secrets_in_a_repr() -> None:
    settings = Settings.from_env({"FAST_STORE_ACME_TOKEN": "rr-settings-secret-1"})
    assert "rr-settings-secret-1" not in repr(settings)


# --- error bodies and crashes ---------------------------------------------------------


class LeakyAdapter(Adapter):
    """A shop adapter with a bug: its exceptions carry the shop's credentials."""

    name = "leaky"
    needs_base_url = False

    def _fail(self) -> Any:
        token = self.store.secret("token")
        if self.store.option("mode") == "crash":
            raise RuntimeError(f"connection to https://x:{token}@shop failed with Authorization: {token}")
        raise UpstreamUnavailable("the shop is unavailable")

    def create(self, order: model.Order) -> model.Order:
        return self._fail()

    def read(self, ref: model.OrderRef) -> model.Order:
        return self._fail()

    def update(self, ref: model.OrderRef, update: model.OrderUpdate) -> model.UpdateResult:
        return self._fail()

    def delete(self, ref: model.OrderRef) -> None:
        self._fail()

    def shipping_zones(self) -> list[model.ShippingZone]:
        return self._fail()


@pytest.mark.parametrize(("mode", "status"), [("crash", 500), ("down", 503)])
def test_a_failing_adapter_leaks_no_secret_in_body_or_logs(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, captured: io.StringIO, mode: str, status: int
) -> None:
    import adapters

    monkeypatch.setitem(adapters.REGISTRY, "leaky", "tests.test_redaction:LeakyAdapter")
    secret = f"tt-leaky-{mode}-credential"
    store = StoreConfig(
        "app-l", "leaky_shop", "leaky", options={"mode": mode}, env={"FAST_STORE_LEAKY_SHOP_TOKEN": secret}
    )
    settings = Settings(state_path=str(tmp_path / "s.sqlite3"))
    app = create_app(settings, stores={"app-l": store}, state=SQLiteState(settings.state_path))
    token = tokens.fast_token("app-l")
    body = b.read(external_id="c-1")
    body["app_id"] = "app-l"
    response = app.test_client().post("/fast/v1/read", json=body, headers=tokens.bearer(token))
    assert response.status_code == status
    openapi.assert_valid("error", response.get_json())
    for text in (response.get_data(as_text=True), captured.getvalue()):
        assert secret not in text
        assert token not in text
        assert "Traceback" not in text


def test_an_upstream_auth_failure_reports_no_credentials(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, captured: io.StringIO
) -> None:
    spy.register(monkeypatch)
    store = spy.spy_store("app-a", "shop_a", "a.shop.example")
    settings = Settings(state_path=str(tmp_path / "s.sqlite3"))
    app = create_app(settings, stores={"app-a": store}, state=SQLiteState(settings.state_path))
    body = b.read(external_id="c-1")
    body["app_id"] = "app-a"
    secret = store.secret("token")
    assert secret
    with responses.RequestsMock() as mock:
        mock.get("https://a.shop.example/api/carts/c-1", status=401, json={"error": f"bad token {secret}"})
        response = app.test_client().post("/fast/v1/read", json=body, headers=tokens.bearer(tokens.fast_token("app-a")))
    assert response.status_code == 503
    assert secret not in response.get_data(as_text=True)
    assert secret not in captured.getvalue()


# --- check-config ------------------------------------------------------------------------


def test_check_config_never_prints_a_secret(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    spy.register(monkeypatch)
    stores_file = tmp_path / "stores.toml"
    stores_file.write_text(
        '[stores."app-a"]\nname = "shop_a"\nadapter = "spy"\n'
        'base_url = "https://admin:url-pass-123@a.shop.example/api?consumer_secret=cs_url_secret_999"\n'
        '[stores."app-b"]\nname = "shop_b"\nadapter = "spy"\nbase_url = "https://b.shop.example/api"\n'
    )
    monkeypatch.setenv("FAST_STORES_FILE", str(stores_file))
    monkeypatch.setenv("FAST_STORE_SHOP_A_TOKEN", "env-secret-a-123456")
    monkeypatch.setenv("FAST_STATE_PATH", str(tmp_path / "s.sqlite3"))
    monkeypatch.delenv("FAST_STORE_SHOP_B_TOKEN", raising=False)
    settings = Settings(state_path=str(tmp_path / "s.sqlite3"))
    app = create_app(settings, stores={}, state=SQLiteState(settings.state_path))
    result = app.test_cli_runner().invoke(args=["fast", "check-config"])
    output = result.output  # Click 8.2+: stdout and stderr as the terminal shows them
    assert "FAST_STORE_SHOP_B_TOKEN is not set" in output  # the problem is named...
    for secret in ("env-secret-a-123456", "url-pass-123", "cs_url_secret_999"):
        assert secret not in output  # ...no secret is shown
    assert "https://a.shop.example/api" in output
    assert "base_url must not carry credentials" in output
