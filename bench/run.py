"""Benchmark: full Fast checkouts through gunicorn (production config) in front of a fake shop.

    python -m bench.run --platform woocommerce --delay-ms 0 --concurrency 16 --checkouts 1000 \\
        --latency-checkouts 100 --out bench/results/woocommerce-0ms.json

It starts the service with ``gunicorn.conf.py`` on a free local port (and, for
a platform adapter, the fake shop of tests/fakes/ as a real HTTP server in its
own process, answering after ``--delay-ms``), then runs two phases of full
checkouts over keep-alive connections:

* latency: one checkout at a time (``--latency-checkouts``), so the numbers are
  the proxy's own time, not queueing;
* load: ``--concurrency`` checkouts at a time (``--checkouts``), for calls/s and
  latency under load; worker memory is sampled after every thousand calls.

After each phase the shop's request log (every upstream request, tagged with
the X-Request-ID of the Fast call that made it) is replayed straight to the
shop in the same run, so each Fast call's added latency is its own latency
minus the time its upstream requests take without the proxy.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform as platform_module
import shutil
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
from urllib.parse import urlsplit

import requests

from bench import targets
from bench.checkout import checkout

ROOT = Path(__file__).resolve().parents[1]
MEMORY_EVERY = 1000  # calls between two samples of the workers' RSS
# RSS moves by a few hundred kB with allocator noise; more than this between the
# 2nd and the 10th thousand calls is growth.
GROWTH_TOLERANCE_MB = 1.0


@dataclass
class Sample:
    label: str
    ms: float
    status: int
    request_id: str


class Meter:
    """Counts the Fast calls the service has answered; samples its workers' RSS every thousand."""

    def __init__(self, master: int) -> None:
        self.master = master
        self.count = 0
        self.marks: dict[str, dict[str, float]] = {}
        self.threads: dict[str, dict[str, int]] = {}  # threads per worker at each mark (gthread adds them on demand)
        self.lock = threading.Lock()

    def tick(self) -> None:
        with self.lock:
            self.count += 1
            if self.count % MEMORY_EVERY == 0:
                workers = worker_pids(self.master)
                self.marks[str(self.count)] = {str(pid): round(memory_kb(pid, "VmRSS") / 1024, 1) for pid in workers}
                self.threads[str(self.count)] = {str(pid): memory_kb(pid, "Threads") for pid in workers}


@dataclass
class Run:
    meter: Meter | None = None
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    failures: list[str] = field(default_factory=list)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)
        if self.meter is not None:
            self.meter.tick()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up and process.poll() is None:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up within {timeout} s")


def start_service(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """gunicorn with the production config; its JSON log lines (one per Fast call) go to ``log``."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"],
            cwd=ROOT,
            env={**env, "PORT": str(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/readyz", process)
    except RuntimeError:
        stop(process)
        raise
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


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
    return sorted(pids)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time these processes have used."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def memory_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def drive(
    base: str,
    target: targets.Target,
    checkouts: int,
    concurrency: int,
    run: Run,
    headers: dict[str, str],
    think_ms: float = 0.0,
) -> float:
    """Run ``checkouts`` full checkouts over ``concurrency`` threads; returns the wall time.

    ``think_ms``: the shopper's pause between two calls of a checkout (0: the next
    call as soon as the answer is in). With a pause, the checkouts start staggered.
    """
    remaining = iter(range(checkouts))
    take = threading.Lock()
    host, port = base.removeprefix("http://").split(":")

    def worker(n: int) -> None:
        # http.client keeps the driver's own CPU cost low: it shares the machine with the service.
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        time.sleep(think_ms / 1000 * n / concurrency)
        while True:
            with take:
                if next(remaining, None) is None:
                    connection.close()
                    return
            seen: dict[str, Any] = {}
            for index, call in enumerate(checkout(target.app_id, target.product)):
                if index and think_ms:
                    time.sleep(think_ms / 1000)
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
                    connection = http.client.HTTPConnection(host, int(port), timeout=60)
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
                plans = order.get("shipment_plans") or []
                if plans and plans[0].get("external_id"):
                    seen["plan_id"] = plans[0]["external_id"]
                    seen["options"] = [o.get("external_id") for o in plans[0].get("available_options") or []]

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


def distribution(values: list[float], prefix: str = "") -> dict[str, float]:
    """The percentiles reported (p50/p95/p99) and those the box plots need (p5/p25/p75)."""
    return {f"{prefix}p{p}_ms": round(percentile(values, p), 2) for p in (5, 25, 50, 75, 95, 99)}


def stats(samples: list[Sample], wall: float, replay: targets.Replay | None) -> dict[str, Any]:
    ok = [s for s in samples if s.status == 200]
    out: dict[str, Any] = {
        "calls": len(samples),
        "errors": len(samples) - len(ok),
        "calls_per_s": round(len(samples) / wall, 1) if wall else 0.0,
        **distribution([s.ms for s in ok]),
    }
    if replay is not None:
        direct = [replay.direct_ms.get(s.request_id, 0.0) for s in ok]
        added = [s.ms - d for s, d in zip(ok, direct, strict=True)]
        ratios = [s.ms / d for s, d in zip(ok, direct, strict=True) if d > 0]
        trips = [replay.trips.get(s.request_id, 0) for s in ok]
        out.update(distribution(direct, "upstream_"))
        out.update(distribution(added, "added_"))
        out["ratio_p50"] = round(percentile(ratios, 50), 3) if ratios else None
        out["upstream_round_trips_max"] = max(trips, default=0)
        out["upstream_round_trips_mean"] = round(statistics.fmean(trips), 2) if trips else 0.0
    return out


def summarise(run: Run, wall: float, replay: targets.Replay | None) -> dict[str, Any]:
    by_label: dict[str, list[Sample]] = defaultdict(list)
    for sample in run.samples:
        by_label[sample.label].append(sample)
    result = {"wall_s": round(wall, 2), **stats(run.samples, wall, replay)}
    result["operations"] = {label: stats(samples, wall, replay) for label, samples in by_label.items()}
    if replay is not None and run.samples:
        # Shop requests made for no Fast call (WooCommerce's Cart-Token pool refills), per Fast call.
        served = {s.request_id for s in run.samples}
        off_path = sum(n for request_id, n in replay.trips.items() if request_id not in served)
        result["upstream_requests_off_path_per_call"] = round(off_path / len(run.samples), 3)
    if replay is not None:
        result["replay"] = {
            "requests": replay.requests,
            "status_mismatches": replay.mismatches,
            "different_answers": replay.different_answers,
            "wall_s": replay.wall_s,
        }
    result["failures"] = run.failures[:20]
    return result


def phase(
    base: str,
    target: targets.Target,
    upstream: targets.FakeShopProcess | None,
    checkouts: int,
    concurrency: int,
    meter: Meter,
    headers: dict[str, str],
    think_ms: float = 0.0,
) -> dict[str, Any]:
    if upstream is not None:
        upstream.reset()
    run = Run(meter)
    processes = {"service": worker_pids(meter.master), "driver": [os.getpid()]}
    if upstream is not None:
        processes["shop"] = [upstream.process.pid, *worker_pids(upstream.process.pid)]
    cpu_before = {name: cpu_seconds(pids) for name, pids in processes.items()}
    wall = drive(base, target, checkouts, concurrency, run, headers, think_ms)
    # CPU per Fast call: what bounds calls/s on a machine the three processes share.
    cpu = {
        f"{name}_cpu_ms_per_call": round((cpu_seconds(pids) - cpu_before[name]) * 1000 / max(1, len(run.samples)), 2)
        for name, pids in processes.items()
    }
    replay = None
    if upstream is not None:
        upstream.replay_directly()
        replay = upstream.last_replay()
    return {
        "concurrency": concurrency,
        "checkouts": checkouts,
        "think_ms": think_ms,
        **cpu,
        **summarise(run, wall, replay),
    }


def bench(args: argparse.Namespace) -> dict[str, Any]:
    target = targets.get(args.platform)
    workdir = Path(tempfile.mkdtemp(prefix="fast-bench-"))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FAST_", "REDIS_URL", "DATABASE_URL", "GUNICORN_", "DYNO"))
    }
    env.update(
        FAST_STATE_PATH=str(workdir / "state.sqlite3"),
        LOG_LEVEL="INFO",  # production's: one JSON line per Fast call
        WEB_CONCURRENCY=str(args.workers),
        # Recycling workers is production's guard against leaks; off here, so a leak shows.
        GUNICORN_MAX_REQUESTS="0",
    )
    if args.threads:
        env["GUNICORN_THREADS"] = str(args.threads)
    env.update(target.service_env(workdir))
    database = state_env(args.state, env)
    upstream = None
    if target.has_upstream:
        threads = max(64, 2 * args.concurrency)
        upstream = target.start_upstream(args.delay_ms, workdir, free_port(), threads)
        env.update(upstream.service_env())
    port = free_port()
    try:
        service = start_service(env, port, workdir / "service.log")
    except BaseException:
        if upstream is not None:
            upstream.stop()
        raise
    base = f"http://127.0.0.1:{port}"
    headers = target.auth_headers()
    result: dict[str, Any] = {}
    try:
        meter = Meter(service.pid)
        # Warm every thread of every worker (its connections, caches, the shop's first pages).
        drive(base, target, max(args.warmup, 2 * args.concurrency), args.concurrency, Run(meter), headers)
        phases: dict[str, Any] = {}
        if args.latency_checkouts:
            phases["latency"] = phase(base, target, upstream, args.latency_checkouts, 1, meter, headers)
        if args.checkouts:
            phases["load"] = phase(
                base, target, upstream, args.checkouts, args.concurrency, meter, headers, args.think_ms
            )
        result["phases"] = phases
        workers = worker_pids(service.pid)
        result["memory"] = memory_report(meter, workers)
    finally:
        stop(service)
        if upstream is not None:
            upstream.stop()
        if database is not None:
            database.__exit__(None, None, None)
    result["setup"] = {
        "platform": args.platform,
        "state": args.state,
        "state_database": urlsplit(env["DATABASE_URL"]).path.lstrip("/") if database is not None else None,
        "upstream_delay_ms": args.delay_ms if target.has_upstream else None,
        "concurrency": args.concurrency,
        "checkouts": args.checkouts,
        "think_ms": args.think_ms,
        "latency_checkouts": args.latency_checkouts,
        "gunicorn_workers": args.workers,
        "gunicorn_threads": args.threads or "gunicorn.conf.py default",
        "machine": f"{platform_module.machine()}, {os.cpu_count()} cores, Python {platform_module.python_version()}",
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }
    result["targets"] = evaluate(result)
    if result["targets"]["no_errors"]["met"]:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"errors: the service's log is in {workdir / 'service.log'}", file=sys.stderr)
    return result


def state_env(backend: str, env: dict[str, str]) -> Any:
    """Point the service at the state backend under test; for PostgreSQL a fresh, migrated database
    (the returned context, to be exited once the service has stopped)."""
    if backend == "redis":
        # Emptied first, as a fresh SQLite file is (the sandbox's stock counts live there): a database of its own.
        env["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
        import redis

        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
        return None
    if backend != "postgres":
        return None
    from service.state import PostgresState
    from tests.postgres_db import fresh_database

    database = fresh_database(prefix="state_bench")
    env["DATABASE_URL"] = database.__enter__()
    store = PostgresState(env["DATABASE_URL"], pool_size=1, sweep_every=0)
    store.migrate()
    store.close()
    return database


def memory_report(meter: Meter, workers: list[int]) -> dict[str, Any]:
    marks = meter.marks
    report: dict[str, Any] = {
        "workers": len(workers),
        "calls_served": meter.count,
        "peak_rss_mb": {str(pid): round(memory_kb(pid, "VmHWM") / 1024, 1) for pid in workers},
        "rss_mb_after_run": {str(pid): round(memory_kb(pid, "VmRSS") / 1024, 1) for pid in workers},
        "rss_mb_by_calls": marks,
        "threads_by_calls": meter.threads,
    }
    late = [int(k) for k in marks if int(k) >= 10 * MEMORY_EVERY]
    if str(2 * MEMORY_EVERY) in marks and late:
        first, last = marks[str(2 * MEMORY_EVERY)], marks[str(min(late))]
        report["growth_mb_2k_to_10k"] = {pid: round(last[pid] - first[pid], 1) for pid in last if pid in first}
        report["rss_mb_at_10k"] = last
    return report


def evaluate(result: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets, judged on this run's numbers (None: this run does not measure it)."""
    phases, memory = result["phases"], result["memory"]
    delay = result["setup"]["upstream_delay_ms"] or 0
    checks: dict[str, Any] = {}
    latency, load = phases.get("latency"), phases.get("load")
    if latency and delay == 0:
        p50, p99 = latency.get("added_p50_ms", latency["p50_ms"]), latency.get("added_p99_ms", latency["p99_ms"])
        checks["added_latency_p50_under_3ms"] = {"value": p50, "met": p50 < 3}
        checks["added_latency_p99_under_15ms"] = {"value": p99, "met": p99 < 15}
    if load and "upstream_round_trips_max" in load:
        trips = {label: op["upstream_round_trips_max"] for label, op in load["operations"].items()}
        worst = max(n for label, n in trips.items() if label not in ("create", "read", "delete"))
        checks["round_trips_per_update_at_most_2"] = {"value": worst, "by_operation": trips, "met": worst <= 2}
    if load and delay == 0:
        rate = load["calls_per_s"]
        checks["throughput_at_least_400_calls_per_s"] = {"value": rate, "met": rate >= 400}
    if load and delay > 0:
        over = {
            label: round(op["p95_ms"] - op.get("upstream_p95_ms", 0.0), 2) for label, op in load["operations"].items()
        }
        worst = max(over.values(), default=0.0)
        checks["p95_within_upstream_plus_20ms"] = {"value": worst, "by_operation": over, "met": worst < 20}
    errors = sum(ph["errors"] for ph in phases.values())
    checks["no_errors"] = {"value": errors, "met": errors == 0}
    if "rss_mb_at_10k" in memory:
        biggest = max(memory["rss_mb_at_10k"].values())
        growth = max(memory["growth_mb_2k_to_10k"].values())
        checks["rss_under_80mb_after_10k_calls"] = {"value": biggest, "met": biggest < 80}
        checks["no_growth_2k_to_10k"] = {"value": growth, "met": growth <= GROWTH_TOLERANCE_MB}
    return checks


def table(result: dict[str, Any]) -> str:
    setup = result["setup"]
    delay = "no upstream" if setup["upstream_delay_ms"] is None else f"upstream delay {setup['upstream_delay_ms']:g} ms"
    lines = [f"== {setup['platform']}, {delay}, state {setup.get('state', 'sqlite')}"]
    for name, ph in result["phases"].items():
        lines.append(
            f"-- {name}: {ph['concurrency']} concurrent checkouts"
            + (f" pausing {ph['think_ms']:g} ms between calls" if ph.get("think_ms") else "")
            + f", {ph['calls']} calls, {ph['calls_per_s']} calls/s,"
            f" {ph['errors']} errors; CPU ms per call: service {ph['service_cpu_ms_per_call']},"
            f" driver {ph['driver_cpu_ms_per_call']}"
            + (f", shop {ph['shop_cpu_ms_per_call']}" if "shop_cpu_ms_per_call" in ph else "")
        )
        lines.append(
            f"{'operation':<20} {'p50':>7} {'p95':>7} {'p99':>7} {'shop p50':>9} {'added p50':>10} {'added p99':>10}"
            f" {'trips':>9} {'errors':>6}"
        )
        for label, op in [*ph["operations"].items(), ("all", ph)]:
            trips = f"{op.get('upstream_round_trips_mean', 0):.1f}/{op.get('upstream_round_trips_max', 0)}"
            lines.append(
                f"{label:<20} {op['p50_ms']:>7} {op['p95_ms']:>7} {op['p99_ms']:>7}"
                f" {op.get('upstream_p50_ms', 0.0):>9} {op.get('added_p50_ms', op['p50_ms']):>10}"
                f" {op.get('added_p99_ms', op['p99_ms']):>10} {trips:>9} {op['errors']:>6}"
            )
    memory = result["memory"]
    lines.append(f"-- memory: peak RSS per worker {memory['peak_rss_mb']} MB after {memory['calls_served']} calls")
    if "growth_mb_2k_to_10k" in memory:
        lines.append(f"   RSS growth from 2,000 to 10,000 calls: {memory['growth_mb_2k_to_10k']} MB")
    for name, check in result["targets"].items():
        lines.append(f"   target {name}: {check['value']} {'met' if check['met'] else 'NOT MET'}")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--platform", default="sandbox", choices=targets.names())
    p.add_argument("--delay-ms", type=float, default=0.0, help="the fake shop's delay per request")
    p.add_argument("--concurrency", type=int, default=16, help="checkouts running at once in the load phase")
    p.add_argument("--checkouts", type=int, default=300, help="checkouts in the load phase (0: no load phase)")
    p.add_argument("--latency-checkouts", type=int, default=0, help="checkouts one at a time (0: no latency phase)")
    p.add_argument("--think-ms", type=float, default=0.0, help="load phase: pause between a checkout's calls")
    p.add_argument("--warmup", type=int, default=20, help="checkouts first (at least two per thread), not measured")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers (WEB_CONCURRENCY)")
    p.add_argument("--threads", type=int, default=0, help="threads per worker (default: gunicorn.conf.py's)")
    p.add_argument(
        "--state",
        default="sqlite",
        choices=["sqlite", "redis", "postgres"],
        help="state backend: the SQLite file, Redis (BENCH_REDIS_URL) or a fresh PostgreSQL database"
        " on POSTGRES_TEST_URL's server",
    )
    p.add_argument("--out", type=Path, help="write the JSON result here")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    result = bench(args)
    print(table(result), flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["targets"]["no_errors"]["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
