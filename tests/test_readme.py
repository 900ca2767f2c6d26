"""The README and docs/ name files that exist, and the README stays short."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
README = (PROJECT / "README.md").read_text()
DOCS = sorted((PROJECT / "docs").glob("*.md"))
# A project path in backticks: a .py/.toml/.json/.md file or a folder, e.g. `service/auth.py`, `mappings/fast/`.
PATH = re.compile(r"`((?:[a-z_]+/)+(?:[a-z_]+\.(?:py|toml|json|md|graphql|yaml))?|[a-z_]+\.(?:py|toml))`")


TOP = {p.name for p in PROJECT.iterdir() if p.is_dir() and not p.name.startswith(".")}


def named_paths(text: str) -> set[str]:
    # Paths from the project's root: `service/auth.py`, `mappings/fast/`, `app.py`; a bare `auth.py`
    # in a row about service/ is relative to it, and `stores.toml` is the user's own file.
    found = PATH.findall(text)
    return {p for p in found if p.split("/")[0] in TOP or p in ("app.py", "cli.py", "gunicorn.conf.py")}


def test_the_readme_is_short() -> None:
    assert len(README.splitlines()) <= 250


@pytest.mark.parametrize("doc", [PROJECT / "README.md", *DOCS], ids=lambda p: p.name)
def test_every_project_path_named_exists(doc: Path) -> None:
    missing = sorted(p for p in named_paths(doc.read_text()) if not (PROJECT / p).exists())
    assert not missing, f"{doc.name} names files that are not in the project: {missing}"


def test_every_guide_linked_from_the_readme_exists() -> None:
    linked = set(re.findall(r"\]\((docs/[^)#]+)", README))
    assert linked, "the README links no guide"
    assert sorted(p for p in linked if not (PROJECT / p).is_file()) == []
    assert {f"docs/{d.name}" for d in DOCS} <= linked, "a guide in docs/ is not linked from the README"
