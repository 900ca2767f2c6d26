"""The benchmark page's plot: each operation's latency distribution, through the proxy and straight to the shop.

python -m bench.plot                # from bench/results/*.json to bench/results/latency.png
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def _box(stats: dict[str, Any], prefix: str, label: str) -> dict[str, Any]:
    """A box from stored percentiles: p25-p75 box, p50 line, whiskers at p5 and p95, p99 as the one flier."""
    get = lambda p: stats[f"{prefix}p{p}_ms"]  # noqa: E731
    return {
        "label": label,
        "med": get(50),
        "q1": get(25),
        "q3": get(75),
        "whislo": get(5),
        "whishi": get(95),
        "fliers": [get(99)],
    }


def latency_plot(results: dict[str, dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [(name, r) for name, r in results.items() if r.get("phases")]
    if not runs:
        return
    fig, axes = plt.subplots(len(runs), 1, figsize=(11, 3.1 * len(runs)), squeeze=False)
    for ax, (name, result) in zip(axes[:, 0], runs, strict=True):
        phase_name = "latency" if "latency" in result["phases"] else "load"
        phase = result["phases"][phase_name]
        boxes, colours = [], []
        for label, op in phase["operations"].items():
            boxes.append(_box(op, "", label))
            colours.append("#1f77b4")
            if "upstream_p50_ms" in op:
                boxes.append(_box(op, "upstream_", ""))
                colours.append("#bbbbbb")
        drawn = ax.bxp(boxes, patch_artist=True, showfliers=True, widths=0.6)
        for patch, colour in zip(drawn["boxes"], colours, strict=True):
            patch.set_facecolor(colour)
        for median in drawn["medians"]:
            median.set_color("black")
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        ax.set_ylabel("ms")
        ax.set_ylim(bottom=0)
        ax.grid(axis="y", alpha=0.3)
        delay = result["setup"]["upstream_delay_ms"]
        where = "no upstream" if delay is None else f"shop answers after {delay:g} ms"
        ax.set_title(
            f"{name}: {where}, {phase['concurrency']} checkout(s) at once; "
            f"blue = Fast call through the proxy, grey = the same call's requests sent straight to the shop",
            fontsize=9,
        )
    fig.suptitle("Latency per operation (box p25-p75, line p50, whiskers p5-p95, dot p99)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> int:
    from bench.all import load

    results = load(RESULTS)
    latency_plot(results, RESULTS / "latency.png")
    print(RESULTS / "latency.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
