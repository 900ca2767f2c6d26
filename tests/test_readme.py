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


def where_to_look() -> list[tuple[str, str, list[str]]]:
    """The README's "Where to look" rows: the question, the file, and the names it points at in that file."""
    section = README.split("### Where to look", 1)[1].split("\n\n| path", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 2 and cells[0].endswith("?"):
            names = re.findall(r"`([^`]+)`", cells[1])
            rows.append((cells[0], names[0], [n for n in names[1:] if "/" not in n]))
    return rows


def test_the_readme_answers_each_of_designs_questions_with_one_file() -> None:
    questions = [question for question, _, _ in where_to_look()]
    assert len(questions) == 6, questions


@pytest.mark.parametrize(("question", "path", "names"), [pytest.param(*row, id=row[1]) for row in where_to_look()])
def test_each_answer_names_a_file_that_holds_what_it_says(question: str, path: str, names: list[str]) -> None:
    text = (PROJECT / path).read_text()
    for name in names:
        # `ShopifyClient.graphql` is a method of a class defined in the file; `cart_to_order` a function.
        for part in name.split("."):
            assert re.search(rf"^\s*(?:def|class) {re.escape(part)}\b", text, re.M), f"{path} defines no {part}"
