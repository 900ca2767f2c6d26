"""The service's error hierarchy, mapped once to Fast's HTTP codes.

Every failure a caller can see is one of these. ``app.py`` turns them into an
``rpcStatus`` body; nothing else decides status codes.
"""

from __future__ import annotations

import base64
from http import HTTPStatus
from typing import Any


class FastError(Exception):
    """Base: an error Fast is told about, with an HTTP status and rpcStatus code."""

    http_status: int = HTTPStatus.INTERNAL_SERVER_ERROR
    # gRPC canonical code carried in rpcStatus.code (google.rpc.Code).
    rpc_code: int = 13  # INTERNAL
    public_message: str = "internal error"

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        details: list[dict[str, Any]] | None = None,
        retry_after: int | None = None,
    ) -> None:
        self.message = message or self.public_message
        self.field = field
        self.details = details or []
        self.retry_after = retry_after
        super().__init__(self.message)


class InvalidRequest(FastError):
    """Fast's request cannot be understood or names something the shop refuses."""

    http_status = HTTPStatus.UNPROCESSABLE_ENTITY
    rpc_code = 3  # INVALID_ARGUMENT
    public_message = "invalid request"


class MalformedJSON(InvalidRequest):
    """The body is not JSON at all."""

    http_status = HTTPStatus.BAD_REQUEST


class Unauthorised(FastError):
    http_status = HTTPStatus.UNAUTHORIZED
    rpc_code = 16  # UNAUTHENTICATED
    public_message = "unauthorised"


class StoreNotFound(FastError):
    """No store is configured for the call's app_id."""

    http_status = HTTPStatus.NOT_FOUND
    rpc_code = 5  # NOT_FOUND
    public_message = "unknown app_id"


class OrderNotFound(FastError):
    """The cart or order the call names does not exist (or no longer exists) in the shop."""

    http_status = HTTPStatus.NOT_FOUND
    rpc_code = 5
    public_message = "order not found"


class ReplayConflict(FastError):
    """The same request_id is already being processed."""

    http_status = HTTPStatus.CONFLICT
    rpc_code = 10  # ABORTED
    public_message = "a call with this request_id is in progress"


class UpstreamError(FastError):
    """Something went wrong talking to the shop."""


class UpstreamRejected(UpstreamError, InvalidRequest):
    """The shop understood the request and said no (validation, stock, ...)."""

    http_status = HTTPStatus.UNPROCESSABLE_ENTITY
    rpc_code = 9  # FAILED_PRECONDITION
    public_message = "the shop refused the request"


class UpstreamUnavailable(UpstreamError):
    """The shop is unreachable, too slow, failing, misconfigured or answering garbage."""

    http_status = HTTPStatus.SERVICE_UNAVAILABLE
    rpc_code = 14  # UNAVAILABLE
    public_message = "the shop is unavailable"

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("retry_after", 5)
        super().__init__(message, **kwargs)


def bad_request_detail(violations: list[tuple[str, str]]) -> dict[str, str]:
    """A ``google.rpc.BadRequest`` naming the offending fields, as the contract's ``protobufAny``.

    Fast's OpenAPI file declares ``{type_url, value (base64)}``, not the ``{"@type", ...}``
    JSON mapping, so the message is packed as its protobuf encoding.
    """
    encoded = b"".join(
        _proto_field(1, _proto_field(1, field) + _proto_field(2, description)) for field, description in violations
    )
    return {"type_url": "type.googleapis.com/google.rpc.BadRequest", "value": base64.b64encode(encoded).decode()}


def rpc_status(error: FastError) -> dict[str, Any]:
    """The ``rpcStatus`` body for an error."""
    details = list(error.details)
    if error.field and not details:
        details.append(bad_request_detail([(error.field, error.message)]))
    return {"code": error.rpc_code, "message": error.message, "details": details}


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
