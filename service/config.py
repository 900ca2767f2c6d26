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
from dataclasses import dataclass, field, replace
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


# gunicorn.conf.py reads the same variable with the same default: a call's deadline must end first.
GUNICORN_TIMEOUT_ENV = "GUNICORN_TIMEOUT"
GUNICORN_TIMEOUT_DEFAULT = 30
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_URL_SCHEMES = {
    "REDIS_URL": ("redis", "rediss", "unix"),
    # Heroku's DATABASE_URL says postgres://; libpq and psycopg also accept postgresql://.
    "DATABASE_URL": ("postgres", "postgresql"),
}


class EnvReader:
    """Reads settings from the environment, collecting every problem instead of stopping at the first."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def raw(self, key: str) -> str:
        return (self.env.get(key) or "").strip()

    def number(self, key: str, default: float) -> float:
        raw = self.raw(key)
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            self.problems.append(f"{key} must be a number of seconds, got {raw!r}")
            return default
        if not value > 0 or value == float("inf"):
            self.problems.append(f"{key} must be a positive number, got {raw!r}")
            return default
        return value

    def integer(self, key: str, default: int, low: int = 1, high: int | None = None) -> int:
        raw = self.raw(key)
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            self.problems.append(f"{key} must be a whole number, got {raw!r}")
            return default
        if value < low or (high is not None and value > high):
            limit = f"from {low} to {high}" if high is not None else f"at least {low}"
            self.problems.append(f"{key} must be {limit}, got {raw!r}")
            return default
        return value

    def flag(self, key: str) -> bool:
        raw = self.raw(key).lower()
        if raw not in {"", "0", "1", "true", "false", "yes", "no", "on", "off"}:
            self.problems.append(f"{key} must be 1 or 0 (true/false), got {raw!r}")
        return raw in {"1", "true", "yes", "on"}

    def items(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        raw = self.raw(key)
        if not raw:
            return default
        return tuple(item.strip() for item in raw.split(",") if item.strip())

    def networks(self, key: str) -> tuple[str, ...]:
        """A comma-separated list of IP ranges (CIDR or single addresses), normalised."""
        ranges = []
        for item in self.items(key):
            try:
                ranges.append(str(ipaddress.ip_network(item, strict=False)))
            except ValueError:
                self.problems.append(f"{key}: {item!r} is not an IP address or range (CIDR)")
        return tuple(ranges)

    def leeway(self) -> float:
        raw = self.raw("FAST_JWT_LEEWAY")
        if not raw:
            return Settings.fast_jwt_leeway
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        # A long leeway would quietly extend every token's life.
        if not 0 <= value <= 300:
            self.problems.append(f"FAST_JWT_LEEWAY must be 0 to 300 seconds, got {raw!r}")
            return Settings.fast_jwt_leeway
        return value

    def log_level(self) -> str:
        level = self.raw("LOG_LEVEL").upper() or "INFO"
        if level not in LOG_LEVELS:
            self.problems.append(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
            return "INFO"
        return level

    def server_url(self, key: str) -> str | None:
        """REDIS_URL or DATABASE_URL, checked for shape only; the URL itself is never repeated."""
        url = self.raw(key)
        if not url:
            return None
        schemes = _URL_SCHEMES[key]
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError on a port that is not a number
        except ValueError:
            self.problems.append(f"{key} is not a valid URL (a bad port or address)")
            return None
        if parts.scheme not in schemes:
            self.problems.append(f"{key} must start with {' or '.join(s + '://' for s in schemes)}")
            return None
        if parts.scheme != "unix" and not parts.hostname:
            self.problems.append(f"{key} names no host")
            return None
        if key == "DATABASE_URL" and not parts.path.strip("/"):
            self.problems.append("DATABASE_URL names no database (postgres://user:password@host:5432/<database>)")
            return None
        return url

    def jwks_url(self, allow_http: bool) -> str:
        url = self.raw("FAST_JWKS_URL") or DEFAULT_FAST_JWKS_URL
        parts = urlsplit(url)
        if parts.scheme not in {"https", "http"} or not parts.netloc:
            self.problems.append(f"FAST_JWKS_URL must be an https URL, got {url!r}")
            return DEFAULT_FAST_JWKS_URL
        if parts.scheme == "http" and not allow_http:
            self.problems.append("FAST_JWKS_URL uses plain http; use https (or FAST_ALLOW_HTTP_UPSTREAM=1 locally)")
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
    # gunicorn's worker timeout (gunicorn.conf.py): a call must end before gunicorn kills it.
    worker_timeout: int = GUNICORN_TIMEOUT_DEFAULT

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings, or ``ConfigError`` listing every problem in the environment at once."""
        settings, problems = cls.read_env(env)
        if problems:
            raise ConfigError(problems)
        return settings

    @classmethod
    def read_env(cls, env: Mapping[str, str] | None = None) -> tuple[Settings, list[str]]:
        """The settings (a default wherever a value is wrong) and every problem found."""
        read = EnvReader(os.environ if env is None else env)
        allow_http = read.flag("FAST_ALLOW_HTTP_UPSTREAM")
        stores_file = read.raw("FAST_STORES_FILE") or ("stores.toml" if Path("stores.toml").is_file() else None)
        settings = cls(
            stores_file=stores_file,
            state_path=read.raw("FAST_STATE_PATH") or DEFAULT_STATE_PATH,
            redis_url=read.server_url("REDIS_URL"),
            database_url=read.server_url("DATABASE_URL"),
            database_pool_size=read.integer(
                "FAST_DATABASE_POOL_SIZE", read.integer("GUNICORN_THREADS", cls.database_pool_size)
            ),
            allow_ephemeral_state=read.flag("FAST_ALLOW_EPHEMERAL_STATE"),
            call_deadline=read.number("FAST_CALL_DEADLINE", cls.call_deadline),
            upstream_connect_timeout=read.number("FAST_UPSTREAM_CONNECT_TIMEOUT", cls.upstream_connect_timeout),
            upstream_read_timeout=read.number("FAST_UPSTREAM_READ_TIMEOUT", cls.upstream_read_timeout),
            upstream_max_attempts=read.integer("FAST_UPSTREAM_MAX_ATTEMPTS", cls.upstream_max_attempts),
            idempotency_ttl=read.integer("FAST_IDEMPOTENCY_TTL", cls.idempotency_ttl),
            replay_wait=read.number("FAST_REPLAY_WAIT", cls.replay_wait),
            max_body_bytes=read.integer("FAST_MAX_BODY_BYTES", cls.max_body_bytes),
            allow_http_upstream=allow_http,
            fast_jwks_url=read.jwks_url(allow_http),
            fast_jwt_issuers=read.items("FAST_JWT_ISSUER", DEFAULT_FAST_JWT_ISSUERS),
            fast_jwt_leeway=read.leeway(),
            fast_jwks_cache_seconds=read.number("FAST_JWKS_CACHE_SECONDS", cls.fast_jwks_cache_seconds),
            allowed_source_ips=read.networks("FAST_ALLOWED_SOURCE_IPS"),
            trusted_proxies=read.networks("FAST_TRUSTED_PROXIES"),
            trusted_proxy_count=read.integer("FAST_TRUSTED_PROXY_COUNT", 0, low=0, high=10),
            log_level=read.log_level(),
            dyno=read.raw("DYNO") or None,
            instances=read.integer("FAST_INSTANCES", 1),
            worker_timeout=read.integer(GUNICORN_TIMEOUT_ENV, GUNICORN_TIMEOUT_DEFAULT),
        )
        return settings, [*read.problems, *settings.problems()]

    def problems(self) -> list[str]:
        """Rules between settings (each one alone may be fine)."""
        problems = []
        if self.call_deadline >= self.worker_timeout:
            problems.append(
                f"FAST_CALL_DEADLINE ({self.call_deadline:g} s) must be below gunicorn's worker timeout"
                f" ({GUNICORN_TIMEOUT_ENV}, {self.worker_timeout} s): gunicorn would kill the call mid-way"
            )
        return problems


@dataclass(frozen=True)
class StoreConfig:
    """One store: who it is in Fast, which adapter serves it, its options.

    ``problems`` lists what is wrong with the store's generic keys (name, adapter,
    base_url); such a store is kept so its calls answer 503, never 404.
    """

    app_id: str
    name: str
    adapter: str
    base_url: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    problems: tuple[str, ...] = ()

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
# The keys every store's table has, whatever its adapter; the rest are the adapter's options.
GENERIC_STORE_KEYS = ("name", "adapter", "base_url")


def load_stores(path: str | None, env: Mapping[str, str] | None = None) -> dict[str, StoreConfig]:
    """Read the stores file; with none, serve the sandbox shop under app_id ``sandbox``.

    A file that cannot be read raises ``ConfigError``; a store whose generic keys are wrong
    is returned with its ``problems`` so that it alone is refused.
    """
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
    table = data.get("stores")
    if not isinstance(table, dict) or not table:
        raise ConfigError([f'{path}: no [stores."<app_id>"] table'])
    stores: dict[str, StoreConfig] = {}
    names: dict[str, str] = {}
    for app_id, entry in table.items():
        store = _store(str(app_id), entry, env)
        if store.name in names:
            duplicate = f"store {store.name!r} ({app_id}): name is also used by {names[store.name]!r}"
            store = replace(store, problems=(*store.problems, duplicate))
        names.setdefault(store.name, app_id)
        stores[app_id] = store
    return stores


def _store(app_id: str, entry: Any, env: Mapping[str, str]) -> StoreConfig:
    """One store's table, with every problem of its generic keys."""
    if not isinstance(entry, dict):
        return StoreConfig(app_id, app_id, "", problems=(f'[stores."{app_id}"] must be a table',))
    problems: list[str] = []
    name, adapter, base_url = (entry.get(key) for key in GENERIC_STORE_KEYS)
    where = f"store {name!r} ({app_id})"
    if not isinstance(name, str) or not _SLUG.match(name):
        problems.append(f"store ({app_id}): name must be a short lowercase slug (a-z, 0-9, _ or -), got {name!r}")
        name = str(name) if isinstance(name, str) else ""
    if not isinstance(adapter, str) or not adapter:
        problems.append(f"{where}: adapter is missing")
        adapter = ""
    if base_url is not None and not isinstance(base_url, str):
        problems.append(f"{where}: base_url must be a string, got {base_url!r}")
        base_url = None
    options = {k: v for k, v in entry.items() if k not in GENERIC_STORE_KEYS}
    if name:
        _register_store_secrets(name, env)
    return StoreConfig(app_id, name, adapter, base_url, options, env, tuple(problems))


def _register_store_secrets(name: str, env: Mapping[str, str]) -> None:
    # Every FAST_STORE_<NAME>_* value is a secret, read yet or not: none may reach a log line.
    prefix = StoreConfig("", name, "").secret_env_name("")
    for key, value in env.items():
        if key.startswith(prefix):
            register_secret(value)
