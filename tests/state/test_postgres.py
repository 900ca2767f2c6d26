"""What only the PostgreSQL backend does: its versioned schema, its sweep of expired rows, its pool."""

from __future__ import annotations

import time
from typing import Any

from service.state import PostgresState, migrations
from tests.conftest import fresh_postgres_database


def _rows(store: PostgresState, sql: str) -> list[tuple[Any, ...]]:
    with store._connection() as conn:
        return conn.execute(sql).fetchall()


def test_migrate_creates_the_schema_once_and_records_its_version() -> None:
    with fresh_postgres_database() as url:
        store = PostgresState(url, pool_size=2, sweep_every=0)
        try:
            assert store.migrate() == ["1: the key-value table with expiry"]
            assert store.migrate() == []  # idempotent: the release step runs it on every deploy
            assert _rows(store, "SELECT version FROM fast_schema_version") == [(migrations.SCHEMA_VERSION,)]
            store.ping()
            store.set("k", "v")
            assert store.get("k") == "v"
        finally:
            store.close()


def test_a_later_step_is_applied_to_a_database_at_an_earlier_version(monkeypatch: Any) -> None:
    with fresh_postgres_database() as url:
        store = PostgresState(url, pool_size=2, sweep_every=0)
        try:
            store.migrate()
            store.set("kept", "across the migration")
            step = (2, "a test column", ("ALTER TABLE fast_state ADD COLUMN note text",))
            monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, step))
            assert store.migrate() == ["2: a test column"]
            assert store.migrate() == []
            assert _rows(store, "SELECT version FROM fast_schema_version ORDER BY version") == [(1,), (2,)]
            assert store.get("kept") == "across the migration"
        finally:
            store.close()


def test_two_releases_migrating_at_once_apply_each_step_once() -> None:
    import threading

    with fresh_postgres_database() as url:
        stores = [PostgresState(url, pool_size=1, sweep_every=0) for _ in range(4)]
        results: list[list[str]] = []
        threads = [threading.Thread(target=lambda s=s: results.append(s.migrate())) for s in stores]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for s in stores:
            s.close()
    assert sorted(len(r) for r in results) == [0, 0, 0, 1]


def test_the_sweep_deletes_expired_rows_only(postgres_state: PostgresState) -> None:
    postgres_state.set("gone", "x", ttl=0.05)
    postgres_state.add("gone-claim", "x", ttl=0.05)
    postgres_state.set("live", "x", ttl=60)
    postgres_state.set("forever", "x")
    time.sleep(0.1)
    assert postgres_state.sweep() == 2
    assert sorted(r[0] for r in _rows(postgres_state, "SELECT key FROM fast_state")) == ["forever", "live"]


def test_the_sweep_runs_by_itself_in_the_background(postgres_url: str) -> None:
    store = PostgresState(postgres_url, pool_size=2, sweep_every=0.1)
    try:
        store.set("sweep-me", "x", ttl=0.01)
        deadline = time.monotonic() + 5
        while _rows(store, "SELECT key FROM fast_state WHERE key = 'sweep-me'") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _rows(store, "SELECT key FROM fast_state WHERE key = 'sweep-me'") == []
    finally:
        store.close()


def test_connections_the_server_dropped_are_replaced_without_failing_a_call(postgres_state: PostgresState) -> None:
    """A database restart or failover drops every pooled connection; the next call must not be the one to fail."""
    import psycopg

    from tests.conftest import postgres_admin_url

    postgres_state.set("k", "v")
    with postgres_state._connection() as conn:
        database = conn.info.dbname
    with psycopg.connect(postgres_admin_url(), autocommit=True) as admin:
        dropped = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s", (database,)
        ).fetchone()[0]
    assert dropped >= 1
    assert postgres_state.get("k") == "v"
    postgres_state.set("k", "v2")
    assert postgres_state.get("k") == "v2"
