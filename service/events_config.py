"""Settings of the after-checkout events path, from the environment.

``FAST_API_URL`` is Fast's seller API base: production ``https://api.fast.co``
by default; Fast's sandbox is ``https://api.sandbox.fast.co``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from service.config import ConfigError, EnvReader, Settings
from service.fast_api import PRODUCTION_URL


@dataclass(frozen=True)
class EventSettings:
    fast_api_url: str = PRODUCTION_URL
    queue_path: str = "var/fast-events.sqlite3"
    redis_url: str | None = None
    database_url: str | None = None
    # A delivery holds its event this long; past it (the worker died) the sweep re-queues it.
    lease_seconds: float = 120.0
    grace_seconds: float = 30.0
    backoff_base: float = 2.0
    backoff_cap: float = 600.0
    max_attempts: int = 30  # about 4 hours of retries at the cap
    reconcile_minutes: int = 10
    fast_timeout: float = 10.0

    @classmethod
    def from_env(cls, settings: Settings, env: Mapping[str, str] | None = None) -> EventSettings:
        read = EnvReader(os.environ if env is None else env)
        url = (read.raw("FAST_API_URL") or PRODUCTION_URL).rstrip("/")
        parts = urlsplit(url)
        if parts.scheme != "https" and not (parts.scheme == "http" and settings.allow_http_upstream):
            read.problems.append(f"FAST_API_URL must be an https URL, got {url!r}")
        default_path = str(Path(settings.state_path).with_name("fast-events.sqlite3"))
        events = cls(
            fast_api_url=url,
            queue_path=read.raw("FAST_EVENTS_PATH") or default_path,
            redis_url=settings.redis_url,
            database_url=settings.database_url,
            lease_seconds=read.number("FAST_EVENTS_LEASE", cls.lease_seconds),
            grace_seconds=read.number("FAST_EVENTS_GRACE", cls.grace_seconds),
            backoff_base=read.number("FAST_EVENTS_BACKOFF_BASE", cls.backoff_base),
            backoff_cap=read.number("FAST_EVENTS_BACKOFF_CAP", cls.backoff_cap),
            max_attempts=read.integer("FAST_EVENTS_MAX_ATTEMPTS", cls.max_attempts),
            reconcile_minutes=read.integer("FAST_RECONCILE_MINUTES", cls.reconcile_minutes, high=59),
            fast_timeout=settings.upstream_read_timeout,
        )
        if read.problems:
            raise ConfigError(read.problems)
        return events

    def ensure_directory(self) -> None:
        Path(self.queue_path).parent.mkdir(parents=True, exist_ok=True)
