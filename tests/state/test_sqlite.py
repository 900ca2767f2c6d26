"""What only the SQLite backend does: one file shared by processes, its write queue, its WAL checkpoints."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from service.state import SQLiteState


def test_sqlite_is_shared_between_connections(tmp_path: Any) -> None:
    """Two gunicorn workers are two processes with their own connections to one file."""
    path = str(tmp_path / "shared.sqlite3")
    a, b = SQLiteState(path), SQLiteState(path)
    assert a.add("k", "from-a", ttl=30)
    assert not b.add("k", "from-b", ttl=30)
    assert b.get("k") == "from-a"


def _race_for_keys(path: str, rounds: int, out: Any) -> None:
    store = SQLiteState(path)
    won = 0
    for i in range(rounds):
        won += store.add(f"race-{i}", str(os.getpid()), ttl=60)
        store.set(f"count-{os.getpid()}-{i}", "x")
    out.put(won)


def test_sqlite_writers_in_several_processes_and_threads_all_land_and_add_stays_exclusive(tmp_path: Any) -> None:
    """Writes queue on the store's own lock (thread lock + flock), never on SQLite's polling busy handler."""
    import multiprocessing

    path = str(tmp_path / "shared.sqlite3")
    SQLiteState(path)
    out: Any = multiprocessing.get_context("fork").Queue()
    workers = [
        multiprocessing.get_context("fork").Process(target=_race_for_keys, args=(path, 200, out)) for _ in range(3)
    ]
    threads = [threading.Thread(target=_race_for_keys, args=(path, 200, out)) for _ in range(3)]
    for w in [*workers, *threads]:
        w.start()
    for w in [*workers, *threads]:
        w.join(timeout=60)
    assert sum(out.get(timeout=5) for _ in range(6)) == 200  # each key won exactly once
    store = SQLiteState(path)
    count = store._conn().execute("SELECT COUNT(*) FROM kv WHERE key LIKE 'count-%'").fetchone()[0]
    assert count == 3 * 200 + 200  # the threads share one pid: their keys coincide


def test_the_wal_is_checkpointed_in_the_background(tmp_path: Any) -> None:
    """Request connections never checkpoint (autocheckpoint is off): the checkpointer thread does."""
    path = str(tmp_path / "wal.sqlite3")
    store = SQLiteState(path)
    assert store._conn().execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    for i in range(300):
        store.set(f"k{i}", "x" * 500)
    wal = tmp_path / "wal.sqlite3-wal"
    deadline = time.monotonic() + 5
    while store._checkpointed != store._writes and time.monotonic() < deadline:
        time.sleep(0.05)
    assert store._checkpointed == store._writes
    # Every frame is in the database now: a new connection reads it all without the WAL's help.
    busy, frames, done = store._conn().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert (busy, frames) == (0, done) and wal.exists()
    assert store.get("k299") == "x" * 500


def test_the_wal_stays_small_while_readers_keep_coming(tmp_path: Any, monkeypatch: Any) -> None:
    """Readers that never stop kept a passive checkpoint from ever restarting the WAL: it grew without bound
    (65 MB for these 12 MB of writes)."""
    monkeypatch.setattr(SQLiteState, "WAL_LIMIT", 1_000_000)
    path = str(tmp_path / "busy.sqlite3")
    store = SQLiteState(path)
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            store.get("k1")

    readers = [threading.Thread(target=read) for _ in range(4)]
    for r in readers:
        r.start()
    peak = 0
    try:
        for i in range(6000):
            store.set(f"k{i}", "x" * 2000)
            if i % 200 == 0:
                time.sleep(0.05)
                peak = max(peak, os.path.getsize(path + "-wal"))
        time.sleep(3 * SQLiteState.CHECKPOINT_EVERY)
    finally:
        stop.set()
        for r in readers:
            r.join()
    assert peak < 20_000_000
    assert os.path.getsize(path + "-wal") <= 1_000_000
    assert store.get("k5999") == "x" * 2000
