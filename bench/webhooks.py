"""Benchmark of the after-checkout path: webhook answer time under a burst, and webhook → Fast call latency.

    python -m bench.webhooks --webhooks 500 --concurrency 32 --out bench/results/webhooks.json

It starts the local deployment of ``flask fast events simulate`` (gunicorn
with gunicorn.conf.py and the ``events work`` worker, the queue on SQLite,
Fast's seller API and a WooCommerce shop as local stand-ins), then sends a
burst of signed ``order.updated`` webhooks, each cancelling a different Fast
order, ``--concurrency`` at a time over keep-alive connections. It measures

* each webhook's answer time (request sent → 200 received): what Shopify's
  5 s limit and WooCommerce's timeout see;
* each event's delivery latency: webhook sent → its call reaching Fast's
  stand-in, through the durable queue and the worker.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from simulator import events as sim


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {}

    def pick(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 1)

    return {"p50_ms": pick(0.50), "p90_ms": pick(0.90), "p99_ms": pick(0.99), "max_ms": round(ordered[-1] * 1000, 1)}


def measure(webhooks: int, concurrency: int, worker_threads: int, redis_url: str | None = None) -> dict[str, Any]:
    with sim.deployment(worker_threads=worker_threads, redis_url=redis_url) as d:
        orders = [d.shop.order(100_000 + n, f"bench-fast-{n}", status="cancelled") for n in range(webhooks)]
        d.post(d.shop.order(99_999, "bench-warm-up", status="cancelled"))  # first request of each gunicorn worker
        d.wait(lambda: bool(d.calls_for("bench-warm-up")), 30)
        sent: dict[str, float] = {}
        answers: list[float] = []
        local = threading.local()
        lock = threading.Lock()

        def one(order: dict[str, Any]) -> None:
            if not hasattr(local, "deployment"):
                local.deployment = sim.Deployment(d.server, d.fast, d.shop, requests.Session())
            started = time.time()
            with lock:
                sent[f"bench-fast-{order['id'] - 100_000}"] = started
            response = local.deployment.post(order)
            elapsed = time.time() - started
            assert response.status_code == 200, response.text
            with lock:
                answers.append(elapsed)

        burst_started = time.time()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(one, orders))
        burst_seconds = time.time() - burst_started
        delivered = d.wait(lambda: len(d.fast.accepted("cancel")) >= webhooks + 1, 300)
        arrivals = {c.order_id: c.at for c in d.fast.accepted("cancel")}
        latencies = [arrivals[k] - t for k, t in sent.items() if k in arrivals]
        drained = max(arrivals.values()) - burst_started if arrivals else None
        return {
            "webhooks": webhooks,
            "concurrency": concurrency,
            "gunicorn_workers": 2,
            "worker_threads": worker_threads,
            "queue": "Redis (REDIS_URL)" if redis_url else "SQLite (one file, the default)",
            "all_delivered": delivered,
            "fast_calls": len(d.fast.calls),
            "answer": _percentiles(answers),
            "answers_per_second": round(webhooks / burst_seconds, 1),
            "webhook_to_fast": _percentiles(latencies),
            "drained_after_s": round(drained, 2) if drained else None,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()[0]},
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhooks", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--worker-threads", type=int, default=4)
    parser.add_argument("--redis-url", help="Put the state and the queue on this Redis (default: SQLite files).")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    result = measure(args.webhooks, args.concurrency, args.worker_threads, args.redis_url)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    if not result["all_delivered"]:
        raise SystemExit("not every webhook reached Fast")


if __name__ == "__main__":
    main()
