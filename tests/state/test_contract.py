"""The state store's contract, the same on every backend: SQLite, Redis and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from service.state import LockTimeout, RedisState, SQLiteState, StateStore

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ["sqlite", "redis", "postgres"]


@pytest.fixture(params=BACKENDS)
def store(request: Any, tmp_path: Any) -> StateStore:
    if request.param == "sqlite":
        return SQLiteState(str(tmp_path / "kv.sqlite3"))
    return request.getfixturevalue(f"{request.param}_state")


def test_get_set_delete(store: StateStore) -> None:
    assert store.get("k") is None
    store.set("k", "v1")
    assert store.get("k") == "v1"
    store.set("k", "v2")
    assert store.get("k") == "v2"
    store.delete("k")
    assert store.get("k") is None
    store.delete("k")  # deleting what is not there is no error


def test_add_sets_only_when_absent(store: StateStore) -> None:
    assert store.add("claim", "first", ttl=30) is True
    assert store.add("claim", "second", ttl=30) is False
    assert store.get("claim") == "first"
    # A claim without expiry is never taken over.
    assert store.add("forever", "a") is True
    assert store.add("forever", "b", ttl=30) is False
    assert store.get("forever") == "a"


def test_values_expire(store: StateStore) -> None:
    store.set("short", "v", ttl=0.05)
    assert store.add("claimed", "a", ttl=0.05) is True
    time.sleep(0.12)
    assert store.get("short") is None
    # An expired claim can be taken again.
    assert store.add("claimed", "b", ttl=5) is True
    assert store.get("claimed") == "b"


def test_set_replaces_the_time_to_live(store: StateStore) -> None:
    store.set("k", "short-lived", ttl=0.05)
    store.set("k", "kept")  # no ttl: kept until deleted
    store.set("j", "kept", ttl=30)
    store.set("j", "short-lived", ttl=0.05)
    time.sleep(0.12)
    assert store.get("k") == "kept"
    assert store.get("j") is None


def test_delete_only_if_value_matches(store: StateStore) -> None:
    store.set("lock", "owner-a")
    store.delete("lock", only_if="owner-b")
    assert store.get("lock") == "owner-a"
    store.delete("lock", only_if="owner-a")
    assert store.get("lock") is None


def test_values_keep_every_character(store: StateStore) -> None:
    value = 'Crème brûlée ✓ 東京 "quoted" \\ \n' + "x" * 100_000
    store.set("text", value)
    assert store.get("text") == value


def test_json_round_trip(store: StateStore) -> None:
    store.set_json("doc", {"lines": [{"qty": 2}], "total": "12.50"})
    assert store.get_json("doc") == {"lines": [{"qty": 2}], "total": "12.50"}
    assert store.get_json("missing") is None


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
    assert store.get("race") == str(winners[0])


def test_taking_over_an_expired_claim_is_atomic_too(store: StateStore) -> None:
    store.add("stale", "dead-holder", ttl=0.05)
    time.sleep(0.1)
    winners: list[int] = []
    barrier = threading.Barrier(8)

    def contend(n: int) -> None:
        barrier.wait()
        if store.add("stale", str(n), ttl=30):
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


def test_a_lock_is_released_when_its_block_raises(store: StateStore) -> None:
    with pytest.raises(ValueError), store.lock("cart"):
        raise ValueError("boom")
    with store.lock("cart", timeout=0.1):
        pass


def test_a_lease_that_ran_out_is_not_released_by_its_late_holder(store: StateStore) -> None:
    """A holder slower than its ttl must not free the lock a successor now holds."""
    with store.lock("cart", ttl=0.05):
        time.sleep(0.1)
        with store.lock("cart", timeout=0.5, ttl=30):
            pass  # the successor took over the lease...
        assert store.add("lock:cart", "successor-2", ttl=30)
    # ...and the late holder's release (compare-and-delete on its own token) left the new one alone.
    assert store.get("lock:cart") == "successor-2"


_HOLDER = """
import sys, time
from service.state import PostgresState, RedisState, SQLiteState
backend, target, prefix, ttl = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
if backend == "sqlite":
    store = SQLiteState(target)
elif backend == "redis":
    store = RedisState(target, prefix=prefix)
else:
    store = PostgresState(target, pool_size=1, sweep_every=0)
with store.lock("victim", ttl=ttl):
    print("held", flush=True)
    time.sleep(120)
"""


def _target(store: StateStore) -> tuple[str, str]:
    if isinstance(store, SQLiteState):
        return store.path, ""
    if isinstance(store, RedisState):
        url = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
        return url, store.prefix
    return store.url, ""  # type: ignore[attr-defined]


def test_a_lock_held_by_a_killed_process_is_taken_over_after_its_ttl(store: StateStore) -> None:
    ttl = 3.0  # long enough that the first attempt below surely comes before it runs out
    target, prefix = _target(store)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, store.backend, target, prefix, str(ttl)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        held_at = time.monotonic()
        holder.send_signal(signal.SIGKILL)
        assert holder.wait(timeout=10) == -signal.SIGKILL
        # Killed: nothing released the lease, so it holds until its time is up...
        with pytest.raises(LockTimeout), store.lock("victim", timeout=0.2):
            pass
        # ...and then it is taken over.
        with store.lock("victim", timeout=5):
            waited = time.monotonic() - held_at
        assert ttl - 0.1 <= waited < ttl + 2
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
