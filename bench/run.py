"""Benchmark: full Fast checkouts through gunicorn (production config) in front of a fake shop.

    python -m bench.run --platform sandbox --delay-ms 0 --concurrency 16 --checkouts 1000

It starts the service with ``gunicorn.conf.py`` on a free local port (and, for
a platform adapter, a fake upstream that answers like the shop after a
configurable delay), drives checkouts from several threads, and reports per
operation: latency percentiles, calls/s, errors, upstream round trips per Fast
call, the proxy's added latency (the same upstream requests are also sent
straight to the fake shop in the same run), and worker memory.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform as platform_module
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench import targets
from bench.checkout import checkout

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Sample:
    label: str
    ms: float
    status: int
    request_id: str


@dataclass
class Run:
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    failures: list[str] = field(default_factory=list)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up within {timeout} s")


def start_service(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"],
        cwd=ROOT,
        env={**env, "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    wait_until_up(f"http://127.0.0.1:{port}/healthz")
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def worker_pids(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                pids.append(int(entry.name))
    return pids


def memory_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def drive(
    base: str, app_id: str, target: targets.Target, checkouts: int, concurrency: int, run: Run, headers: dict[str, str]
) -> float:
    """Run ``checkouts`` full checkouts over ``concurrency`` threads; returns the wall time."""
    remaining = iter(range(checkouts))
    take = threading.Lock()

    host, port = base.removeprefix("http://").split(":")

    def worker(n: int) -> None:
        # http.client keeps the driver's own CPU cost low: it shares the machine with the service.
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        while True:
            with take:
                if next(remaining, None) is None:
                    connection.close()
                    return
            seen: dict[str, Any] = {}
            for call in checkout(app_id, target.product):
                request_id = f"bench-{n}-{time.monotonic_ns()}"
                payload = json.dumps(call.body(seen)).encode()
                started = time.perf_counter()
                try:
                    connection.request(
                        "POST",
                        f"/fast/v1/{call.operation}",
                        body=payload,
                        headers={**headers, "X-Request-ID": request_id, "Content-Type": "application/json"},
                    )
                    response = connection.getresponse()
                    text = response.read()
                    status = response.status
                except (OSError, http.client.HTTPException) as exc:
                    run.failures.append(f"{call.label}: {type(exc).__name__}")
                    connection.close()
                    connection = http.client.HTTPConnection(host, int(port), timeout=30)
                    status, text = 0, b""
                ms = (time.perf_counter() - started) * 1000
                run.add(Sample(call.label, ms, status, request_id))
                if status != 200:
                    if status and len(run.failures) < 20:
                        run.failures.append(f"{call.label}: HTTP {status} {text[:200]!r}")
                    break
                order = (json.loads(text).get("order") or {}).get("order") or {}
                if order.get("external_id"):
                    seen["external_id"] = order["external_id"]

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summarise(run: Run, wall: float, upstream: targets.UpstreamLog | None) -> dict[str, Any]:
    by_label: dict[str, list[Sample]] = defaultdict(list)
    for sample in run.samples:
        by_label[sample.label].append(sample)
    direct = upstream.direct_ms_by_request() if upstream else {}
    trips = upstream.trips_by_request() if upstream else {}
    operations = {}
    for label, samples in by_label.items():
        ok = [s for s in samples if s.status == 200]
        latencies = [s.ms for s in ok]
        added = [s.ms - direct.get(s.request_id, 0.0) for s in ok]
        round_trips = [trips.get(s.request_id, 0) for s in ok]
        operations[label] = {
            "calls": len(samples),
            "errors": len(samples) - len(ok),
            "p50_ms": round(percentile(latencies, 50), 2),
            "p95_ms": round(percentile(latencies, 95), 2),
            "p99_ms": round(percentile(latencies, 99), 2),
            "added_p50_ms": round(percentile(added, 50), 2),
            "added_p99_ms": round(percentile(added, 99), 2),
            "upstream_p50_ms": round(percentile([direct.get(s.request_id, 0.0) for s in ok], 50), 2),
            "upstream_round_trips_max": max(round_trips, default=0),
            "upstream_round_trips_mean": round(statistics.fmean(round_trips), 2) if round_trips else 0,
        }
    ok = [s for s in run.samples if s.status == 200]
    added_all = [s.ms - direct.get(s.request_id, 0.0) for s in ok]
    return {
        "calls": len(run.samples),
        "errors": len(run.samples) - len(ok),
        "wall_s": round(wall, 2),
        "calls_per_s": round(len(run.samples) / wall, 1) if wall else 0,
        "p50_ms": round(percentile([s.ms for s in ok], 50), 2),
        "p95_ms": round(percentile([s.ms for s in ok], 95), 2),
        "p99_ms": round(percentile([s.ms for s in ok], 99), 2),
        "added_p50_ms": round(percentile(added_all, 50), 2),
        "added_p99_ms": round(percentile(added_all, 99), 2),
        "operations": operations,
        "failures": run.failures[:20],
    }


def bench(args: argparse.Namespace) -> dict[str, Any]:
    target = targets.get(args.platform)
    workdir = Path(tempfile.mkdtemp(prefix="fast-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FAST_", "REDIS_URL"))}
    env.update(FAST_STATE_PATH=str(workdir / "state.sqlite3"), LOG_LEVEL="WARNING", WEB_CONCURRENCY=str(args.workers))
    env.update(target.service_env(workdir))
    upstream = target.start_upstream(args.delay_ms, workdir) if target.has_upstream else None
    if upstream is not None:
        env.update(upstream.service_env())
    port = free_port()
    service = start_service(env, port)
    base = f"http://127.0.0.1:{port}"
    headers = target.auth_headers()
    try:
        run = Run()
        drive(base, target.app_id, target, args.warmup, min(args.concurrency, 4), Run(), headers)
        if upstream is not None:
            upstream.reset()
        master = service.pid
        workers = worker_pids(master)
        wall = drive(base, target.app_id, target, args.checkouts, args.concurrency, run, headers)
        rss_mid = {pid: memory_kb(pid, "VmRSS") for pid in workers}
        if upstream is not None:
            upstream.replay_directly()
        result = summarise(run, wall, upstream)
        result["memory"] = {
            "workers": len(workers),
            "rss_mb_after_run": {str(pid): round(kb / 1024, 1) for pid, kb in rss_mid.items()},
            "peak_rss_mb": {
                str(pid): round(memory_kb(pid, "VmHWM") / 1024, 1) for pid in workers if Path(f"/proc/{pid}").exists()
            },
        }
        if args.memory_calls:
            result["memory"]["growth"] = memory_growth(base, target, headers, workers, args.memory_calls)
    finally:
        stop(service)
        if upstream is not None:
            upstream.stop()
    result["setup"] = {
        "platform": args.platform,
        "upstream_delay_ms": args.delay_ms if target.has_upstream else None,
        "concurrency": args.concurrency,
        "checkouts": args.checkouts,
        "gunicorn_workers": args.workers,
        "machine": f"{platform_module.machine()}, {os.cpu_count()} cores, Python {platform_module.python_version()}",
    }
    return result


def memory_growth(
    base: str, target: targets.Target, headers: dict[str, str], workers: list[int], calls: int
) -> dict[str, Any]:
    """RSS per worker after each thousand calls: it must stop growing after the first thousand."""
    per_checkout = len(list(checkout(target.app_id, target.product)))
    marks: dict[str, dict[str, float]] = {}
    done = 0
    while done < calls:
        wall_run = Run()
        drive(base, target.app_id, target, max(1, 1000 // per_checkout), 8, wall_run, headers)
        done += len(wall_run.samples)
        marks[str(done)] = {str(pid): round(memory_kb(pid, "VmRSS") / 1024, 1) for pid in workers}
    return marks


def table(result: dict[str, Any]) -> str:
    lines = [
        f"{result['setup']['platform']}: upstream delay {result['setup']['upstream_delay_ms']} ms, "
        f"{result['setup']['concurrency']} concurrent checkouts, {result['calls']} calls, "
        f"{result['calls_per_s']} calls/s, {result['errors']} errors",
        f"{'operation':<20} {'p50':>7} {'p95':>7} {'p99':>7} {'added p50':>10} {'added p99':>10}"
        f" {'trips':>6} {'errors':>6}",
    ]
    for label, op in result["operations"].items():
        lines.append(
            f"{label:<20} {op['p50_ms']:>7} {op['p95_ms']:>7} {op['p99_ms']:>7} {op['added_p50_ms']:>10}"
            f" {op['added_p99_ms']:>10} {op['upstream_round_trips_max']:>6} {op['errors']:>6}"
        )
    lines.append(
        f"{'all':<20} {result['p50_ms']:>7} {result['p95_ms']:>7} {result['p99_ms']:>7}"
        f" {result['added_p50_ms']:>10} {result['added_p99_ms']:>10}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--platform", default="sandbox", choices=targets.names())
    parser.add_argument("--delay-ms", type=float, default=0.0, help="the fake shop's delay per request")
    parser.add_argument("--concurrency", type=int, default=16, help="checkouts running at once")
    parser.add_argument("--checkouts", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (WEB_CONCURRENCY)")
    parser.add_argument("--memory-calls", type=int, default=0, help="also measure RSS growth over this many calls")
    parser.add_argument("--out", type=Path, help="write the JSON result here")
    args = parser.parse_args(argv)
    result = bench(args)
    print(table(result))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
