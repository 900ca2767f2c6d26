"""The response schemas shipped with the simulator are Fast's, and the simulator needs no spec file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulator import build_schemas, schemas
from tests import openapi


def test_the_bundle_matches_fasts_openapi_file() -> None:
    # The committed copy of Fast's file (tests/derive.py keeps it equal to ../shared's).
    shipped = json.loads(schemas.BUNDLE.read_text())
    rebuilt = build_schemas.build(openapi.SPEC)
    assert shipped["components"] == rebuilt["components"], (
        "simulator/fast_response_schemas.json is out of date: run python -m simulator.build_schemas"
    )
    assert shipped == rebuilt


def test_the_bundle_holds_every_schema_it_references() -> None:
    bundle = json.loads(schemas.BUNDLE.read_text())
    defined = set(bundle["components"]["schemas"])
    for name in schemas.RESPONSE_SCHEMAS.values():
        assert name in defined
    referenced = set()
    for schema in bundle["components"]["schemas"].values():
        referenced.update(schemas._refs(schema))
    # Only the spec's own dangling refs in non-keyword positions may be missing.
    assert referenced - defined <= {"v1CreateUserResponseSegment", "v1ReadShippingOptionResponseSegment"}


def test_validation_works_without_the_spec_or_pyyaml(tmp_path: Path) -> None:
    # A user's machine: the project without ../shared and without PyYAML.
    script = (
        "import sys; sys.modules['yaml'] = None\n"
        "from simulator import schemas\n"
        "print(schemas.problems('update', {'order': {'order': {'total_amount': 1}}}))\n"
    )
    project = Path(schemas.__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=project, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert "is not of type 'string'" in out


def test_the_build_script_writes_the_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "components:\n  schemas:\n"
        "    rpcStatus: {type: object, properties: {code: {type: integer}}}\n"
        "    v1DeleteResponse: {type: object, properties: {order: {$ref: '#/components/schemas/v1X'}}}\n"
        "    v1X: {type: object}\n"
        "    v1Unused: {type: string}\n"
    )
    target = tmp_path / "bundle.json"
    monkeypatch.setattr(build_schemas, "BUNDLE", target)
    assert build_schemas.main([str(spec)]) == 0
    written = json.loads(target.read_text())
    assert sorted(written["components"]["schemas"]) == ["rpcStatus", "v1DeleteResponse", "v1X"]
    assert build_schemas.main([str(tmp_path / "missing.yaml")]) == 1
