"""docs/api.md's answers are what the sandbox service answers to its requests (tests/api_examples.py)."""

from __future__ import annotations

import pytest

from tests import api_examples, openapi

EXAMPLES = api_examples.parse(api_examples.DOC.read_text())
REGENERATE = "run `.venv/bin/python -m tests.api_examples` to rewrite the answers, then read the diff"


def _dialect(request: dict) -> str:
    # The developer guide's dialect spells the envelope differently: entity_type, or a bare-string request_id.
    return "seeds" if "entity_type" in request or isinstance(request.get("request_id"), str) else "openapi"


def test_every_operation_is_shown_in_both_dialects() -> None:
    shown = {(example.operation, _dialect(example.request)) for example in EXAMPLES}
    wanted = {(op, dialect) for op in ("create", "read", "update", "delete") for dialect in ("openapi", "seeds")}
    assert wanted <= shown, f"docs/api.md lacks examples for {sorted(wanted - shown)}"


@pytest.fixture(scope="module")
def served() -> list[tuple[int, object]]:
    return api_examples.answers(EXAMPLES)


@pytest.mark.parametrize("index", range(len(EXAMPLES)), ids=lambda i: f"{i + 1}-{EXAMPLES[i].operation}")
def test_the_documented_answer_is_the_service_answer(index: int, served: list[tuple[int, object]]) -> None:
    example = EXAMPLES[index]
    status, body = served[index]
    where = f"example {index + 1} ({example.operation})"
    assert (status, body) == (example.status, example.answer), f"{where}: {REGENERATE}"
    openapi.assert_valid(example.operation if status == 200 else "error", body)
