"""The simulator guide's promise, tested: every scenario passes against a real gunicorn serving the sandbox shop."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from simulator.commands import demo_command, simulate_command
from simulator.local import LocalServer, local_server
from simulator.scenarios import SCENARIOS, Params
from simulator.signing import make_signer
from simulator.simulate import Plan, simulate

pytestmark = pytest.mark.slow


class Recorder:
    def __init__(self) -> None:
        self.steps: list[Any] = []

    def scenario_started(self, *args: Any) -> None:
        pass

    def step(self, step: Any) -> None:
        self.steps.append(step)

    def scenario_finished(self, result: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with local_server() as running:
        yield running


def test_every_scenario_passes_in_both_dialects(server: LocalServer) -> None:
    plan = Plan(server.url, "sandbox", SCENARIOS, ("openapi", "seeds"), Params(), signer=make_signer())
    recorder = Recorder()
    results = simulate(plan, recorder)
    failed = {f"{r.name} ({r.dialect})": r.problems or r.skipped for r in results if not r.passed}
    assert failed == {}, server.log_tail()
    assert len(results) == 2 * len(SCENARIOS)
    assert all(step.replay is not None for step in recorder.steps)  # each call was repeated
    assert len(recorder.steps) > 100


def test_the_command_passes_and_writes_a_report(server: LocalServer, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    outcome = CliRunner().invoke(
        simulate_command,
        ["--url", server.url, "--scenario", "new-shopper", "--scenario", "fraud-rejection", "--json", str(report)],
        catch_exceptions=False,
    )
    assert outcome.exit_code == 0, outcome.output
    assert "update status PENDING_FULFILLMENT" in outcome.output
    assert "4 scenario runs: 4 passed, 0 failed, 0 skipped" in outcome.output
    data = json.loads(report.read_text())
    assert data["passed"] is True and data["url"] == server.url


def test_a_store_the_deployment_does_not_serve_fails(server: LocalServer) -> None:
    outcome = CliRunner().invoke(
        simulate_command, ["--url", server.url, "--app-id", "not-a-store", "--scenario", "abandoned-cart"]
    )
    assert outcome.exit_code == 1
    assert "create answered 401" in outcome.output


def test_demo_starts_plays_and_stops() -> None:
    outcome = CliRunner().invoke(demo_command, [], catch_exceptions=False)
    assert outcome.exit_code == 0, outcome.output
    lines = outcome.output.splitlines()
    up = next(line for line in lines if line.startswith("Service up at "))
    url = up.split()[3]
    pid = int(up.split("(pid ")[1].rstrip(").").strip())
    assert "[1/1] new-shopper (openapi dialect)" in outcome.output
    assert "1 scenario run: 1 passed" in outcome.output
    assert lines[-1] == "Service stopped."
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/healthz", timeout=2)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
