"""The SQLite backend: one file, safe across the gunicorn workers of one machine (not across dynos)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator

from service.config import TIMEOUTS
from service.logs import log_fields
from service.state.base import StateStore, guarded, log


class SQLiteState(StateStore):
    """One SQLite file in WAL mode; a connection per thread; expiry checked on read.

    SQLite lets one writer in at a time and makes the others poll (sleeping 1, 2,
    5, 10... ms), and every thousandth page written makes the writer that crosses
    it checkpoint the WAL into the database (an fsync, up to 100 ms here). Both
    landed on Fast calls under load. So writes queue on a lock instead, a thread
    lock within a process and an ``flock`` on ``<file>.lock`` between processes
    (a waiter wakes the moment the lock is free), and a background thread of each
    process checkpoints the WAL every quarter second (``PASSIVE``: it never waits
    for, nor blocks, a reader or a writer).
    """

    backend = "sqlite"
    failures = (sqlite3.OperationalError, sqlite3.DatabaseError)
    CHECKPOINT_EVERY = 0.25
    # Past this, the WAL is truncated with writers held back (a passive checkpoint alone
    # never lets it restart while readers keep coming, and it grew without bound under load).
    WAL_LIMIT = 4 * 1024 * 1024

    def __init__(self, path: str) -> None:
        self.path = path
        if path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._local = threading.local()
        self._writes = 0
        self._checkpointed = 0
        self._write_lock = threading.Lock()
        self._lock_file: tuple[int, int] | None = None  # (pid, fd): an flock is per process
        with self._conn() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS kv ( key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at REAL)")
        if path != ":memory:":
            _Checkpointer.watch(self)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=TIMEOUTS.sqlite_busy, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(f"PRAGMA busy_timeout={int(TIMEOUTS.sqlite_busy * 1000)}")
            # A page cache per connection, so per thread: with SQLite's 2 MB default a worker's
            # memory kept growing for thousands of calls (6 MB between the 2nd and the 10th
            # thousand); with 128 KB it levels off at once. The OS caches the file anyway.
            conn.execute("PRAGMA cache_size=-128")
            if self.path != ":memory:":
                conn.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer thread does it
            self._local.conn = conn
        return conn

    @contextlib.contextmanager
    def _writing(self, *, counts: bool = True) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        with self._write_lock:
            fd = self._lock_fd()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield conn
            finally:
                if counts:
                    self._writes += 1
                if fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)

    def _lock_fd(self) -> int | None:
        if self.path == ":memory:":
            return None
        pid = os.getpid()
        if self._lock_file is None or self._lock_file[0] != pid:
            # A forked worker opens its own: a lock on a descriptor shared with the parent excludes nothing.
            # Nor does it inherit the parent's checkpointer thread.
            fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._lock_file = (pid, fd)
            _Checkpointer.watch(self)
        return self._lock_file[1]

    @staticmethod
    def _expiry(ttl: float | None) -> float | None:
        return None if ttl is None else time.time() + ttl

    @guarded
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

    @guarded
    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        with self._writing() as conn:
            conn.execute(
                "INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value,"
                " expires_at = excluded.expires_at",
                (key, value, self._expiry(ttl)),
            )
        self._maybe_purge()

    @guarded
    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        with self._writing() as conn:
            now = time.time()
            # One statement: insert, or take over a row whose time is up.
            cursor = conn.execute(
                "INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value,"
                " expires_at = excluded.expires_at"
                " WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= ?",
                (key, value, self._expiry(ttl), now),
            )
            return cursor.rowcount == 1

    @guarded
    def delete(self, key: str, *, only_if: str | None = None) -> None:
        with self._writing() as conn:
            if only_if is None:
                conn.execute("DELETE FROM kv WHERE key = ?", (key,))
            else:
                conn.execute("DELETE FROM kv WHERE key = ? AND value = ?", (key, only_if))

    def ping(self) -> None:
        self._conn().execute("SELECT 1").fetchone()

    def _maybe_purge(self) -> None:
        if self._writes % 500 == 0:
            with self._writing() as conn:
                conn.execute("DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?", (time.time(),))

    def checkpoint(self) -> None:
        """Copy the WAL into the database when there were writes since the last time; keep the WAL small."""
        writes = self._writes
        if writes == self._checkpointed:
            return
        self._conn().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self._checkpointed = writes
        try:
            size = os.path.getsize(self.path + "-wal")
        except OSError:
            return
        if size > self.WAL_LIMIT:
            # Writers wait on the store's lock meanwhile; the checkpoint waits for readers (microseconds each).
            with self._writing(counts=False) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()


class _Checkpointer:
    """One daemon thread per process that checkpoints every live SQLiteState's WAL."""

    _stores: weakref.WeakSet[SQLiteState] = weakref.WeakSet()
    _guard = threading.Lock()
    _pid: int | None = None

    @classmethod
    def watch(cls, store: SQLiteState) -> None:
        with cls._guard:
            cls._stores.add(store)
            if cls._pid != os.getpid():  # not started in this process yet (or started before a fork)
                cls._pid = os.getpid()
                threading.Thread(target=cls._run, name="sqlite-checkpointer", daemon=True).start()

    @classmethod
    def _run(cls) -> None:
        while True:
            time.sleep(SQLiteState.CHECKPOINT_EVERY)
            with cls._guard:
                stores = list(cls._stores)
            for store in stores:
                try:
                    store.checkpoint()
                except sqlite3.Error as exc:
                    log.warning("WAL checkpoint failed", extra=log_fields(error=type(exc).__name__))
            del stores
