from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from service import auth as fast_auth
from service.config import DEFAULT_FAST_JWKS_URL, SANDBOX_STORE, Settings
from service.state import SQLiteState
from tests import openapi, postgres_db, tokens


@pytest.fixture(scope="session")
def fast_jwks() -> Iterator[tokens.JWKSServer]:
    """A stand-in for Fast's JWKS endpoint, serving the test key ``tokens.FAST_KID``."""
    server = tokens.JWKSServer()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _fast_keys(fast_jwks: tokens.JWKSServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # Whatever Settings a test builds, Fast's default JWKS URL resolves to the test server, never the internet.
    monkeypatch.setattr(fast_auth, "_clients", {})
    fast_auth._clients[DEFAULT_FAST_JWKS_URL] = fast_auth.FastKeys(fast_jwks.url, lifespan=3600)


FAKE_WOOCOMMERCE = "tests.fakes.woocommerce"


def _uses_fake_woocommerce(module: Any) -> bool:
    if module is None or module.__name__ == "tests.fakes.test_woocommerce_fidelity":
        return False
    return any(
        str(getattr(value, "__module__", "")).startswith(FAKE_WOOCOMMERCE + ".") for value in vars(module).values()
    )


@pytest.fixture(scope="session")
def _fake_woocommerce_is_faithful() -> None:
    """Replays the real shop's recordings once per session (per xdist worker) against the fake WooCommerce."""
    from tests.fakes import woocommerce_fidelity

    problems = woocommerce_fidelity.disagreements(woocommerce_fidelity.replay())
    if problems:
        shown = "\n  ".join(problems[:15])
        pytest.fail(
            f"the fake WooCommerce no longer answers like the real 9.9.5 shop ({len(problems)} differences), so "
            "no test that runs against it can be trusted; fix tests/fakes/woocommerce/ until "
            f"tests/fakes/test_woocommerce_fidelity.py passes:\n  {shown}",
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _fake_woocommerce_checked(request: pytest.FixtureRequest) -> None:
    # A test that runs against the fake WooCommerce counts only if the fake still answers like the real shop.
    if _uses_fake_woocommerce(request.module):
        request.getfixturevalue("_fake_woocommerce_is_faithful")


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return Settings(state_path=str(tmp_path / "state.sqlite3"))


@pytest.fixture
def state(settings: Settings) -> SQLiteState:
    return SQLiteState(settings.state_path)


@pytest.fixture
def app(settings: Settings, state: SQLiteState) -> Flask:
    application = create_app(settings, stores={"sandbox": SANDBOX_STORE}, state=state)
    application.config["TESTING"] = True
    # The sandbox's expired coupon and dated rules are judged against a fixed day.
    adapter = application.extensions["fast.service"].adapter("sandbox")
    adapter.today = lambda: dt.date(2026, 11, 23)
    return application


class FastClient:
    """Calls Fast's endpoints the way Fast does and checks every answer against the OpenAPI file.

    Every call is signed for the store it names (the body's ``app_id``, else the
    only store, else ``sandbox``): with the sandbox key for sandbox stores, with
    the test stand-in for Fast's key otherwise. ``auth=False`` sends no token;
    an ``Authorization`` in ``headers`` is sent as given.
    """

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self._tokens: dict[str, str] = {}

    def token(self, app_id: str) -> str:
        if app_id not in self._tokens:
            store = self.client.application.extensions["fast.stores"].get(app_id)
            if store is None or store.adapter == fast_auth.SANDBOX_ADAPTER:
                self._tokens[app_id] = fast_auth.sandbox_token(app_id)
            else:
                self._tokens[app_id] = tokens.fast_token(app_id)
        return self._tokens[app_id]

    def headers_for(self, body: Any, headers: dict[str, str] | None, auth: bool) -> dict[str, str]:
        headers = dict(headers or {})
        if auth and not any(key.lower() == "authorization" for key in headers):
            headers["Authorization"] = f"Bearer {self.token(self._app_id(body))}"
        return headers

    def _app_id(self, body: Any) -> str:
        if isinstance(body, dict) and isinstance(body.get("app_id"), str) and body["app_id"]:
            return body["app_id"]
        stores = self.client.application.extensions["fast.stores"]
        return next(iter(stores)) if len(stores) == 1 else "sandbox"

    def call(
        self,
        operation: str,
        body: Any,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        auth: bool = True,
    ) -> Any:
        response = self.client.post(f"/fast/v1/{operation}", json=body, headers=self.headers_for(body, headers, auth))
        payload = response.get_json(silent=True)
        assert response.status_code == status, (response.status_code, payload)
        openapi.assert_valid(operation if status == 200 else "error", payload)
        return payload

    def raw(
        self,
        operation: str,
        data: bytes | str,
        content_type: str = "application/json",
        *,
        headers: dict[str, str] | None = None,
        auth: bool = True,
        app_id: str | None = None,
    ) -> Any:
        body = {"app_id": app_id} if app_id else None
        return self.client.post(
            f"/fast/v1/{operation}",
            data=data,
            content_type=content_type,
            headers=self.headers_for(body, headers, auth),
        )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def fast(client: FlaskClient) -> FastClient:
    return FastClient(client)


def redis_url() -> str:
    return os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_state() -> Any:
    """A RedisState on a real server, under a key prefix of its own; skipped outside CI without one."""
    import uuid

    import redis

    from service.state import RedisState

    url = redis_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Redis tests, but no Redis answers at {url}: {exc}")
        pytest.skip(f"no Redis server at {url} (set REDIS_TEST_URL); CI runs these tests")
    store = RedisState(url, prefix=f"test:{uuid.uuid4().hex}:")
    yield store
    for key in store.client.scan_iter(f"{store.prefix}*"):
        store.client.delete(key)


def postgres_admin_url() -> str:
    return postgres_db.admin_url()


@contextlib.contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty database on the test server (its URL), dropped afterwards; skipped outside CI without one."""
    import psycopg

    url = postgres_db.admin_url()
    try:
        psycopg.connect(url, autocommit=True, connect_timeout=2).close()
    except psycopg.Error as exc:
        server_unavailable("PostgreSQL server (set POSTGRES_TEST_URL)", url, exc)
    with postgres_db.fresh_database() as database:
        yield database


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """This test run's PostgreSQL database (one per xdist worker), migrated once, dropped at the end."""
    from service.state import PostgresState

    with fresh_postgres_database() as url:
        store = PostgresState(url, pool_size=2, sweep_every=0)
        store.migrate()
        store.close()
        yield url


@pytest.fixture
def postgres_state(postgres_url: str) -> Iterator[Any]:
    """A PostgresState on this run's database, emptied first."""
    from service.state import PostgresState

    store = PostgresState(postgres_url, pool_size=8)
    with store._connection() as conn:
        conn.execute("TRUNCATE fast_state")
    yield store
    store.close()


# --- the skip policy -------------------------------------------------------------------
# Outside CI a test may skip only because a server it needs (Redis, PostgreSQL) does not
# answer, and says so. In CI (CI=true) every skip is a failure: a green CI run ran everything.


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def server_unavailable(what: str, url: str, exc: BaseException) -> None:
    """Skip (outside CI) because ``what`` does not answer at ``url``; in CI the skip fails the test."""
    pytest.skip(f"no {what} answers at {url} ({type(exc).__name__}); CI runs these tests")


def _fail_skip_in_ci(report: pytest.TestReport | pytest.CollectReport) -> None:
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where nothing may skip: {reason}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    _fail_skip_in_ci(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Any:
    report = yield
    _fail_skip_in_ci(report)
    return report
