"""What the tests take from ../shared is committed, and up to date with ../shared (tests/derive.py)."""

from __future__ import annotations

import os

import pytest

from tests import derive


@pytest.mark.parametrize("artifact", derive.ARTIFACTS, ids=lambda a: a.target)
def test_the_committed_file_is_what_shared_gives(artifact: derive.Artifact) -> None:
    shared = derive.shared_dir()
    if not artifact.available(shared):
        if os.environ.get("CI"):
            pytest.fail(f"CI compares {artifact.target} with {', '.join(artifact.sources)}, but {shared} lacks it")
        pytest.skip(f"{shared} is not beside the project: nothing to compare {artifact.target} with")
    assert artifact.path.is_file(), f"{artifact.target} is missing: run python -m tests.derive"
    assert artifact.path.read_bytes() == artifact.build(shared), (
        f"{artifact.target} is out of date with {shared}: run python -m tests.derive"
    )


def test_every_artifact_has_its_own_file() -> None:
    targets = [artifact.target for artifact in derive.ARTIFACTS]
    assert len(set(targets)) == len(targets)


def test_a_stale_file_is_reported(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "a.txt").write_text("new")
    target = tmp_path / "out" / "a.txt"
    artifact = derive.Artifact(str(target), ("spec/a.txt",), derive.copy_of("spec/a.txt"), "a test")
    monkeypatch.setattr(derive, "ARTIFACTS", [artifact])
    monkeypatch.setenv("FAST_SHARED_DIR", str(tmp_path))
    assert derive.main(["--check"]) == 1  # missing counts as stale
    assert derive.main([]) == 0 and target.read_text() == "new"
    assert derive.main(["--check"]) == 0
    (tmp_path / "spec" / "a.txt").write_text("newer")
    assert derive.main(["--check"]) == 1
    assert target.read_text() == "new"  # --check never writes
