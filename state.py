"""The shared state store: a small key-value interface with expiry, two backends.

SQLite (one file, the default) is safe across the gunicorn workers of one
machine; Redis (``REDIS_URL``) is safe across dynos. The service keeps little
here: replay records, the Fast-id to shop-reference map, and the sandbox
shop's carts.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import sqlite3
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from typing import Any

from errors import FastError, UpstreamUnavailable
from logs import log_fields

log = logging.getLogger(__name__)


class LockTimeout(UpstreamUnavailable):
    """Another call holds the lock on this cart for too long."""

    public_message = "the cart is busy with another call"


class StateUnavailable(FastError):
    """The shared state store cannot be reached: answer 503 so Fast retries."""

    http_status = 503
    rpc_code = 14
    public_message = "the service's state store is unavailable"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, retry_after=2)


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a backend's connection failure into a clean 503, logged once without details."""

    @functools.wraps(method)
    def wrapper(self: StateStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except self.failures as exc:
            log.error("state store failure", extra=log_fields(backend=type(self).__name__, error=type(exc).__name__))
            raise StateUnavailable() from None

    return wrapper


class StateStore(ABC):
    """Strings under string keys, each with an optional time to live in seconds."""

    failures: tuple[type[BaseException], ...] = ()

    @abstractmethod
    def get(self, key: str) -> str | None: ...

    @abstractmethod
    def set(self, key: str, value: str, ttl: float | None = None) -> None: ...

    @abstractmethod
    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        """Set only if absent (atomic); True when this call set it."""

    @abstractmethod
    def delete(self, key: str, *, only_if: str | None = None) -> None:
        """Delete; with ``only_if``, only while the key still holds that value (atomic)."""

    @abstractmethod
    def ping(self) -> None: ...

    def get_json(self, key: str) -> Any:
        raw = self.get(key)
        return None if raw is None else json.loads(raw)

    def set_json(self, key: str, value: Any, ttl: float | None = None) -> None:
        self.set(key, json.dumps(value, separators=(",", ":"), sort_keys=True), ttl)

    @contextlib.contextmanager
    def lock(self, key: str, *, timeout: float = 10.0, ttl: float = 30.0) -> Iterator[None]:
        """A mutual-exclusion lock shared by every worker that shares this store."""
        token = uuid.uuid4().hex
        lock_key = f"lock:{key}"
        give_up = time.monotonic() + timeout
        delay = 0.002
        while not self.add(lock_key, token, ttl):
            if time.monotonic() >= give_up:
                raise LockTimeout(retry_after=1)
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
        try:
            yield
        finally:
            self.delete(lock_key, only_if=token)


class SQLiteState(StateStore):
    """One SQLite file in WAL mode; a connection per thread; expiry checked on read."""

    failures = (sqlite3.OperationalError, sqlite3.DatabaseError)

    def __init__(self, path: str) -> None:
        self.path = path
        if path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._local = threading.local()
        self._writes = 0
        with self._conn() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS kv ( key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at REAL)")

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=15, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=15000")
            self._local.conn = conn
        return conn

    @staticmethod
    def _expiry(ttl: float | None) -> float | None:
        return None if ttl is None else time.time() + ttl

    @_guarded
    def get(self, key: str) -> str | None:
        row = (
            self._conn()
            .execute(
                "SELECT value FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)",
                (key, time.time()),
            )
            .fetchone()
        )
        return None if row is None else row[0]

    @_guarded
    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        self._conn().execute(
            "INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value,"
            " expires_at = excluded.expires_at",
            (key, value, self._expiry(ttl)),
        )
        self._maybe_purge()

    @_guarded
    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        now = time.time()
        # One statement: insert, or take over a row whose time is up.
        cursor = self._conn().execute(
            "INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value,"
            " expires_at = excluded.expires_at"
            " WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= ?",
            (key, value, self._expiry(ttl), now),
        )
        return cursor.rowcount == 1

    @_guarded
    def delete(self, key: str, *, only_if: str | None = None) -> None:
        if only_if is None:
            self._conn().execute("DELETE FROM kv WHERE key = ?", (key,))
        else:
            self._conn().execute("DELETE FROM kv WHERE key = ? AND value = ?", (key, only_if))

    def ping(self) -> None:
        self._conn().execute("SELECT 1").fetchone()

    def _maybe_purge(self) -> None:
        self._writes += 1
        if self._writes % 500 == 0:
            self._conn().execute("DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?", (time.time(),))


class RedisState(StateStore):
    """Redis: atomic SET NX PX for claims and locks, a Lua compare-and-delete."""

    _DELETE_IF = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"

    def __init__(self, url: str, prefix: str = "fast:") -> None:
        import redis

        self.prefix = prefix
        self.client = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=5,
            socket_connect_timeout=3,
            health_check_interval=30,
        )
        self._delete_if = self.client.register_script(self._DELETE_IF)
        self.failures = (redis.RedisError,)

    @staticmethod
    def _px(ttl: float | None) -> int | None:
        return None if ttl is None else max(1, int(ttl * 1000))

    @_guarded
    def get(self, key: str) -> str | None:
        return self.client.get(self.prefix + key)

    @_guarded
    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        self.client.set(self.prefix + key, value, px=self._px(ttl))

    @_guarded
    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        return bool(self.client.set(self.prefix + key, value, px=self._px(ttl), nx=True))

    @_guarded
    def delete(self, key: str, *, only_if: str | None = None) -> None:
        if only_if is None:
            self.client.delete(self.prefix + key)
        else:
            self._delete_if(keys=[self.prefix + key], args=[only_if])

    def ping(self) -> None:
        self.client.ping()


def open_state(state_path: str, redis_url: str | None) -> StateStore:
    if redis_url:
        return RedisState(redis_url)
    return SQLiteState(state_path)
