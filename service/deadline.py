"""The time budget of the Fast call being served (one per request, in a context variable)."""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline", default=None)


@contextlib.contextmanager
def budget(seconds: float) -> Iterator[None]:
    """Everything inside must finish within ``seconds`` (monotonic clock)."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining() -> float:
    """Seconds left in the current call's budget (infinite outside a call)."""
    deadline = _deadline.get()
    if deadline is None:
        return float("inf")
    return deadline - time.monotonic()
