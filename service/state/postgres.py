"""The PostgreSQL backend (``DATABASE_URL``): durable and shared by every dyno.

One table, ``fast_state`` (key, value, expires_at), created by ``flask fast migrate``
(migrations.py). Expiry is judged by the database's clock, never a dyno's, so dynos
whose clocks disagree still agree on what has expired. A row whose time is up is
never returned and is taken over by ``add``; a background thread of each process
deletes such rows once a minute, off every Fast call's path.

Connections come from a psycopg pool sized to gunicorn's threads (one per call in
flight), each checked before use, so a connection the server dropped (a restart, a
failover) is replaced instead of failing a call.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import weakref
from typing import Any

from service.config import TIMEOUTS
from service.logs import log_fields
from service.state import migrations
from service.state.base import StateStore, StateUnavailable, guarded

log = logging.getLogger("service.state")

# Statements in full (no string building). The expiry, now() + ttl seconds, is NULL (never) for no ttl.
_GET = "SELECT value FROM fast_state WHERE key = %s AND (expires_at IS NULL OR expires_at > now())"
_SET = (
    "INSERT INTO fast_state (key, value, expires_at) VALUES (%s, %s, now() + %s::float8 * interval '1 second')"
    " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at"
)
# Insert, or take over a row whose time is up. A concurrent add of the same key waits on the
# row's lock, then sees the winner's row, live: it updates nothing.
_ADD = _SET + " WHERE fast_state.expires_at IS NOT NULL AND fast_state.expires_at <= now()"


class SchemaOutdated(StateUnavailable):
    public_message = "the service's state store has not been migrated"


class PostgresState(StateStore):
    backend = "postgres"
    SWEEP_EVERY = 60.0
    SWEEP_BATCH = 5000

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 32,
        timeout: float = TIMEOUTS.postgres_pool_wait,
        sweep_every: float | None = None,
    ) -> None:
        import psycopg

        self.url = url
        self.pool_size = pool_size
        self.timeout = timeout  # how long a call waits for a free connection
        self.sweep_every = self.SWEEP_EVERY if sweep_every is None else sweep_every
        self.failures = (psycopg.Error,)  # the pool's PoolTimeout is one
        self._guard = threading.Lock()
        self._pool: Any = None
        self._pid: int | None = None
        self._inherited: list[Any] = []
        self._closed = False

    def _connection(self) -> Any:
        """A pooled connection of this process (a forked worker opens its own pool)."""
        if self._pool is None or self._pid != os.getpid():
            with self._guard:
                if self._pool is None or self._pid != os.getpid():
                    self._open_pool()
        return self._pool.connection()

    def _open_pool(self) -> None:
        from psycopg_pool import ConnectionPool

        if self._pool is not None:
            # The parent's connections: closing them here would close the parent's sessions too.
            self._inherited.append(self._pool)
        self._pool = ConnectionPool(
            self.url,
            min_size=1,
            max_size=self.pool_size,
            open=False,
            timeout=self.timeout,
            check=ConnectionPool.check_connection,
            name="fast-state",
            kwargs={
                "autocommit": True,
                "connect_timeout": TIMEOUTS.postgres_connect,
                "application_name": "fast-seller-proxy",
                # A statement stuck behind a lock fails the call (503, Fast retries) instead of hanging it.
                # A commit does not wait for its WAL flush (9 ms of a 10 ms write here): a crash of the
                # database server, not of a dyno, may lose the last ~0.6 s of writes, never corrupts.
                # The same bargain as SQLite's synchronous=NORMAL; a failover to Heroku's (asynchronous)
                # standby risks as much anyway.
                "options": f"-c statement_timeout={_ms(TIMEOUTS.postgres_statement)}"
                f" -c lock_timeout={_ms(TIMEOUTS.postgres_statement)} -c synchronous_commit=off",
            },
        )
        self._pool.open(wait=False)
        self._pid = os.getpid()
        if self.sweep_every > 0:
            threading.Thread(
                target=_sweep_forever, args=(weakref.ref(self),), name="postgres-state-sweep", daemon=True
            ).start()

    @guarded
    def get(self, key: str) -> str | None:
        with self._connection() as conn:
            row = conn.execute(_GET, (key,)).fetchone()
        return None if row is None else row[0]

    @guarded
    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        with self._connection() as conn:
            conn.execute(_SET, (key, value, ttl))

    @guarded
    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        with self._connection() as conn:
            return conn.execute(_ADD, (key, value, ttl)).rowcount == 1

    @guarded
    def delete(self, key: str, *, only_if: str | None = None) -> None:
        with self._connection() as conn:
            if only_if is None:
                conn.execute("DELETE FROM fast_state WHERE key = %s", (key,))
            else:
                conn.execute("DELETE FROM fast_state WHERE key = %s AND value = %s", (key, only_if))

    def ping(self) -> None:
        with self._connection() as conn:
            version = migrations.current_version(conn)
        if version < migrations.SCHEMA_VERSION:
            raise SchemaOutdated(
                f"schema version {version}, this release needs {migrations.SCHEMA_VERSION}: run `flask fast migrate`"
            )

    def migrate(self) -> list[str]:
        with self._connection() as conn:
            return migrations.migrate(conn)

    def sweep(self) -> int:
        """Delete expired rows, a batch at a time; return how many."""
        deleted = 0
        while True:
            with self._connection() as conn:
                cursor = conn.execute(
                    "DELETE FROM fast_state WHERE key IN (SELECT key FROM fast_state"
                    " WHERE expires_at <= now() LIMIT %s FOR UPDATE SKIP LOCKED)",
                    (self.SWEEP_BATCH,),
                )
            deleted += cursor.rowcount
            if cursor.rowcount < self.SWEEP_BATCH:
                return deleted

    def close(self) -> None:
        self._closed = True
        with self._guard:
            if self._pool is not None and self._pid == os.getpid():
                self._pool.close()
            self._pool = None


def _sweep_forever(ref: weakref.ref[PostgresState]) -> None:
    """The cleanup: every minute or so (jittered, so dynos spread out), off the calls' path."""
    import psycopg

    while True:
        store = ref()
        if store is None or store._closed:
            return
        every = store.sweep_every
        del store
        time.sleep(every * random.uniform(0.8, 1.2))
        store = ref()
        if store is None or store._closed:
            return
        try:
            deleted = store.sweep()
            if deleted:
                log.debug("swept expired state", extra=log_fields(rows=deleted))
        except psycopg.Error as exc:
            log.warning("state sweep failed", extra=log_fields(backend="postgres", error=type(exc).__name__))
        del store


def _ms(seconds: float) -> int:
    return int(seconds * 1000)
