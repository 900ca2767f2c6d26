"""Replay safety: one request_id, one effect — on the SQLite, Redis and PostgreSQL backends."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

import pytest

from app import create_app
from service import auth as fast_auth
from service.config import SANDBOX_STORE, Settings
from service.errors import UpstreamUnavailable
from tests import bodies as b


class Counting:
    """Wraps one adapter method to count its calls, optionally slowing or failing them."""

    def __init__(
        self, monkeypatch: Any, adapter: Any, name: str, delay: float = 0.0, hold: threading.Event | None = None
    ) -> None:
        self.calls = 0
        self.delay = delay
        self.fail_with: Exception | None = None
        original = getattr(adapter, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if hold is not None:
                hold.wait(timeout=30)  # the call stays in the shop until the test lets it go
            if self.delay:
                time.sleep(self.delay)
            if self.fail_with is not None:
                raise self.fail_with
            return original(*args, **kwargs)

        monkeypatch.setattr(adapter, name, wrapper)


@pytest.fixture(params=["sqlite", "redis", "postgres"])
def replay_app(request: Any, settings: Settings, state: Any) -> Any:
    store = state if request.param == "sqlite" else request.getfixturevalue(f"{request.param}_state")
    return create_app(replace(settings, replay_wait=5.0), stores={"sandbox": SANDBOX_STORE}, state=store)


def adapter_of(app: Any) -> Any:
    return app.extensions["fast.service"].adapter("sandbox")


def post(app: Any, operation: str, body: dict[str, Any]) -> Any:
    return app.test_client().post(f"/fast/v1/{operation}", json=body, headers=fast_auth.sandbox_headers("sandbox"))


def test_a_repeat_returns_the_stored_answer_byte_for_byte(replay_app: Any, monkeypatch: Any) -> None:
    created = post(replay_app, "create", b.create("F-r1", [b.line("L1", 1, external_product_id="1001")]))
    cart_id = created.get_json()["order"]["order"]["external_id"]
    update = Counting(monkeypatch, adapter_of(replay_app), "update")
    body = b.update("F-r1", cart_id, request_id="req-add-1", items=[b.item("L2", 1, external_product_id="5001")])
    first = post(replay_app, "update", body)
    second = post(replay_app, "update", body)
    assert first.status_code == second.status_code == 200
    assert first.get_data() == second.get_data()
    assert update.calls == 1
    # The line was added once.
    read = post(replay_app, "read", b.read(cart_id)).get_json()
    assert [line["id"]["value"] for line in read["order"]["order"]["lines"]] == ["L1", "L2"]


def test_same_request_id_with_another_body_is_refused(replay_app: Any) -> None:
    post(replay_app, "create", b.create("F-r2", [b.line("L1", 1, external_product_id="1001")], request_id="req-x"))
    other = post(
        replay_app, "create", b.create("F-r2", [b.line("L1", 5, external_product_id="1001")], request_id="req-x")
    )
    assert other.status_code == 422
    assert "request_id" in other.get_json()["message"]


def test_concurrent_identical_calls_have_one_effect(replay_app: Any, monkeypatch: Any) -> None:
    create = Counting(monkeypatch, adapter_of(replay_app), "create", delay=0.3)
    body = b.create("F-r3", [b.line("L1", 1, external_product_id="1001")], request_id="req-concurrent")
    results: list[Any] = []
    barrier = threading.Barrier(4)

    def call() -> None:
        barrier.wait()
        results.append(post(replay_app, "create", body))

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert create.calls == 1
    assert [r.status_code for r in results] == [200] * 4
    assert len({r.get_data() for r in results}) == 1


def test_a_repeat_that_cannot_wait_gets_409_with_retry_after(settings: Settings, state: Any, monkeypatch: Any) -> None:
    app = create_app(replace(settings, replay_wait=0.1), stores={"sandbox": SANDBOX_STORE}, state=state)
    in_shop = threading.Event()
    create = Counting(monkeypatch, adapter_of(app), "create", hold=in_shop)
    body = b.create("F-r4", [b.line("L1", 1, external_product_id="1001")], request_id="req-slow")
    first: list[Any] = []
    thread = threading.Thread(target=lambda: first.append(post(app, "create", body)))
    thread.start()
    # The repeat is sent once the first call runs in the shop (it has claimed the request_id), and the
    # first is held there until the repeat has its answer: no timing a loaded machine can outlast.
    started = time.monotonic()
    while create.calls == 0 and time.monotonic() - started < 10:
        time.sleep(0.005)
    second = post(app, "create", body)
    in_shop.set()
    thread.join()
    assert second.status_code == 409
    assert second.headers["Retry-After"] == "1"
    assert first[0].status_code == 200


def test_failures_are_not_stored_so_a_retry_runs_again(replay_app: Any, monkeypatch: Any) -> None:
    create = Counting(monkeypatch, adapter_of(replay_app), "create")
    create.fail_with = UpstreamUnavailable("shop down")
    body = b.create("F-r5", [b.line("L1", 1, external_product_id="1001")], request_id="req-outage")
    assert post(replay_app, "create", body).status_code == 503
    create.fail_with = None
    assert post(replay_app, "create", body).status_code == 200
    assert create.calls == 2


def test_client_errors_are_stored(replay_app: Any, monkeypatch: Any) -> None:
    create = Counting(monkeypatch, adapter_of(replay_app), "create")
    body = b.create("F-r6", [b.line("L1", 1, external_product_id="nope")], request_id="req-422")
    first, second = post(replay_app, "create", body), post(replay_app, "create", body)
    assert first.status_code == second.status_code == 422
    assert first.get_data() == second.get_data()
    assert create.calls == 1


def test_records_expire(settings: Settings, state: Any, monkeypatch: Any) -> None:
    app = create_app(replace(settings, idempotency_ttl=1), stores={"sandbox": SANDBOX_STORE}, state=state)
    read = Counting(monkeypatch, adapter_of(app), "read")
    cart_id = post(app, "create", b.create("F-r7", [b.line("L1", 1, external_product_id="1001")])).get_json()
    body = {**b.read(cart_id["order"]["order"]["external_id"]), "request_id": {"value": "req-read"}}
    post(app, "read", body)
    post(app, "read", body)
    assert read.calls == 1
    time.sleep(1.1)
    post(app, "read", body)
    assert read.calls == 2


def test_convert_twice_without_request_id_returns_the_same_order(fast: Any) -> None:
    created = fast.call("create", b.create("F-r8", [b.line("L1", 1, external_product_id="1001")]))
    cart_id = created["order"]["order"]["external_id"]
    fast.call("update", b.update("F-r8", cart_id, shipments=b.shipments(b.NY, ["L1"])))
    first = fast.call("update", b.update("F-r8", cart_id, convert_cart_to_order=True))
    second = fast.call("update", b.update("F-r8", cart_id, convert_cart_to_order=True))
    assert first["order"]["order"]["external_id"] == second["order"]["order"]["external_id"]
    assert second["order"]["order"]["status"] == "ORDER_STATUS_PENDING"


def test_the_same_item_sent_twice_without_request_id_is_one_line(fast: Any) -> None:
    created = fast.call("create", b.create("F-r9", [b.line("L1", 1, external_product_id="1001")]))
    cart_id = created["order"]["order"]["external_id"]
    body = b.update("F-r9", cart_id, items=[b.item("L2", 2, external_product_id="5001")])
    fast.call("update", body)
    r = fast.call("update", body)
    assert [(line["id"]["value"], line["quantity"]) for line in r["order"]["order"]["lines"]] == [("L1", 1), ("L2", 2)]
