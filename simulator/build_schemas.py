"""Regenerate ``simulator/fast_response_schemas.json`` from Fast's OpenAPI file.

    python -m simulator.build_schemas [path/to/fast-to-seller.openapi.yaml]

The default path is the spec beside the project (``../shared/spec``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from simulator.schemas import BUNDLE, extract

DEFAULT_SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec" / "fast-to-seller.openapi.yaml"


def build(spec_path: Path) -> dict[str, Any]:
    import yaml  # only needed to rebuild; the simulator itself reads the JSON bundle

    raw = spec_path.read_bytes()
    return extract(yaml.safe_load(raw), raw)


def render(bundle: dict[str, Any]) -> str:
    return json.dumps(bundle, indent=1, sort_keys=False) + "\n"


def main(argv: list[str]) -> int:
    spec_path = Path(argv[0]) if argv else DEFAULT_SPEC
    if not spec_path.is_file():
        print(f"no OpenAPI file at {spec_path}", file=sys.stderr)
        return 1
    BUNDLE.write_text(render(build(spec_path)))
    print(f"wrote {BUNDLE} from {spec_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
