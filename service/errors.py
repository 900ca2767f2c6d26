"""Every error a caller can see, and the one place it becomes an HTTP answer.

Each type states its HTTP status and ``rpcStatus`` code (google.rpc.Code, the
codes Fast's contract names). ``answer`` turns any error — one of ours, an
HTTP error Flask/werkzeug raised before a route ran, or a bug — into the
status, the ``rpcStatus`` body and the headers. ``app.py`` and the state store
only raise; nothing else decides a status code.

What went wrong upstream travels as fields (``platform``, ``upstream_status``,
``code``: the shop's own error code), for logs and tests; the message stays a
sentence for Fast that never carries secrets.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from werkzeug.exceptions import HTTPException

# google.rpc.Code values used in rpcStatus.code.
OK = 0
UNKNOWN = 2
INVALID_ARGUMENT = 3
NOT_FOUND = 5
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
ABORTED = 10
UNIMPLEMENTED = 12
INTERNAL = 13
UNAVAILABLE = 14
UNAUTHENTICATED = 16


class FastError(Exception):
    """Base: an error Fast is told about, with an HTTP status and rpcStatus code."""

    http_status: int = HTTPStatus.INTERNAL_SERVER_ERROR
    rpc_code: int = INTERNAL
    public_message: str = "internal error"
    default_retry_after: int | None = None

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        details: list[dict[str, Any]] | None = None,
        retry_after: int | None = None,
        platform: str | None = None,
        upstream_status: int | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.public_message
        self.field = field
        self.details = details or []
        self.retry_after = retry_after if retry_after is not None else self.default_retry_after
        # Where it came from, when a shop said it: "woocommerce", its HTTP status, its own error code.
        self.platform = platform
        self.upstream_status = upstream_status
        self.code = code
        self.headers = dict(headers or {})
        super().__init__(self.message)


# --- Fast's request -------------------------------------------------------------------


class InvalidRequest(FastError):
    """Fast's request cannot be understood or names something the shop refuses."""

    http_status = HTTPStatus.UNPROCESSABLE_ENTITY
    rpc_code = INVALID_ARGUMENT
    public_message = "invalid request"


class MalformedJSON(InvalidRequest):
    """The body is not JSON at all."""

    http_status = HTTPStatus.BAD_REQUEST


class TooLarge(InvalidRequest):
    """The body is over the size limit, or nested deeper than the limit (Fast's contract: 422)."""

    public_message = "the request body is too large"


class OrderStateConflict(InvalidRequest):
    """The request is well formed but the order is not in a state that allows it: an invalid
    status transition, a change to an order already placed, converting an empty cart.

    google.rpc's FAILED_PRECONDITION ("the system is not in a state required for the
    operation"), not INVALID_ARGUMENT, which is for requests wrong whatever the state.
    """

    rpc_code = FAILED_PRECONDITION
    public_message = "the order is not in a state that allows this"


class Unauthorised(FastError):
    http_status = HTTPStatus.UNAUTHORIZED
    rpc_code = UNAUTHENTICATED
    public_message = "unauthorised"


class StoreNotFound(FastError):
    """No store is configured for the call's app_id."""

    http_status = HTTPStatus.NOT_FOUND
    rpc_code = NOT_FOUND
    public_message = "unknown app_id"


class StoreMisconfigured(FastError):
    """The call's store is configured but broken: it is not served until the operator fixes it.

    The answer is 503 (never 404: Fast must not conclude the cart is gone) with a generic
    message; ``problems`` (for the log and /readyz only) may name options and env variables.
    """

    http_status = HTTPStatus.SERVICE_UNAVAILABLE
    rpc_code = 14  # UNAVAILABLE
    public_message = "the store is not available: its configuration has problems"

    def __init__(self, problems: list[str] | None = None) -> None:
        super().__init__()
        self.problems = list(problems or [])


class OrderNotFound(FastError):
    """The cart or order the call names does not exist (or no longer exists) in the shop."""

    http_status = HTTPStatus.NOT_FOUND
    rpc_code = NOT_FOUND
    public_message = "order not found"


class ReplayConflict(FastError):
    """The same request_id is already being processed."""

    http_status = HTTPStatus.CONFLICT
    rpc_code = ABORTED
    public_message = "a call with this request_id is in progress"


# --- the shop ------------------------------------------------------------------------------


class UpstreamError(FastError):
    """Something went wrong talking to the shop."""


class UpstreamRejected(UpstreamError, InvalidRequest):
    """The shop understood the request and said no (validation, stock, ...)."""

    http_status = HTTPStatus.UNPROCESSABLE_ENTITY
    rpc_code = FAILED_PRECONDITION
    public_message = "the shop refused the request"


class UpstreamUnavailable(UpstreamError):
    """The shop is unreachable, too slow, failing, misconfigured or answering garbage."""

    http_status = HTTPStatus.SERVICE_UNAVAILABLE
    rpc_code = UNAVAILABLE
    public_message = "the shop is unavailable"
    default_retry_after = 5


class ShapeError(UpstreamUnavailable):
    """The shop answered JSON that is not shaped the way its platform documents (503: garbage)."""

    public_message = "the shop answered something that is not shaped like its platform's responses"


# --- the service's own state -------------------------------------------------------------


class StateUnavailable(FastError):
    """The shared state store cannot be reached: answer 503 so Fast retries."""

    http_status = HTTPStatus.SERVICE_UNAVAILABLE
    rpc_code = UNAVAILABLE
    public_message = "the service's state store is unavailable"
    default_retry_after = 2


class LockTimeout(UpstreamUnavailable):
    """Another call holds the lock on this cart for too long."""

    public_message = "the cart is busy with another call"


# --- HTTP errors raised before a route runs --------------------------------------------------

# What an HTTP status means as an rpcStatus code, for werkzeug's errors (unknown path, wrong method...).
HTTP_TO_RPC: dict[int, int] = {
    400: INVALID_ARGUMENT,
    401: UNAUTHENTICATED,
    403: PERMISSION_DENIED,
    404: NOT_FOUND,
    405: UNIMPLEMENTED,
    409: ABORTED,
    415: INVALID_ARGUMENT,
    422: INVALID_ARGUMENT,
    429: RESOURCE_EXHAUSTED,
    500: INTERNAL,
    503: UNAVAILABLE,
}


class HTTPFailure(FastError):
    """A werkzeug HTTP error (no such route, wrong method...) as one of ours."""

    def __init__(self, status: int, message: str, headers: dict[str, str]) -> None:
        super().__init__(message, headers=headers)
        self.http_status = status
        self.rpc_code = HTTP_TO_RPC.get(status, UNKNOWN)


def from_http_exception(error: HTTPException) -> FastError:
    status = error.code or 500
    if status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
        # Fast's documented codes: an oversized body is an unprocessable request.
        return TooLarge(field="$")
    headers: dict[str, str] = {}
    valid_methods = getattr(error, "valid_methods", None)  # MethodNotAllowed's public attribute
    if status == HTTPStatus.METHOD_NOT_ALLOWED and valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    return HTTPFailure(status, error.description or error.name, headers)


# --- the answer ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorAnswer:
    """What Fast receives for an error: HTTP status, ``rpcStatus`` body, headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def answer(error: BaseException) -> ErrorAnswer:
    """The one mapping from an exception to what the caller sees."""
    if isinstance(error, HTTPException):
        error = from_http_exception(error)
    if not isinstance(error, FastError):
        # A bug: the caller learns nothing about it (its message may carry secrets).
        error = FastError()
    headers = dict(error.headers)
    if error.retry_after:
        headers["Retry-After"] = str(error.retry_after)
    return ErrorAnswer(int(error.http_status), rpc_status(error), headers)


def rpc_status(error: FastError) -> dict[str, Any]:
    """The ``rpcStatus`` body for an error."""
    details = list(error.details)
    if error.field and not details:
        details.append(bad_request_detail([(error.field, error.message)]))
    return {"code": error.rpc_code, "message": error.message, "details": details}


def bad_request_detail(violations: list[tuple[str, str]]) -> dict[str, str]:
    """A ``google.rpc.BadRequest`` naming the offending fields, as the contract's ``protobufAny``.

    Fast's OpenAPI file declares ``{type_url, value (base64)}``, not the ``{"@type", ...}``
    JSON mapping, so the message is packed as its protobuf encoding.
    """
    encoded = b"".join(
        _proto_field(1, _proto_field(1, field) + _proto_field(2, description)) for field, description in violations
    )
    return {"type_url": "type.googleapis.com/google.rpc.BadRequest", "value": base64.b64encode(encoded).decode()}


def _proto_field(number: int, value: str | bytes) -> bytes:
    """One length-delimited protobuf field (wire type 2)."""
    data = value.encode("utf-8", "replace") if isinstance(value, str) else value
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | 0x80 if n else byte)
        if not n:
            return bytes(out)
