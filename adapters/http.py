"""The one place every upstream HTTP request is made.

Each adapter family subclasses ``UpstreamClient`` to say what its platform's
errors look like; the session, timeouts, the retry policy and the deadline
live here only. Nothing else in the project calls ``requests``.
"""

from __future__ import annotations

import email.utils
import functools
import logging
import random
import time
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import requests
import tenacity
from requests.adapters import HTTPAdapter
from requests.hooks import default_hooks
from requests.structures import CaseInsensitiveDict

from service import deadline
from service.errors import FastError, InvalidRequest, UpstreamRejected, UpstreamUnavailable
from service.logs import log_fields, request_id_var

log = logging.getLogger(__name__)

TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
# A server that answers these has not acted on the request: safe to resend a write.
NOT_PROCESSED_STATUSES = frozenset({429})
# Never wait longer than this for one Retry-After, whatever the shop says.
MAX_SINGLE_WAIT = 10.0
# Leave this much of the budget for building the answer after the last upstream call.
DEADLINE_MARGIN = 0.25


MAX_PATH_SEGMENT = 256


def path_segment(value: str | int, *, field: str | None = None) -> str:
    """An id from a Fast call made safe to be exactly ONE segment of an upstream URL path.

    Use it for every id that goes into a path (``f"orders/{path_segment(ref.external_id)}"``);
    put other request data in query parameters or bodies, never in the URL by hand.
    Refuses (422, nothing sent) what could change which resource is addressed:
    empty or ``.``/``..``, slashes and backslashes (some servers decode ``%2F``),
    ``%`` (some decode twice), control characters, and anything over 256 characters.
    The rest is percent-encoded, ``?`` and ``#`` included.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidRequest("an id must be a string", field=field)
    text = str(value)
    if not text or len(text) > MAX_PATH_SEGMENT:
        raise InvalidRequest(f"an id must be 1 to {MAX_PATH_SEGMENT} characters", field=field)
    if text.strip(".") == "" or any(c in text for c in "/\\%") or not _printable(text):
        raise InvalidRequest("the id contains characters no shop id has", field=field)
    return quote(text, safe="")


def _printable(text: str) -> bool:
    # Control, format (e.g. bidi overrides), separator and unassigned characters have no place in an id.
    return all(unicodedata.category(c)[0] not in "CZ" for c in text)


class Transient(Exception):
    """An attempt failed in a way that may succeed if repeated."""

    def __init__(self, reason: str, *, wait: float | None = None, sent: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait
        # False when the request certainly never reached the shop (connect failure).
        self.sent = sent


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def backoff(attempt: int, *, base: float = 0.1, cap: float = 2.0, rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**attempt))."""
    return rng() * min(cap, base * (2 ** (attempt - 1)))


class _NoCookies(requests.cookies.RequestsCookieJar):
    """A jar that never keeps a cookie: carts must never leak between Fast calls."""

    def set_cookie(self, cookie: Any, *args: Any, **kwargs: Any) -> None:
        return None


class UpstreamClient:
    """A pooled HTTP client for one store with timeouts, retries and error translation."""

    platform = "upstream"

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: Any = None,
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
        max_attempts: int = 4,
        rng: Callable[[], float] = random.random,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_attempts = max_attempts
        self.rng = rng
        self.sleep = sleep
        self.session = requests.Session()
        self.session.cookies = _NoCookies()
        self.session.trust_env = False
        # One retry layer only: urllib3 must not retry underneath tenacity.
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers.update({"Accept": "application/json", "User-Agent": "fast-seller-proxy"})
        if headers:
            self.session.headers.update(headers)
        self.session.auth = auth
        self.calls = 0  # upstream round trips made, for the benchmark and tests

    # --- per-platform hooks -------------------------------------------------

    def check_transient(self, response: requests.Response) -> None:
        """Raise ``Transient`` if this answer should be retried."""
        if response.status_code in TRANSIENT_STATUSES:
            raise Transient(
                f"HTTP {response.status_code}",
                wait=parse_retry_after(response.headers.get("Retry-After")),
                sent=response.status_code not in NOT_PROCESSED_STATUSES,
            )

    def translate(self, response: requests.Response) -> FastError:
        """Turn a final non-2xx answer into the project's error types."""
        where = {"platform": self.platform, "upstream_status": response.status_code}
        if response.status_code in (401, 403):
            log.error(
                "the shop refused our credentials: check this store's secrets",
                extra=log_fields(platform=self.platform, status=response.status_code),
            )
            return UpstreamUnavailable("the shop refused the service's credentials", **where)
        if 400 <= response.status_code < 500:
            return UpstreamRejected(f"the shop refused the request (HTTP {response.status_code})", **where)
        return UpstreamUnavailable(f"the shop answered HTTP {response.status_code}", **where)

    # --- the choke point ----------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool | None = None,
        ok_statuses: tuple[int, ...] = (),
        **kwargs: Any,
    ) -> requests.Response:
        """Send one logical request, retrying transient failures within the call's budget.

        ``idempotent`` defaults to True for GET/HEAD/PUT/DELETE; a write that is
        not idempotent is only resent when the shop certainly did not act on it.
        ``ok_statuses`` are non-2xx answers the caller wants back instead of an error.
        """
        if idempotent is None:
            idempotent = method.upper() in {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"
        headers = dict(kwargs.pop("headers", None) or {})
        request_id = request_id_var.get()
        if request_id:
            headers.setdefault("X-Request-ID", request_id)
        prepared = self._prepare(method, url, headers, kwargs) if kwargs.keys() <= _LEAN_KWARGS else None

        def attempt() -> requests.Response:
            left = deadline.remaining() - DEADLINE_MARGIN
            if left <= 0:
                raise UpstreamUnavailable("the call's time budget ran out before the shop answered")
            timeout = (min(self.connect_timeout, left), min(self.read_timeout, left))
            self.calls += 1
            started = time.monotonic()
            try:
                if prepared is not None:
                    response = self.session.send(prepared, timeout=timeout, proxies=dict(self.session.proxies))
                else:
                    response = self.session.request(method, url, headers=headers, timeout=timeout, **kwargs)
            except requests.ConnectTimeout as exc:
                raise Transient("connect timeout", sent=False) from exc
            except requests.ConnectionError as exc:
                # A refused or reset connection before any byte of the answer.
                raise Transient("connection failed", sent=not _not_sent(exc)) from exc
            except requests.Timeout as exc:
                raise Transient("read timeout") from exc
            log.debug(
                "upstream call",
                extra=log_fields(
                    platform=self.platform,
                    method=method,
                    path=_path_only(path),
                    status=response.status_code,
                    ms=round((time.monotonic() - started) * 1000, 1),
                ),
            )
            self.check_transient(response)
            return response

        def may_retry(state: tenacity.RetryCallState) -> bool:
            exc = state.outcome.exception() if state.outcome else None
            if not isinstance(exc, Transient):
                return False
            return idempotent or not exc.sent

        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, Transient) and exc.wait is not None:
                return exc.wait
            return backoff(state.attempt_number, rng=self.rng)

        def stop(state: tenacity.RetryCallState) -> bool:
            if state.attempt_number >= self.max_attempts:
                return True
            if state.upcoming_sleep > MAX_SINGLE_WAIT:
                return True
            # Never sleep into the deadline: the retry would have no time to run.
            return state.upcoming_sleep + 0.05 >= deadline.remaining() - DEADLINE_MARGIN

        retrying = tenacity.Retrying(retry=may_retry, wait=wait, stop=stop, sleep=self.sleep, reraise=True)
        try:
            response = retrying(attempt)
        except Transient as exc:
            log.warning(
                "the shop is unavailable",
                extra=log_fields(platform=self.platform, reason=exc.reason, path=_path_only(path)),
            )
            retry_after = int(exc.wait) + 1 if exc.wait else 5
            raise UpstreamUnavailable(f"the shop is unavailable ({exc.reason})", retry_after=retry_after) from None
        if response.status_code >= 400 and response.status_code not in ok_statuses:
            raise self.translate(response)
        return response

    def _prepare(
        self, method: str, url: str, headers: dict[str, Any], kwargs: dict[str, Any]
    ) -> requests.PreparedRequest:
        """What ``Session.prepare_request`` makes of these arguments, without its generic merging.

        ``Session.request`` spent more CPU merging settings, cookie jars and hooks
        this client never uses than urllib3 spent on the request itself. Each
        step below is requests' own (URL encoding, header validation, body,
        auth); the session's headers and auth are merged the way
        ``merge_setting`` does (a None value drops the header). Prepared once,
        the request is resent as is on a retry.
        """
        prepared = requests.PreparedRequest()
        prepared.method = method.upper()
        params = kwargs.get("params")
        if params:
            prepared.prepare_url(url, params)
        else:
            prepared.url = _prepared_url(url)
        merged = CaseInsensitiveDict(self.session.headers)
        merged.update(headers)
        prepared.prepare_headers({k: v for k, v in merged.items() if v is not None})
        prepared._cookies = self.session.cookies  # type: ignore[attr-defined]  # the jar that keeps nothing
        prepared.prepare_body(kwargs.get("data") or {}, None, kwargs.get("json"))
        auth = kwargs.get("auth")
        prepared.prepare_auth(auth if auth is not None else self.session.auth, url)
        prepared.hooks = default_hooks()
        return prepared

    def json(self, response: requests.Response) -> Any:
        """The answer's JSON body, or 503 when the shop answered something else."""
        try:
            return response.json()
        except ValueError:
            log.warning(
                "the shop answered something that is not JSON",
                extra=log_fields(platform=self.platform, status=response.status_code),
            )
            raise UpstreamUnavailable("the shop answered something that is not JSON") from None


# The arguments ``_prepare`` handles; anything else goes through ``Session.request``.
_LEAN_KWARGS = frozenset({"json", "params", "data", "auth"})


@functools.lru_cache(maxsize=1024)
def _prepared_url(url: str) -> str:
    """requests' encoding of a URL without query parameters (cached: a store asks for few distinct URLs)."""
    prepared = requests.PreparedRequest()
    prepared.prepare_url(url, None)
    return prepared.url or url


def _path_only(path: str) -> str:
    return path.split("?", 1)[0]


def _not_sent(exc: requests.ConnectionError) -> bool:
    text = repr(exc)
    return any(s in text for s in ("NewConnectionError", "Connection refused", "NameResolutionError"))
