"""What a person reads: each step's changes, the summary table, the JSON report."""

from __future__ import annotations

import json
from typing import Any

import click

from simulator import transcript
from simulator.runner import Exchange, ScenarioResult, Step


def step(operation: str, body: Any, status: int = 200, request: Any = None, label: str = "x") -> Step:
    return Step(label, operation, request or {"order": {}}, Exchange(status, body, 12.0))


def test_describe_a_created_cart(answers: dict[str, Any]) -> None:
    notes = transcript.describe(None, step("create", answers["create"]))
    assert notes[0].startswith("cart sbx_") and notes[0].endswith("(CART)")
    assert notes[1:] == [
        "+ L1 Fast Coffee Mug x2 at 12.50",
        "+ L2 Gift Box x1 at 7.25",
        "total 32.25 USD = items 32.25 - discounts 0.00 + tax 0.00 + shipping 0.00",
    ]


def test_describe_shipping_coupons_and_refusals(answers: dict[str, Any]) -> None:
    created = answers["create"]["order"]["order"]
    shipped = transcript.describe(created, step("update", answers["shipped"]))
    assert shipped == [
        "ship to New York, US-NY",
        "shipping options: Standard 6.52 *, Express 16.32, Pick up in store (New York) 0.00",
        "total 41.63 USD = items 32.25 - discounts 0.00 + tax 3.39 + shipping 5.99",
    ]
    before = answers["shipped"]["order"]["order"]
    assert transcript.describe(before, step("update", answers["couponed"]))[0] == "coupon SAVE10 applied: -3.23"
    refused = transcript.describe(answers["couponed"]["order"]["order"], step("update", answers["refused"]))
    assert refused == [
        "coupon refused: COUPON_EXPIRED - coupon 'SUMMER2020' expired on 2020-09-01",
        f"total unchanged: {answers['couponed']['order']['order']['total_amount']}",
    ]
    removed = transcript.describe(answers["refused"]["order"]["order"], step("update", answers["shipped"]))
    assert removed[0] == "coupon SAVE10 removed"


def test_describe_a_chosen_option_even_when_unchanged(answers: dict[str, Any]) -> None:
    before = answers["shipped"]["order"]["order"]
    request = {"order": {"shipping_option": {"option_id": {"value": "us_standard"}}}}
    notes = transcript.describe(before, step("update", answers["shipped"], request=request))
    assert notes == ["shipping: Standard 6.52 selected", "total unchanged: 41.63"]


def test_describe_line_changes_errors_and_deletes(answers: dict[str, Any]) -> None:
    before = answers["create"]["order"]["order"]
    after = json.loads(json.dumps(answers["create"]))
    lines = after["order"]["order"]["lines"]
    lines[0]["quantity"] = 3
    del lines[1]
    notes = transcript.describe(before, step("update", after))
    assert notes[:2] == ["~ L1 Fast Coffee Mug x2 -> x3", "- L2 Gift Box removed"]
    assert transcript.describe(before, step("update", {"code": 3, "message": "no"}, status=422)) == ["answered 422: no"]
    assert transcript.describe(before, step("delete", {})) == ["deleted (answer {})"]
    assert transcript.describe(before, Step("x", "read", {}, Exchange(None, None, 1.0, "no answer: Timeout"))) == [
        "no answer: Timeout"
    ]
    assert transcript.describe(before, step("read", {"order": {"order": {"lines": "garbage"}}})) == [
        "(the answer is too malformed to describe)"
    ]


def results() -> list[ScenarioResult]:
    good = ScenarioResult("coupons", "coupons", "openapi", [step("create", {}, label="create")], seconds=0.5)
    good.steps[0].replay = Exchange(200, {}, 3.0)
    bad = ScenarioResult("coupons", "coupons", "seeds", [step("update", {}, label="update coupon X")])
    bad.steps[0].problems.append("totals do not add up")
    skipped = ScenarioResult("storefront-cart", "storefront", "openapi", skipped="no storefront cart")
    return [good, bad, skipped]


def test_summary_table() -> None:
    lines = [text for text, _ in transcript.summary_lines(results())]
    assert lines[0].split() == ["scenario", "dialect", "calls", "problems", "time", "result"]
    assert lines[2].split() == ["coupons", "openapi", "2", "0", "0.50s", "passed"]
    assert lines[3].split() == ["coupons", "seeds", "1", "1", "0.00s", "failed"]
    assert lines[4].split()[-1] == "skipped"
    assert "3 scenario runs: 1 passed, 1 failed, 1 skipped; 3 calls; latency median 12 ms, max 12 ms" in lines
    assert "  coupons (seeds): update coupon X: totals do not add up" in lines
    assert "  storefront-cart (openapi) skipped: no storefront cart" in lines


def test_report() -> None:
    data = json.loads(transcript.dumps(transcript.report(results(), url="http://x")))
    assert data["url"] == "http://x" and data["passed"] is False
    assert data["counts"] == {"passed": 1, "failed": 1, "skipped": 1}
    assert data["scenarios"][1]["problems"] == ["update coupon X: totals do not add up"]
    assert data["scenarios"][0]["steps"][0]["repeat"] == {"status": 200, "latency_ms": 3.0}
    assert data["scenarios"][2]["result"] == "skipped"


def test_the_live_transcript_marks_failures(capsys: Any) -> None:
    printer = transcript.Transcript(color=False)
    printer.scenario_started(2, 3, results()[1])
    failing = results()[1].steps[0]
    failing.notes = ["total 1.00"]
    printer.step(failing)
    printer.scenario_finished(results()[2])
    out = capsys.readouterr().out
    assert "[2/3] coupons (seeds dialect): coupons" in out
    assert "FAIL update coupon X" in out
    assert "         total 1.00" in out
    assert "         x totals do not add up" in out
    assert "  skipped: no storefront cart" in out
    assert click.unstyle(out) == out
