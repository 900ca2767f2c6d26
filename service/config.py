"""Settings from the environment and stores from the stores file.

The stores file (TOML) maps each Fast ``app_id`` to an adapter and its
non-secret options. Secrets never live in the file: a store named ``acme``
reads its secret ``token`` from ``FAST_STORE_ACME_TOKEN``.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from service.logs import register_secret

SANDBOX_APP_ID = "sandbox"
DEFAULT_STATE_PATH = "var/fast-state.sqlite3"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
FAST_API_HOST = "api.fast.co"
DEFAULT_FAST_JWKS_URL = f"https://{FAST_API_HOST}/v1/oauth2/jwks"
# "iss = Fast's API host": both spellings of the host are accepted; only Fast's keys can sign either.
DEFAULT_FAST_JWT_ISSUERS = (f"https://{FAST_API_HOST}", FAST_API_HOST)


# --- every timeout and wait of the service, in one place (seconds) ------------------------


@dataclass(frozen=True)
class Timeouts:
    """The defaults of every time limit. Those an operator may change are read into ``Settings``
    from the environment variable named beside them; the rest are fixed here.
    """

    # A whole Fast call, upstream calls included; well inside Heroku's 30 s router limit
    # (gunicorn.conf.py's timeout). FAST_CALL_DEADLINE.
    call_deadline: float = 20.0
    # One upstream attempt (adapters/http.py), each cut to what is left of the call's deadline.
    # FAST_UPSTREAM_CONNECT_TIMEOUT, FAST_UPSTREAM_READ_TIMEOUT, FAST_UPSTREAM_MAX_ATTEMPTS.
    upstream_connect: float = 3.05
    upstream_read: float = 10.0
    upstream_max_attempts: int = 4
    # The retry policy's waits (adapters/http.py RetryPolicy): backoff with full jitter from
    # base doubling up to cap; never one wait over max_single_wait, whatever Retry-After says;
    # the margin of the call's budget kept for building the answer after the last attempt.
    upstream_backoff_base: float = 0.1
    upstream_backoff_cap: float = 2.0
    upstream_max_single_wait: float = 10.0
    upstream_deadline_margin: float = 0.25
    # How long a repeated Fast call waits for the first one before answering 409. FAST_REPLAY_WAIT.
    replay_wait: float = 10.0
    # Fetching Fast's signing keys (service/auth.py).
    jwks_fetch: float = 5.0
    # The state store (service/state/): how long a call waits for a cart's lock and how long a
    # dead holder keeps it; SQLite's wait for a writer; Redis's socket; PostgreSQL's wait for a
    # pooled connection, its connect and the statement/lock limit (a stuck statement fails
    # the call with 503 instead of hanging it).
    state_lock_wait: float = 10.0
    state_lock_ttl: float = 30.0
    sqlite_busy: float = 15.0
    redis_socket: float = 5.0
    redis_connect: float = 3.0
    postgres_pool_wait: float = 5.0
    postgres_connect: int = 3
    postgres_statement: float = 5.0


TIMEOUTS = Timeouts()


class ConfigError(Exception):
    """The configuration cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def _env_float(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError([f"{key} must be a number of seconds, got {raw!r}"]) from None
    if value <= 0:
        raise ConfigError([f"{key} must be positive, got {raw!r}"])
    return value


def _env_int(env: Mapping[str, str], key: str, default: int) -> int:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError([f"{key} must be an integer, got {raw!r}"]) from None
    if value <= 0:
        raise ConfigError([f"{key} must be positive, got {raw!r}"])
    return value


def _env_flag(env: Mapping[str, str], key: str) -> bool:
    return env.get(key, "").strip().lower() in {"1", "true", "yes", "on"}


def _env_list(env: Mapping[str, str], key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    raw = env.get(key)
    if raw is None or raw.strip() == "":
        return default
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _env_networks(env: Mapping[str, str], key: str) -> tuple[str, ...]:
    """A comma-separated list of IP ranges (CIDR or single addresses), normalised."""
    ranges = []
    for item in _env_list(env, key):
        try:
            ranges.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ConfigError([f"{key}: {item!r} is not an IP address or range"]) from None
    return tuple(ranges)


def _env_count(env: Mapping[str, str], key: str) -> int:
    raw = (env.get(key) or "0").strip()
    if not raw.isdigit() or int(raw) > 10:
        raise ConfigError([f"{key} must be a whole number from 0 to 10, got {raw!r}"])
    return int(raw)


def _env_leeway(env: Mapping[str, str]) -> float:
    raw = (env.get("FAST_JWT_LEEWAY") or "").strip()
    if not raw:
        return Settings.fast_jwt_leeway
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    # A long leeway would quietly extend every token's life.
    if not 0 <= value <= 300:
        raise ConfigError([f"FAST_JWT_LEEWAY must be 0 to 300 seconds, got {raw!r}"])
    return value


def _jwks_url(env: Mapping[str, str], allow_http: bool) -> str:
    url = env.get("FAST_JWKS_URL") or DEFAULT_FAST_JWKS_URL
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.netloc:
        raise ConfigError([f"FAST_JWKS_URL must be an https URL, got {url!r}"])
    if parts.scheme == "http" and not allow_http:
        raise ConfigError(["FAST_JWKS_URL uses plain http; use https (or FAST_ALLOW_HTTP_UPSTREAM=1 locally)"])
    return url


@dataclass(frozen=True)
class Settings:
    """Process-wide settings, read once from the environment."""

    stores_file: str | None = None
    state_path: str = DEFAULT_STATE_PATH
    redis_url: str | None = None
    # PostgreSQL (service/state/postgres.py), preferred to REDIS_URL; its pool holds a
    # connection per gunicorn thread.
    database_url: str | None = None
    database_pool_size: int = 32
    # On Heroku, real stores refuse to start on the dyno's wiped disk unless this is set.
    allow_ephemeral_state: bool = False
    # Defaults in TIMEOUTS above.
    call_deadline: float = TIMEOUTS.call_deadline
    upstream_connect_timeout: float = TIMEOUTS.upstream_connect
    upstream_read_timeout: float = TIMEOUTS.upstream_read
    upstream_max_attempts: int = TIMEOUTS.upstream_max_attempts
    idempotency_ttl: int = 24 * 3600
    replay_wait: float = TIMEOUTS.replay_wait
    max_body_bytes: int = 256 * 1024
    allow_http_upstream: bool = False
    # Fast's signed calls (service/auth.py). There is deliberately no switch to turn
    # verification off: local calls to the sandbox shop use `flask fast token`.
    fast_jwks_url: str = DEFAULT_FAST_JWKS_URL
    fast_jwt_issuers: tuple[str, ...] = DEFAULT_FAST_JWT_ISSUERS
    fast_jwt_leeway: float = 30.0
    fast_jwks_cache_seconds: float = 3600.0
    # Optional allow-list of caller addresses (ip_allowlist.py); empty means off.
    allowed_source_ips: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()
    trusted_proxy_count: int = 0
    log_level: str = "INFO"
    # Heroku's dyno name (web.1, web.2, ...) and an operator's instance count, to spot
    # several instances sharing no state.
    dyno: str | None = None
    instances: int = 1

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        allow_http = _env_flag(env, "FAST_ALLOW_HTTP_UPSTREAM")
        stores_file = env.get("FAST_STORES_FILE") or ("stores.toml" if Path("stores.toml").is_file() else None)
        return cls(
            stores_file=stores_file,
            state_path=env.get("FAST_STATE_PATH") or DEFAULT_STATE_PATH,
            redis_url=env.get("REDIS_URL") or None,
            database_url=env.get("DATABASE_URL") or None,
            database_pool_size=_env_int(
                env, "FAST_DATABASE_POOL_SIZE", _env_int(env, "GUNICORN_THREADS", cls.database_pool_size)
            ),
            allow_ephemeral_state=_env_flag(env, "FAST_ALLOW_EPHEMERAL_STATE"),
            call_deadline=_env_float(env, "FAST_CALL_DEADLINE", cls.call_deadline),
            upstream_connect_timeout=_env_float(env, "FAST_UPSTREAM_CONNECT_TIMEOUT", cls.upstream_connect_timeout),
            upstream_read_timeout=_env_float(env, "FAST_UPSTREAM_READ_TIMEOUT", cls.upstream_read_timeout),
            upstream_max_attempts=_env_int(env, "FAST_UPSTREAM_MAX_ATTEMPTS", cls.upstream_max_attempts),
            idempotency_ttl=_env_int(env, "FAST_IDEMPOTENCY_TTL", cls.idempotency_ttl),
            replay_wait=_env_float(env, "FAST_REPLAY_WAIT", cls.replay_wait),
            max_body_bytes=_env_int(env, "FAST_MAX_BODY_BYTES", cls.max_body_bytes),
            allow_http_upstream=allow_http,
            fast_jwks_url=_jwks_url(env, allow_http),
            fast_jwt_issuers=_env_list(env, "FAST_JWT_ISSUER", DEFAULT_FAST_JWT_ISSUERS),
            fast_jwt_leeway=_env_leeway(env),
            fast_jwks_cache_seconds=_env_float(env, "FAST_JWKS_CACHE_SECONDS", cls.fast_jwks_cache_seconds),
            allowed_source_ips=_env_networks(env, "FAST_ALLOWED_SOURCE_IPS"),
            trusted_proxies=_env_networks(env, "FAST_TRUSTED_PROXIES"),
            trusted_proxy_count=_env_count(env, "FAST_TRUSTED_PROXY_COUNT"),
            log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
            dyno=env.get("DYNO") or None,
            instances=_env_int(env, "FAST_INSTANCES", 1),
        )


@dataclass(frozen=True)
class StoreConfig:
    """One store: who it is in Fast, which adapter serves it, its options."""

    app_id: str
    name: str
    adapter: str
    base_url: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    def secret_env_name(self, key: str) -> str:
        slug = re.sub(r"[^A-Z0-9]", "_", self.name.upper())
        return f"FAST_STORE_{slug}_{key.upper()}"

    def secret(self, key: str) -> str | None:
        """A secret from the environment, never from the stores file; never logged."""
        value = self.env.get(self.secret_env_name(key))
        register_secret(value)
        return value or None

    def option(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)


SANDBOX_STORE = StoreConfig(app_id=SANDBOX_APP_ID, name="sandbox", adapter="sandbox")


def load_stores(path: str | None, env: Mapping[str, str] | None = None) -> dict[str, StoreConfig]:
    """Read the stores file; with none, serve the sandbox shop under app_id ``sandbox``."""
    env = os.environ if env is None else env
    if path is None:
        return {SANDBOX_APP_ID: SANDBOX_STORE}
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError([f"stores file {path} does not exist"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"stores file {path} is not valid TOML: {exc}"]) from None

    problems: list[str] = []
    stores: dict[str, StoreConfig] = {}
    names: dict[str, str] = {}
    table = data.get("stores")
    if not isinstance(table, dict) or not table:
        raise ConfigError([f'{path}: no [stores."<app_id>"] table'])
    for app_id, entry in table.items():
        where = f'[stores."{app_id}"]'
        if not isinstance(entry, dict):
            problems.append(f"{where} must be a table")
            continue
        name = entry.get("name")
        adapter = entry.get("adapter")
        if not isinstance(name, str) or not _SLUG.match(name):
            problems.append(f"{where} name must be a short lowercase slug, got {name!r}")
            continue
        if name in names:
            problems.append(f"{where} name {name!r} is also used by {names[name]!r}")
        names[name] = app_id
        if not isinstance(adapter, str):
            problems.append(f"{where} adapter is missing")
            continue
        base_url = entry.get("base_url")
        if base_url is not None and not isinstance(base_url, str):
            problems.append(f"{where} base_url must be a string")
            continue
        options = {k: v for k, v in entry.items() if k not in {"name", "adapter", "base_url"}}
        _register_store_secrets(name, env)
        stores[app_id] = StoreConfig(app_id, name, adapter, base_url, options, env)
    if problems:
        raise ConfigError(problems)
    return stores


def _register_store_secrets(name: str, env: Mapping[str, str]) -> None:
    # Every FAST_STORE_<NAME>_* value is a secret, read yet or not: none may reach a log line.
    prefix = StoreConfig("", name, "").secret_env_name("")
    for key, value in env.items():
        if key.startswith(prefix):
            register_secret(value)
