"""Runs the chosen scenarios, in the chosen dialects, against one deployment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import requests

from simulator import transcript
from simulator.bodies import DIALECTS, dialect
from simulator.runner import Client, Listener, Run, ScenarioResult, run_scenario
from simulator.scenarios import BY_NAME, SCENARIOS, Params, Scenario
from simulator.signing import Signer


class SetupError(Exception):
    """The run cannot start (unknown scenario, unreachable deployment)."""


@dataclass(frozen=True)
class Plan:
    url: str
    app_id: str
    scenarios: tuple[Scenario, ...]
    dialects: tuple[str, ...]
    params: Params
    signer: Signer | None
    repeat: bool = True

    @property
    def runs(self) -> int:
        return len(self.scenarios) * len(self.dialects)


def choose_scenarios(names: Sequence[str]) -> tuple[Scenario, ...]:
    if not names or "all" in names:
        return SCENARIOS
    unknown = [name for name in names if name not in BY_NAME]
    if unknown:
        raise SetupError(f"unknown scenario {', '.join(unknown)}; known: all, {', '.join(BY_NAME)}")
    return tuple(BY_NAME[name] for name in dict.fromkeys(names))


def choose_dialects(name: str) -> tuple[str, ...]:
    if name == "both":
        return DIALECTS
    if name not in DIALECTS:
        raise SetupError(f"unknown dialect {name!r}; known: both, {', '.join(DIALECTS)}")
    return (name,)


def preflight(url: str) -> None:
    """Fail early and clearly when nothing answers at the URL."""
    try:
        requests.get(url.rstrip("/") + "/healthz", timeout=(5, 10))
    except requests.RequestException as exc:
        raise SetupError(
            f"nothing answers at {url} ({type(exc).__name__}): is the URL right and the service up?"
        ) from None


def simulate(plan: Plan, listener: Listener, client: Client | None = None) -> list[ScenarioResult]:
    client = client or Client(plan.url, plan.app_id, plan.signer)
    results = []
    index = 0
    try:
        for scenario in plan.scenarios:
            for dialect_name in plan.dialects:
                index += 1
                result = ScenarioResult(scenario.name, scenario.title, dialect_name)
                run = Run(
                    client,
                    dialect(dialect_name, plan.app_id),
                    result,
                    listener,
                    repeat=plan.repeat,
                    describe=transcript.describe,
                )
                play = scenario.play
                results.append(run_scenario(run, lambda r, play=play: play(r, plan.params), index, plan.runs))
    finally:
        client.close()
    return results
