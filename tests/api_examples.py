"""docs/api.md's examples, played against the real sandbox service so the documented answers are true.

Each example in docs/api.md is a request block and an answer block:

    Request: `POST /fast/v1/<operation>`

    ```json
    {...}
    ```

    Answer: `<status>`

    ```json
    {...}
    ```

The requests are written by hand in the document. The examples run in document order
against one sandbox service (a fresh state store, the sandbox's fixed test day, its
random ids drawn from a seeded generator), so later requests can name the ids earlier
answers gave. ``python -m tests.api_examples`` rewrites every answer block with what
the service answers; ``tests/test_api_examples.py`` fails when a documented answer is
not what the service answers.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import re
import secrets
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app import create_app
from service import auth
from service.config import SANDBOX_STORE, Settings
from service.state import SQLiteState

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"
APP_ID = "sandbox"
# The day the sandbox judges coupon expiry against, as in tests/conftest.py's app fixture.
TODAY = dt.date(2026, 11, 23)

_EXAMPLE = re.compile(
    r"Request: `POST /fast/v1/(?P<operation>\w+)`\n\n```json\n(?P<request>.*?)\n```\n\n"
    r"Answer: `(?P<status>\d{3})`\n\n```json\n(?P<answer>.*?)\n```",
    re.DOTALL,
)


@dataclass
class Example:
    operation: str
    request: Any
    status: int
    answer: Any
    span: tuple[int, int]  # where the answer's status and JSON sit in the document


def parse(text: str) -> list[Example]:
    examples = []
    for match in _EXAMPLE.finditer(text):
        examples.append(
            Example(
                operation=match["operation"],
                request=json.loads(match["request"]),
                status=int(match["status"]),
                answer=json.loads(match["answer"]),
                span=(match.start("status"), match.end("answer")),
            )
        )
    return examples


def render(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


@contextmanager
def _seeded_ids() -> Iterator[None]:
    # The sandbox names carts and orders with the secrets module; the examples need the same names every run.
    # One generator per function, so adding an order number to the examples does not rename the carts after it.
    tokens, numbers = random.Random(20261123), random.Random(20261124)
    saved = secrets.token_urlsafe, secrets.randbelow
    secrets.token_urlsafe = lambda nbytes=32: tokens.randbytes(nbytes).hex()[: nbytes * 4 // 3]
    secrets.randbelow = lambda n: numbers.randrange(n)
    try:
        yield
    finally:
        secrets.token_urlsafe, secrets.randbelow = saved


def answers(examples: list[Example]) -> list[tuple[int, Any]]:
    """Each example's request sent, in order, to a fresh sandbox service: its status and body."""
    with tempfile.TemporaryDirectory() as tmp, _seeded_ids():
        state = SQLiteState(str(Path(tmp) / "state.sqlite3"))
        app = create_app(Settings(state_path=state.path), stores={APP_ID: SANDBOX_STORE}, state=state)
        app.extensions["fast.service"].adapter(APP_ID).today = lambda: TODAY
        client = app.test_client()
        headers = {"Authorization": f"Bearer {auth.sandbox_token(APP_ID)}"}
        results = []
        for example in examples:
            response = client.post(f"/fast/v1/{example.operation}", json=example.request, headers=headers)
            results.append((response.status_code, response.get_json()))
        return results


def regenerate(text: str) -> str:
    examples = parse(text)
    out, last = [], 0
    for example, (status, body) in zip(examples, answers(examples), strict=True):
        start, end = example.span
        out.append(text[last:start])
        out.append(f"{status}`\n\n```json\n{render(body)}")
        last = end
    out.append(text[last:])
    return "".join(out)


def main() -> int:
    logging.disable(logging.WARNING)  # the service's access log would bury the one line this prints
    text = DOC.read_text()
    new = regenerate(text)
    if new != text:
        DOC.write_text(new)
        print(f"rewrote the answers in {DOC}")
    else:
        print(f"{DOC} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
