"""CPU per call of the service's own hot paths, in one process, no network (docs/benchmark.md).

    .venv/bin/python -m bench.micro [--rounds 2000]

* ``dump``: one checkout's order (3 lines, an address, shipping options, a coupon) from the
  canonical model to the bytes of Fast's answer (marshmallow dump + JSON encoding);
* ``upstream``: one upstream request through ``UpstreamClient.request`` (a JSON body, a
  header, the session's auth), answered by an in-process transport: requests' own
  preparation, the retry policy and error translation, without a socket;
* ``sandbox call``: a whole Fast call through the Flask app (token check, parse, replay
  guard, the sandbox shop on SQLite, dump), averaged over create, update and read.

Each figure is process CPU time (``time.process_time``) divided by the calls made, the best
of five batches, so other load on the machine inflates it little.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from collections.abc import Callable
from typing import Any

import requests
from requests.adapters import BaseAdapter

from app import create_app
from mappings import fast
from service import auth as fast_auth
from service.config import Settings


def per_call_us(work: Callable[[], Any], rounds: int, batches: int = 5) -> float:
    best = float("inf")
    for _ in range(batches):
        started = time.process_time()
        for _ in range(rounds):
            work()
        best = min(best, time.process_time() - started)
    return best / rounds * 1e6


class _Canned(BaseAdapter):
    """Answers every request with the same small JSON body, as a transport would."""

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        response = requests.Response()
        response.status_code = 200
        response.headers["Content-Type"] = "application/json"
        response.raw = io.BytesIO(b'{"items":[],"totals":{"total_price":"1000"}}')
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        return None


def bench_upstream(rounds: int) -> float:
    from adapters.http import UpstreamClient

    client = UpstreamClient("https://shop.test/wp-json", headers={"X-Store": "acme"}, auth=("user", "secret"))
    client.session.mount("https://", _Canned())
    body = {"requests": [{"path": "/wc/store/v1/cart/add-item", "body": {"id": 22, "quantity": 1}}]}
    return per_call_us(
        lambda: client.request("POST", "/wc/store/v1/batch", json=body, headers={"Cart-Token": "t"}, idempotent=True),
        rounds,
    )


def _sandbox_app() -> tuple[Any, dict[str, str]]:
    state = tempfile.mkdtemp(prefix="fast-micro-")
    app = create_app(Settings(state_path=f"{state}/state.sqlite3"))
    return app.test_client(), fast_auth.sandbox_headers("sandbox")


def _checkout_order(client: Any, headers: dict[str, str]) -> Any:
    lines = [
        {"id": {"value": f"L{i}"}, "quantity": i, "external_item_id": sku}
        for i, sku in ((1, "MUG-001"), (2, "TEE-BLK-M"), (3, "EBOOK-001"))
    ]
    created = client.post(
        "/fast/v1/create",
        json={"app_id": "sandbox", "order": {"order": {"id": {"value": "F-micro"}, "lines": lines}}},
        headers=headers,
    ).get_json()
    assert "order" in created, created
    cart = created["order"]["order"]["external_id"]
    address = {"first_name": "Ada", "country_code": "US", "state_province_code": "NY", "postal_code": "10001"}
    update = {
        "app_id": "sandbox",
        "order": {
            "external_id": cart,
            "shipments": [{"ship_to": address}],
            "coupon": {"code": "SAVE10"},
        },
    }
    answer = client.post("/fast/v1/update", json=update, headers=headers).get_json()
    assert answer["order"]["order"]["coupons"], answer
    return cart, fast.load_request("read", {"order": {"external_order_id": cart}}), answer


def bench_dump(rounds: int) -> float:
    client, headers = _sandbox_app()
    cart, _, _ = _checkout_order(client, headers)
    service = client.application.extensions["fast.service"]
    order = service.adapter("sandbox").read(fast.load_request("read", {"order": {"external_order_id": cart}})["order"])
    return per_call_us(
        lambda: json.dumps(fast.dump_order_response(order, "ENTITY_TYPE_ORDER", "r1"), separators=(",", ":")),
        rounds,
    )


def bench_sandbox_call(rounds: int) -> float:
    client, headers = _sandbox_app()
    cart, _, _ = _checkout_order(client, headers)
    read = {"app_id": "sandbox", "type": "ENTITY_TYPE_ORDER", "order": {"external_order_id": cart}}
    update = {"app_id": "sandbox", "order": {"external_id": cart, "items": [{"item_id": "L1", "quantity": 2}]}}

    def calls() -> None:
        client.post("/fast/v1/read", json=read, headers=headers)
        client.post("/fast/v1/update", json=update, headers=headers)

    return per_call_us(calls, max(rounds // 10, 20)) / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    results = {
        "dump µs/answer": bench_dump(args.rounds),
        "upstream µs/request": bench_upstream(args.rounds),
        "sandbox call µs/call": bench_sandbox_call(args.rounds),
    }
    for name, value in results.items():
        print(f"{name:24} {value:8.0f}")


if __name__ == "__main__":
    main()
