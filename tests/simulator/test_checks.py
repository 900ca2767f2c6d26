"""Each check passes a real sandbox answer and fails when that answer is deliberately broken."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from simulator import checks

# --- schema and envelope ---------------------------------------------------------------


def test_schema_accepts_real_answers(answers: dict[str, Any]) -> None:
    assert checks.schema("create", answers["create"]) == []
    assert checks.schema("update", answers["couponed"]) == []
    assert checks.schema("delete", {}) == []
    assert checks.schema("error", {"code": 5, "message": "not found", "details": []}) == []


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (lambda r: r["order"]["order"].update(total_amount=31.02), "is not of type 'string'"),
        (lambda r: r["order"]["order"].update(shipping_options=[]), "not in Fast's contract"),
        (lambda r: r["order"]["order"].update(status="PAID"), "is not one of"),
        (lambda r: r["order"]["order"]["lines"][0].update(id="L1"), "is not of type 'object'"),
        (lambda r: r["order"]["order"]["lines"][0].update(id={}), "'value' is a required property"),
        (lambda r: r["order"]["status"][0].update(status="false"), "is not of type 'boolean'"),
        (lambda r: r.update(order={"order": r["order"]["order"], "items": []}), "not in Fast's contract"),
    ],
)
def test_schema_fails_on_a_broken_answer(answers: dict[str, Any], breakage: Any, expected: str) -> None:
    broken = copy.deepcopy(answers["couponed"])
    breakage(broken)
    found = checks.schema("update", broken)
    assert any(expected in problem for problem in found), found


def test_schema_fails_on_a_bad_error_body() -> None:
    assert checks.schema("error", {"error": "nope"})
    assert checks.schema("error", {"code": "5", "message": "x"})


def test_envelope(answers: dict[str, Any]) -> None:
    assert checks.envelope("update", "r3", answers["couponed"]) == []
    assert "request_id not echoed" in checks.envelope("update", "r-other", answers["couponed"])[0]
    no_type = {k: v for k, v in answers["couponed"].items() if k != "type"}
    assert "type not echoed" in checks.envelope("update", "r3", no_type)[0]
    assert checks.envelope("delete", "r9", {}) == []


# --- money and totals -------------------------------------------------------------------


def test_money_strings(order: dict[str, Any]) -> None:
    assert checks.money_strings(order) == []
    for bad in ("31.0E+0", "", "-1.00", "1,00", " 1.00", "NaN"):
        broken = copy.deepcopy(order)
        broken["total_amount"] = bad
        assert checks.money_strings(broken) == [f"order.total_amount is {bad!r}, not a decimal string"]
    broken = copy.deepcopy(order)
    broken["lines"][1]["unit_price"] = 7.25
    assert checks.money_strings(broken) == ["lines[1].unit_price is 7.25, not a decimal string"]
    broken = copy.deepcopy(order)
    broken["shipment_plans"][0]["available_options"][1]["cost"] = "14.99 USD"
    assert "available_options[1].cost" in checks.money_strings(broken)[0]
    broken = copy.deepcopy(order)
    broken["coupons"][0]["total_amount"] = None
    assert "coupons[0].total_amount" in checks.money_strings(broken)[0]


def test_totals_add_up(order: dict[str, Any]) -> None:
    assert checks.totals_add_up(order) == []
    broken = dict(order, total_amount=str(checks.money(order["total_amount"]) + checks.money("0.01")))
    assert "totals do not add up" in checks.totals_add_up(broken)[0]
    missing = {k: v for k, v in order.items() if k != "total_tax"}
    assert checks.totals_add_up(missing) == ["the order has no usable total_tax"]


def test_line_sums(order: dict[str, Any]) -> None:
    assert checks.line_sums(order) == []

    def broken(change: Any) -> list[str]:
        copied = copy.deepcopy(order)
        change(copied)
        return checks.line_sums(copied)

    assert "x 2 != subtotal_amount" in broken(lambda o: o["lines"][0].update(unit_price="12.00"))[0]
    assert any("line subtotals add up" in p for p in broken(lambda o: o.update(sub_total="99.00")))
    assert any("more than total_discounts" in p for p in broken(lambda o: o.update(total_discounts="0")))
    assert any("total_shipping is" in p for p in broken(lambda o: o.update(total_shipping="0")))
    assert any("total_tax is" in p for p in broken(lambda o: o.update(total_tax="1.00")))
    assert any("more than total_tax" in p for p in broken(lambda o: o.update(total_tax="0")))
    assert "total_amount" in broken(lambda o: o["lines"][0].update(total_amount="1.00"))[0]
    assert "no usable subtotal_amount" in broken(lambda o: o["lines"][0].pop("subtotal_amount"))[0]


def test_line_total_may_exclude_tax(order: dict[str, Any]) -> None:
    line = order["lines"][0]
    amount = checks.money(line["subtotal_amount"]) - checks.money(line["line_discount_amount"])
    line["total_amount"] = str(amount)
    assert checks.line_sums(order) == []


# --- shipping ----------------------------------------------------------------------------


def test_option_offered(order: dict[str, Any]) -> None:
    assert checks.option_offered(order) == []
    plan = order["shipment_plans"][0]
    plan["selected_option"] = dict(plan["selected_option"], total="0.01")
    assert "is offered at" in checks.option_offered(order)[0]
    plan["selected_option"] = dict(plan["selected_option"], external_id="teleport", id={"value": "teleport"})
    assert "'teleport' is not among the available ones" in checks.option_offered(order)[0]


def test_shipping_offered_and_not(order: dict[str, Any]) -> None:
    assert checks.shipping_offered(order) == []
    assert "selects" in checks.no_shipping_offered(order)[0]
    assert "offers" in checks.no_shipping_offered(order)[1]
    plan = order["shipment_plans"][0]
    plan.pop("selected_option")
    assert checks.shipping_offered(order) == ["shipment_plans[0] has options but none selected"]
    plan["available_options"] = []
    assert checks.no_shipping_offered(order) == []
    assert checks.shipping_offered(order) == ["shipment_plans[0] offers no shipping option"]
    assert checks.shipping_offered({"lines": []}) == ["no shipment plan for the physical lines"]


def test_option_selected(order: dict[str, Any]) -> None:
    assert checks.option_selected(order, "us_standard") == []
    assert "selected option is 'us_standard'" in checks.option_selected(order, "us_express")[0]


# --- identity and lines -------------------------------------------------------------------


def test_identity(order: dict[str, Any]) -> None:
    assert checks.identity(order, "F-sim") == []
    assert "should echo Fast's id 'F-sim'" in checks.identity(dict(order, id={"value": "F-other"}), "F-sim")[0]
    assert checks.identity({**order, "external_id": ""}, "F-sim") == [
        "order.external_id (the shop's reference) is missing"
    ]


def test_line_ids(order: dict[str, Any]) -> None:
    assert checks.line_ids(order, {"L1": 2, "L2": 1}) == []
    assert checks.line_ids(order, {"L1": 2}) == ["unexpected lines ['L2']"]
    assert checks.line_ids(order, {"L1": 2, "L2": 1, "L3": 1}) == ["line 'L3' is missing"]
    assert checks.line_ids(order, {"L1": 3, "L2": 1}) == ["line 'L1' has quantity 2, expected 3"]
    order["lines"][1]["id"] = {"value": "L1"}
    assert "line 'L1' appears twice" in checks.line_ids(order, {"L1": 2, "L2": 1})
    order["lines"][1].pop("id")
    assert "lines[1] does not echo a Fast line id" in checks.line_ids(order, {"L1": 2})


def test_lines_gone(order: dict[str, Any]) -> None:
    assert checks.lines_gone(order, ["L9"]) == []
    assert checks.lines_gone(order, ["L2"]) == ["removed line 'L2' is still in the order"]


# --- update segments -----------------------------------------------------------------------


def test_requested_segments_in_both_dialects() -> None:
    assert checks.requested_segments({"items": [{"id": "x"}], "coupon": "SAVE10"}) == [checks.LINE_ITEM, checks.COUPON]
    assert checks.requested_segments({"coupon": {"code": ""}, "status": "ORDER_STATUS_BOOKED"}) == [checks.ORDER_STATUS]
    assert checks.requested_segments({"convert_cart_to_order": True, "is_cart": True}) == [checks.CONVERT]


def test_segment_statuses(answers: dict[str, Any]) -> None:
    request, good = answers["coupon_request"], answers["couponed"]
    assert checks.segment_statuses(request, good) == []
    extra = copy.deepcopy(good)
    extra["order"]["status"].append({"updated": checks.LINE_ITEM, "status": True})
    assert checks.segment_statuses(request, extra) == [f"status[] reports {checks.LINE_ITEM}, which was not requested"]
    twice = copy.deepcopy(good)
    twice["order"]["status"].append(dict(twice["order"]["status"][0]))
    assert checks.segment_statuses(request, twice) == [f"status[] reports {checks.COUPON} more than once"]
    missing = copy.deepcopy(good)
    missing["order"]["status"][0]["updated"] = checks.LINE_ITEM
    assert f"status[] has no entry for the requested {checks.COUPON}" in checks.segment_statuses(request, missing)


def test_segment_accepted_and_refused(answers: dict[str, Any]) -> None:
    good, refused = answers["couponed"], answers["refused"]
    assert checks.segment_accepted(good, checks.COUPON) == []
    assert checks.segment_accepted(refused, checks.COUPON)[0].startswith(f"{checks.COUPON} was refused: COUPON_EXPIRED")
    assert checks.segment_refused(refused, checks.COUPON) == []
    assert "should have been refused" in checks.segment_refused(good, checks.COUPON)[0]
    assert checks.segment_refused({"order": {"order": {}}}, checks.COUPON) == [
        f"status[] does not report the refused {checks.COUPON}"
    ]
    silent = copy.deepcopy(refused)
    silent["order"]["status"][0].pop("reason_code")
    silent["order"]["status"][0].pop("message")
    assert "without a reason_code or message" in checks.segment_refused(silent, checks.COUPON)[0]


# --- coupons ----------------------------------------------------------------------------------


def test_coupon_applied(answers: dict[str, Any]) -> None:
    before = answers["shipped"]["order"]["order"]
    after = answers["couponed"]["order"]["order"]
    assert checks.coupon_applied(after, "save10", before) == []
    assert checks.coupon_applied(before, "SAVE10", before) == [
        "coupon 'SAVE10' is not listed as applied",
        f"coupon 'SAVE10' did not lower the total ({before['total_amount']} -> {before['total_amount']})",
    ]
    listed_not_applied = copy.deepcopy(after)
    listed_not_applied["coupons"][0]["applied"] = False
    assert "not listed as applied" in checks.coupon_applied(listed_not_applied, "SAVE10", before)[0]


def test_coupon_refused(answers: dict[str, Any]) -> None:
    before = answers["couponed"]["order"]["order"]
    refused = answers["refused"]
    assert checks.coupon_refused(refused, "SUMMER2020", before) == []
    # Refused without a word in status[]:
    silent = copy.deepcopy(refused)
    del silent["order"]["status"]
    assert checks.coupon_refused(silent, "SUMMER2020", before) == [
        f"status[] does not report the refused {checks.COUPON}"
    ]
    # Reported refused, but applied anyway and the total changed:
    applied = copy.deepcopy(refused)
    applied["order"]["order"]["coupons"][1]["applied"] = True
    applied["order"]["order"]["total_amount"] = "1.00"
    found = checks.coupon_refused(applied, "SUMMER2020", before)
    assert "refused coupon 'SUMMER2020' is listed as applied" in found
    assert any("changed the total" in p for p in found)


def test_coupon_removed(answers: dict[str, Any]) -> None:
    without = answers["shipped"]["order"]["order"]
    with_coupon = answers["couponed"]["order"]["order"]
    assert checks.coupon_removed(without, "SAVE10", without["total_amount"]) == []
    found = checks.coupon_removed(with_coupon, "SAVE10", without["total_amount"])
    assert found == [
        "removed coupon 'SAVE10' is still applied",
        f"after removing 'SAVE10' the total is {with_coupon['total_amount']}, expected {without['total_amount']}",
    ]


# --- statuses, repeats, refusals, deletes ------------------------------------------------------


def test_status_is(order: dict[str, Any]) -> None:
    assert checks.status_is(order, "ORDER_STATUS_CART") == []
    assert checks.status_is(order, "ORDER_STATUS_PENDING") == [
        "status should be ORDER_STATUS_PENDING, got 'ORDER_STATUS_CART'",
        "order_type should be ORDER_TYPE_ORDER when the status is ORDER_STATUS_PENDING, got 'ORDER_TYPE_CART'",
    ]


def test_same_answer(answers: dict[str, Any]) -> None:
    first = answers["couponed"]
    assert checks.same_answer((200, first), (200, copy.deepcopy(first))) == []
    assert checks.same_answer((200, first), (422, {"code": 3})) == [
        "repeated with the same request_id it answered 422 instead of 200"
    ]
    changed = copy.deepcopy(first)
    changed["order"]["order"]["lines"][1]["quantity"] = 2
    assert checks.same_answer((200, first), (200, changed)) == [
        "repeated with the same request_id it answered differently: $.order.order.lines[1].quantity was 1, now 2"
    ]


def test_refused_call() -> None:
    assert checks.refused_call(422, {"code": 3, "message": "cannot ship a canceled order"}) == []
    assert checks.refused_call(200, {}) == ["expected the call to be refused, but it answered 200"]
    assert checks.refused_call(500, {"code": 13, "message": "internal error"}) == [
        "expected a 4xx refusal, got a server error 500"
    ]
    assert checks.refused_call(422, {"code": 3, "message": ""}) == [
        "the 422 answer does not say why (rpcStatus.message is empty)"
    ]


def test_gone(answers: dict[str, Any]) -> None:
    assert checks.gone(404, {"code": 5, "message": "not found"}) == []
    assert checks.gone(200, {"order": {"order": {"external_id": "x", "lines": []}}}) == []
    assert checks.gone(200, answers["create"]) == ["the deleted cart can still be read (answer 200)"]
