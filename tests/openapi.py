"""Validate bodies against Fast's OpenAPI components (../shared/spec), strictly.

Strict: every object schema that lists properties is closed
(``additionalProperties: false``), so a field the contract does not name fails.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

SPEC = Path(__file__).resolve().parents[1].parent / "shared" / "spec" / "fast-to-seller.openapi.yaml"

RESPONSE_SCHEMAS = {
    "create": "v1CreateResponse",
    "read": "v1ReadResponse",
    "update": "v1UpdateResponse",
    "delete": "v1DeleteResponse",
    "error": "rpcStatus",
}


def _close(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            node.setdefault("additionalProperties", False)
        for value in node.values():
            _close(value)
    elif isinstance(node, list):
        for value in node:
            _close(value)


@cache
def spec() -> dict[str, Any]:
    if not SPEC.is_file():
        pytest.skip(f"Fast's OpenAPI file is not beside the project ({SPEC})")
    with open(SPEC) as fh:
        document = yaml.safe_load(fh)
    strict = copy.deepcopy(document)
    _close(strict["components"]["schemas"])
    return strict


@cache
def validator(schema_name: str) -> Draft202012Validator:
    root = dict(spec())
    root["$ref"] = f"#/components/schemas/{schema_name}"
    return Draft202012Validator(root)


def errors(schema_name: str, body: Any) -> list[str]:
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '$'}: {error.message}"
        for error in validator(schema_name).iter_errors(body)
    ]


def assert_valid(operation: str, body: Any) -> None:
    problems = errors(RESPONSE_SCHEMAS[operation], body)
    assert not problems, f"{operation} response breaks Fast's OpenAPI schema: {problems}"
