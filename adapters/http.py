"""The one place every upstream HTTP request is made.

Each adapter family subclasses ``UpstreamClient`` to say what its platform's
errors look like; the session, timeouts, the retry policy and the deadline
live here only. Nothing else in the project calls ``requests``.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests
import tenacity
from requests.adapters import HTTPAdapter

from service import deadline
from service.config import TIMEOUTS
from service.errors import FastError, InvalidRequest, UpstreamRejected, UpstreamUnavailable
from service.logs import log_fields, request_id_var

log = logging.getLogger(__name__)

TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
# A server that answers these has not acted on the request: safe to resend a write.
NOT_PROCESSED_STATUSES = frozenset({429})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


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


def backoff(
    attempt: int,
    *,
    base: float = TIMEOUTS.upstream_backoff_base,
    cap: float = TIMEOUTS.upstream_backoff_cap,
    rng: Callable[[], float] = random.random,
) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**attempt))."""
    return rng() * min(cap, base * (2 ** (attempt - 1)))


@dataclass(frozen=True)
class RetryPolicy:
    """When an upstream request is tried again and how long to wait first: one method per rule.

    ``rng`` is the only source of randomness (the jitter) and the call's
    deadline (``service.deadline``) the only clock, so a test that fixes both
    gets the same decisions every time. The numbers live in ``service.config.TIMEOUTS``.
    """

    max_attempts: int = TIMEOUTS.upstream_max_attempts
    backoff_base: float = TIMEOUTS.upstream_backoff_base
    backoff_cap: float = TIMEOUTS.upstream_backoff_cap
    max_single_wait: float = TIMEOUTS.upstream_max_single_wait
    deadline_margin: float = TIMEOUTS.upstream_deadline_margin
    rng: Callable[[], float] = random.random

    def transient(self, response: requests.Response) -> Transient | None:
        """The answers worth another try: throttling and gateway/server unavailability."""
        if response.status_code not in TRANSIENT_STATUSES:
            return None
        return Transient(
            f"HTTP {response.status_code}",
            wait=parse_retry_after(response.headers.get("Retry-After")),
            sent=response.status_code not in NOT_PROCESSED_STATUSES,
        )

    def may_resend(self, failure: Transient, *, idempotent: bool) -> bool:
        """A write that is not idempotent is resent only when the shop certainly did not act on it."""
        return idempotent or not failure.sent

    def sleep_time(self, failure: Transient, attempt: int) -> float:
        """The shop's Retry-After when it gave one, else exponential backoff with full jitter."""
        if failure.wait is not None:
            return failure.wait
        return backoff(attempt, base=self.backoff_base, cap=self.backoff_cap, rng=self.rng)

    def time_left(self) -> float:
        """What is left of the call's budget for talking to the shop (a margin is kept to build the answer)."""
        return deadline.remaining() - self.deadline_margin

    def fits_in_budget(self, wait: float) -> bool:
        """A wait is worth it only if it is sane and a retry still has time to run after it."""
        return wait <= self.max_single_wait and wait + 0.05 < self.time_left()

    def should_retry(self, failure: BaseException | None, attempt: int, *, idempotent: bool) -> bool:
        """A transient failure, safe to resend, with attempts left (the wait is judged by ``fits_in_budget``)."""
        if not isinstance(failure, Transient) or not self.may_resend(failure, idempotent=idempotent):
            return False
        return attempt < self.max_attempts

    def timeouts(self, connect: float, read: float) -> tuple[float, float]:
        """The ``(connect, read)`` timeout of one attempt, cut to the call's remaining budget."""
        left = self.time_left()
        if left <= 0:
            raise UpstreamUnavailable("the call's time budget ran out before the shop answered")
        return (min(connect, left), min(read, left))

    def retry_after_for_fast(self, failure: Transient) -> int:
        """What Fast is told to wait when the shop stayed unavailable."""
        return int(failure.wait) + 1 if failure.wait else 5


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
        connect_timeout: float = TIMEOUTS.upstream_connect,
        read_timeout: float = TIMEOUTS.upstream_read,
        max_attempts: int = TIMEOUTS.upstream_max_attempts,
        rng: Callable[[], float] = random.random,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.retry = RetryPolicy(max_attempts=max_attempts, rng=rng)
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
        """Raise ``Transient`` if this answer should be retried (a platform adds its own signals)."""
        failure = self.retry.transient(response)
        if failure is not None:
            raise failure

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
            idempotent = method.upper() in IDEMPOTENT_METHODS
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"
        headers = dict(kwargs.pop("headers", None) or {})
        request_id = request_id_var.get()
        if request_id:
            headers.setdefault("X-Request-ID", request_id)
        policy = self.retry

        def attempt() -> requests.Response:
            return self._attempt(method, url, path, headers, kwargs)

        def failure(state: tenacity.RetryCallState) -> BaseException | None:
            return state.outcome.exception() if state.outcome else None

        # tenacity asks in this order: retry?, then how long to wait, then stop (given that wait)?
        retrying = tenacity.Retrying(
            retry=lambda state: policy.should_retry(failure(state), state.attempt_number, idempotent=idempotent),
            wait=lambda state: policy.sleep_time(failure(state), state.attempt_number),  # type: ignore[arg-type]
            stop=lambda state: not policy.fits_in_budget(state.upcoming_sleep),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            response = retrying(attempt)
        except Transient as exc:
            log.warning(
                "the shop is unavailable",
                extra=log_fields(platform=self.platform, reason=exc.reason, path=_path_only(path)),
            )
            raise UpstreamUnavailable(
                f"the shop is unavailable ({exc.reason})",
                retry_after=policy.retry_after_for_fast(exc),
                platform=self.platform,
            ) from None
        if response.status_code >= 400 and response.status_code not in ok_statuses:
            raise self.translate(response)
        return response

    def _attempt(
        self, method: str, url: str, path: str, headers: dict[str, Any], kwargs: dict[str, Any]
    ) -> requests.Response:
        """One round trip, its timeouts cut to the call's budget; a retryable failure raises ``Transient``."""
        timeout = self.retry.timeouts(self.connect_timeout, self.read_timeout)
        self.calls += 1
        started = time.monotonic()
        try:
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


def _path_only(path: str) -> str:
    return path.split("?", 1)[0]


def _not_sent(exc: requests.ConnectionError) -> bool:
    text = repr(exc)
    return any(s in text for s in ("NewConnectionError", "Connection refused", "NameResolutionError"))
