"""What the benchmark can run against: the sandbox shop, or an adapter in front of a fake shop."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bench.checkout import SANDBOX, Product


class UpstreamLog(Protocol):
    """A running fake shop that counts and records the requests it receives."""

    def service_env(self) -> dict[str, str]: ...
    def reset(self) -> None: ...
    def replay_directly(self) -> None: ...
    def direct_ms_by_request(self) -> dict[str, float]: ...
    def trips_by_request(self) -> dict[str, int]: ...
    def stop(self) -> None: ...


@dataclass(frozen=True)
class Target:
    name: str
    app_id: str
    product: Product
    has_upstream: bool = False

    def service_env(self, workdir: Path) -> dict[str, str]:
        return {}

    def auth_headers(self) -> dict[str, str]:
        return {}

    def start_upstream(self, delay_ms: float, workdir: Path) -> UpstreamLog:
        raise NotImplementedError(f"{self.name} has no upstream")


TARGETS: dict[str, Target] = {"sandbox": Target("sandbox", "sandbox", SANDBOX)}


def names() -> list[str]:
    return sorted(TARGETS)


def get(name: str) -> Target:
    return TARGETS[name]
