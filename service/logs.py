"""JSON logs on stdout, each line tagged with the Fast call's request id, secrets redacted."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
from collections.abc import Mapping
from typing import Any

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_REDACTED = "[REDACTED]"
# Shapes of secrets that may appear in messages we did not write ourselves.
_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)(basic\s+)[A-Za-z0-9+/=]+"),
    re.compile(
        r"(?i)((?:consumer_secret|consumer_key|access_token|client_secret|api_?key|password|passwd|secret|token"
        r"|authorization)[\"']?\s*[=:]\s*[\"']?)[^\s\"'&,;]+"
    ),
    re.compile(r"(shpat_|shpca_|shppa_|shpss_|shpua_|cs_|ck_)[A-Za-z0-9]{8,}"),
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
    # The password in a URL: scheme://user:password@host (REDIS_URL, a shop URL with credentials).
    re.compile(r"(://[^/\s:@]*:)[^@\s/]+(?=@)"),
]
# Structured fields under these names are secrets whatever they look like.
_SENSITIVE_KEY = re.compile(r"(?i)authorization|token|secret|password|passwd|cookie|api_?key|consumer_key")
_known_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Make sure this exact value is never written to a log line."""
    if value and len(value) >= 4:
        _known_secrets.add(value)


def redact(text: str) -> str:
    # Longest first, so a secret that contains another is replaced whole.
    for secret in sorted(_known_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, _REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() and m.group(1) else "") + _REDACTED, text)
    return text


def redact_value(value: Any, key: str | None = None, _depth: int = 0) -> Any:
    """A structured log field with every secret in it redacted, however deeply nested."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if key is not None and _SENSITIVE_KEY.search(key):
        return _REDACTED
    if _depth > 8:
        return "[...]"
    if isinstance(value, Mapping):
        return {str(k): redact_value(v, str(k), _depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(v, None, _depth + 1) for v in value]
    return redact(value if isinstance(value, str) else str(value))


class JSONFormatter(logging.Formatter):
    """One JSON object per line; no tracebacks (they may hold secrets and request data)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in getattr(record, "fields", {}).items():
            entry[key] = redact_value(value, key)
        if record.exc_info and record.exc_info[0] is not None:
            # The exception's type is enough to find it; its text may carry data.
            entry["exc_type"] = record.exc_info[0].__name__
        return json.dumps(entry, default=str)


def configure(level: str = "INFO") -> None:
    root = logging.getLogger()
    if any(getattr(h, "_fast_json", False) for h in root.handlers):
        root.setLevel(level)
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JSONFormatter())
    handler._fast_json = True  # type: ignore[attr-defined]
    root.handlers = [handler]
    root.setLevel(level)


def log_fields(**fields: Any) -> dict[str, Any]:
    """``logger.info("msg", extra=log_fields(store="acme"))`` adds structured fields."""
    return {"fields": fields}
