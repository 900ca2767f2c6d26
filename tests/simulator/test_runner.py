"""The simulator against a misbehaving service: each kind of wrong answer fails the run.

The service is the real app (Flask test client) behind a fake network
(``responses``); a hook may corrupt any answer on its way back, the way a
broken deployment would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import responses
from click.testing import CliRunner

from simulator import checks
from simulator.commands import simulate_command
from simulator.runner import ScenarioResult
from simulator.scenarios import BY_NAME, Params
from simulator.signing import make_signer
from simulator.simulate import Plan, simulate

URL = "http://deployment.test"

Corrupt = Callable[[str, dict[str, Any], int, Any], tuple[int, Any]]


class Silent:
    def scenario_started(self, *args: Any) -> None:
        pass

    def step(self, step: Any) -> None:
        pass

    def scenario_finished(self, result: Any) -> None:
        pass


class Deployment:
    """Forwards the simulator's calls to the app; ``corrupt`` may rewrite each answer."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.corrupt: Corrupt | None = None
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self.headers: dict[str, str] = {}

    def post(self, request: Any) -> tuple[int, dict[str, str], str]:
        path = request.path_url
        body = json.loads(request.body)
        self.seen.append((path, body))
        # The simulator's own token goes through, for a service that checks it.
        self.headers = {k: v for k, v in request.headers.items() if k == "Authorization"}
        status, payload = self.forward(path, body)
        if self.corrupt is not None:
            status, payload = self.corrupt(path, body, status, payload)
        return status, {"Content-Type": "application/json"}, json.dumps(payload)

    def forward(self, path: str, body: Any) -> tuple[int, Any]:
        answer = self.client.post(path, json=body, headers=self.headers)
        return answer.status_code, answer.get_json(silent=True)

    def get(self, request: Any) -> tuple[int, dict[str, str], str]:
        answer = self.client.get(request.path_url)
        return answer.status_code, {}, answer.get_data(as_text=True)


@pytest.fixture
def deployment(client: Any) -> Iterator[Deployment]:
    fake = Deployment(client)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as network:
        network.add_callback(responses.POST, re.compile(re.escape(URL) + r"/.*"), callback=fake.post)
        network.add_callback(responses.GET, re.compile(re.escape(URL) + r"/.*"), callback=fake.get)
        yield fake


def play(name: str, dialects: tuple[str, ...] = ("openapi",), **params: Any) -> list[ScenarioResult]:
    plan = Plan(URL, "sandbox", (BY_NAME[name],), dialects, Params(**params), signer=make_signer())
    return simulate(plan, Silent())


def problems(results: list[ScenarioResult]) -> list[str]:
    return [p for r in results for p in r.problems]


def segment(body: dict[str, Any]) -> dict[str, Any]:
    return body.get("order", {})


def test_every_scenario_passes_against_the_sandbox_in_both_dialects(deployment: Deployment) -> None:
    plan = Plan(URL, "sandbox", tuple(BY_NAME.values()), ("openapi", "seeds"), Params(), signer=make_signer())
    results = simulate(plan, Silent())
    assert [(r.name, r.dialect) for r in results if not r.passed] == []
    assert len(results) == 2 * len(BY_NAME)
    # Both dialects really went over the wire.
    bodies = [body for _, body in deployment.seen]
    assert any("entity_type" in body for body in bodies)
    assert any(isinstance(segment(body).get("coupon"), str) for body in bodies)
    assert any(isinstance(segment(body).get("order_id"), str) for body in bodies)
    assert any(
        any("id" in item and "item_id" not in item for item in segment(body).get("items", [])) for body in bodies
    )
    # Every call with a request_id was sent twice.
    request_ids = [json.dumps(body.get("request_id")) for _, body in deployment.seen if body.get("request_id")]
    assert all(request_ids.count(rid) == 2 for rid in request_ids)


def _on_update(
    change: Callable[[dict[str, Any], dict[str, Any]], None], when: Callable[[dict[str, Any]], bool]
) -> Corrupt:
    def corrupt(path: str, body: dict[str, Any], status: int, payload: Any) -> tuple[int, Any]:
        if path.endswith("/update") and status == 200 and when(segment(body)):
            change(segment(body), payload)
        return status, payload

    return corrupt


def test_totals_that_do_not_add_up_fail(deployment: Deployment) -> None:
    def off_by_a_cent(request: dict[str, Any], payload: dict[str, Any]) -> None:
        order = payload["order"]["order"]
        order["total_amount"] = str(checks.money(order["total_amount"]) + checks.money("0.01"))

    deployment.corrupt = _on_update(off_by_a_cent, lambda r: "bill_to" in r)
    [result] = play("new-shopper")
    assert not result.passed
    assert any("update bill_to: totals do not add up" in p for p in result.problems)


def test_line_ids_that_do_not_echo_fail(deployment: Deployment) -> None:
    def drop_ids(path: str, body: dict[str, Any], status: int, payload: Any) -> tuple[int, Any]:
        if path.endswith("/create"):
            for line in payload["order"]["order"]["lines"]:
                line.pop("id")
        return status, payload

    deployment.corrupt = drop_ids
    [result] = play("batching")
    assert "create: lines[0] does not echo a Fast line id" in result.problems


def test_a_repeat_that_answers_differently_fails(deployment: Deployment) -> None:
    seen: set[str] = set()

    def second_time_different(path: str, body: dict[str, Any], status: int, payload: Any) -> tuple[int, Any]:
        key = json.dumps(body.get("request_id"))
        if path.endswith("/update") and key in seen:
            payload["order"]["order"]["total_tax"] = "999.99"
        seen.add(key)
        return status, payload

    deployment.corrupt = second_time_different
    [result] = play("quantities")
    assert any(
        "repeated with the same request_id it answered differently: $.order.order.total_tax" in p
        for p in result.problems
    )


def test_a_silently_refused_coupon_fails(deployment: Deployment) -> None:
    def hide_refusal(request: dict[str, Any], payload: dict[str, Any]) -> None:
        payload["order"].pop("status", None)

    deployment.corrupt = _on_update(hide_refusal, lambda r: r.get("coupon") == {"code": "SUMMER2020"})
    [result] = play("coupons")
    assert f"update coupon SUMMER2020: status[] does not report the refused {checks.COUPON}" in result.problems


def test_an_accepted_bad_coupon_fails(deployment: Deployment) -> None:
    def accept(request: dict[str, Any], payload: dict[str, Any]) -> None:
        for entry in payload["order"]["status"]:
            entry["status"] = True
        for coupon in payload["order"]["order"]["coupons"]:
            coupon["applied"] = True

    deployment.corrupt = _on_update(accept, lambda r: r.get("coupon") == {"code": "SUMMER2020"})
    [result] = play("coupons")
    assert "update coupon SUMMER2020: refused coupon 'SUMMER2020' is listed as applied" in result.problems


def test_a_removed_line_that_stays_fails(deployment: Deployment) -> None:
    kept: dict[str, Any] = {}

    def keep_l2(path: str, body: dict[str, Any], status: int, payload: Any) -> tuple[int, Any]:
        if path.endswith("/update") and status == 200:
            lines = payload["order"]["order"]["lines"]
            for line in lines:
                if line["id"]["value"] == "L2":
                    kept["L2"] = line
            if kept and all(line["id"]["value"] != "L2" for line in lines):
                lines.append(kept["L2"])
        return status, payload

    deployment.corrupt = keep_l2
    [result] = play("quantities", ("seeds",))
    assert "update items (remove L2): removed line 'L2' is still in the order" in result.problems


def test_a_status_that_does_not_follow_fails(deployment: Deployment) -> None:
    def stay_pending(request: dict[str, Any], payload: dict[str, Any]) -> None:
        payload["order"]["order"]["status"] = "ORDER_STATUS_PENDING"

    deployment.corrupt = _on_update(stay_pending, lambda r: r.get("status") == "ORDER_STATUS_BOOKED")
    [result] = play("new-shopper")
    assert "update status BOOKED: status should be ORDER_STATUS_BOOKED, got 'ORDER_STATUS_PENDING'" in result.problems


def test_shipping_a_canceled_order_fails(deployment: Deployment) -> None:
    def ship_anyway(path: str, body: dict[str, Any], status: int, payload: Any) -> tuple[int, Any]:
        if segment(body).get("status") == "ORDER_STATUS_PENDING_FULFILLMENT":
            _, read = deployment.forward(
                "/fast/v1/read", {"app_id": "sandbox", "order": {"order_id": segment(body)["order_id"]}}
            )
            order = read["order"]["order"]
            order["status"] = "ORDER_STATUS_PENDING_FULFILLMENT"
            return 200, {"type": "ENTITY_TYPE_ORDER", "order": {"order": order}, "request_id": body["request_id"]}
        return status, payload

    deployment.corrupt = ship_anyway
    [result] = play("fraud-rejection")
    assert any("should be ORDER_STATUS_CANCELED" in p for p in result.problems)


def test_an_option_that_is_not_offered_fails(deployment: Deployment) -> None:
    def phantom(request: dict[str, Any], payload: dict[str, Any]) -> None:
        plan = payload["order"]["order"]["shipment_plans"][0]
        plan["available_options"] = plan["available_options"][1:]

    deployment.corrupt = _on_update(phantom, lambda r: "shipping_option" in r)
    [result] = play("new-shopper")
    assert any("is not among the available ones" in p for p in result.problems)


def test_shipping_offered_to_an_unshippable_address_fails(deployment: Deployment) -> None:
    teleport = {
        "id": {"value": "tp"},
        "external_id": "tp",
        "name": "Teleport",
        "cost": "1.00",
        "tax": "0",
        "total": "1.00",
    }

    def offer_to_paris(request: dict[str, Any], payload: dict[str, Any]) -> None:
        payload["order"]["order"]["shipment_plans"][0]["available_options"] = [teleport]

    deployment.corrupt = _on_update(
        offer_to_paris, lambda r: any(s["ship_to"].get("country_code") == "FR" for s in r.get("shipments", []))
    )
    [result] = play("unshippable-address")
    assert (
        "update shipments (unshippable): shipment_plans[0] offers ['tp'] for an unshippable address" in result.problems
    )


def test_floats_for_money_fail(deployment: Deployment) -> None:
    def floats(request: dict[str, Any], payload: dict[str, Any]) -> None:
        payload["order"]["order"]["sub_total"] = float(payload["order"]["order"]["sub_total"])

    deployment.corrupt = _on_update(floats, lambda r: "bill_to" in r)
    [result] = play("new-shopper")
    found = [p for p in result.problems if p.startswith("update bill_to")]
    assert any("is not of type 'string'" in p for p in found)
    assert any("not a decimal string" in p for p in found)


def test_a_server_error_stops_the_scenario(deployment: Deployment) -> None:
    def crash(path: str, body: dict[str, Any], status: int, payload: Any) -> tuple[int, Any]:
        if "shipments" in segment(body):
            return 500, {"code": 13, "message": "internal error", "details": []}
        return status, payload

    deployment.corrupt = crash
    [result] = play("coupons")
    assert result.aborted == "update shipments answered 500"
    assert "update shipments: server error 500: internal error" in result.problems
    assert [step.label for step in result.steps] == ["create", "update shipments"]


def test_the_storefront_scenario_is_skipped_when_no_cart_can_be_made(deployment: Deployment) -> None:
    def no_endpoint(path: str, body: dict[str, Any], status: int, payload: Any) -> tuple[int, Any]:
        if path.startswith("/sandbox/"):
            return 404, {"code": 5, "message": "not found", "details": []}
        return status, payload

    deployment.corrupt = no_endpoint
    [result] = play("storefront-cart")
    assert result.skipped is not None and "--storefront-cart" in result.skipped
    assert not result.passed and result.problems == []


def test_a_given_storefront_cart_is_used(deployment: Deployment, app: Any) -> None:
    from mappings.model import ItemUpdate

    adapter = app.extensions["fast.service"].adapter("sandbox")
    cart = adapter.create_storefront_cart([ItemUpdate(external_product_id="2001", external_variant_id="2001-BLK-L")])
    [result] = play("storefront-cart", storefront_cart=cart.external_id)
    assert result.passed, result.problems
    assert not any(path.startswith("/sandbox/") for path, _ in deployment.seen)
    create = next(body for path, body in deployment.seen if path.endswith("/create"))
    assert create["order"]["order"]["lines"][0]["external_variant_id"] == "2001-BLK-L"


# --- the command ------------------------------------------------------------------------


def test_the_command_exits_0_when_everything_conforms(deployment: Deployment, tmp_path: Any) -> None:
    report = tmp_path / "report.json"
    toronto = tmp_path / "toronto.json"
    toronto.write_text(
        json.dumps(
            {"address_1": "1 Front St W", "city_locality": "Toronto", "state_province_code": "ON", "country_code": "CA"}
        )
    )
    outcome = CliRunner().invoke(
        simulate_command,
        ["--url", URL, "--scenario", "coupons", "--address", f"@{toronto}", "--json", str(report)],
        catch_exceptions=False,
    )
    assert outcome.exit_code == 0, outcome.output
    assert "[1/2] coupons (openapi dialect)" in outcome.output
    assert "ship to Toronto, CA-ON" in outcome.output
    assert "coupon refused: COUPON_EXPIRED" in outcome.output
    data = json.loads(report.read_text())
    assert data["passed"] is True
    assert data["counts"] == {"passed": 2, "failed": 0, "skipped": 0}
    assert [s["dialect"] for s in data["scenarios"]] == ["openapi", "seeds"]
    step = data["scenarios"][0]["steps"][0]
    assert step["operation"] == "create" and step["status"] == 200 and step["repeat"]["status"] == 200


def test_the_command_exits_1_on_any_failure(deployment: Deployment, tmp_path: Any) -> None:
    def off_by_a_cent(request: dict[str, Any], payload: dict[str, Any]) -> None:
        payload["order"]["order"]["total_amount"] = "0.01"

    deployment.corrupt = _on_update(off_by_a_cent, lambda r: "coupon" in r)
    outcome = CliRunner().invoke(
        simulate_command,
        ["--url", URL, "--scenario", "coupons", "--dialect", "seeds", "--json", "-", "--quiet"],
        catch_exceptions=False,
    )
    assert outcome.exit_code == 1
    assert "FAIL" not in outcome.stdout  # --quiet: no transcript
    report = json.loads(outcome.stdout)
    assert report["passed"] is False
    assert any("totals do not add up" in p for p in report["scenarios"][0]["problems"])
    assert "Problems:" in outcome.stderr


def test_the_command_says_when_nothing_answers() -> None:
    with responses.RequestsMock() as network:
        network.add(responses.GET, f"{URL}/healthz", body=responses.ConnectionError("refused"))
        outcome = CliRunner().invoke(simulate_command, ["--url", URL])
    assert outcome.exit_code == 1
    assert "nothing answers at http://deployment.test" in outcome.output


def test_the_command_refuses_unknown_scenarios_and_bad_products() -> None:
    outcome = CliRunner().invoke(simulate_command, ["--url", URL, "--scenario", "teleport"])
    assert outcome.exit_code == 1 and "unknown scenario teleport" in outcome.output
    outcome = CliRunner().invoke(simulate_command, ["--url", URL, "--product", " "])
    assert outcome.exit_code == 2 and "an empty product" in outcome.output
    outcome = CliRunner().invoke(simulate_command, ["--url", URL, "--address", "[1]"])
    assert outcome.exit_code == 2 and "must be a JSON object" in outcome.output
    outcome = CliRunner().invoke(simulate_command, ["--url", URL, "--address", "@/nonexistent/ny.json"])
    assert outcome.exit_code == 2 and "cannot read /nonexistent/ny.json" in outcome.output


def test_a_refused_token_says_what_to_do(deployment: Deployment) -> None:
    def unauthorised(path: str, body: dict[str, Any], status: int, payload: Any) -> tuple[int, Any]:
        return 401, {"code": 16, "message": "the token's signature does not verify", "details": []}

    deployment.corrupt = unauthorised
    [result] = play("new-shopper")
    assert result.aborted == "create answered 401"
    assert "create: answered 401: the token's signature does not verify" in result.problems
    assert any("--private-key, --kid, --issuer" in p for p in result.problems)
