"""service/errors.py: every exception becomes one status, one rpcStatus body, its headers."""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound, RequestEntityTooLarge

from service import errors
from service.errors import (
    FastError,
    LockTimeout,
    ShapeError,
    StateUnavailable,
    UpstreamRejected,
    UpstreamUnavailable,
)
from tests import openapi


def test_an_upstream_error_carries_its_origin_as_fields() -> None:
    error = UpstreamRejected("out of stock", platform="woocommerce", upstream_status=400, code="stock")
    assert (error.platform, error.upstream_status, error.code) == ("woocommerce", 400, "stock")
    assert error.message == "out of stock"
    result = errors.answer(error)
    assert result.status == 422
    assert result.body == {"code": errors.FAILED_PRECONDITION, "message": "out of stock", "details": []}


def test_unavailable_errors_tell_fast_when_to_retry() -> None:
    assert errors.answer(UpstreamUnavailable()).headers == {"Retry-After": "5"}
    assert errors.answer(ShapeError()).status == 503
    assert errors.answer(StateUnavailable()).headers == {"Retry-After": "2"}
    assert errors.answer(LockTimeout(retry_after=1)).headers == {"Retry-After": "1"}


def test_a_field_becomes_a_bad_request_detail() -> None:
    body = errors.answer(errors.InvalidRequest("missing", field="order.id")).body
    openapi.assert_valid("error", body)
    assert body["details"][0]["type_url"] == "type.googleapis.com/google.rpc.BadRequest"


def test_http_errors_before_a_route_are_mapped_here() -> None:
    too_large = errors.answer(RequestEntityTooLarge())
    assert too_large.status == 422
    assert "too large" in too_large.body["message"]
    not_found = errors.answer(NotFound())
    assert (not_found.status, not_found.body["code"]) == (404, errors.NOT_FOUND)
    wrong_method = errors.answer(MethodNotAllowed(valid_methods=["POST"]))
    assert (wrong_method.status, wrong_method.body["code"]) == (405, errors.UNIMPLEMENTED)
    assert wrong_method.headers == {"Allow": "POST"}


def test_a_bug_says_nothing_about_itself() -> None:
    result = errors.answer(RuntimeError("password hunter2"))
    assert (result.status, result.body) == (500, {"code": 13, "message": "internal error", "details": []})
    assert isinstance(FastError(), Exception)


def test_405_answers_carry_allow(client: Any) -> None:
    response = client.get("/fast/v1/read")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"].split(", ")
    openapi.assert_valid("error", response.get_json())
