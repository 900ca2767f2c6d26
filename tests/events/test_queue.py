"""The queue itself, on SQLite and on Redis: one delivery per event under concurrency, backoff, parking, the sweep."""

from __future__ import annotations

import datetime as dt
import os
import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import redis

from mappings.fast import events as ev
from service.events_config import EventSettings
from service.events_queue import EventQueue, open_huey
from service.fast_api import Outcome
from service.state import SQLiteState
from tests import postgres_db
from tests.conftest import redis_url


class FakeFast:
    def __init__(self, answers: list[Outcome] | None = None) -> None:
        self.answers = list(answers or [])
        self.sent: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, event: ev.Event) -> Outcome:
        with self.lock:
            self.sent.append(event.id)
            return self.answers.pop(0) if self.answers else Outcome("delivered", 200)


def _refund(refund_id: str) -> ev.Event:
    return ev.Event(
        "app", "shopify", ev.REFUND, f"refund:{refund_id}", "9", "fast-1", ev.Refund(refund_id, Decimal("5.00"))
    )


@pytest.fixture(scope="module")
def events_postgres() -> Iterator[str]:
    """A database of this module's own (``webhooks_`` prefix) for Huey's PostgreSQL storage, dropped afterwards."""
    import psycopg

    try:
        psycopg.connect(postgres_db.admin_url(), autocommit=True, connect_timeout=2).close()
    except psycopg.Error as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL tests, but none answers: {type(exc).__name__}")
        pytest.skip("no PostgreSQL server (set POSTGRES_TEST_URL); CI runs these tests")
    with postgres_db.fresh_database(prefix="webhooks_test") as url:
        yield url


@pytest.fixture(params=["sqlite", "redis", "postgres"])
def make_queue(request: Any, tmp_path: Any) -> Iterator[Any]:
    name = f"test-{uuid.uuid4().hex}"
    if request.param == "postgres":
        url = request.getfixturevalue("events_postgres")
        settings = EventSettings(database_url=url, lease_seconds=5, grace_seconds=0)
    elif request.param == "redis":
        try:
            redis.Redis.from_url(redis_url(), socket_connect_timeout=1).ping()
        except redis.RedisError as exc:
            if os.environ.get("CI"):
                pytest.fail(f"CI must run the Redis tests, but no Redis answers at {redis_url()}: {exc}")
            pytest.skip(f"no Redis server at {redis_url()} (set REDIS_TEST_URL); CI runs these tests")
        settings = EventSettings(redis_url=redis_url(), lease_seconds=5, grace_seconds=0)
    else:
        settings = EventSettings(queue_path=str(tmp_path / "events.sqlite3"), lease_seconds=5, grace_seconds=0)
    state = SQLiteState(str(tmp_path / "state.sqlite3"))
    made: list[EventQueue] = []

    def make(send: Any, clock: Any = None) -> EventQueue:
        extra = {"clock": clock} if clock else {}
        queue = EventQueue(open_huey(settings, name), state, settings, complete=lambda e: e, send=send, **extra)
        made.append(queue)
        return queue

    yield make
    if made:
        made[0].huey.flush()


def test_the_same_event_submitted_at_once_from_many_threads_is_stored_once(make_queue: Any) -> None:
    fast = FakeFast()
    queue = make_queue(fast)
    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(queue.submit(_refund("1")))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
    queue.submit(_refund("2"))
    queue.work_once()
    assert sorted(fast.sent) == ["app/9/refund:1", "app/9/refund:2"]


def test_two_workers_draining_one_queue_deliver_each_event_once(make_queue: Any) -> None:
    fast = FakeFast()
    first, second = make_queue(fast), make_queue(fast)
    for n in range(20):
        first.submit(_refund(str(n)))
    first.sweep()  # every event queued twice: the lock and the record keep it to one delivery
    workers = [threading.Thread(target=q.work_once) for q in (first, second)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(fast.sent) == sorted(f"app/9/refund:{n}" for n in range(20))


def test_retries_back_off_honour_retry_after_and_end_parked(make_queue: Any) -> None:
    queue = make_queue(FakeFast())
    waits = [queue.retry_wait(n, None) for n in range(1, 12)]
    assert all(0 <= w <= queue.settings.backoff_cap for w in waits)
    assert queue.retry_wait(1, 45) >= 45
    fast = FakeFast([Outcome("retry", 503, "down")] * 100)
    queue = make_queue(fast)
    queue.settings = EventSettings(**{**queue.settings.__dict__, "max_attempts": 3, "backoff_base": 0.001})
    queue.submit(_refund("r"))
    for step in range(5):
        queue.work_once(dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=5 * (step + 1)))
    [record] = queue.records()
    assert record.status == "parked" and "gave up after 3 attempts" in record.last_error
    assert len(fast.sent) == 3


def test_the_sweep_requeues_only_what_a_dead_worker_left(make_queue: Any) -> None:
    now = [1000.0]
    fast = FakeFast()
    queue = make_queue(fast, clock=lambda: now[0])
    queue.submit(_refund("x"))
    queue.huey.flush_locks()
    while queue.huey.dequeue() is not None:  # a worker took it and died before anything happened
        pass
    record = queue.get("app/9/refund:x")
    assert record is not None
    record.status, record.next_at = "delivering", now[0] + 5
    queue.huey.put("fast-event:app/9/refund:x", record.to_json())
    assert queue.sweep() == 0  # its lease still runs
    now[0] += 6
    assert queue.sweep() == 1
    queue.work_once()
    assert fast.sent == ["app/9/refund:x"]
    assert queue.sweep() == 0  # delivered: nothing left to re-queue
