"""``make bench``: every platform at 0 ms and 80 ms, the JSON results, the tables and the plot.

    python -m bench.all                 # everything (about 10 minutes on 2 cores)
    python -m bench.all --quick         # a smaller run of each, to try the harness (about 2 minutes)
    python -m bench.all --only sandbox-0ms

Writes bench/results/<platform>-<delay>ms.json, bench/results/summary.md (the
tables of docs/benchmark.md) and bench/results/latency.png.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import plot, run

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Config:
    platform: str
    delay_ms: int
    concurrency: int
    checkouts: int  # the load phase
    latency_checkouts: int  # one at a time
    think_ms: int = 0  # the load phase's pause between a checkout's calls
    state: str = "sqlite"  # the state backend (bench/run.py --state)

    @property
    def name(self) -> str:
        suffix = "" if self.state == "sqlite" else f"-{self.state}"
        return f"{self.platform}-{self.delay_ms}ms{suffix}"

    def argv(self, scale: float) -> list[str]:
        return [
            f"--platform={self.platform}",
            f"--delay-ms={self.delay_ms}",
            f"--concurrency={self.concurrency}",
            f"--checkouts={max(self.concurrency, int(self.checkouts * scale))}",
            f"--latency-checkouts={int(self.latency_checkouts * scale)}",
            f"--think-ms={self.think_ms}",
            f"--state={self.state}",
        ]


# 0 ms: latency one checkout at a time, then 16 at once with no pause, for calls/s (the
# 1,000 checkouts of the load phase, 10,000 calls, are also the memory run). 80 ms: 64
# shoppers at once, each pausing a second between steps (docs/benchmark.md says why).
# The sandbox has no upstream, so no 80 ms run.
CONFIGS = [
    Config("sandbox", 0, 16, 1000, 100),
    # The same run on the two shared state backends: what each costs a call beside the SQLite file.
    Config("sandbox", 0, 16, 1000, 100, state="redis"),
    Config("sandbox", 0, 16, 1000, 100, state="postgres"),
    Config("woocommerce", 0, 16, 1000, 100),
    Config("woocommerce", 80, 64, 192, 0, think_ms=1000),
    Config("shopify", 0, 16, 300, 50),
    Config("shopify", 80, 64, 192, 0, think_ms=1000),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a tenth of the checkouts")
    parser.add_argument("--only", action="append", help="run only these (e.g. woocommerce-80ms); repeatable")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    scale = 0.1 if args.quick else 1.0
    args.out.mkdir(parents=True, exist_ok=True)
    failed = []
    started = time.monotonic()
    for config in CONFIGS:
        if args.only and config.name not in args.only:
            continue
        print(f"\n### {config.name}", flush=True)
        out = args.out / f"{config.name}.json"
        code = run.main([*config.argv(scale), f"--out={out}"])
        if code:
            failed.append(config.name)
    results = load(args.out)
    (args.out / "summary.md").write_text(summary(results))
    plot.latency_plot(results, args.out / "latency.png")
    print(f"\nwrote {args.out}/*.json, summary.md, latency.png in {time.monotonic() - started:.0f} s", flush=True)
    if failed:
        print(f"errors in: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def load(directory: Path) -> dict[str, dict[str, Any]]:
    order = {c.name: i for i, c in enumerate(CONFIGS)}
    found = {p.stem: json.loads(p.read_text()) for p in directory.glob("*-*ms*.json")}
    return dict(sorted(found.items(), key=lambda item: order.get(item[0], len(order))))


def summary(results: dict[str, dict[str, Any]]) -> str:
    """Markdown tables: one line per run, then per operation."""
    lines = [
        "| run | phase | checkouts at once | calls | calls/s | errors | p50 ms | p95 ms | p99 ms"
        " | shop p50 ms | added p50 ms | added p99 ms | round trips mean / max | service CPU ms/call |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, result in results.items():
        for phase_name, ph in result["phases"].items():
            lines.append(
                f"| {name} | {phase_name} | {ph['concurrency']} | {ph['calls']} | {ph['calls_per_s']} | {ph['errors']}"
                f" | {ph['p50_ms']} | {ph['p95_ms']} | {ph['p99_ms']} | {ph.get('upstream_p50_ms', '–')}"
                f" | {ph.get('added_p50_ms', ph['p50_ms'])} | {ph.get('added_p99_ms', ph['p99_ms'])}"
                f" | {_trips(ph)} | {ph['service_cpu_ms_per_call']} |"
            )
    lines += ["", "Per operation (the latency phase at 0 ms, the load phase at 80 ms):", ""]
    lines += [
        "| run | operation | p50 ms | p95 ms | p99 ms | shop p50 ms | added p50 ms | added p99 ms | ratio p50"
        " | round trips mean / max |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, result in results.items():
        ph = result["phases"].get("latency") or result["phases"]["load"]
        for label, op in ph["operations"].items():
            lines.append(
                f"| {name} | {label} | {op['p50_ms']} | {op['p95_ms']} | {op['p99_ms']}"
                f" | {op.get('upstream_p50_ms', '–')} | {op.get('added_p50_ms', op['p50_ms'])}"
                f" | {op.get('added_p99_ms', op['p99_ms'])} | {op.get('ratio_p50') or '–'} | {_trips(op)} |"
            )
    lines += ["", "Memory (RSS per gunicorn worker, MB):", ""]
    lines += ["| run | calls served | peak (VmHWM) | at 2,000 calls | at 10,000 calls | growth 2k → 10k |"]
    lines += ["| --- | ---: | --- | --- | --- | --- |"]
    for name, result in results.items():
        memory = result["memory"]
        marks = memory["rss_mb_by_calls"]
        lines.append(
            f"| {name} | {memory['calls_served']} | {_mb(memory['peak_rss_mb'])} | {_mb(marks.get('2000'))}"
            f" | {_mb(memory.get('rss_mb_at_10k'))} | {_mb(memory.get('growth_mb_2k_to_10k'))} |"
        )
    lines += ["", "Targets:", "", "| run | target | value | met |", "| --- | --- | ---: | --- |"]
    for name, result in results.items():
        for target, check in result["targets"].items():
            lines.append(f"| {name} | {target} | {check['value']} | {'yes' if check['met'] else '**no**'} |")
    setups = {r["setup"]["machine"] for r in results.values()}
    loads = [r["setup"]["load_average_at_end"][0] for r in results.values()]
    lines += ["", f"Machine: {', '.join(sorted(setups))}; 1-minute load average at the end of each run: {loads}."]
    return "\n".join(lines) + "\n"


def _trips(op: dict[str, Any]) -> str:
    if "upstream_round_trips_max" not in op:
        return "–"
    return f"{op['upstream_round_trips_mean']} / {op['upstream_round_trips_max']}"


def _mb(per_worker: dict[str, float] | None) -> str:
    if not per_worker:
        return "–"
    return " / ".join(f"{v:g}" for v in per_worker.values())


if __name__ == "__main__":
    sys.exit(main())
