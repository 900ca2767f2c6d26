"""What a correct answer looks like: one small function per rule, each returning the problems found.

The functions read plain JSON (what came over the wire) and never raise on a
malformed answer: a missing or mistyped field is itself a problem to report.
An empty list means the rule holds.
"""

from __future__ import annotations

from typing import Any

from simulator import schemas
from simulator.money_checks import line_sums, money_strings, totals_add_up
from simulator.wire import LINE_MONEY, OPTION_MONEY, TOTALS, dicts_in, money, plans

__all__ = [
    "LINE_MONEY",
    "OPTION_MONEY",
    "TOTALS",
    "line_sums",
    "money",
    "money_strings",
    "plans",
    "totals_add_up",
]

SEGMENT = "UPDATE_ORDER_SEGMENT_TYPE_"
LINE_ITEM = SEGMENT + "LINE_ITEM"
BILLING_ADDRESS = SEGMENT + "BILLING_ADDRESS"
SHIPPING_ADDRESS = SEGMENT + "SHIPPING_ADDRESS"
SHIPPING_OPTION = SEGMENT + "SHIPPING_OPTION"
COUPON = SEGMENT + "COUPON"
CONVERT = SEGMENT + "CONVERT_CART_TO_ORDER"
ORDER_STATUS = SEGMENT + "ORDER_STATUS"


def order_of(body: Any) -> dict[str, Any] | None:
    """The FastOrder inside a create/read/update answer, if there is one."""
    if isinstance(body, dict) and isinstance(body.get("order"), dict):
        inner = body["order"].get("order")
        if isinstance(inner, dict):
            return inner
    return None


def statuses_of(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, dict) and isinstance(body.get("order"), dict):
        found = body["order"].get("status")
        if isinstance(found, list):
            return [s for s in found if isinstance(s, dict)]
    return []


def _id(value: Any) -> str | None:
    return value.get("value") if isinstance(value, dict) else None


def option_key(option: dict[str, Any]) -> str | None:
    return option.get("external_id") or _id(option.get("id"))


# --- rules for every answer ----------------------------------------------------------


def schema(kind: str, body: Any) -> list[str]:
    """The answer validates against Fast's OpenAPI response schema (``kind``: operation or "error")."""
    return schemas.problems(kind, body)


def envelope(operation: str, request_id: str | None, body: Any) -> list[str]:
    """Create, read and update answers echo the request's ``request_id`` and say ``type: ENTITY_TYPE_ORDER``."""
    if operation == "delete" or not isinstance(body, dict):
        return []
    found = []
    if request_id is not None and _id(body.get("request_id")) != request_id:
        found.append(f"request_id not echoed: sent {request_id!r}, got {body.get('request_id')!r}")
    if body.get("type") != "ENTITY_TYPE_ORDER":
        found.append(f"type not echoed: expected 'ENTITY_TYPE_ORDER', got {body.get('type')!r}")
    return found


def option_offered(order: dict[str, Any]) -> list[str]:
    """Each plan's selected option is one of its available options, at the same price."""
    found = []
    for i, plan in enumerate(plans(order)):
        selected = plan.get("selected_option")
        if not isinstance(selected, dict):
            continue
        offered = {option_key(o): o for o in dicts_in(plan, "available_options")}
        key = option_key(selected)
        if key not in offered:
            found.append(
                f"shipment_plans[{i}]: selected option {key!r} is not among the available ones"
                f" {sorted(k for k in offered if k)}"
            )
            continue
        for field in OPTION_MONEY:
            if field in selected and selected[field] != offered[key].get(field):
                found.append(
                    f"shipment_plans[{i}]: selected option {key!r} has {field} {selected[field]!r},"
                    f" but is offered at {offered[key].get(field)!r}"
                )
    return found


def identity(order: dict[str, Any], fast_id: str | None) -> list[str]:
    """The order echoes Fast's order id and carries the shop's reference."""
    found = []
    if fast_id is not None and _id(order.get("id")) != fast_id:
        found.append(f"order.id should echo Fast's id {fast_id!r}, got {order.get('id')!r}")
    if not isinstance(order.get("external_id"), str) or not order["external_id"]:
        found.append("order.external_id (the shop's reference) is missing")
    return found


def line_ids(order: dict[str, Any], expected: dict[str, int]) -> list[str]:
    """Line ids echo Fast's: exactly the lines Fast holds, once each, with Fast's quantities."""
    found = []
    seen: dict[str, int] = {}
    for i, line in enumerate(dicts_in(order, "lines")):
        line_id = _id(line.get("id"))
        if line_id is None:
            found.append(f"lines[{i}] does not echo a Fast line id")
            continue
        if line_id in seen:
            found.append(f"line {line_id!r} appears twice")
        seen[line_id] = line.get("quantity", 0)
    for line_id, quantity in expected.items():
        if line_id not in seen:
            found.append(f"line {line_id!r} is missing")
        elif seen[line_id] != quantity:
            found.append(f"line {line_id!r} has quantity {seen[line_id]!r}, expected {quantity}")
    unexpected = sorted(set(seen) - set(expected))
    if unexpected:
        found.append(f"unexpected lines {unexpected}")
    return found


def lines_gone(order: dict[str, Any], removed: list[str]) -> list[str]:
    """Removed lines are not in the order any more."""
    present = {_id(line.get("id")) for line in dicts_in(order, "lines")}
    return [f"removed line {line_id!r} is still in the order" for line_id in removed if line_id in present]


# --- rules for updates -------------------------------------------------------------------


def requested_segments(update_order: dict[str, Any]) -> list[str]:
    """The segments an update request carries, in either dialect."""
    coupon = update_order.get("coupon")
    code = coupon if isinstance(coupon, str) else coupon.get("code") if isinstance(coupon, dict) else None
    present = {
        LINE_ITEM: bool(update_order.get("items")),
        BILLING_ADDRESS: update_order.get("bill_to") is not None,
        SHIPPING_ADDRESS: bool(update_order.get("shipments")),
        SHIPPING_OPTION: update_order.get("shipping_option") is not None,
        COUPON: bool(code),
        CONVERT: update_order.get("convert_cart_to_order") is True,
        ORDER_STATUS: update_order.get("status") is not None,
    }
    return [segment for segment, asked in present.items() if asked]


def segment_statuses(update_order: dict[str, Any], body: Any) -> list[str]:
    """``status[]``, when present, has one entry per requested segment and none for others."""
    entries = statuses_of(body)
    if not entries:
        return []
    requested = requested_segments(update_order)
    named = [entry.get("updated") for entry in entries]
    found = [f"status[] reports {segment}, which was not requested" for segment in named if segment not in requested]
    found += [f"status[] has no entry for the requested {segment}" for segment in requested if segment not in named]
    found += [f"status[] reports {segment} more than once" for segment in set(named) if named.count(segment) > 1]
    return found


def segment_accepted(body: Any, segment: str) -> list[str]:
    """The shop did not refuse this segment."""
    for entry in statuses_of(body):
        if entry.get("updated") == segment and entry.get("status") is False:
            reason = entry.get("reason_code") or entry.get("message") or "no reason given"
            return [f"{segment} was refused: {reason}"]
    return []


def segment_refused(body: Any, segment: str) -> list[str]:
    """The shop refused this segment in ``status[]`` (``status: false`` with a reason), not silently."""
    for entry in statuses_of(body):
        if entry.get("updated") == segment:
            if entry.get("status") is not False:
                return [f"{segment} should have been refused (status false), but status is {entry.get('status')!r}"]
            if not (entry.get("reason_code") or entry.get("message")):
                return [f"{segment} was refused without a reason_code or message"]
            return []
    return [f"status[] does not report the refused {segment}"]


def _coupon(order: dict[str, Any], code: str) -> dict[str, Any] | None:
    for coupon in dicts_in(order, "coupons"):
        if str(coupon.get("code", "")).upper() == code.upper() and coupon.get("applied") is not False:
            return coupon
    return None


def coupon_applied(order: dict[str, Any], code: str, before: dict[str, Any]) -> list[str]:
    """The coupon is listed as applied and lowered what the shopper pays."""
    found = []
    if _coupon(order, code) is None:
        found.append(f"coupon {code!r} is not listed as applied")
    paid_before, paid_now = money(before.get("total_amount")), money(order.get("total_amount"))
    if paid_before is not None and paid_now is not None and not paid_now < paid_before:
        found.append(f"coupon {code!r} did not lower the total ({paid_before} -> {paid_now})")
    return found


def coupon_refused(body: Any, code: str, before: dict[str, Any]) -> list[str]:
    """A refused coupon is reported in ``status[]``, is not applied and changes no amount."""
    order = order_of(body) or {}
    found = segment_refused(body, COUPON)
    if _coupon(order, code) is not None:
        found.append(f"refused coupon {code!r} is listed as applied")
    if order.get("total_amount") != before.get("total_amount"):
        found.append(
            f"a refused coupon changed the total ({before.get('total_amount')} -> {order.get('total_amount')})"
        )
    return found


def coupon_removed(order: dict[str, Any], code: str, total_without: str | None) -> list[str]:
    """A removed coupon is gone and the total is what it was without it."""
    found = []
    if _coupon(order, code) is not None:
        found.append(f"removed coupon {code!r} is still applied")
    if total_without is not None and order.get("total_amount") != total_without:
        found.append(f"after removing {code!r} the total is {order.get('total_amount')}, expected {total_without}")
    return found


def no_shipping_offered(order: dict[str, Any]) -> list[str]:
    """Nothing can be chosen for an address the shop does not ship to."""
    found = []
    for i, plan in enumerate(plans(order)):
        if plan.get("selected_option"):
            chosen = option_key(plan["selected_option"])
            found.append(f"shipment_plans[{i}] selects {chosen!r} for an unshippable address")
        if dicts_in(plan, "available_options"):
            keys = [option_key(o) for o in dicts_in(plan, "available_options")]
            found.append(f"shipment_plans[{i}] offers {keys} for an unshippable address")
    return found


def shipping_offered(order: dict[str, Any]) -> list[str]:
    """A shippable address gets at least one option, and one is selected."""
    if not plans(order):
        return ["no shipment plan for the physical lines"]
    found = []
    for i, plan in enumerate(plans(order)):
        if not dicts_in(plan, "available_options"):
            found.append(f"shipment_plans[{i}] offers no shipping option")
        elif not isinstance(plan.get("selected_option"), dict):
            found.append(f"shipment_plans[{i}] has options but none selected")
    return found


def option_selected(order: dict[str, Any], option: str) -> list[str]:
    """The option the shopper chose is the selected one."""
    chosen = [option_key(p["selected_option"]) for p in plans(order) if isinstance(p.get("selected_option"), dict)]
    if option not in chosen:
        return [f"option {option!r} was chosen, but the selected option is {chosen[0] if chosen else None!r}"]
    return []


def status_is(order: dict[str, Any], status: str) -> list[str]:
    """The order reached the requested status, with the matching order type."""
    found = []
    if order.get("status") != status:
        found.append(f"status should be {status}, got {order.get('status')!r}")
    expected_type = "ORDER_TYPE_CART" if status == "ORDER_STATUS_CART" else "ORDER_TYPE_ORDER"
    if "order_type" in order and order["order_type"] != expected_type:
        found.append(f"order_type should be {expected_type} when the status is {status}, got {order['order_type']!r}")
    return found


# --- answers as a whole ----------------------------------------------------------------


def same_answer(first: tuple[int, Any], second: tuple[int, Any]) -> list[str]:
    """A call repeated with the same request_id gets the same answer."""
    if first == second:
        return []
    if first[0] != second[0]:
        return [f"repeated with the same request_id it answered {second[0]} instead of {first[0]}"]
    return [f"repeated with the same request_id it answered differently: {_first_difference(first[1], second[1])}"]


def _first_difference(a: Any, b: Any, path: str = "$") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                return _first_difference(a.get(key), b.get(key), f"{path}.{key}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
    return f"{path} was {_short(a)}, now {_short(b)}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def refused_call(status: int, body: Any) -> list[str]:
    """A request the shop must refuse gets a 4xx with an rpcStatus that says why (never a 5xx or a 2xx)."""
    if 200 <= status < 300:
        return [f"expected the call to be refused, but it answered {status}"]
    if status >= 500:
        return [f"expected a 4xx refusal, got a server error {status}"]
    if not isinstance(body, dict) or not body.get("message"):
        return [f"the {status} answer does not say why (rpcStatus.message is empty)"]
    return []


def gone(status: int, body: Any) -> list[str]:
    """A deleted cart reads as 404, or as a cart with nothing in it."""
    if status == 404:
        return []
    order = order_of(body)
    if status == 200 and order is not None and not dicts_in(order, "lines"):
        return []
    return [f"the deleted cart can still be read (answer {status})"]
