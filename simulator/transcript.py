"""What the simulator prints: a live step-by-step transcript, a summary table, a JSON report.

Each step shows the call, what it changed in the order (lines, addresses,
shipping, coupons, status) and the totals, with the latency of the call and of
its repeat. Output is plain ASCII so any terminal and any CI log shows it.
"""

from __future__ import annotations

import json
import statistics
from decimal import Decimal
from typing import Any

import click

from simulator import checks
from simulator.runner import ScenarioResult, Step

SEGMENT_NAMES = {
    checks.LINE_ITEM: "items",
    checks.BILLING_ADDRESS: "billing address",
    checks.SHIPPING_ADDRESS: "shipping address",
    checks.SHIPPING_OPTION: "shipping option",
    checks.COUPON: "coupon",
    checks.CONVERT: "convert",
    checks.ORDER_STATUS: "status",
}


# --- what a step changed ---------------------------------------------------------------


def describe(before: dict[str, Any] | None, step: Step) -> list[str]:
    """Short lines saying what this answer changed compared with the order before it."""
    answer = step.answer
    if answer.status is None:
        return [answer.message]
    if answer.status != 200:
        return [f"answered {answer.status}: {answer.message or '(no message)'}"]
    if step.operation == "delete":
        return ["deleted (answer {})" if step.body == {} else f"answer {_compact(step.body)}"]
    order = step.order
    if not order:
        return []
    before = before or {}
    notes: list[str] = []
    try:
        notes += _reference(before, order)
        notes += _lines(before, order)
        notes += _addresses(before, order)
        notes += _shipping(before, order, chosen=_asked_for_option(step))
        notes += _segments(step)
        notes += _coupons(before, order)
        notes.append(_totals(before, order))
    except (TypeError, AttributeError, KeyError, ValueError):
        return ["(the answer is too malformed to describe)"]  # the checks say what is wrong with it
    return notes


def _reference(before: dict[str, Any], order: dict[str, Any]) -> list[str]:
    notes = []
    status = str(order.get("status", "?")).removeprefix("ORDER_STATUS_")
    if not before or order.get("external_id") != before.get("external_id"):
        kind = "cart" if order.get("status") == "ORDER_STATUS_CART" else "order"
        notes.append(f"{kind} {order.get('external_id')} ({status})")
    elif order.get("status") != before.get("status"):
        notes.append(f"status {str(before.get('status')).removeprefix('ORDER_STATUS_')} -> {status}")
    return notes


def _line_key(line: dict[str, Any]) -> str:
    line_id = line.get("id")
    if isinstance(line_id, dict) and line_id.get("value"):
        return str(line_id["value"])
    return f"shop line {line.get('external_id')}"


def _line_name(line: dict[str, Any]) -> str:
    return str(line.get("name") or line.get("external_variant_id") or line.get("external_product_id") or "?")


def _lines(before: dict[str, Any], order: dict[str, Any]) -> list[str]:
    old = {_line_key(x): x for x in before.get("lines", []) or []}
    new = {_line_key(x): x for x in order.get("lines", []) or []}
    notes = []
    for key, line in new.items():
        if key not in old:
            notes.append(f"+ {key} {_line_name(line)} x{line.get('quantity')} at {line.get('unit_price')}")
        elif old[key].get("quantity") != line.get("quantity"):
            notes.append(f"~ {key} {_line_name(line)} x{old[key].get('quantity')} -> x{line.get('quantity')}")
    notes += [f"- {key} {_line_name(line)} removed" for key, line in old.items() if key not in new]
    return notes


def _place(address: Any) -> str:
    if not isinstance(address, dict):
        return "-"
    country = address.get("country_code") or address.get("country") or "?"
    region = address.get("state_province_code") or address.get("state_province")
    city = address.get("city_locality")
    return ", ".join(x for x in (city, f"{country}-{region}" if region else country) if x)


def _ship_to(order: dict[str, Any]) -> Any:
    plans = checks.plans(order)
    return plans[0].get("ship_to") if plans else None


def _addresses(before: dict[str, Any], order: dict[str, Any]) -> list[str]:
    notes = []
    if order.get("bill_to") and order.get("bill_to") != before.get("bill_to"):
        notes.append(f"bill to {_place(order['bill_to'])}")
    if _ship_to(order) and _ship_to(order) != _ship_to(before):
        notes.append(f"ship to {_place(_ship_to(order))}")
    return notes


def _option_text(option: dict[str, Any]) -> str:
    return (
        f"{option.get('name') or checks.option_key(option)} {option.get('total') or option.get('cost') or ''}".strip()
    )


def _asked_for_option(step: Step) -> bool:
    return (
        step.operation == "update"
        and isinstance(step.request, dict)
        and "shipping_option" in step.request.get("order", {})
    )


def _shipping(before: dict[str, Any], order: dict[str, Any], *, chosen: bool = False) -> list[str]:
    notes = []
    for i, plan in enumerate(checks.plans(order)):
        old_plans = checks.plans(before)
        old = old_plans[i] if i < len(old_plans) else {}
        selected = plan.get("selected_option") if isinstance(plan.get("selected_option"), dict) else None
        offered = [o for o in plan.get("available_options") or [] if isinstance(o, dict)]
        if offered != (old.get("available_options") or []):
            listed = [
                _option_text(o) + (" *" if selected and checks.option_key(o) == checks.option_key(selected) else "")
                for o in offered
            ]
            notes.append("shipping options: " + (", ".join(listed) if listed else "none"))
        elif selected and (chosen or selected != old.get("selected_option")):
            notes.append(f"shipping: {_option_text(selected)} selected")
    return notes


def _segments(step: Step) -> list[str]:
    notes = []
    for entry in checks.statuses_of(step.body):
        if entry.get("status") is False:
            name = SEGMENT_NAMES.get(entry.get("updated"), entry.get("updated"))
            reason = " - ".join(str(x) for x in (entry.get("reason_code"), entry.get("message")) if x)
            notes.append(f"{name} refused: {reason or '(no reason)'}")
    return notes


def _coupons(before: dict[str, Any], order: dict[str, Any]) -> list[str]:
    def applied(o: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {str(c.get("code")): c for c in o.get("coupons", []) or [] if c.get("applied") is not False}

    old, new = applied(before), applied(order)
    notes = [f"coupon {code} applied: -{c.get('total_amount')}" for code, c in new.items() if code not in old]
    notes += [f"coupon {code} removed" for code in old if code not in new]
    return notes


def _totals(before: dict[str, Any], order: dict[str, Any]) -> str:
    keys = checks.TOTALS
    text = (
        f"total {order.get('total_amount')} {order.get('currency_code') or ''}".rstrip()
        + f" = items {order.get('sub_total')} - discounts {order.get('total_discounts')}"
        + f" + tax {order.get('total_tax')} + shipping {order.get('total_shipping')}"
    )
    if before and all(order.get(k) == before.get(k) for k in keys):
        return f"total unchanged: {order.get('total_amount')}"
    return text


def _compact(value: Any) -> str:
    text = json.dumps(value, default=str, separators=(",", ":"))
    return text if len(text) <= 80 else text[:77] + "..."


# --- the live transcript -------------------------------------------------------------------

LABEL_WIDTH = 46


class Transcript:
    """Prints each scenario and step as it happens (the progress display of a verbose run)."""

    def __init__(self, *, color: bool | None = None, err: bool = False) -> None:
        self.color = color
        self.err = err

    def echo(self, text: str = "", **style: Any) -> None:
        click.echo(click.style(text, **style) if style else text, color=self.color, err=self.err)

    def scenario_started(self, index: int, total: int, result: ScenarioResult) -> None:
        self.echo()
        self.echo(f"[{index}/{total}] {result.name} ({result.dialect} dialect): {result.title}", bold=True)

    def step(self, step: Step) -> None:
        mark = click.style(" ok ", fg="green") if step.ok else click.style("FAIL", fg="red", bold=True)
        timing = f"{step.answer.latency_ms:6.0f} ms"
        if step.replay is not None:
            timing += f"  repeat {step.replay.latency_ms:4.0f} ms"
        label = step.label if len(step.label) <= LABEL_WIDTH else step.label[: LABEL_WIDTH - 3] + "..."
        click.echo(f"  {mark} {label:<{LABEL_WIDTH}} {timing}", color=self.color, err=self.err)
        for note in step.notes:
            self.echo(f"         {note}", dim=True)
        for problem in step.problems:
            self.echo(f"         x {problem}", fg="red")

    def scenario_finished(self, result: ScenarioResult) -> None:
        if result.skipped:
            self.echo(f"  skipped: {result.skipped}", fg="yellow")
        elif result.aborted:
            self.echo(f"  stopped: {result.aborted}", fg="red")


class Quiet:
    """Shows only a progress bar over the scenario runs (``--quiet``)."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar

    def scenario_started(self, index: int, total: int, result: ScenarioResult) -> None:
        pass

    def step(self, step: Step) -> None:
        pass

    def scenario_finished(self, result: ScenarioResult) -> None:
        self.bar.update(1)


# --- the summary ---------------------------------------------------------------------------


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def outcome(result: ScenarioResult) -> str:
    if result.skipped:
        return "skipped"
    return "passed" if result.passed else "failed"


def latencies(results: list[ScenarioResult]) -> list[float]:
    return [step.answer.latency_ms for r in results for step in r.steps if step.answer.status is not None]


def summary_lines(results: list[ScenarioResult]) -> list[tuple[str, dict[str, Any]]]:
    """The summary table as (text, click style) pairs."""
    rows: list[tuple[str, dict[str, Any]]] = []
    header = f"{'scenario':<22} {'dialect':<8} {'calls':>5} {'problems':>8} {'time':>7}  result"
    rows.append((header, {"bold": True}))
    rows.append(("-" * len(header), {}))
    for r in results:
        calls = sum(1 + (step.replay is not None) for step in r.steps)
        style = {"passed": {"fg": "green"}, "failed": {"fg": "red", "bold": True}, "skipped": {"fg": "yellow"}}
        text = f"{r.name:<22} {r.dialect:<8} {calls:>5} {len(r.problems):>8} {r.seconds:>6.2f}s  {outcome(r)}"
        rows.append((text, style[outcome(r)]))
    counts = {kind: sum(outcome(r) == kind for r in results) for kind in ("passed", "failed", "skipped")}
    times = latencies(results)
    total_calls = sum(1 + (s.replay is not None) for r in results for s in r.steps)
    line = (
        f"{plural(len(results), 'scenario run')}: {counts['passed']} passed, {counts['failed']} failed,"
        f" {counts['skipped']} skipped; {total_calls} calls"
    )
    if times:
        line += f"; latency median {statistics.median(times):.0f} ms, max {max(times):.0f} ms"
    rows.append(("", {}))
    rows.append((line, {"bold": True}))
    failed = [r for r in results if outcome(r) == "failed"]
    if failed:
        rows.append(("", {}))
        rows.append(("Problems:", {"fg": "red", "bold": True}))
        for r in failed:
            for problem in r.problems:
                rows.append((f"  {r.name} ({r.dialect}): {problem}", {"fg": "red"}))
    for r in results:
        if r.skipped:
            rows.append((f"  {r.name} ({r.dialect}) skipped: {r.skipped}", {"fg": "yellow"}))
    return rows


def print_summary(results: list[ScenarioResult], *, color: bool | None = None, err: bool = False) -> None:
    click.echo(err=err)
    for text, style in summary_lines(results):
        click.echo(click.style(text, **style) if style else text, color=color, err=err)


def report(results: list[ScenarioResult], **context: Any) -> dict[str, Any]:
    """The machine-readable report (``--json``): every step with its request, answer and problems."""
    return {
        **context,
        "passed": all(outcome(r) != "failed" for r in results),
        "counts": {kind: sum(outcome(r) == kind for r in results) for kind in ("passed", "failed", "skipped")},
        "scenarios": [
            {
                "name": r.name,
                "title": r.title,
                "dialect": r.dialect,
                "result": outcome(r),
                "skipped": r.skipped,
                "stopped": r.aborted,
                "seconds": round(r.seconds, 3),
                "problems": r.problems,
                "steps": [_step_report(step) for step in r.steps],
            }
            for r in results
        ],
    }


def _step_report(step: Step) -> dict[str, Any]:
    out: dict[str, Any] = {
        "label": step.label,
        "operation": step.operation,
        "ok": step.ok,
        "status": step.answer.status,
        "latency_ms": round(step.answer.latency_ms, 1),
        "problems": step.problems,
        "notes": step.notes,
        "request": step.request,
        "response": step.answer.body,
    }
    if step.replay is not None:
        out["repeat"] = {"status": step.replay.status, "latency_ms": round(step.replay.latency_ms, 1)}
    return out


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, default=lambda v: str(v) if isinstance(v, Decimal) else repr(v)) + "\n"
