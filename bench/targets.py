"""What the benchmark can run against: the sandbox shop, or an adapter in front of a fake shop."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
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
    different_answers: int = 0  # replayed answers whose JSON keys differ from the original's
    wall_s: float = 0.0


class FakeShopProcess:
    """A fake shop (bench/upstream.py) served by gunicorn in its own process."""

    def __init__(
        self, platform: str, delay_ms: float, port: int, threads: int, store_env: dict[str, str], jwks: Path
    ) -> None:
        self.platform, self.delay_ms, self.port = platform, delay_ms, port
        self.base_url = f"http://127.0.0.1:{port}"
        self._store_env = store_env
        env = {
            **os.environ,
            "BENCH_UPSTREAM": platform,
            "BENCH_UPSTREAM_DELAY_MS": str(delay_ms),
            "BENCH_UPSTREAM_BASE_URL": self.base_url,
            "BENCH_JWKS_FILE": str(jwks),
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
        order by one thread, the threads side by side, each request sent when it
        first arrived (relative to the first request) or as soon as the one before
        it is answered: the shop sees the same load as during the run, and each
        cart the same sequence of requests.
        """
        records = self.records()
        requests.post(f"{self.base_url}/__bench/restore", timeout=60).raise_for_status()
        chains: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in records:
            chains[record["request_id"].rsplit("-", 1)[0]].append(record)
        replay = Replay(requests=len(records))
        lock = threading.Lock()

        first = min((record["at"] for record in records), default=0.0)
        begin = time.monotonic() + 0.05

        def run_chain(chain: list[dict[str, Any]]) -> None:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            times: list[tuple[str, float, bool]] = []
            for record in chain:
                wait = begin + record["at"] - first - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
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
        compared = requests.get(f"{self.base_url}/__bench/compare", timeout=300).json()
        replay.different_answers = compared["different"]
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


class Signer:
    """The benchmark's stand-in for Fast's signing key: a JWKS the service fetches, tokens it accepts."""

    KID = "fast-bench-key-1"
    ISSUER = "https://api.fast.co"  # one of the issuers the service accepts by default

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> bytes:
        from jwt.algorithms import RSAAlgorithm

        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.KID, "alg": "RS256", "use": "sig"})
        return json.dumps({"keys": [jwk]}).encode()

    def token(self, app_id: str, ttl: int = 4 * 3600) -> str:
        import jwt

        now = int(time.time())
        claims = {"iss": self.ISSUER, "aud": app_id, "iat": now, "exp": now + ttl}
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.KID})


@dataclass(frozen=True)
class Target:
    """The sandbox shop: no upstream; calls are signed with the project's public sandbox key."""

    name: str
    app_id: str
    product: Product
    has_upstream: bool = False

    def service_env(self, workdir: Path) -> dict[str, str]:
        return {}

    def auth_headers(self) -> dict[str, str]:
        from service import auth as fast_auth

        return {"Authorization": f"Bearer {fast_auth.sandbox_token(self.app_id, ttl=4 * 3600)}"}

    def start_upstream(self, delay_ms: float, workdir: Path, port: int, threads: int) -> FakeShopProcess:
        raise NotImplementedError(f"{self.name} has no upstream")


@dataclass(frozen=True)
class PlatformTarget(Target):
    """A platform adapter in front of its fake shop over plain local HTTP; calls signed like Fast signs them."""

    signer: Signer = field(default_factory=Signer)

    def stores_entry(self, port: int) -> tuple[str, dict[str, str]]:
        raise NotImplementedError

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.signer.token(self.app_id)}"}

    def start_upstream(self, delay_ms: float, workdir: Path, port: int, threads: int) -> FakeShopProcess:
        entry, secrets = self.stores_entry(port)
        stores = workdir / "stores.toml"
        stores.write_text(f'[stores."{self.app_id}"]\nname = "bench"\n{entry}')
        jwks = workdir / "jwks.json"
        jwks.write_bytes(self.signer.jwks())
        env = {
            "FAST_STORES_FILE": str(stores),
            "FAST_ALLOW_HTTP_UPSTREAM": "1",
            "FAST_JWKS_URL": f"http://127.0.0.1:{port}/__bench/jwks",
            **secrets,
        }
        return FakeShopProcess(self.name, delay_ms, port, threads, env, jwks)


class WooCommerceTarget(PlatformTarget):
    """The WooCommerce adapter in front of tests/fakes/woocommerce.py."""

    def stores_entry(self, port: int) -> tuple[str, dict[str, str]]:
        from tests.fakes.woocommerce import FakeWooCommerce

        defaults = FakeWooCommerce()  # the fake's credentials
        entry = (
            'adapter = "woocommerce"\n'
            f'base_url = "http://127.0.0.1:{port}"\n'
            'auth = "application_password"\n'  # consumer keys are never sent over plain http
            f'username = "{defaults.app_user}"\n'
            'payment_method = "cheque"\n'
        )
        return entry, {"FAST_STORE_BENCH_APPLICATION_PASSWORD": defaults.app_password or ""}


class ShopifyTarget(PlatformTarget):
    """The Shopify adapter in front of tests/fakes/shopify.py (the Admin GraphQL API run by graphql-core)."""

    def stores_entry(self, port: int) -> tuple[str, dict[str, str]]:
        from bench.upstream import SHOPIFY_TOKEN

        entry = f'adapter = "shopify"\nbase_url = "http://127.0.0.1:{port}"\n'
        return entry, {"FAST_STORE_BENCH_ACCESS_TOKEN": SHOPIFY_TOKEN}


def shopify_product() -> Product:
    """What to buy in bench/upstream.py's Shopify shop (its ids are deterministic)."""
    from bench.upstream import shopify_shop

    shop = shopify_shop()
    return Product(
        first={"external_product_id": str(shop.tee.id), "external_variant_id": str(shop.tee.variants[0].id)},
        second={"external_item_id": "MUG"},
        coupon="SAVE10",
        option=1,  # Express, the second rate offered
    )


TARGETS: dict[str, Callable[[], Target]] = {
    "sandbox": lambda: Target("sandbox", "sandbox", SANDBOX),
    "woocommerce": lambda: WooCommerceTarget("woocommerce", "bench-woo", WOOCOMMERCE, has_upstream=True),
    "shopify": lambda: ShopifyTarget("shopify", "bench-shopify", shopify_product(), has_upstream=True),
}


def names() -> list[str]:
    return list(TARGETS)


def get(name: str) -> Target:
    return TARGETS[name]()
