"""A worker killed mid-delivery: the event is delivered after the restart, by the real `flask fast events work`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from service.config import Settings
from simulator.fast_standin import FastStandIn
from tests.events.conftest import ENV, WOO_APP, post_woo

ROOT = Path(__file__).resolve().parents[2]
FAST_ID = "c4a1d2e3-0000-4000-8000-000000000042"


def _env(tmp_path: Path, fast_url: str) -> dict[str, str]:
    stores = tmp_path / "stores.toml"
    stores.write_text(
        f'[stores."{WOO_APP}"]\nname = "woo"\nadapter = "woocommerce"\nbase_url = "https://woo.test"\n'
        'payment_method = "cheque"\n'
    )
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("FAST_")},
        **ENV,
        "FAST_STORES_FILE": str(stores),
        "FAST_STATE_PATH": str(tmp_path / "state.sqlite3"),
        "FAST_API_URL": fast_url,
        "FAST_ALLOW_HTTP_UPSTREAM": "1",
        "FAST_EVENTS_LEASE": "2",
        "FAST_EVENTS_GRACE": "0.2",
        "LOG_LEVEL": "WARNING",
    }


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "fast", "events", "work", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@pytest.mark.slow
def test_a_worker_killed_mid_delivery_delivers_after_restart(tmp_path: Path, monkeypatch: Any) -> None:
    fast_api = FastStandIn({WOO_APP: ENV["FAST_STORE_WOO_FAST_API_TOKEN"]})
    env = _env(tmp_path, fast_api.url)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    app = create_app(Settings.from_env())
    order = {
        "id": 901,
        "status": "cancelled",
        "meta_data": [{"key": "_fast_order_id", "value": FAST_ID}],
        "line_items": [],
        "refunds": [],
    }
    fast_api.hold()  # the first call reaches Fast and hangs: the worker dies waiting
    assert post_woo(app.test_client(), order).json["new"] == 1
    first = _worker(env)
    try:
        assert fast_api.wait_for(1, timeout=30), "the first worker never called Fast"
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        queue = app.extensions["fast.events"]
        [record] = queue.records()
        assert record.status == "delivering"  # taken off Huey's queue, not delivered
        time.sleep(2.5)  # the dead worker's lease runs out
        second = _worker(env)
        try:
            assert fast_api.wait_for(2, timeout=90), "the restarted worker never delivered"
            deadline = time.monotonic() + 10
            while queue.records()[0].status != "delivered" and time.monotonic() < deadline:
                time.sleep(0.05)
            assert queue.records()[0].status == "delivered"
            assert len(fast_api.accepted("cancel")) == 1
        finally:
            os.killpg(second.pid, signal.SIGKILL)
            second.wait(10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
        fast_api.close()
