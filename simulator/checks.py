"""What a correct answer looks like: one small function per rule, each returning the problems found.

The functions read plain JSON (what came over the wire) and never raise on a
malformed answer: a missing or mistyped field is itself a problem to report.
An empty list means the rule holds.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from simulator import schemas

SEGMENT = "UPDATE_ORDER_SEGMENT_TYPE_"
LINE_ITEM = SEGMENT + "LINE_ITEM"
BILLING_ADDRESS = SEGMENT + "BILLING_ADDRESS"
SHIPPING_ADDRESS = SEGMENT + "SHIPPING_ADDRESS"
SHIPPING_OPTION = SEGMENT + "SHIPPING_OPTION"
COUPON = SEGMENT + "COUPON"
CONVERT = SEGMENT + "CONVERT_CART_TO_ORDER"
ORDER_STATUS = SEGMENT + "ORDER_STATUS"

TOTALS = ("sub_total", "total_discounts", "total_tax", "total_shipping", "total_amount")
LINE_MONEY = ("unit_price", "discounted_unit_price", "line_discount_amount", "subtotal_amount", "tax_amount")
OPTION_MONEY = ("cost", "tax", "total")
_DECIMAL = re.compile(r"^\d+(\.\d+)?$")


# --- reading an answer ------------------------------------------------------------


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


def money(value: Any) -> Decimal | None:
    """A wire amount as Decimal; None unless it is a plain non-negative decimal string."""
    if not isinstance(value, str) or not _DECIMAL.match(value):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


def _id(value: Any) -> str | None:
    return value.get("value") if isinstance(value, dict) else None


def _list(container: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = container.get(key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def plans(order: dict[str, Any]) -> list[dict[str, Any]]:
    return _list(order, "shipment_plans")


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


def money_strings(order: dict[str, Any]) -> list[str]:
    """Every amount is a plain non-negative decimal string ("54.02"): no floats, no exponents, no blanks."""
    found = []

    def check(where: str, container: dict[str, Any], keys: tuple[str, ...]) -> None:
        for key in keys:
            if key in container and money(container[key]) is None:
                found.append(f"{where}.{key} is {container[key]!r}, not a decimal string")

    check("order", order, TOTALS)
    for i, line in enumerate(_list(order, "lines")):
        check(f"lines[{i}]", line, (*LINE_MONEY, "total_amount"))
        for j, discount in enumerate(_list(line, "discounts")):
            check(f"lines[{i}].discounts[{j}]", discount, ("total_amount",))
    for i, plan in enumerate(plans(order)):
        if isinstance(plan.get("selected_option"), dict):
            check(f"shipment_plans[{i}].selected_option", plan["selected_option"], OPTION_MONEY)
        for j, option in enumerate(_list(plan, "available_options")):
            check(f"shipment_plans[{i}].available_options[{j}]", option, OPTION_MONEY)
    for i, coupon in enumerate(_list(order, "coupons")):
        check(f"coupons[{i}]", coupon, ("total_amount",))
    for i, refund in enumerate(_list(order, "refunds")):
        check(f"refunds[{i}]", refund, ("amount", "tax", "shipping"))
    return found


def totals_add_up(order: dict[str, Any]) -> list[str]:
    """``sub_total - total_discounts + total_tax + total_shipping == total_amount``, all present."""
    amounts = {key: money(order.get(key)) for key in TOTALS}
    missing = [key for key, value in amounts.items() if value is None]
    if missing:
        return [f"the order has no usable {', '.join(missing)}"]
    sub, discounts, tax, shipping, total = (amounts[key] for key in TOTALS)
    expected = sub - discounts + tax + shipping  # type: ignore[operator]
    if expected != total:
        return [
            f"totals do not add up: {order['sub_total']} - {order['total_discounts']} + {order['total_tax']}"
            f" + {order['total_shipping']} = {expected}, but total_amount is {order['total_amount']}"
        ]
    return []


def line_sums(order: dict[str, Any]) -> list[str]:
    """Each line's amounts agree with each other and the lines agree with the order's totals.

    Line: ``subtotal_amount == unit_price * quantity`` and ``total_amount`` is the
    subtotal less its discount, with or without its tax. Order: ``sub_total`` is the
    sum of line subtotals, line discounts and line taxes do not exceed the order's,
    ``total_shipping`` is the cost of the selected options and, where lines and
    options state their tax, ``total_tax`` is their sum.
    """
    found = []
    lines = _list(order, "lines")
    subtotals: list[Decimal] = []
    line_discounts: list[Decimal] = []
    line_taxes: list[Decimal | None] = []
    for i, line in enumerate(lines):
        quantity = line.get("quantity", 0)
        unit, subtotal = money(line.get("unit_price")), money(line.get("subtotal_amount"))
        discount = money(line.get("line_discount_amount")) or Decimal(0)
        tax = money(line.get("tax_amount"))
        if subtotal is None:
            found.append(f"lines[{i}] has no usable subtotal_amount")
            continue
        if unit is not None and isinstance(quantity, int) and unit * quantity != subtotal:
            found.append(f"lines[{i}]: {line.get('unit_price')} x {quantity} != subtotal_amount {subtotal}")
        total = money(line.get("total_amount"))
        if total is not None:
            allowed = {subtotal - discount, subtotal - discount + (tax or 0)}
            if total not in allowed:
                found.append(
                    f"lines[{i}]: total_amount {total} is neither subtotal - discount ({subtotal - discount})"
                    f" nor that plus tax ({subtotal - discount + (tax or 0)})"
                )
        subtotals.append(subtotal)
        line_discounts.append(discount)
        line_taxes.append(tax)

    sub_total = money(order.get("sub_total"))
    total_discounts = money(order.get("total_discounts"))
    total_tax = money(order.get("total_tax"))
    total_shipping = money(order.get("total_shipping"))
    if sub_total is not None and len(subtotals) == len(lines) and sum(subtotals, Decimal(0)) != sub_total:
        found.append(f"line subtotals add up to {sum(subtotals, Decimal(0))}, but sub_total is {sub_total}")
    if total_discounts is not None and sum(line_discounts, Decimal(0)) > total_discounts:
        found.append(f"line discounts add up to {sum(line_discounts, Decimal(0))}, more than total_discounts")

    selected = [p["selected_option"] for p in plans(order) if isinstance(p.get("selected_option"), dict)]
    every_plan_chose = len(selected) == len(plans(order))
    if every_plan_chose and total_shipping is not None:
        costs = [money(option.get("cost")) for option in selected]
        if all(cost is not None for cost in costs):
            shipping = sum((c for c in costs if c is not None), Decimal(0))
            if shipping != total_shipping:
                found.append(f"total_shipping is {total_shipping}, but the selected options cost {shipping}")
    known_taxes = [t for t in line_taxes if t is not None]
    if total_tax is not None and known_taxes and sum(known_taxes, Decimal(0)) > total_tax:
        found.append(f"line taxes add up to {sum(known_taxes, Decimal(0))}, more than total_tax {total_tax}")
    option_taxes = [money(option.get("tax")) for option in selected]
    if (
        total_tax is not None
        and every_plan_chose
        and len(known_taxes) == len(lines)
        and all(t is not None for t in option_taxes)
    ):
        tax = sum(known_taxes, Decimal(0)) + sum((t for t in option_taxes if t is not None), Decimal(0))
        if tax != total_tax:
            found.append(f"total_tax is {total_tax}, but line and shipping taxes add up to {tax}")
    return found


def option_offered(order: dict[str, Any]) -> list[str]:
    """Each plan's selected option is one of its available options, at the same price."""
    found = []
    for i, plan in enumerate(plans(order)):
        selected = plan.get("selected_option")
        if not isinstance(selected, dict):
            continue
        offered = {option_key(o): o for o in _list(plan, "available_options")}
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
    for i, line in enumerate(_list(order, "lines")):
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
    present = {_id(line.get("id")) for line in _list(order, "lines")}
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
    for coupon in _list(order, "coupons"):
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
        if _list(plan, "available_options"):
            keys = [option_key(o) for o in _list(plan, "available_options")]
            found.append(f"shipment_plans[{i}] offers {keys} for an unshippable address")
    return found


def shipping_offered(order: dict[str, Any]) -> list[str]:
    """A shippable address gets at least one option, and one is selected."""
    if not plans(order):
        return ["no shipment plan for the physical lines"]
    found = []
    for i, plan in enumerate(plans(order)):
        if not _list(plan, "available_options"):
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
    if status == 200 and order is not None and not _list(order, "lines"):
        return []
    return [f"the deleted cart can still be read (answer {status})"]
