"""The shared state store: a small key-value interface with expiry, three backends.

``base`` holds the contract; ``sqlite`` (one file, the default: one machine),
``redis`` (``REDIS_URL``) and ``postgres`` (``DATABASE_URL``: durable, shared) the
backends; ``choose`` picks one. The service keeps little here: replay records,
the Fast-id to shop-reference map, cart records and the sandbox shop's carts.
"""

from service.state.base import LockTimeout, StateStore, StateUnavailable
from service.state.choose import ephemeral_state_problem, open_state
from service.state.postgres import PostgresState
from service.state.redis import RedisState
from service.state.sqlite import SQLiteState

__all__ = [
    "LockTimeout",
    "PostgresState",
    "RedisState",
    "SQLiteState",
    "StateStore",
    "StateUnavailable",
    "ephemeral_state_problem",
    "open_state",
]
