"""Replay safety: a Fast ``request_id`` runs its operation once.

The first call with a request id claims it atomically in the shared state
store (``add`` = SET NX with expiry), runs, and stores its answer. A repeat
with the same body gets the stored answer (same status, same bytes) without
touching the shop; a repeat with a different body is refused with 422; a
repeat that arrives while the first still runs waits for it, then answers 409
with Retry-After if it is still running. 5xx answers are not stored, so a
retry after an outage runs again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from service.errors import InvalidRequest, ReplayConflict
from service.logs import log_fields
from service.state import StateStore

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """One answer as it went on the wire."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)


def fingerprint(operation: str, data: Any) -> str:
    """A digest of what was asked, insensitive to key order and whitespace."""
    canonical = json.dumps([operation, data], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class ReplayGuard:
    def __init__(self, state: StateStore, *, ttl: float, running_ttl: float, wait: float) -> None:
        self.state = state
        self.ttl = ttl  # how long answers are kept
        self.running_ttl = running_ttl  # a claim outlives a crashed worker by this much at most
        self.wait = wait  # how long a repeat waits for the first call

    def run(self, scope: str, request_id: str, digest: str, execute: Callable[[], Outcome]) -> Outcome:
        key = f"replay:{scope}:{request_id}"
        claim = json.dumps({"state": "running", "fp": digest, "owner": uuid.uuid4().hex})
        give_up = time.monotonic() + self.wait
        delay = 0.005
        while True:
            if self.state.add(key, claim, self.running_ttl):
                return self._execute(key, claim, execute)
            record = self._record(key)
            if record is not None:
                if record.get("fp") != digest:
                    raise InvalidRequest(
                        f"request_id {request_id} was already used for a different request",
                        field="request_id",
                    )
                if record.get("state") == "done":
                    log.info("replayed a stored answer", extra=log_fields(request_id_replayed=request_id))
                    return Outcome(record["status"], record["body"], record.get("headers", {}))
            if time.monotonic() >= give_up:
                raise ReplayConflict(
                    f"a call with request_id {request_id} is still running; retry shortly", retry_after=1
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def _record(self, key: str) -> dict[str, Any] | None:
        raw = self.state.get(key)
        return None if raw is None else json.loads(raw)

    def _execute(self, key: str, claim: str, execute: Callable[[], Outcome]) -> Outcome:
        try:
            outcome = execute()
        except BaseException:
            self.state.delete(key, only_if=claim)
            raise
        if outcome.status >= 500:
            # Not stored: the retry after an outage must run again.
            self.state.delete(key, only_if=claim)
            return outcome
        record = json.loads(claim)
        record.update(state="done", status=outcome.status, body=outcome.body, headers=outcome.headers)
        self.state.set(key, json.dumps(record), self.ttl)
        return outcome
