"""The state store's contract: strings under string keys, each with an optional time to live.

Every backend gives the same guarantees: ``add`` claims a key atomically (or takes
over one whose time is up), ``delete(only_if=...)`` is an atomic compare-and-delete,
expired values are never returned, and ``lock`` is a lease that another worker takes
over once its holder has died and its ``ttl`` has run out.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from typing import Any

from service.config import TIMEOUTS
from service.errors import LockTimeout, StateUnavailable
from service.logs import log_fields

__all__ = ["LockTimeout", "StateStore", "StateUnavailable", "guarded"]

log = logging.getLogger("service.state")


def guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a backend's connection failure into a clean 503, logged once without details."""

    @functools.wraps(method)
    def wrapper(self: StateStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except self.failures as exc:
            log.error("state store failure", extra=log_fields(backend=self.backend, error=type(exc).__name__))
            raise StateUnavailable() from None

    return wrapper


class StateStore(ABC):
    """Strings under string keys, each with an optional time to live in seconds."""

    backend: str = "?"  # what /readyz and check-config call it
    failures: tuple[type[BaseException], ...] = ()

    @abstractmethod
    def get(self, key: str) -> str | None: ...

    @abstractmethod
    def set(self, key: str, value: str, ttl: float | None = None) -> None: ...

    @abstractmethod
    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        """Set only if absent or expired (atomic); True when this call set it."""

    @abstractmethod
    def delete(self, key: str, *, only_if: str | None = None) -> None:
        """Delete; with ``only_if``, only while the key still holds that value (atomic)."""

    @abstractmethod
    def ping(self) -> None:
        """Raise when the store cannot serve a call."""

    def migrate(self) -> list[str]:
        """Bring the store's schema up to date (idempotent); say what was done."""
        return []

    def close(self) -> None:  # noqa: B027 - a backend with nothing to release keeps this
        """Release connections; the store is not used afterwards."""

    def get_json(self, key: str) -> Any:
        raw = self.get(key)
        return None if raw is None else json.loads(raw)

    def set_json(self, key: str, value: Any, ttl: float | None = None) -> None:
        self.set(key, json.dumps(value, separators=(",", ":"), sort_keys=True), ttl)

    @contextlib.contextmanager
    def lock(
        self, key: str, *, timeout: float = TIMEOUTS.state_lock_wait, ttl: float = TIMEOUTS.state_lock_ttl
    ) -> Iterator[None]:
        """A mutual-exclusion lease shared by every worker that shares this store.

        The lease is an ``add`` with a time to live: a holder that dies keeps it
        at most ``ttl`` seconds, then the next ``add`` takes it over.
        """
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
