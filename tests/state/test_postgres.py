"""What only the PostgreSQL backend does: its versioned schema, its sweep of expired rows, its pool."""

from __future__ import annotations

import time
from pathlib import Path
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


def test_flask_fast_migrate_is_the_release_step(monkeypatch: Any, tmp_path: Any) -> None:
    from app import create_app
    from service.config import SANDBOX_STORE, Settings

    procfile = (Path(__file__).resolve().parents[2] / "Procfile").read_text()
    assert "release: flask fast migrate && flask fast check-config" in procfile
    with fresh_postgres_database() as url:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("FAST_STATE_PATH", str(tmp_path / "unused.sqlite3"))
        runner = create_app(Settings.from_env(), stores={"sandbox": SANDBOX_STORE}).test_cli_runner()
        first = runner.invoke(args=["fast", "migrate"])
        assert first.exit_code == 0, first.output
        assert "applied 1: the key-value table with expiry" in first.output
        again = runner.invoke(args=["fast", "migrate"])
        assert again.exit_code == 0 and "applied" not in again.output
        assert "postgres, schema up to date" in again.output
    # A server that does not answer: a one-line error and exit 1, no traceback, no connection details.
    monkeypatch.setenv("DATABASE_URL", "postgresql://someone:hunter2@127.0.0.1:1/none")
    failed = runner.invoke(args=["fast", "migrate"])
    assert failed.exit_code == 1
    assert "cannot migrate the postgres state store" in failed.output
    assert "hunter2" not in failed.output and "Traceback" not in failed.output


def test_sessions_neither_wait_for_the_wal_flush_nor_hang_on_a_lock(postgres_state: PostgresState) -> None:
    settings = _rows(postgres_state, "SELECT current_setting('synchronous_commit'), current_setting('lock_timeout')")
    assert settings == [("off", "5s")]
