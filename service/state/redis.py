"""The Redis backend (``REDIS_URL``): shared across dynos; durable only as far as the Redis plan persists."""

from __future__ import annotations

from service.config import TIMEOUTS
from service.state.base import StateStore, guarded


class RedisState(StateStore):
    """Redis: atomic SET NX PX for claims and locks, a Lua compare-and-delete."""

    backend = "redis"
    _DELETE_IF = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"

    def __init__(self, url: str, prefix: str = "fast:") -> None:
        import redis

        self.prefix = prefix
        self.client = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=TIMEOUTS.redis_socket,
            socket_connect_timeout=TIMEOUTS.redis_connect,
            health_check_interval=30,
        )
        self._delete_if = self.client.register_script(self._DELETE_IF)
        self.failures = (redis.RedisError,)

    @staticmethod
    def _px(ttl: float | None) -> int | None:
        return None if ttl is None else max(1, int(ttl * 1000))

    @guarded
    def get(self, key: str) -> str | None:
        return self.client.get(self.prefix + key)

    @guarded
    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        self.client.set(self.prefix + key, value, px=self._px(ttl))

    @guarded
    def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        return bool(self.client.set(self.prefix + key, value, px=self._px(ttl), nx=True))

    @guarded
    def delete(self, key: str, *, only_if: str | None = None) -> None:
        if only_if is None:
            self.client.delete(self.prefix + key)
        else:
            self._delete_if(keys=[self.prefix + key], args=[only_if])

    def ping(self) -> None:
        self.client.ping()

    def close(self) -> None:
        self.client.close()
