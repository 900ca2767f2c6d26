"""The durable queue of after-checkout events, on Huey.

Huey carries the work: its storage is SQLite (one file, the default), Redis
(``REDIS_URL``: several dynos share it) or PostgreSQL (``DATABASE_URL``,
Huey's ``PostgresHuey`` on psycopg 3); its consumer (``flask fast events
work``, the Procfile's ``worker:``) runs deliveries, scheduled retries and the
periodic sweep and reconciliation.

Each event also has a record in Huey's key-value store, under what the event
describes (``fast-event:<app_id>/<shop order>/<key>``):

* written with ``put_if_empty`` (atomic in every storage), so a redelivered
  webhook, a reconciliation and a concurrent duplicate find it there and add
  nothing: one event, one delivery;
* holding the status (pending, delivering, retrying, delivered, parked,
  ignored, dropped), the attempts and when the next is due, for ``flask fast
  events list|retry|drop``;
* the reason nothing is lost: Huey removes a task from its queue when a worker
  takes it, so a worker killed mid-delivery would lose it. The sweep
  re-enqueues every record still open once its lease has passed, and a
  delivery holds a lock in the shared state store (expiring with the lease)
  so two workers never send the same event at once.

Fast's ``external_refund_id`` (the shop's refund id) makes a refund resent
after a crash a no-op on Fast's side; that resend is the only way an event
reaches Fast twice, and only when the worker died between Fast's answer and
the record being written.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from huey import Huey, PostgresHuey, RedisHuey, SqliteHuey, crontab

from adapters.http import backoff
from mappings.fast import events as ev
from service.errors import FastError
from service.events_config import EventSettings
from service.fast_api import Outcome
from service.logs import log_fields
from service.state import LockTimeout, StateStore

log = logging.getLogger(__name__)

PREFIX = "fast-event:"
OPEN = ("pending", "delivering", "retrying")
STATUSES = (*OPEN, "delivered", "parked", "ignored", "dropped")


@dataclass
class Record:
    event: dict[str, Any]
    status: str = "pending"
    attempts: int = 0
    next_at: float = 0.0
    created: float = 0.0
    updated: float = 0.0
    last_error: str = ""
    history: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return ev.Event.from_json(self.event).id

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def open_huey(settings: EventSettings, name: str = "fast-events") -> Huey:
    """The Huey instance for this deployment's storage (see the module doc)."""
    if settings.database_url:
        # Tables are made on first use (EventQueue.ready), so the web process starts while the database is down.
        return PostgresHuey(name, dsn=settings.database_url, create_tables=False)
    if settings.redis_url:
        return RedisHuey(name, url=settings.redis_url)
    settings.ensure_directory()
    return SqliteHuey(name, filename=settings.queue_path)


# What one delivery needs from the rest of the service: read the shop, then call Fast.
Complete = Callable[[ev.Event], "ev.Event | None"]
Send = Callable[[ev.Event], Outcome]


class EventQueue:
    def __init__(
        self,
        huey: Huey,
        state: StateStore,
        settings: EventSettings,
        *,
        complete: Complete,
        send: Send,
        reconcile: Callable[[], int] | None = None,
        clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.huey = huey
        self.state = state
        self.settings = settings
        self.complete = complete
        self.send = send
        self.clock = clock
        self.rng = rng
        self.task = huey.task(name="fast.deliver")(self._run)
        huey.periodic_task(crontab(minute="*"), name="fast.sweep")(self.sweep)
        if reconcile is not None:
            minutes = f"*/{settings.reconcile_minutes}"
            huey.periodic_task(crontab(minute=minutes), name="fast.reconcile")(reconcile)
        huey.on_startup(name="fast.sweep_on_start")(self.sweep)
        self._ready = not isinstance(huey, PostgresHuey)
        self._ready_lock = threading.Lock()

    def ready(self) -> None:
        """Make the storage's tables if this process has not yet (PostgreSQL only; idempotent)."""
        if self._ready:
            return
        with self._ready_lock:
            if not self._ready:
                self.huey.storage.initialize_schema()
                self._ready = True

    # --- records ------------------------------------------------------------------

    def _key(self, event_id: str) -> str:
        return PREFIX + event_id

    def get(self, event_id: str) -> Record | None:
        self.ready()
        data = self.huey.get(self._key(event_id), peek=True)
        return Record.from_json(data) if data else None

    def _save(self, record: Record, note: str) -> None:
        record.updated = self.clock()
        record.history = [*record.history[-9:], f"{dt.datetime.fromtimestamp(record.updated, dt.UTC):%H:%M:%S} {note}"]
        self.huey.put(self._key(record.id), record.to_json())

    def records(self, app_id: str | None = None) -> list[Record]:
        self.ready()
        found = []
        for key, raw in self.huey.all_results().items():
            name = key.decode() if isinstance(key, bytes) else str(key)
            if not name.startswith(PREFIX):
                continue
            record = Record.from_json(self.huey.serializer.deserialize(raw))
            if app_id is None or record.event.get("app_id") == app_id:
                found.append(record)
        return sorted(found, key=lambda r: r.created)

    # --- in ------------------------------------------------------------------------

    def submit(self, event: ev.Event) -> bool:
        """Store the event durably and queue its delivery; False when it is already known."""
        self.ready()
        now = self.clock()
        record = Record(event.to_json(), created=now, updated=now, next_at=now, history=["received"])
        if not self.huey.put_if_empty(self._key(event.id), record.to_json()):
            log.info("event already known", extra=log_fields(event=event.id))
            return False
        self.task(event.id)
        return True

    # --- the worker --------------------------------------------------------------

    def _run(self, event_id: str) -> None:
        try:
            with self.state.lock(f"event:{event_id}", timeout=0.2, ttl=self.settings.lease_seconds):
                self._deliver(event_id)
        except LockTimeout:
            log.info("another worker is delivering this event", extra=log_fields(event=event_id))

    def _deliver(self, event_id: str) -> None:
        record = self.get(event_id)
        if record is None or record.status not in OPEN:
            return
        record.status, record.next_at = "delivering", self.clock() + self.settings.lease_seconds
        self._save(record, "delivering")
        event = ev.Event.from_json(record.event)
        try:
            complete = self.complete(event)
        except FastError as exc:
            self._retry(record, Outcome("retry", None, f"the shop: {exc.message}"))
            return
        except Exception as exc:  # noqa: BLE001 - a bug or an odd shop answer: counted, so it ends parked
            self._retry(record, Outcome("retry", None, f"reading the shop failed ({type(exc).__name__})"))
            return
        if complete is None:
            record.status = "ignored"
            self._save(record, "ignored: the shop says the order is not Fast's")
            return
        record.event = complete.to_json()
        outcome = self.send(complete)
        if outcome.delivered:
            record.status, record.last_error = "delivered", ""
            self._save(record, f"delivered (HTTP {outcome.status})")
            log.info("event delivered to Fast", extra=log_fields(event=event_id, kind=event.kind))
        elif outcome.result == "parked":
            self._park(record, outcome.reason)
        else:
            self._retry(record, outcome)

    def _park(self, record: Record, reason: str) -> None:
        record.status, record.last_error = "parked", reason
        self._save(record, f"parked: {reason}")
        log.error("event parked: Fast will not take it as sent", extra=log_fields(event=record.id, reason=reason))

    def _retry(self, record: Record, outcome: Outcome) -> None:
        record.attempts += 1
        if record.attempts >= self.settings.max_attempts:
            self._park(record, f"gave up after {record.attempts} attempts: {outcome.reason}")
            return
        wait = self.retry_wait(record.attempts, outcome.wait)
        record.status, record.last_error = "retrying", outcome.reason
        record.next_at = self.clock() + wait
        self._save(record, f"retry in {wait:.1f}s: {outcome.reason}")
        log.warning("event not delivered yet", extra=log_fields(event=record.id, reason=outcome.reason, wait=wait))
        self.task.schedule(args=(record.id,), delay=wait)

    def retry_wait(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with full jitter, never shorter than Fast's Retry-After."""
        s = self.settings
        jittered = backoff(attempt, base=s.backoff_base, cap=s.backoff_cap, rng=self.rng)
        return max(jittered, min(retry_after, s.backoff_cap * 6)) if retry_after is not None else jittered

    def sweep(self) -> int:
        """Re-queue every open record whose lease or due time has passed (a worker died, a task was lost)."""
        now, count = self.clock(), 0
        for record in self.records():
            if record.status in OPEN and record.next_at + self.settings.grace_seconds <= now:
                self.task(record.id)
                count += 1
        if count:
            log.warning("re-queued events a worker did not finish", extra=log_fields(count=count))
        return count

    # --- the operator ------------------------------------------------------------

    def retry(self, event_id: str) -> bool:
        record = self.get(event_id)
        if record is None or record.status not in ("parked", "dropped", "retrying"):
            return False
        record.status, record.attempts, record.next_at = "pending", 0, self.clock()
        self._save(record, "retried by the operator")
        self.task(event_id)
        return True

    def drop(self, event_id: str) -> bool:
        record = self.get(event_id)
        if record is None or record.status == "delivered":
            return False
        record.status = "dropped"
        self._save(record, "dropped by the operator")
        return True

    def work_once(self, now: dt.datetime | None = None) -> int:
        """Run every task due at ``now`` in this thread (tests, the simulator); the consumer does this in production."""
        self.ready()
        when = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
        for task in self.huey.read_schedule(when):
            self.huey.enqueue(task)
        ran = 0
        while (task := self.huey.dequeue()) is not None:
            self.huey.execute(task, when)
            ran += 1
        return ran
