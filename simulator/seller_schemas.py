"""Fast's seller API request schemas (``../shared/spec/seller-to-fast``), shipped as one JSON bundle.

``seller_to_fast_schemas.json`` is derived from Fast's multi-file OpenAPI
folder: every schema under ``components/schemas`` with its file ``$ref``\\ s
rewritten to ``#/components/schemas/<name>``, and which request schema each
path takes. ``python -m simulator.seller_schemas`` regenerates it; a test
checks it still matches the spec when the spec is beside the project. The
local stand-in for Fast's seller API and the tests validate every body
against it, strictly (a field the contract does not name fails).
"""

from __future__ import annotations

import copy
import hashlib
import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from simulator.schemas import close_objects

BUNDLE = Path(__file__).resolve().parent / "seller_to_fast_schemas.json"
DEFAULT_SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec" / "seller-to-fast"


def _rewrite(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.endswith(".yaml"):
                out[key] = f"#/components/schemas/{Path(value).stem}"
            else:
                out[key] = _rewrite(value)
        return out
    if isinstance(node, list):
        return [_rewrite(value) for value in node]
    return node


def build(spec_dir: Path) -> dict[str, Any]:
    import yaml  # only needed to rebuild

    digest = hashlib.sha256()
    schemas: dict[str, Any] = {}
    for path in sorted((spec_dir / "components" / "schemas").glob("*.yaml")):
        raw = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + raw)
        schemas[path.stem] = _rewrite(yaml.safe_load(raw))
    requests: dict[str, str] = {}
    for path in sorted((spec_dir / "paths").glob("*.yaml")):
        raw = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + raw)
        for method, operation in (yaml.safe_load(raw) or {}).items():
            body = ((operation.get("requestBody") or {}).get("content") or {}).get("application/json")
            if body:
                route = "/" + path.stem.replace("@", "/")
                requests[f"{method.upper()} {route}"] = Path(body["schema"]["$ref"]).stem
    return {
        "source": "seller-to-fast/",
        "source_sha256": digest.hexdigest(),
        "requests": requests,
        "components": {"schemas": schemas},
    }


def render(bundle: dict[str, Any]) -> str:
    return json.dumps(bundle, indent=1) + "\n"


@cache
def bundle() -> dict[str, Any]:
    with open(BUNDLE) as fh:
        return json.load(fh)


@cache
def _validator(schema_name: str) -> Draft202012Validator:
    components = copy.deepcopy(bundle()["components"])
    close_objects(components["schemas"])
    return Draft202012Validator({"components": components, "$ref": f"#/components/schemas/{schema_name}"})


def problems(schema_name: str, body: Any) -> list[str]:
    """Where ``body`` breaks the named seller-to-fast schema (empty when it conforms)."""
    found = []
    for error in sorted(_validator(schema_name).iter_errors(body), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in error.absolute_path) or "$"
        found.append(f"{schema_name} at {where}: {error.message}")
    return found


def main(argv: list[str]) -> int:
    spec_dir = Path(argv[0]) if argv else DEFAULT_SPEC
    if not (spec_dir / "components" / "schemas").is_dir():
        print(f"no seller-to-fast OpenAPI folder at {spec_dir}", file=sys.stderr)
        return 1
    BUNDLE.write_text(render(build(spec_dir)))
    print(f"wrote {BUNDLE} from {spec_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
