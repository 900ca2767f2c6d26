"""Everything the project takes from ../shared, derived into the repository by one script.

    python -m tests.derive           # (re)write every artifact from ../shared
    python -m tests.derive --check   # exit 1 if a committed artifact differs from what ../shared gives

The tests read only the committed artifacts, so a fresh clone needs nothing beside it;
``tests/test_derived.py`` rebuilds each artifact in memory and compares it with the
committed file whenever ../shared is there (always in CI). To derive one more file, add an
``Artifact`` to ``ARTIFACTS``: where it goes, what it is made from, and a function that
makes its bytes from the shared folder.

The shared folder is ``FAST_SHARED_DIR`` if set, else ``shared/`` beside the project.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    return Path(os.environ.get("FAST_SHARED_DIR") or PROJECT.parent / "shared")


@dataclass(frozen=True)
class Artifact:
    target: str  # the committed file, relative to the project
    sources: tuple[str, ...]  # what it is made from, relative to the shared folder
    build: Callable[[Path], bytes]  # the shared folder -> the file's bytes
    why: str

    @property
    def path(self) -> Path:
        return PROJECT / self.target

    def available(self, shared: Path) -> bool:
        return all((shared / source).exists() for source in self.sources)


def copy_of(source: str) -> Callable[[Path], bytes]:
    def build(shared: Path) -> bytes:
        return (shared / source).read_bytes()

    return build


def simulator_bundle(shared: Path) -> bytes:
    from simulator import build_schemas

    return build_schemas.render(build_schemas.build(shared / "spec" / "fast-to-seller.openapi.yaml")).encode()


def seller_bundle(shared: Path) -> bytes:
    from simulator import seller_schemas

    return seller_schemas.render(seller_schemas.build(shared / "spec" / "seller-to-fast")).encode()


def bundled_openapi(folder: str) -> Callable[[Path], bytes]:
    """A multi-file OpenAPI folder as one JSON document: paths inlined, schema files as components."""

    def build(shared: Path) -> bytes:
        import yaml

        root = shared / folder
        schemas = {
            path.stem: _local_refs(yaml.safe_load(path.read_text()))
            for path in sorted((root / "components" / "schemas").glob("*.yaml"))
        }
        document = yaml.safe_load((root / "openapi.yaml").read_text())
        document["paths"] = {
            url: _local_refs(yaml.safe_load((root / entry["$ref"]).read_text()))
            for url, entry in document["paths"].items()
        }
        document.setdefault("components", {})["schemas"] = schemas
        return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode()

    return build


def _local_refs(node: Any) -> Any:
    # "../components/schemas/v1UUID.yaml" (or "v1UUID.yaml" between schema files) -> "#/components/schemas/v1UUID"
    if isinstance(node, dict):
        return {
            key: (
                f"#/components/schemas/{Path(value).stem}"
                if key == "$ref" and isinstance(value, str) and value.endswith(".yaml")
                else _local_refs(value)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_local_refs(value) for value in node]
    return node


ARTIFACTS = [
    Artifact(
        target="tests/derived/fast-to-seller.openapi.yaml",
        sources=("spec/fast-to-seller.openapi.yaml",),
        build=copy_of("spec/fast-to-seller.openapi.yaml"),
        why="Fast's wire contract: tests/openapi.py validates every answer against it and uses its examples",
    ),
    Artifact(
        target="simulator/fast_response_schemas.json",
        sources=("spec/fast-to-seller.openapi.yaml",),
        build=simulator_bundle,
        why="the response schemas the simulator ships with (simulator/schemas.py)",
    ),
    Artifact(
        # Whole, not pruned to the types the documents reach: the Shopify documents are still
        # changing, and the fake resolves abstract types at run time from __typename.
        target="tests/derived/shopify-admin.graphql",
        sources=("spec/shopify-admin.graphql",),
        build=copy_of("spec/shopify-admin.graphql"),
        why="Shopify's Admin API schema: the documents are validated and the fake executes them against it",
    ),
    Artifact(
        target="tests/derived/seller-to-fast.openapi.json",
        sources=("spec/seller-to-fast/openapi.yaml",),
        build=bundled_openapi("spec/seller-to-fast"),
        why="Fast's seller API (refund, cancel, business events), as one document",
    ),
    Artifact(
        target="simulator/seller_to_fast_schemas.json",
        sources=("spec/seller-to-fast/openapi.yaml",),
        build=seller_bundle,
        why="the seller API request schemas the Fast stand-in checks every call against (simulator/seller_schemas.py)",
    ),
]


def stale(artifact: Artifact, shared: Path) -> bool:
    return not artifact.path.is_file() or artifact.path.read_bytes() != artifact.build(shared)


def main(argv: list[str]) -> int:
    shared = shared_dir()
    check = "--check" in argv
    missing = [a for a in ARTIFACTS if not a.available(shared)]
    if missing:
        for artifact in missing:
            print(f"{artifact.target}: no {', '.join(artifact.sources)} in {shared}", file=sys.stderr)
        return 1
    changed = [a for a in ARTIFACTS if stale(a, shared)]
    for artifact in changed:
        if check:
            print(f"{artifact.target} is out of date with {shared}: run python -m tests.derive", file=sys.stderr)
        else:
            artifact.path.parent.mkdir(parents=True, exist_ok=True)
            artifact.path.write_bytes(artifact.build(shared))
            print(f"wrote {artifact.target} ({artifact.why})")
    if not changed:
        print(f"all {len(ARTIFACTS)} derived files are up to date with {shared}")
    return 1 if check and changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
