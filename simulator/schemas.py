"""Fast's response schemas, shipped with the simulator, and strict validation against them.

``fast_response_schemas.json`` is an extract of Fast's OpenAPI file (the
response envelopes and every schema they reference), so the simulator needs no
copy of the spec. ``python -m simulator.build_schemas`` regenerates it; a test
checks it still matches the spec when the spec is beside the project.

Validation is strict: every object schema that lists properties is closed, so
a field Fast's contract does not name is reported.
"""

from __future__ import annotations

import copy
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

BUNDLE = Path(__file__).resolve().parent / "fast_response_schemas.json"

# What each operation answers on success; every error answers rpcStatus.
RESPONSE_SCHEMAS = {
    "create": "v1CreateResponse",
    "read": "v1ReadResponse",
    "update": "v1UpdateResponse",
    "delete": "v1DeleteResponse",
    "error": "rpcStatus",
}


def extract(spec: dict[str, Any], source_bytes: bytes) -> dict[str, Any]:
    """The response schemas and everything they reference, as stored in the bundle."""
    available = spec["components"]["schemas"]
    wanted: dict[str, Any] = {}
    pending = list(RESPONSE_SCHEMAS.values())
    while pending:
        name = pending.pop()
        if name in wanted or name not in available:
            # Fast's file has a few $refs in non-keyword positions naming schemas it never
            # defines; validators ignore those positions, so they are not needed.
            continue
        wanted[name] = available[name]
        pending.extend(_refs(available[name]))
    return {
        "source": "fast-to-seller.openapi.yaml",
        "source_sha256": hashlib.sha256(source_bytes).hexdigest(),
        "components": {"schemas": {name: wanted[name] for name in sorted(wanted)}},
    }


def _refs(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.append(ref.rsplit("/", 1)[1])
        for value in node.values():
            found.extend(_refs(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_refs(value))
    return found


def close_objects(node: Any) -> None:
    """Make every object schema that lists properties refuse any other property."""
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            node.setdefault("additionalProperties", False)
        for value in node.values():
            close_objects(value)
    elif isinstance(node, list):
        for value in node:
            close_objects(value)


@cache
def _strict_components() -> dict[str, Any]:
    with open(BUNDLE) as fh:
        bundle = json.load(fh)
    components = copy.deepcopy(bundle["components"])
    close_objects(components["schemas"])
    return components


@cache
def _validator(schema_name: str) -> Draft202012Validator:
    return Draft202012Validator({"components": _strict_components(), "$ref": f"#/components/schemas/{schema_name}"})


def problems(kind: str, body: Any) -> list[str]:
    """Where ``body`` breaks the response schema of ``kind`` (an operation, or "error")."""
    schema_name = RESPONSE_SCHEMAS[kind]
    found = []
    for error in sorted(_validator(schema_name).iter_errors(body), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in error.absolute_path) or "$"
        message = error.message
        if error.validator == "additionalProperties":
            message = f"{message} (not in Fast's contract)"
        found.append(f"{schema_name} at {where}: {message}")
    return found
