"""The state store as the service uses it: which backend is chosen, what /readyz says, what
happens when the store is down, and what PostgreSQL keeps across instances and restarts."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from app import create_app
from service import auth as fast_auth
from service.config import SANDBOX_STORE, ConfigError, Settings, StoreConfig
from service.state import PostgresState, RedisState, SQLiteState, open_state
from tests import bodies as b

SHOP = StoreConfig(app_id="app-shop", name="shop", adapter="woocommerce", base_url="https://shop.example")


def post(app: Any, operation: str, body: dict[str, Any]) -> Any:
    return app.test_client().post(f"/fast/v1/{operation}", json=body, headers=fast_auth.sandbox_headers("sandbox"))


def line_ids(app: Any, cart_id: str) -> list[str]:
    read = post(app, "read", b.read(cart_id))
    assert read.status_code == 200, read.get_json()
    return [line["id"]["value"] for line in read.get_json()["order"]["order"]["lines"]]


def test_the_backend_is_chosen_database_url_first_then_redis_url_then_the_file(tmp_path: Any) -> None:
    base = Settings(state_path=str(tmp_path / "s.sqlite3"))
    both = replace(base, database_url="postgres://u@db.example:5432/d", redis_url="redis://127.0.0.1:1/0")
    assert isinstance(open_state(both), PostgresState)
    assert isinstance(open_state(replace(both, database_url="postgresql://u@db.example/d")), PostgresState)
    assert isinstance(open_state(replace(both, database_url=None)), RedisState)
    assert isinstance(open_state(base), SQLiteState)
    with pytest.raises(ConfigError, match="postgres:// or postgresql://"):
        open_state(replace(base, database_url="mysql://u@db.example/d"))


def test_the_pool_is_sized_to_gunicorns_threads() -> None:
    env = {"DATABASE_URL": "postgres://u@db.example/d"}
    assert Settings.from_env(env).database_pool_size == 32
    assert Settings.from_env({**env, "GUNICORN_THREADS": "8"}).database_pool_size == 8
    assert Settings.from_env({**env, "GUNICORN_THREADS": "8", "FAST_DATABASE_POOL_SIZE": "4"}).database_pool_size == 4
    store = open_state(Settings.from_env({**env, "GUNICORN_THREADS": "12"}))
    assert isinstance(store, PostgresState) and store.pool_size == 12


@pytest.mark.parametrize("backend", ["sqlite", "redis", "postgres"])
def test_readyz_names_the_backend_that_answers(backend: str, request: Any, tmp_path: Any) -> None:
    store = (
        SQLiteState(str(tmp_path / "s.sqlite3")) if backend == "sqlite" else request.getfixturevalue(f"{backend}_state")
    )
    app = create_app(Settings(state_path=str(tmp_path / "s.sqlite3")), stores={"sandbox": SANDBOX_STORE}, state=store)
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["state"] == {"backend": backend, "answers": True}


@pytest.mark.parametrize(
    "dead",
    [
        lambda: RedisState("redis://127.0.0.1:1/0"),
        lambda: PostgresState("postgresql://postgres@127.0.0.1:1/none", timeout=0.5, sweep_every=0),
    ],
    ids=["redis", "postgres"],
)
def test_an_unreachable_state_store_answers_503_not_500(dead: Any, tmp_path: Any, caplog: Any) -> None:
    store = dead()
    app = create_app(
        Settings(state_path=str(tmp_path / "unused.sqlite3")), stores={"sandbox": SANDBOX_STORE}, state=store
    )
    body = b.create("F-dead", [b.line("L1", 1, external_product_id="1001")], request_id="r-dead")
    response = post(app, "create", body)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert response.get_json()["code"] == 14
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["state"] == {"backend": store.backend, "answers": False}
    assert "127.0.0.1:1" not in caplog.text and "127.0.0.1:1" not in response.get_data(as_text=True)
    store.close()


def test_readyz_says_when_postgres_was_never_migrated(tmp_path: Any) -> None:
    from tests.conftest import fresh_postgres_database

    with fresh_postgres_database() as url:
        store = PostgresState(url, pool_size=2, sweep_every=0)
        app = create_app(
            Settings(state_path=str(tmp_path / "u.sqlite3")), stores={"sandbox": SANDBOX_STORE}, state=store
        )
        ready = app.test_client().get("/readyz").get_json()
        store.close()
    assert ready["state"] == {"backend": "postgres", "answers": False}
    assert any("flask fast migrate" in problem for problem in ready["problems"])


def _postgres_app(url: str, tmp_path: Any) -> Any:
    settings = Settings(state_path=str(tmp_path / "never-used.sqlite3"), database_url=url, database_pool_size=4)
    return create_app(settings, stores={"sandbox": SANDBOX_STORE})


def test_two_instances_on_one_postgres_share_replays_and_carts(postgres_state: Any, tmp_path: Any) -> None:
    one, two = _postgres_app(postgres_state.url, tmp_path), _postgres_app(postgres_state.url, tmp_path)
    assert one.extensions["fast.service"].state is not two.extensions["fast.service"].state
    create = b.create("F-shared", [b.line("L1", 1, external_product_id="1001")], request_id="r-shared-create")
    first = post(one, "create", create)
    assert first.status_code == 200
    cart_id = first.get_json()["order"]["order"]["external_id"]
    # Fast retries on the other instance: the stored answer, not a second cart.
    again = post(two, "create", create)
    assert again.get_data() == first.get_data()
    # The cart made on one is served by the other, and a change made there is seen back here.
    update = b.update(
        "F-shared", cart_id, request_id="r-shared-add", items=[b.item("L2", 1, external_product_id="5001")]
    )
    assert post(two, "update", update).status_code == 200
    assert line_ids(one, cart_id) == ["L1", "L2"]
    assert post(one, "update", update).status_code == 200  # a replay: the line is not added twice
    assert line_ids(two, cart_id) == ["L1", "L2"]
    # Fast's own order id finds the cart on either instance (the Fast-id map is shared too).
    by_fast_id = post(two, "read", b.read(fast_order_id="F-shared"))
    assert by_fast_id.get_json()["order"]["order"]["external_id"] == cart_id
    assert not (tmp_path / "never-used.sqlite3").exists()
    for app in (one, two):
        app.extensions["fast.service"].state.close()


def test_a_restart_on_postgres_loses_nothing(postgres_state: Any, tmp_path: Any) -> None:
    before = _postgres_app(postgres_state.url, tmp_path)
    create = b.create("F-restart", [b.line("L1", 2, external_product_id="1001")], request_id="r-restart")
    first = post(before, "create", create)
    cart_id = first.get_json()["order"]["order"]["external_id"]
    before.extensions["fast.service"].state.close()

    after = _postgres_app(postgres_state.url, tmp_path)  # a new process: nothing in memory survives
    assert post(after, "create", create).get_data() == first.get_data()
    assert line_ids(after, cart_id) == ["L1"]
    assert post(after, "read", b.read(fast_order_id="F-restart")).get_json()["order"]["order"]["external_id"] == cart_id
    after.extensions["fast.service"].state.close()


def test_on_heroku_real_stores_refuse_the_dynos_disk(tmp_path: Any) -> None:
    heroku = Settings(state_path=str(tmp_path / "s.sqlite3"), dyno="web.1")
    with pytest.raises(ConfigError) as refused:
        create_app(heroku, stores={"app-shop": SHOP})
    message = refused.value.problems[0]
    assert "shop" in message and "DATABASE_URL" in message and "FAST_ALLOW_EPHEMERAL_STATE=1" in message
    assert not (tmp_path / "s.sqlite3").exists()
    # The sandbox alone, an explicit override, or a shared store: it starts.
    create_app(heroku, stores={"sandbox": SANDBOX_STORE})
    create_app(replace(heroku, allow_ephemeral_state=True), stores={"app-shop": SHOP})
    create_app(replace(heroku, redis_url="redis://127.0.0.1:1/0"), stores={"app-shop": SHOP})
    create_app(replace(heroku, database_url="postgres://u@127.0.0.1:1/d"), stores={"app-shop": SHOP})
    # Off Heroku, the file is the documented default.
    create_app(replace(heroku, dyno=None), stores={"app-shop": SHOP})


def test_the_ephemeral_override_is_read_from_the_environment() -> None:
    assert Settings.from_env({"FAST_ALLOW_EPHEMERAL_STATE": "1"}).allow_ephemeral_state
    assert not Settings.from_env({}).allow_ephemeral_state


def test_the_state_stores_passwords_never_reach_a_log_line(tmp_path: Any) -> None:
    from service.logs import redact

    settings = Settings(
        state_path=str(tmp_path / "s.sqlite3"),
        database_url="postgres://fast:pg-Secret-1@db.example:5432/d",
        redis_url="redis://:redis-Secret-2@cache.example:6379/0",
    )
    open_state(settings)
    assert redact("failed: pg-Secret-1 and redis-Secret-2") == "failed: [REDACTED] and [REDACTED]"
