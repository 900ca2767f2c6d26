from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from config import SANDBOX_STORE, Settings
from state import SQLiteState
from tests import openapi


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
    """Calls Fast's endpoints the way Fast does and checks every answer against the OpenAPI file."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def call(self, operation: str, body: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> Any:
        response = self.client.post(f"/fast/v1/{operation}", json=body, headers=headers or {})
        payload = response.get_json(silent=True)
        assert response.status_code == status, (response.status_code, payload)
        openapi.assert_valid(operation if status == 200 else "error", payload)
        return payload

    def raw(self, operation: str, data: bytes | str, content_type: str = "application/json") -> Any:
        return self.client.post(f"/fast/v1/{operation}", data=data, content_type=content_type)


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

    from state import RedisState

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
