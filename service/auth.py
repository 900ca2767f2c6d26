"""Who may call: Fast's signed tokens, the sandbox key pair, the optional source-IP allow-list.

Every ``/fast/v1/*`` call carries ``Authorization: Bearer <JWT>``. The token is
RS256-signed by one of Fast's keys (served as a JWKS) and names the store it is
meant for in ``aud``. ``verify_call`` checks it and returns that store's
``app_id``: the only thing a call is routed by.

The sandbox key pair in ``keys/`` is public on purpose, so anyone can drive the
built-in sandbox shop locally. It is therefore trusted for sandbox stores only:
a sandbox-signed token is refused for every store served by a real adapter.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from jwt import PyJWKClient, PyJWKSet
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError, PyJWKError, PyJWKSetError

from service import ip_allowlist
from service.config import TIMEOUTS, Settings, StoreConfig
from service.errors import Unauthorised, UpstreamUnavailable
from service.logs import log_fields

log = logging.getLogger(__name__)

ALGORITHM = "RS256"
SANDBOX_ADAPTER = "sandbox"
SANDBOX_KID = "fast-seller-proxy-sandbox-1"
SANDBOX_ISSUER = "urn:fast-seller-proxy:sandbox"
KEYS_DIR = Path(__file__).resolve().parent.parent / "keys"
SANDBOX_PRIVATE_KEY = KEYS_DIR / "sandbox-private.pem"
SANDBOX_JWKS = KEYS_DIR / "sandbox-jwks.json"

# A forced refetch of Fast's JWKS for an unknown kid happens at most this often
# (per process): rotation is picked up quickly, a flood of made-up kids is not
# turned into a flood of requests to Fast.
REFETCH_COOLDOWN = 15.0
JWKS_FETCH_TIMEOUT = TIMEOUTS.jwks_fetch
# When Fast's JWKS endpoint is down, keep trusting the last keys fetched for this long.
MAX_STALE_KEYS = 24 * 3600.0
# No real token comes close; this bounds the work done for a hostile header.
MAX_TOKEN_LENGTH = 8192
_BEARER = re.compile(r"^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$", re.IGNORECASE)


# --- verifying a call ----------------------------------------------------------------


def verify_call(
    headers: Mapping[str, str],
    remote_addr: str | None,
    settings: Settings,
    stores: Mapping[str, StoreConfig],
) -> str:
    """The verified ``app_id`` of this call; ``Unauthorised`` otherwise.

    Runs before the body is read: nothing of an unauthenticated call is parsed.
    """
    ip_allowlist.check(remote_addr, _forwarded_for(headers), settings)
    return verify_token(bearer_token(headers.get("Authorization")), settings, stores)


def _forwarded_for(headers: Mapping[str, str]) -> str | None:
    # Several X-Forwarded-For headers mean the same as one, joined in order.
    getlist = getattr(headers, "getlist", None)
    if getlist is None:
        return headers.get("X-Forwarded-For")
    return ", ".join(getlist("X-Forwarded-For")) or None


def check_body_app_id(verified_app_id: str, body_app_id: str | None) -> None:
    """A body that names an app must name the one the token was issued for."""
    if body_app_id and body_app_id != verified_app_id:
        raise Unauthorised("the body's app_id is not the app the token was issued for")


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorised("the call carries no Authorization header")
    if len(authorization) > MAX_TOKEN_LENGTH:
        raise Unauthorised("the Authorization header is too long")
    match = _BEARER.match(authorization.strip())
    if match is None:
        raise Unauthorised("the Authorization header is not 'Bearer <JWT>'")
    return match.group(1)


def verify_token(token: str, settings: Settings, stores: Mapping[str, StoreConfig]) -> str:
    header = _unverified_header(token)
    # Checked before any key lookup so a forged header never causes a JWKS fetch.
    if header.get("alg") != ALGORITHM:
        raise Unauthorised(f"the token must be signed {ALGORITHM}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > 256:
        raise Unauthorised("the token's header names no key (kid)")

    sandbox = kid == SANDBOX_KID
    if sandbox:
        key, issuers = sandbox_public_key(), (SANDBOX_ISSUER,)
    else:
        key, issuers = fast_key(kid, settings), settings.fast_jwt_issuers
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=list(stores),
            issuer=issuers,
            leeway=settings.fast_jwt_leeway,
            options={"require": ["exp", "iat", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorised("the token has expired") from None
    except jwt.ImmatureSignatureError:
        raise Unauthorised("the token is not valid yet") from None
    except jwt.MissingRequiredClaimError as exc:
        raise Unauthorised(f"the token has no {exc.claim!r} claim") from None
    except jwt.InvalidAudienceError:
        raise Unauthorised("the token is not for an app this service serves") from None
    except jwt.InvalidIssuerError:
        raise Unauthorised("the token was not issued by Fast") from None
    except jwt.InvalidSignatureError:
        raise Unauthorised("the token's signature does not verify") from None
    except jwt.PyJWTError:
        raise Unauthorised("the token is invalid") from None

    app_id = _single_audience(claims.get("aud"))
    store = stores[app_id]  # the audience check above guarantees it is configured
    if sandbox and store.adapter != SANDBOX_ADAPTER:
        # The sandbox private key is public: it must never open a real shop.
        log.warning("sandbox-signed token refused for a real store", extra=log_fields(app_id=app_id))
        raise Unauthorised("a sandbox-signed token is not accepted for this store")
    return app_id


def _unverified_header(token: str) -> dict[str, Any]:
    """The token's header, only to choose the key: ``jwt.decode`` then checks the whole token strictly.

    (``jwt.get_unverified_header`` validates every segment character by character
    in Python, and ``jwt.decode`` does it all again: a tenth of a sandbox call.)
    """
    segment, dot, rest = token.partition(".")
    if not segment or not dot or rest.count(".") != 1:
        raise Unauthorised("the token is not a JWT")
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        raise Unauthorised("the token is not a JWT") from None
    if not isinstance(header, dict):
        raise Unauthorised("the token is not a JWT")
    return header


def _single_audience(aud: Any) -> str:
    # One token, one store: a token naming several apps could be replayed against each.
    if isinstance(aud, list) and len(aud) == 1:
        aud = aud[0]
    if not isinstance(aud, str):
        raise Unauthorised("the token must name exactly one app in 'aud'")
    return aud


# --- Fast's keys ---------------------------------------------------------------------


class FastKeys(PyJWKClient):
    """Fast's JWKS: cached, refetched for an unknown kid at most once per cooldown.

    On top of PyJWKClient: when the endpoint cannot be reached, the last key set
    fetched keeps serving (up to ``MAX_STALE_KEYS``) and the endpoint is not
    asked again until the cooldown has passed, so an outage at Fast neither
    stops checkouts nor makes every call wait for a timeout.
    """

    def __init__(self, url: str, *, lifespan: float, cooldown: float = REFETCH_COOLDOWN) -> None:
        super().__init__(
            url,
            cache_jwk_set=True,
            lifespan=lifespan,
            timeout=JWKS_FETCH_TIMEOUT,
            cooldown_duration=cooldown,
            headers={"User-Agent": "fast-seller-proxy"},
        )
        self._last_good: PyJWKSet | None = None
        self._last_good_at = 0.0
        self._failed_at: float | None = None

    def get_jwk_set(self, refresh: bool = False) -> PyJWKSet:
        now = time.monotonic()
        if self._fresh_failure(now):
            # Do not ask again so soon: every caller would wait out the same timeout.
            if self._last_good is not None:
                return self._last_good
            raise PyJWKClientConnectionError("the JWKS endpoint failed moments ago")
        try:
            jwk_set = super().get_jwk_set(refresh)
        except (PyJWKClientError, PyJWKSetError, ValueError) as exc:
            # Unreachable, an HTTP error, not JSON, or no usable keys: all mean "cannot fetch".
            self._failed_at = now
            if self._last_good is None or now - self._last_good_at > MAX_STALE_KEYS:
                raise PyJWKClientConnectionError(type(exc).__name__) from exc
            log.warning("Fast's JWKS endpoint failed; using the keys fetched before")
            return self._last_good
        self._failed_at = None
        if jwk_set is not self._last_good:
            self._last_good, self._last_good_at = jwk_set, now
        return jwk_set

    def _fresh_failure(self, now: float) -> bool:
        return self._failed_at is not None and now - self._failed_at < self.cooldown_duration


_clients: dict[str, FastKeys] = {}
_clients_lock = threading.Lock()


def fast_keys(settings: Settings) -> FastKeys:
    """The one key client of this process for the configured JWKS URL."""
    url = settings.fast_jwks_url
    client = _clients.get(url)
    if client is None:
        with _clients_lock:
            client = _clients.get(url)
            if client is None:
                client = _clients[url] = FastKeys(
                    url, lifespan=settings.fast_jwks_cache_seconds, cooldown=REFETCH_COOLDOWN
                )
    return client


def reset_key_cache() -> None:
    """Forget every fetched key set (tests)."""
    with _clients_lock:
        _clients.clear()


def fast_key(kid: str, settings: Settings) -> RSAPublicKey:
    try:
        signing_key = fast_keys(settings).get_signing_key(kid)
    except PyJWKClientConnectionError:
        log.error("cannot fetch Fast's signing keys", extra=log_fields(jwks_url=settings.fast_jwks_url))
        raise UpstreamUnavailable("Fast's signing keys cannot be fetched; try again", retry_after=15) from None
    except (PyJWKClientError, PyJWKError):
        # An unknown kid, or a JWKS without usable keys.
        raise Unauthorised("the token is signed by a key Fast does not publish") from None
    key = signing_key.key
    if not isinstance(key, RSAPublicKey) or signing_key.algorithm_name not in (ALGORITHM, None):
        raise Unauthorised("the token's key is not an RS256 key")
    return key


# --- the sandbox key pair --------------------------------------------------------------


@cache
def sandbox_public_key() -> RSAPublicKey:
    with open(SANDBOX_JWKS) as fh:
        jwk_set = PyJWKSet.from_dict(json.load(fh))
    key = jwk_set[SANDBOX_KID].key
    assert isinstance(key, RSAPublicKey)
    return key


@cache
def _sandbox_private_key() -> RSAPrivateKey:
    with open(SANDBOX_PRIVATE_KEY, "rb") as fh:
        key = load_pem_private_key(fh.read(), password=None)
    assert isinstance(key, RSAPrivateKey)
    return key


def sandbox_token(app_id: str, *, ttl: int = 3600, now: float | None = None, **claims: Any) -> str:
    """A token the sandbox shop accepts (and every real store refuses)."""
    issued = int(time.time() if now is None else now)
    payload = {
        "iss": SANDBOX_ISSUER,
        "aud": app_id,
        "iat": issued,
        "exp": issued + ttl,
        "jti": uuid.uuid4().hex,
        **claims,
    }
    return jwt.encode(payload, _sandbox_private_key(), algorithm=ALGORITHM, headers={"kid": SANDBOX_KID})


def sandbox_headers(app_id: str, **kwargs: Any) -> dict[str, str]:
    """``Authorization`` for a local call to a sandbox store (the demo, curl, tests)."""
    return {"Authorization": f"Bearer {sandbox_token(app_id, **kwargs)}"}
