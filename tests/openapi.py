"""Validate bodies against Fast's OpenAPI components (tests/derived, from ../shared/spec), strictly.

Strict: every object schema that lists properties is closed
(``additionalProperties: false``), so a field the contract does not name fails.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from simulator.schemas import RESPONSE_SCHEMAS, close_objects

SPEC = Path(__file__).resolve().parent / "derived" / "fast-to-seller.openapi.yaml"  # python -m tests.derive


@cache
def spec() -> dict[str, Any]:
    with open(SPEC) as fh:
        document = yaml.safe_load(fh)
    strict = copy.deepcopy(document)
    close_objects(strict["components"]["schemas"])
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
