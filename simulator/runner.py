"""Sends the scenarios' calls to a deployment, signs them, times them and checks every answer.

``Client`` is the HTTP side (one ``requests`` session: the simulator is a
client of the service, not an upstream call). ``Run`` is one scenario in one
dialect: it remembers what Fast would remember (its order id, the shop's
reference, the lines it holds), applies the checks that hold for every answer
and the ones a step asks for, repeats each call with the same ``request_id``,
and records a ``Step`` per call for the transcript and the JSON report.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

import requests

from simulator import checks
from simulator.bodies import Dialect, new_id
from simulator.signing import Signer

USER_AGENT = "fast-seller-proxy-simulator"
UNAUTHORISED_HINT = (
    "the deployment refused the call's token: sign with a key it trusts (--private-key, --kid, --issuer);"
    " the default sandbox key opens sandbox stores only"
)


@dataclass
class Exchange:
    """One HTTP round trip as it happened."""

    status: int | None  # None: no answer at all
    body: Any
    latency_ms: float
    error: str | None = None

    @property
    def message(self) -> str:
        if self.error:
            return self.error
        if isinstance(self.body, dict) and self.body.get("message"):
            return str(self.body["message"])
        return ""


class Client:
    def __init__(
        self,
        base_url: str,
        app_id: str,
        signer: Signer | None,
        *,
        timeout: tuple[float, float] = (5.0, 35.0),
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self.signer = signer
        self.timeout = timeout
        self.http = session or requests.Session()
        self.http.headers["User-Agent"] = USER_AGENT

    def post(self, path: str, body: Any) -> Exchange:
        headers = {"Content-Type": "application/json"}
        if self.signer is not None:
            headers.update(self.signer.headers(self.app_id))  # a fresh token per call, as Fast does
        data = json.dumps(body, default=str)
        started = time.perf_counter()
        try:
            response = self.http.post(self.base_url + path, data=data, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            return Exchange(None, None, (time.perf_counter() - started) * 1000, f"no answer: {type(exc).__name__}")
        latency = (time.perf_counter() - started) * 1000
        try:
            parsed = json.loads(response.text, parse_float=Decimal) if response.text else None
        except ValueError:
            return Exchange(response.status_code, response.text[:200], latency, "the answer is not JSON")
        return Exchange(response.status_code, parsed, latency)

    def fast(self, operation: str, body: Any) -> Exchange:
        return self.post(f"/fast/v1/{operation}", body)

    def close(self) -> None:
        self.http.close()


@dataclass
class Step:
    label: str
    operation: str
    request: Any
    answer: Exchange
    replay: Exchange | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def body(self) -> Any:
        return self.answer.body

    @property
    def order(self) -> dict[str, Any]:
        return checks.order_of(self.answer.body) or {}


@dataclass
class ScenarioResult:
    name: str
    title: str
    dialect: str
    steps: list[Step] = field(default_factory=list)
    skipped: str | None = None
    aborted: str | None = None
    seconds: float = 0.0

    @property
    def problems(self) -> list[str]:
        found = [f"{step.label}: {problem}" for step in self.steps for problem in step.problems]
        if self.aborted:
            found.append(f"stopped: {self.aborted}")
        return found

    @property
    def passed(self) -> bool:
        return self.skipped is None and not self.problems


class Listener(Protocol):
    def scenario_started(self, index: int, total: int, result: ScenarioResult) -> None: ...
    def step(self, step: Step) -> None: ...
    def scenario_finished(self, result: ScenarioResult) -> None: ...


class Abort(Exception):
    """The scenario cannot go on (a call it depends on failed)."""


class Skip(Exception):
    """The scenario does not apply to this deployment; the message says why."""


Check = Callable[[Step], list[str]]


class Run:
    """One scenario in one dialect: Fast's memory of the checkout plus the calls."""

    def __init__(
        self,
        client: Client,
        dialect: Dialect,
        result: ScenarioResult,
        listener: Listener,
        *,
        repeat: bool = True,
        describe: Callable[[dict[str, Any] | None, Step], list[str]] | None = None,
    ) -> None:
        self.client = client
        self.b = dialect
        self.result = result
        self.listener = listener
        self.repeat = repeat
        self.describe = describe
        self.fast_id: str | None = None
        self.external_id: str | None = None
        self.lines: dict[str, int] | None = None  # Fast's lines and quantities, when Fast holds the cart
        self.order: dict[str, Any] | None = None  # the last order the service answered with

    # --- one call ---------------------------------------------------------------

    def call(
        self,
        label: str,
        operation: str,
        body: dict[str, Any],
        *,
        check: Check | None = None,
        refuse: str | None = None,
        allow_error: bool = False,
        any_status: bool = False,
        track: bool = True,
    ) -> Step:
        """Send one call and check its answer.

        ``refuse``: the update segment the shop must refuse in ``status[]``;
        with ``allow_error`` a 4xx refusal of the whole call is accepted too.
        ``any_status``: the step's own ``check`` judges the status.
        ``track``: the answer is the checkout's order (its reference, its lines).
        """
        answer = self.client.fast(operation, body)
        step = Step(label, operation, body, answer)
        request_id = _request_id(body)
        before = self.order
        try:
            if answer.status is None:
                step.problems.append(answer.message)
                raise Abort(f"{label}: {answer.message}")
            if answer.status >= 500:
                step.problems.append(f"server error {answer.status}: {answer.message or 'no message'}")
                step.problems += checks.schema("error", answer.body)
                raise Abort(f"{label} answered {answer.status}")
            if self.repeat and request_id is not None:
                step.replay = self.client.fast(operation, body)
                if step.replay.status is None:
                    step.problems.append(f"the repeated call got {step.replay.message}")
                else:
                    step.problems += checks.same_answer(
                        (answer.status, answer.body), (step.replay.status, step.replay.body)
                    )
            if answer.status == 200:
                step.problems += self._check_success(step, request_id, refuse, track)
            else:
                step.problems += checks.schema("error", answer.body)
                if not any_status:
                    if allow_error and refuse:
                        step.problems += checks.refused_call(answer.status, answer.body)
                    else:
                        step.problems.append(f"answered {answer.status}: {answer.message or 'no message'}")
                        if answer.status == 401:
                            step.problems.append(UNAUTHORISED_HINT)
                        raise Abort(f"{label} answered {answer.status}")
            if check is not None:
                step.problems += check(step)
            if answer.status == 200 and track and step.order:
                self.order = step.order
                self.external_id = step.order.get("external_id") or self.external_id
        finally:
            step.problems = list(dict.fromkeys(step.problems))  # two rules may see the same fault
            if self.describe is not None:
                step.notes = self.describe(before, step)
            self.result.steps.append(step)
            self.listener.step(step)
        return step

    def _check_success(self, step: Step, request_id: str | None, refuse: str | None, track: bool) -> list[str]:
        body = step.body
        found = checks.schema(step.operation, body)
        found += checks.envelope(step.operation, request_id, body)
        if step.operation == "delete":
            return found
        order = checks.order_of(body)
        if order is None:
            return [*found, "the answer holds no order"]
        found += checks.money_strings(order)
        found += checks.totals_add_up(order)
        found += checks.line_sums(order)
        found += checks.option_offered(order)
        if track:
            found += checks.identity(order, self.fast_id)
            if self.lines is not None:
                found += checks.line_ids(order, self.lines)
        if step.operation == "update":
            segment_request = step.request.get("order", {})
            found += checks.segment_statuses(segment_request, body)
            for segment in checks.requested_segments(segment_request):
                if segment == refuse:
                    found += checks.segment_refused(body, segment)
                else:
                    found += checks.segment_accepted(body, segment)
        return found

    # --- the calls, as Fast makes them ------------------------------------------------

    def create(self, lines: list[tuple[str, int, Any]], label: str = "create", **kwargs: Any) -> Step:
        if self.fast_id is None:
            self.fast_id = new_id("sim-order")
        self.lines = {line_id: quantity for line_id, quantity, _ in lines}
        step = self.call(label, "create", self.b.create(self.fast_id, lines, new_id("req")), **kwargs)
        if not self.external_id:
            raise Abort("create returned no shop reference (external_id)")
        return step

    def read(self, label: str = "read", *, by_fast_id: bool = True, by_external_id: bool = True, **kwargs: Any) -> Step:
        body = self.b.read(
            new_id("req"),
            fast_id=self.fast_id if by_fast_id else None,
            external_id=self.external_id if by_external_id else None,
        )
        return self.call(label, "read", body, **kwargs)

    def update(self, label: str, *, send_external_id: bool = True, check: Check | None = None, **segments: Any) -> Step:
        kwargs = {k: segments.pop(k) for k in ("refuse", "allow_error", "any_status") if k in segments}
        body = self.b.update(
            new_id("req"),
            fast_id=self.fast_id,
            external_id=self.external_id if send_external_id else None,
            **segments,
        )
        return self.call(label, "update", body, check=check, **kwargs)

    def delete(self, label: str = "delete", *, by_external_id: bool = True, **kwargs: Any) -> Step:
        body = self.b.delete(
            new_id("req"), fast_id=self.fast_id, external_id=self.external_id if by_external_id else None
        )
        return self.call(label, "delete", body, **kwargs)

    def note(self, text: str) -> None:
        """A line in the transcript that is not a call (a choice the scenario made, a skipped part)."""
        if self.result.steps:
            self.result.steps[-1].notes.append(text)


def _request_id(body: dict[str, Any]) -> str | None:
    value = body.get("request_id")
    if isinstance(value, dict):
        value = value.get("value")
    return value if isinstance(value, str) else None


def run_scenario(
    run: Run,
    scenario: Callable[[Run], None],
    index: int,
    total: int,
) -> ScenarioResult:
    result = run.result
    run.listener.scenario_started(index, total, result)
    started = time.perf_counter()
    try:
        scenario(run)
    except Skip as skip:
        result.skipped = str(skip)
    except Abort as abort:
        result.aborted = str(abort)
    result.seconds = time.perf_counter() - started
    run.listener.scenario_finished(result)
    return result
