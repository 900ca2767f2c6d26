"""Which backend serves: ``DATABASE_URL`` (PostgreSQL) > ``REDIS_URL`` > the SQLite file."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from service.config import SANDBOX_STORE, ConfigError, Settings, StoreConfig
from service.logs import register_secret
from service.state.base import StateStore

POSTGRES_SCHEMES = ("postgres", "postgresql")  # Heroku sets postgres://; libpq reads both


def open_state(settings: Settings) -> StateStore:
    for url in (settings.database_url, settings.redis_url):
        # The drivers never log a password; should one ever appear in a log line, it is redacted.
        register_secret(urlsplit(url).password if url else None)
    if settings.database_url:
        from service.state.postgres import PostgresState

        scheme = urlsplit(settings.database_url).scheme
        if scheme not in POSTGRES_SCHEMES:
            raise ConfigError([f"DATABASE_URL must be a postgres:// or postgresql:// URL, not {scheme or '?'}://"])
        return PostgresState(settings.database_url, pool_size=settings.database_pool_size)
    if settings.redis_url:
        from service.state.redis import RedisState

        return RedisState(settings.redis_url)
    from service.state.sqlite import SQLiteState

    return SQLiteState(settings.state_path)


def shared(settings: Settings) -> bool:
    """True when every instance pointed at these settings sees the same state."""
    return bool(settings.database_url or settings.redis_url)


def ephemeral_state_problem(settings: Settings, stores: Mapping[str, StoreConfig]) -> str | None:
    """Why this instance must not start: real shops served from a dyno's wiped disk; None when fine.

    Heroku empties a dyno's disk on every restart and deploy (at least daily): with the
    SQLite file, every replay record, Fast-id map and cart record of a real shop would go.
    """
    if not settings.dyno or shared(settings) or settings.allow_ephemeral_state:
        return None
    real = sorted(store.name for store in stores.values() if store.adapter != SANDBOX_STORE.adapter)
    if not real:
        return None
    return (
        f"refusing to start: store(s) {', '.join(real)} would keep their state (replay records, the Fast-id map,"
        " cart records) in a SQLite file on this dyno's disk, which Heroku wipes on every restart and deploy."
        " Attach PostgreSQL (heroku addons:create heroku-postgresql:essential-0, which sets DATABASE_URL) or set"
        " REDIS_URL; FAST_ALLOW_EPHEMERAL_STATE=1 starts anyway (demos only)."
    )
