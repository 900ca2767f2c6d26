"""What the benchmark can run against: the sandbox shop, or an adapter in front of a fake shop."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench.checkout import SANDBOX, WOOCOMMERCE, Product

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Replay:
    """What sending the recorded requests straight to the shop found."""

    direct_ms: dict[str, float] = field(default_factory=dict)  # per X-Request-ID: the shop's own time
    trips: dict[str, int] = field(default_factory=dict)  # per X-Request-ID: upstream requests
    requests: int = 0
    mismatches: int = 0  # replayed answers whose status differs from the original's
    wall_s: float = 0.0


class FakeShopProcess:
    """A fake shop (bench/upstream.py) served by gunicorn in its own process."""

    def __init__(self, platform: str, delay_ms: float, port: int, threads: int, store_env: dict[str, str]) -> None:
        self.platform, self.delay_ms, self.port = platform, delay_ms, port
        self.base_url = f"http://127.0.0.1:{port}"
        self._store_env = store_env
        env = {
            **os.environ,
            "BENCH_UPSTREAM": platform,
            "BENCH_UPSTREAM_DELAY_MS": str(delay_ms),
            "BENCH_UPSTREAM_BASE_URL": self.base_url,
        }
        # Not the service's gunicorn.conf.py (its worker recycling would lose the shop's state).
        command = [sys.executable, "-m", "gunicorn", "-c", "python:bench.upstream", "-w", "1", "-k", "gthread"]
        command += ["--threads", str(threads), "--max-requests", "0"]
        command += ["-b", f"127.0.0.1:{port}", "--log-level", "warning", "--keep-alive", "30"]
        self.process = subprocess.Popen(
            [*command, "bench.upstream:from_env()"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._replay = Replay()
        give_up = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{self.base_url}/__bench/health", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > give_up or self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"the fake {platform} shop did not start")
            time.sleep(0.1)

    def service_env(self) -> dict[str, str]:
        return dict(self._store_env)

    def reset(self) -> None:
        requests.post(f"{self.base_url}/__bench/reset", timeout=60).raise_for_status()
        self._replay = Replay()

    def records(self) -> list[dict[str, Any]]:
        response = requests.get(f"{self.base_url}/__bench/records", timeout=120)
        response.raise_for_status()
        return response.json()

    def replay_directly(self) -> None:
        """Send every recorded request straight to the shop again, timing each one.

        The requests of one driver thread (``bench-<n>-...``) are replayed in their
        order by one thread, the threads side by side: the shop sees the same
        concurrency as during the run, and each cart the same sequence of requests.
        """
        records = self.records()
        requests.post(f"{self.base_url}/__bench/restore", timeout=60).raise_for_status()
        chains: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in records:
            chains[record["request_id"].rsplit("-", 1)[0]].append(record)
        replay = Replay(requests=len(records))
        lock = threading.Lock()

        def run_chain(chain: list[dict[str, Any]]) -> None:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            times: list[tuple[str, float, bool]] = []
            for record in chain:
                headers = {**record["headers"], "X-Bench-Replay": str(record["seq"])}
                body = record["body"].encode() if record["body"] else None
                started = time.perf_counter()
                connection.request(record["method"], record["path"], body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                ms = (time.perf_counter() - started) * 1000
                times.append((record["request_id"], ms, response.status != record["status"]))
            connection.close()
            with lock:
                for request_id, ms, mismatch in times:
                    replay.direct_ms[request_id] = replay.direct_ms.get(request_id, 0.0) + ms
                    replay.trips[request_id] = replay.trips.get(request_id, 0) + 1
                    replay.mismatches += mismatch

        started = time.perf_counter()
        threads = [threading.Thread(target=run_chain, args=(chain,)) for chain in chains.values()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        replay.wall_s = round(time.perf_counter() - started, 2)
        self._replay = replay

    def last_replay(self) -> Replay:
        return self._replay

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


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

    def start_upstream(self, delay_ms: float, workdir: Path, port: int, threads: int) -> FakeShopProcess:
        raise NotImplementedError(f"{self.name} has no upstream")


@dataclass(frozen=True)
class WooCommerceTarget(Target):
    """The WooCommerce adapter in front of tests/fakes/woocommerce.py over plain local HTTP."""

    def start_upstream(self, delay_ms: float, workdir: Path, port: int, threads: int) -> FakeShopProcess:
        from tests.fakes.woocommerce import FakeWooCommerce

        defaults = FakeWooCommerce()  # the fake's credentials
        stores = workdir / "stores.toml"
        stores.write_text(
            f'[stores."{self.app_id}"]\n'
            'name = "bench"\n'
            'adapter = "woocommerce"\n'
            f'base_url = "http://127.0.0.1:{port}"\n'
            'auth = "application_password"\n'  # consumer keys are never sent over plain http
            f'username = "{defaults.app_user}"\n'
            'payment_method = "cheque"\n'
        )
        env = {
            "FAST_STORES_FILE": str(stores),
            "FAST_ALLOW_HTTP_UPSTREAM": "1",
            "FAST_STORE_BENCH_APPLICATION_PASSWORD": defaults.app_password or "",
        }
        return FakeShopProcess(self.name, delay_ms, port, threads, env)


TARGETS: dict[str, Target] = {
    "sandbox": Target("sandbox", "sandbox", SANDBOX),
    "woocommerce": WooCommerceTarget("woocommerce", "bench-woo", WOOCOMMERCE, has_upstream=True),
}


def names() -> list[str]:
    return sorted(TARGETS)


def get(name: str) -> Target:
    return TARGETS[name]
