"""The shared state store's contract, on both backends."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import pytest

from service.state import LockTimeout, SQLiteState, StateStore


@pytest.fixture(params=["sqlite", "redis"])
def store(request: Any, tmp_path: Any) -> StateStore:
    if request.param == "sqlite":
        return SQLiteState(str(tmp_path / "kv.sqlite3"))
    return request.getfixturevalue("redis_state")


def test_get_set_delete(store: StateStore) -> None:
    assert store.get("k") is None
    store.set("k", "v1")
    assert store.get("k") == "v1"
    store.set("k", "v2")
    assert store.get("k") == "v2"
    store.delete("k")
    assert store.get("k") is None


def test_add_sets_only_when_absent(store: StateStore) -> None:
    assert store.add("claim", "first", ttl=30) is True
    assert store.add("claim", "second", ttl=30) is False
    assert store.get("claim") == "first"


def test_values_expire(store: StateStore) -> None:
    store.set("short", "v", ttl=0.05)
    assert store.add("claimed", "a", ttl=0.05) is True
    time.sleep(0.12)
    assert store.get("short") is None
    # An expired claim can be taken again.
    assert store.add("claimed", "b", ttl=5) is True
    assert store.get("claimed") == "b"


def test_delete_only_if_value_matches(store: StateStore) -> None:
    store.set("lock", "owner-a")
    store.delete("lock", only_if="owner-b")
    assert store.get("lock") == "owner-a"
    store.delete("lock", only_if="owner-a")
    assert store.get("lock") is None


def test_json_round_trip(store: StateStore) -> None:
    store.set_json("doc", {"lines": [{"qty": 2}], "total": "12.50"})
    assert store.get_json("doc") == {"lines": [{"qty": 2}], "total": "12.50"}


def test_add_is_atomic_across_threads(store: StateStore) -> None:
    winners: list[int] = []
    barrier = threading.Barrier(8)

    def contend(n: int) -> None:
        barrier.wait()
        if store.add("race", str(n), ttl=30):
            winners.append(n)

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1


def test_lock_excludes_and_times_out(store: StateStore) -> None:
    counter = {"n": 0, "overlap": 0, "inside": 0}

    def work() -> None:
        for _ in range(20):
            with store.lock("cart"):
                counter["inside"] += 1
                if counter["inside"] > 1:
                    counter["overlap"] += 1
                n = counter["n"]
                time.sleep(0.0005)
                counter["n"] = n + 1
                counter["inside"] -= 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter == {"n": 80, "overlap": 0, "inside": 0}

    with store.lock("held"), pytest.raises(LockTimeout), store.lock("held", timeout=0.05):
        pass


def test_sqlite_is_shared_between_connections(tmp_path: Any) -> None:
    """Two gunicorn workers are two processes with their own connections to one file."""
    path = str(tmp_path / "shared.sqlite3")
    a, b = SQLiteState(path), SQLiteState(path)
    assert a.add("k", "from-a", ttl=30)
    assert not b.add("k", "from-b", ttl=30)
    assert b.get("k") == "from-a"


def test_an_unreachable_state_store_answers_503_not_500(tmp_path: Any) -> None:
    from app import create_app
    from service import auth as fast_auth
    from service.config import SANDBOX_STORE, Settings
    from service.state import RedisState
    from tests import bodies as b

    dead = RedisState("redis://127.0.0.1:1/0")
    app = create_app(
        Settings(state_path=str(tmp_path / "unused.sqlite3")), stores={"sandbox": SANDBOX_STORE}, state=dead
    )
    body = b.create("F-dead", [b.line("L1", 1, external_product_id="1001")], request_id="r-dead")
    response = app.test_client().post("/fast/v1/create", json=body, headers=fast_auth.sandbox_headers("sandbox"))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert response.get_json()["code"] == 14
    assert app.test_client().get("/readyz").status_code == 503


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
