"""The benchmark harness still runs: a handful of sandbox checkouts through gunicorn (make bench runs the rest)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_benchmark_runs_a_few_sandbox_checkouts(tmp_path: Path) -> None:
    out = tmp_path / "sandbox.json"
    command = [sys.executable, "-m", "bench.run", "--platform=sandbox", "--concurrency=2", "--checkouts=4"]
    command += ["--latency-checkouts=2", "--warmup=1", f"--out={out}"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(out.read_text())

    assert set(result["phases"]) == {"latency", "load"}
    load = result["phases"]["load"]
    assert (load["calls"], load["errors"], load["failures"]) == (40, 0, [])
    assert result["phases"]["latency"]["concurrency"] == 1
    for phase in result["phases"].values():
        assert phase["calls_per_s"] > 0
        assert 0 < phase["p50_ms"] <= phase["p95_ms"] <= phase["p99_ms"]
        assert set(phase["operations"]) == {
            "create",
            "read",
            "bill_to",
            "shipments",
            "shipping_option",
            "add_item",
            "coupon",
            "convert",
            "booked",
            "pending_fulfillment",
        }
        for op in phase["operations"].values():
            assert op["errors"] == 0 and op["calls"] > 0
            assert {"p50_ms", "p95_ms", "p99_ms", "calls_per_s"} <= set(op)
    memory = result["memory"]
    assert memory["workers"] == 2
    assert all(20 < mb < 500 for mb in memory["peak_rss_mb"].values())
    assert result["targets"]["no_errors"] == {"value": 0, "met": True}
    assert result["setup"]["platform"] == "sandbox"
    assert "sandbox" in done.stdout and "p50" in done.stdout  # the table


@pytest.mark.slow
def test_the_benchmark_runs_on_postgresql_and_drops_its_database(tmp_path: Path, postgres_url: str) -> None:
    """``make bench`` measures each state backend; the PostgreSQL one gets a database of its own."""
    import psycopg

    from tests.postgres_db import admin_url

    out = tmp_path / "sandbox-postgres.json"
    command = [sys.executable, "-m", "bench.run", "--platform=sandbox", "--state=postgres", "--concurrency=2"]
    command += ["--checkouts=2", "--latency-checkouts=0", "--warmup=1", f"--out={out}"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(out.read_text())
    assert result["setup"]["state"] == "postgres"
    assert (result["phases"]["load"]["calls"], result["phases"]["load"]["errors"]) == (20, 0)
    database = result["setup"]["state_database"]
    assert database.startswith("state_bench_")
    with psycopg.connect(admin_url(), autocommit=True) as admin:
        assert admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchall() == []
