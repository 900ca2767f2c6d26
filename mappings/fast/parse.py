"""Fast's requests: bytes to JSON (exact decimals, bounded size and depth), JSON to the model."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError

from mappings.fast.enums import MAX_JSON_DEPTH
from mappings.fast.schemas import CreateRequestSchema, DeleteRequestSchema, ReadRequestSchema, UpdateRequestSchema
from service.errors import InvalidRequest, MalformedJSON, TooLarge, bad_request_detail

_SCHEMAS = {
    "create": CreateRequestSchema(),
    "read": ReadRequestSchema(),
    "update": UpdateRequestSchema(),
    "delete": DeleteRequestSchema(),
}


def decode_json(raw: bytes) -> dict[str, Any]:
    """JSON with exact decimals; 400 for non-JSON, 422 for a non-object or too deep a document."""
    try:
        # Strict UTF-8: json.loads(bytes) would let encoded lone surrogates through.
        data = json.loads(raw.decode("utf-8"), parse_float=_number, parse_constant=_reject_constant)
    except RecursionError:
        # Deeper than the parser's own stack goes: far past MAX_JSON_DEPTH.
        raise _too_deep() from None
    except ValueError:
        raise MalformedJSON("the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidRequest("the request body must be a JSON object", field="$")
    if _depth(data) > MAX_JSON_DEPTH:
        raise _too_deep()
    return data


def _too_deep() -> TooLarge:
    return TooLarge(f"the request body is too large: nested deeper than {MAX_JSON_DEPTH} levels", field="$")


# A number with a huge exponent is cheap to send and ruinous to use: int(Decimal("1e999999"))
# or format(..., "f") would build a million digits. No amount, quantity or id needs more.
MAX_NUMBER_CHARS = 64
MAX_NUMBER_EXPONENT = 40


def _number(text: str) -> Decimal:
    number = Decimal(text)
    if len(text) > MAX_NUMBER_CHARS or abs(number.adjusted()) > MAX_NUMBER_EXPONENT:
        raise InvalidRequest("the request body holds a number out of range", field="$")
    return number


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _depth(value: Any, level: int = 1) -> int:
    stack = [(value, level)]
    deepest = level
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def load_request(operation: str, data: dict[str, Any]) -> dict[str, Any]:
    """Validate and convert one request body; 422 naming the offending fields."""
    try:
        loaded = _SCHEMAS[operation].load(data)
    except ValidationError as exc:
        violations = list(_flatten(exc.messages))
        shown = "; ".join(f"{path}: {message}" for path, message in violations[:3])
        if len(violations) > 3:
            shown += f"; and {len(violations) - 3} more"
        raise InvalidRequest(
            f"invalid {operation} request: {shown}",
            field=violations[0][0] if violations else None,
            details=[bad_request_detail(violations[:20])],
        ) from None
    loaded.setdefault("type", None)
    return loaded


def _flatten(messages: Any, path: str = "") -> Any:
    if isinstance(messages, dict):
        for key, value in messages.items():
            if isinstance(key, int):
                child = f"{path}[{key}]"
            elif key == "_schema":
                child = path or "$"
            else:
                child = f"{path}.{key}" if path else str(key)
            yield from _flatten(value, child)
    elif isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        yield path or "$", " ".join(messages)
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            yield from _flatten(value, f"{path}[{index}]")
    else:
        yield path or "$", str(messages)
