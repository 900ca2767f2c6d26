"""The money rules of an answer: amounts are decimal strings, totals add up, lines sum to the totals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from simulator.wire import LINE_MONEY, OPTION_MONEY, TOTALS, dicts_in, money, plans


def money_strings(order: dict[str, Any]) -> list[str]:
    """Every amount is a plain non-negative decimal string ("54.02"): no floats, no exponents, no blanks."""
    found = []

    def check(where: str, container: dict[str, Any], keys: tuple[str, ...]) -> None:
        for key in keys:
            if key in container and money(container[key]) is None:
                found.append(f"{where}.{key} is {container[key]!r}, not a decimal string")

    check("order", order, TOTALS)
    for i, line in enumerate(dicts_in(order, "lines")):
        check(f"lines[{i}]", line, (*LINE_MONEY, "total_amount"))
        for j, discount in enumerate(dicts_in(line, "discounts")):
            check(f"lines[{i}].discounts[{j}]", discount, ("total_amount",))
    for i, plan in enumerate(plans(order)):
        if isinstance(plan.get("selected_option"), dict):
            check(f"shipment_plans[{i}].selected_option", plan["selected_option"], OPTION_MONEY)
        for j, option in enumerate(dicts_in(plan, "available_options")):
            check(f"shipment_plans[{i}].available_options[{j}]", option, OPTION_MONEY)
    for i, coupon in enumerate(dicts_in(order, "coupons")):
        check(f"coupons[{i}]", coupon, ("total_amount",))
    for i, refund in enumerate(dicts_in(order, "refunds")):
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
    lines = dicts_in(order, "lines")
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
