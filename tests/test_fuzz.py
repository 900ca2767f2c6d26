"""Hostile input: thousands of malformed bodies per endpoint, and the limits that stop them.

Every call is correctly signed for a real (spy) store, so what is tested is the
body handling itself. The spy store's shop is mocked with ``responses``; a body
that is refused must leave it untouched: nothing is sent upstream.

Hypothesis runs derandomized with a fixed number of examples, so CI sees the
same bodies every run (about 6,000 requests in all, under a minute on two cores).
"""

from __future__ import annotations

import copy
import json
import re
import string
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import fields as mm_fields

import adapters
from adapters.http import path_segment
from app import create_app
from mappings import fast
from service.config import Settings
from service.errors import InvalidRequest
from service.state import SQLiteState
from tests import bodies as b
from tests import openapi, spy, tokens

APP_ID = "app-fuzz"
HOST = "fuzz.shop.example"
OPERATIONS = ("create", "read", "update", "delete")
MALFORMED_EXAMPLES = 1200
ARBITRARY_EXAMPLES = 300

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)


class Target:
    """One app with one real (spy) store, its shop mocked, shared by every example of a module."""

    def __init__(self, http: FlaskClient, upstream: responses.RequestsMock, token: str) -> None:
        self.http = http
        self.upstream = upstream
        self.headers = tokens.bearer(token)

    def post(self, operation: str, data: bytes) -> tuple[int, Any, int]:
        """(status, JSON body, upstream requests made) for one raw body."""
        before = len(self.upstream.calls)
        response = self.http.post(
            f"/fast/v1/{operation}", data=data, content_type="application/json", headers=self.headers
        )
        return response.status_code, response.get_json(silent=True), len(self.upstream.calls) - before


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory, fast_jwks: tokens.JWKSServer) -> Iterator[Target]:
    previous = adapters.REGISTRY.get("spy")
    adapters.REGISTRY["spy"] = "tests.spy:SpyAdapter"
    path = str(tmp_path_factory.mktemp("fuzz") / "state.sqlite3")
    config = Settings(state_path=path, fast_jwks_url=fast_jwks.url)
    app = create_app(config, stores={APP_ID: spy.spy_store(APP_ID, "fuzz_shop", HOST)}, state=SQLiteState(path))
    with spy.shop_mock([HOST]) as upstream:
        yield Target(app.test_client(), upstream, tokens.fast_token(APP_ID, ttl=6 * 3600))
    if previous is None:
        adapters.REGISTRY.pop("spy", None)
    else:
        adapters.REGISTRY["spy"] = previous


# --- valid bodies to start from ----------------------------------------------------------

NY = b.NY


def _bases() -> dict[str, dict[str, Any]]:
    line = b.line(
        "L-1",
        2,
        external_product_id="p1",
        external_variant_id="v1",
        external_options=[{"key": "size", "value": "M"}],
        unit_price="5.00",
    )
    create = b.create("F-1", [line], request_id="req-1")
    create["order"]["order"]["bill_to"] = dict(NY)
    create["order"]["order"]["total_amount"] = "10.00"
    update = b.update(
        "F-1",
        external_id="cart-1",
        items=[b.item("L-1", 2, external_product_id="p1")],
        bill_to=dict(NY),
        shipments=b.shipments(NY, ["L-1"]),
        shipping_option=b.shipping_option("opt-1"),
        coupon={"code": "SAVE10"},
        status="ORDER_STATUS_BOOKED",
        convert_cart_to_order=False,
    )
    read = b.read(external_id="cart-1", fast_order_id="F-1")
    delete = b.delete(external_id="cart-1", fast_order_id="F-1")
    bases = {"create": create, "read": read, "update": update, "delete": delete}
    for body in bases.values():
        body["app_id"] = APP_ID
    return bases


BASES = _bases()

# (path into the body, what the field is). Every field is one the schemas type-check.
FIELDS: dict[str, list[tuple[tuple[Any, ...], str]]] = {
    "create": [
        (("app_id",), "id"),
        (("type",), "enum"),
        (("request_id",), "id"),
        (("order",), "nested"),
        (("order", "is_cart"), "bool"),
        (("order", "order"), "nested"),
        (("order", "order", "id"), "id"),
        (("order", "order", "order_type"), "enum"),
        (("order", "order", "status"), "enum"),
        (("order", "order", "total_amount"), "money"),
        (("order", "order", "currency_code"), "text8"),
        (("order", "order", "bill_to"), "nested"),
        (("order", "order", "bill_to", "email"), "text320"),
        (("order", "order", "bill_to", "postal_code"), "text64"),
        (("order", "order", "bill_to", "address_1"), "text"),
        (("order", "order", "lines"), "list"),
        (("order", "order", "lines", 0), "nested"),
        (("order", "order", "lines", 0, "id"), "id"),
        (("order", "order", "lines", 0, "quantity"), "quantity"),
        (("order", "order", "lines", 0, "unit_price"), "money"),
        (("order", "order", "lines", 0, "external_product_id"), "id"),
        (("order", "order", "lines", 0, "external_variant_id"), "id"),
        (("order", "order", "lines", 0, "external_options"), "list"),
        (("order", "order", "lines", 0, "external_options", 0, "key"), "id"),
        (("order", "order", "lines", 0, "external_options", 0, "value"), "text"),
        (("order", "order", "lines", 0, "fulfillment_mode"), "enum"),
    ],
    "read": [
        (("app_id",), "id"),
        (("type",), "enum"),
        (("order",), "nested"),
        (("order", "is_cart"), "bool"),
        (("order", "order_id"), "id"),
        (("order", "external_order_id"), "id"),
        (("shipping_zones",), "dict"),
    ],
    "update": [
        (("app_id",), "id"),
        (("type",), "enum"),
        (("request_id",), "id"),
        (("order",), "nested"),
        (("order", "order_id"), "id"),
        (("order", "external_id"), "id"),
        (("order", "is_cart"), "bool"),
        (("order", "status"), "enum"),
        (("order", "convert_cart_to_order"), "bool"),
        (("order", "convert_mode"), "enum"),
        (("order", "items"), "list"),
        (("order", "items", 0), "nested"),
        (("order", "items", 0, "item_id"), "id"),
        (("order", "items", 0, "quantity"), "quantity"),
        (("order", "items", 0, "external_product_id"), "id"),
        (("order", "bill_to"), "nested"),
        (("order", "bill_to", "phone"), "text64"),
        (("order", "bill_to", "first_name"), "text"),
        (("order", "shipments"), "list"),
        (("order", "shipments", 0, "plan_id"), "id"),
        (("order", "shipments", 0, "ship_to"), "nested"),
        (("order", "shipments", 0, "ship_to", "country_code"), "text64"),
        (("order", "shipments", 0, "line_refs"), "list"),
        (("order", "shipments", 0, "line_refs", 0, "quantity"), "quantity"),
        (("order", "shipping_option"), "nested"),
        (("order", "shipping_option", "option_id"), "id"),
        (("order", "shipping_option", "external_option_id"), "id"),
        (("order", "coupon", "code"), "id"),
        (("order", "coupon", "remove"), "bool"),
    ],
    "delete": [
        (("app_id",), "id"),
        (("type",), "enum"),
        (("order",), "nested"),
        (("order", "is_cart"), "bool"),
        (("order", "order_id"), "id"),
        (("order", "external_order_id"), "id"),
    ],
}
REQUIRED = {
    "create": [("order",), ("order", "order")],
    "read": [],
    "update": [("order",)],
    "delete": [("order",)],
}
# The ids a read, update or delete needs to name an order at all.
ORDER_IDS = {
    "read": [("order", "order_id"), ("order", "external_order_id")],
    "update": [("order", "order_id"), ("order", "external_id")],
    "delete": [("order", "order_id"), ("order", "external_order_id")],
}
NUMERIC_PATHS = {
    "create": [("order", "order", "lines", 0, "quantity"), ("order", "order", "total_amount"), ("type",)],
    "read": [("type",), ("order", "external_order_id")],
    "update": [("order", "items", 0, "quantity"), ("order", "status"), ("order", "external_id")],
    "delete": [("type",), ("order", "external_order_id")],
}


# --- JSON that json.dumps cannot write -----------------------------------------------------

_RAW = "\x01raw\x01"


def raw(text: str) -> str:
    """A placeholder for a JSON token written verbatim (NaN, 1e999999, ...)."""
    return f"{_RAW}{text}{_RAW}"


def dump(value: Any) -> bytes:
    text = json.dumps(value)
    return re.sub(rf'"{re.escape(_RAW)}(.*?){re.escape(_RAW)}"', r"\1", text).encode()


def set_at(body: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        body = body[key]
    body[path[-1]] = value


def drop_at(body: Any, path: tuple[Any, ...]) -> None:
    for key in path[:-1]:
        body = body[key]
    body.pop(path[-1], None)


# --- bad values, by the kind of field --------------------------------------------------------

containers = st.one_of(
    st.lists(st.integers(-5, 5), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), min_size=1, max_size=2),
)
with_nul = st.text(max_size=12).map(lambda s: s[: len(s) // 2] + "\x00" + s[len(s) // 2 :])


def too_long(limit: int) -> st.SearchStrategy[str]:
    return st.tuples(st.characters(exclude_characters="\x00"), st.integers(limit + 1, limit + 40)).map(
        lambda pair: pair[0] * pair[1]
    )


def bad_text(limit: int) -> st.SearchStrategy[Any]:
    return st.one_of(too_long(limit), with_nul, containers, st.booleans())


def _is_decimal(text: str) -> bool:
    try:
        return Decimal(text.strip()).is_finite()
    except (InvalidOperation, ValueError):
        return False


_BOOL_WORDS = {str(v) for v in mm_fields.Boolean.truthy | mm_fields.Boolean.falsy}

BAD: dict[str, st.SearchStrategy[Any]] = {
    "id": st.one_of(
        bad_text(fast.MAX_ID_LENGTH),
        st.just({"no_value": "x"}),
        st.builds(lambda v: {"value": v}, bad_text(fast.MAX_ID_LENGTH)),
    ),
    "text": bad_text(fast.MAX_TEXT_LENGTH),
    "text8": bad_text(8),
    "text64": bad_text(64),
    "text320": bad_text(320),
    "quantity": st.one_of(
        st.integers(max_value=-1),
        st.integers(min_value=fast.MAX_QUANTITY + 1),
        st.integers(0, 1000).map(lambda i: i + 0.5),
        st.booleans(),
        st.text(max_size=8).filter(lambda s: not s.strip().isdecimal()),
        # Digit-like strings: only plain ASCII digits are a quantity.
        st.text(alphabet="-+_ .,²³٣0123456789", min_size=1, max_size=6).filter(
            lambda s: not (s.strip().isascii() and s.strip().isdigit())
        ),
        st.integers(10**12, 10**30).map(str),
        containers,
    ),
    "money": st.one_of(
        st.text(max_size=12).filter(lambda s: not _is_decimal(s)),
        st.integers(65, 120).map(lambda n: "1" * n),
        st.sampled_from(["NaN", "-Infinity", "Infinity", "sNaN", "1e15", "-1e15", "1e400", "0." + "0" * 12 + "1"]),
        st.booleans(),
        containers,
    ),
    "enum": st.one_of(
        st.text(alphabet=string.ascii_letters + "_", max_size=12).map(lambda s: "BOGUS_" + s),
        st.integers(min_value=100),
        st.integers(max_value=-1),
        st.integers(101, 10**6).map(str),
        st.booleans(),
        containers,
        too_long(100),
    ),
    "bool": st.one_of(
        st.text(max_size=6).filter(lambda s: s not in _BOOL_WORDS),
        st.integers().filter(lambda i: i not in (0, 1)),
        st.integers(0, 100).map(lambda i: i + 0.25),
        containers,
    ),
    "nested": st.one_of(st.text(max_size=6), st.integers(), st.lists(st.integers(), max_size=2), st.booleans()),
    "list": st.one_of(
        st.text(max_size=6),
        st.integers(),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        st.booleans(),
        st.just("too many"),  # replaced below by a list over the limit
    ),
    "dict": st.one_of(st.text(max_size=6), st.integers(), st.lists(st.integers(), max_size=2), st.booleans()),
}


@st.composite
def malformed(draw: st.DrawFn, operation: str) -> bytes:
    """A body for ``operation`` that is wrong in one way a Fast call must never be."""
    body = copy.deepcopy(BASES[operation])
    kinds = ["field", "field", "field", "structure", "bytes", "number"]
    if REQUIRED[operation]:
        kinds.append("required")
    if operation in ORDER_IDS:
        kinds.append("no-ids")
    kind = draw(st.sampled_from(kinds))
    if kind == "field":
        path, field_kind = draw(st.sampled_from(FIELDS[operation]))
        value = draw(BAD[field_kind])
        if field_kind == "list" and value == "too many":
            item = _get(body, path)[0] if isinstance(_get(body, path), list) else {}
            value = [item] * (fast.MAX_LIST_LENGTH + 1)
        set_at(body, path, value)
        return dump(body)
    if kind == "required":
        drop_at(body, draw(st.sampled_from(REQUIRED[operation])))
        return dump(body)
    if kind == "no-ids":
        for path in ORDER_IDS[operation]:
            drop_at(body, path)
        return dump(body)
    if kind == "number":
        token = draw(
            st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999999", "-1E+99999999", "1e-999999", "0e-99999"])
        )
        set_at(body, draw(st.sampled_from(NUMERIC_PATHS[operation])), raw(token))
        return dump(body)
    if kind == "structure":
        shape = draw(st.sampled_from(["deep", "huge", "not-object"]))
        if shape == "deep":
            depth = draw(st.integers(fast.MAX_JSON_DEPTH, 400))
            nested: Any = draw(st.sampled_from([[], {}, 1, "x"]))
            wrap = draw(st.sampled_from(["list", "dict", "both"]))
            for level in range(depth):
                as_list = wrap == "list" or (wrap == "both" and level % 2 == 0)
                nested = [nested] if as_list else {"k": nested}
            body["device_info"] = nested
            return dump(body)
        if shape == "huge":
            body["padding"] = "x" * draw(st.integers(256 * 1024, 300 * 1024))
            return dump(body)
        return dump(draw(st.one_of(st.lists(st.integers(), max_size=3), st.text(max_size=5), st.integers(), st.none())))
    # Not JSON at all: truncated, corrupted, or random bytes.
    text = dump(body)
    how = draw(st.sampled_from(["truncate", "bad-utf8", "garbage"]))
    if how == "truncate":
        return text[: draw(st.integers(0, len(text) - 1))]
    if how == "bad-utf8":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80"])) + text[at:]
    return draw(st.binary(min_size=1, max_size=200).filter(lambda data: not data.strip().startswith(b"{")))


def _get(body: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        body = body[key]
    return body


@pytest.mark.parametrize("operation", OPERATIONS)
def test_malformed_bodies_are_refused_cleanly_and_nothing_reaches_the_shop(target: Target, operation: str) -> None:
    @settings(FUZZ, max_examples=MALFORMED_EXAMPLES)
    @given(data=malformed(operation))
    def check(data: bytes) -> None:
        status, payload, sent = target.post(operation, data)
        assert status in (400, 422), (status, payload, data[:300])
        openapi.assert_valid("error", payload)
        assert sent == 0

    spy.SpyAdapter.calls.clear()
    check()
    assert spy.SpyAdapter.calls == []


# --- arbitrary JSON, biased towards the names Fast's schemas use ---------------------------------


def _field_names() -> list[str]:
    names: set[str] = set()
    for schema in vars(fast).values():
        if isinstance(schema, type) and issubclass(schema, fast.WireSchema):
            names.update(schema._declared_fields)
    names.update({"entity_type", "external_order_id", "value", "quanity", "id"})
    return sorted(names)


FIELD_NAMES = _field_names()
keys = st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=8))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["ORDER_STATUS_CART", "ENTITY_TYPE_ORDER", "ENTITY_TYPE_SHIPPING_ZONES", "1", "0", "true"]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=6)),
    max_leaves=15,
)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_arbitrary_json_never_breaks_the_service(target: Target, operation: str) -> None:
    @settings(FUZZ, max_examples=ARBITRARY_EXAMPLES)
    @given(document=st.one_of(st.dictionaries(keys, json_values, max_size=6), json_values))
    def check(document: Any) -> None:
        status, payload, sent = target.post(operation, dump(document))
        assert status < 500, (status, payload, document)
        if status == 200:
            openapi.assert_valid(operation, payload)
        else:
            openapi.assert_valid("error", payload)
            assert sent == 0, (status, payload, document)

    check()


# --- the limits, one by one -------------------------------------------------------------------


def refused(target: Target, operation: str, data: bytes, status: int = 422) -> dict[str, Any]:
    got, payload, sent = target.post(operation, data)
    assert got == status, payload
    openapi.assert_valid("error", payload)
    assert sent == 0
    return payload


def test_a_body_over_the_size_cap_is_refused_unread(target: Target) -> None:
    body = copy.deepcopy(BASES["create"])
    body["padding"] = "x" * (256 * 1024)
    payload = refused(target, "create", dump(body))
    assert "too large" in payload["message"]


def test_nesting_deeper_than_the_limit_is_refused(target: Target) -> None:
    body = copy.deepcopy(BASES["update"])
    nested: Any = []
    for _ in range(fast.MAX_JSON_DEPTH):
        nested = [nested]
    body["device_info"] = nested
    assert "nested deeper" in refused(target, "update", dump(body))["message"]
    # A document too deep for the parser itself is refused the same way (422 too large), not a crash.
    assert "too large" in refused(target, "update", b"[" * 100_000)["message"]


def test_ids_and_texts_longer_than_the_limits_are_refused(target: Target) -> None:
    body = copy.deepcopy(BASES["read"])
    body["order"]["external_order_id"] = "9" * (fast.MAX_ID_LENGTH + 1)
    refused(target, "read", dump(body))
    body = copy.deepcopy(BASES["create"])
    body["order"]["order"]["bill_to"]["address_1"] = "a" * (fast.MAX_TEXT_LENGTH + 1)
    refused(target, "create", dump(body))
    body = copy.deepcopy(BASES["create"])
    body["order"]["order"]["lines"] = body["order"]["order"]["lines"] * (fast.MAX_LIST_LENGTH + 1)
    refused(target, "create", dump(body))


@pytest.mark.parametrize("number", ["1e999999", "1e-999999", "0e-999999", "-1E+99999999"])
def test_numbers_with_absurd_exponents_are_refused_at_once(target: Target, number: str) -> None:
    # Before the fix int(Decimal("1e999999")) built a million-digit number and hung the worker.
    for operation, path in (("create", ("order", "order", "lines", 0, "quantity")), ("read", ("type",))):
        body = copy.deepcopy(BASES[operation])
        set_at(body, path, raw(number))
        refused(target, operation, dump(body))


@pytest.mark.parametrize("quantity", ["--5", "²", "٣", "1_000", "+-1", "-", "- 5"])
def test_strange_digit_strings_are_not_quantities(target: Target, quantity: str) -> None:
    body = copy.deepcopy(BASES["update"])
    body["order"]["items"][0]["quantity"] = quantity
    refused(target, "update", dump(body))


def test_amounts_with_endless_decimals_are_refused(target: Target) -> None:
    body = copy.deepcopy(BASES["create"])
    body["order"]["order"]["total_amount"] = "1e-999999"
    refused(target, "create", dump(body))


# --- no upstream URL built from request data ----------------------------------------------------


@pytest.mark.parametrize(
    "external_id",
    ["../admin", "..", "a/b", "a\\b", "%2e%2e%2fadmin", "x%2Fy", "https://evil.example/", "a\nb", "a b", "\u202e"],
)
def test_an_id_cannot_steer_the_upstream_path(target: Target, external_id: str) -> None:
    body = copy.deepcopy(BASES["read"])
    body["order"]["external_order_id"] = external_id
    refused(target, "read", dump(body))


def test_an_id_with_url_syntax_is_encoded_into_one_segment(target: Target) -> None:
    body = copy.deepcopy(BASES["read"])
    body["order"]["external_order_id"] = "cart?admin=1#frag"
    before = len(target.upstream.calls)
    status, payload, sent = target.post("read", dump(body))
    assert status == 200, payload
    assert sent == 1
    url = target.upstream.calls[before].request.url
    assert url == f"https://{HOST}/api/carts/cart%3Fadmin%3D1%23frag"


@given(value=st.one_of(st.text(max_size=300), st.integers()))
@settings(FUZZ, max_examples=1000)
def test_path_segment_is_one_segment_or_refused(value: str | int) -> None:
    from urllib.parse import unquote

    try:
        segment = path_segment(value)
    except InvalidRequest:
        return
    assert re.fullmatch(r"[A-Za-z0-9._~%-]+", segment), segment
    assert unquote(segment) == str(value)
    assert segment not in (".", "..")


@pytest.mark.parametrize("value", ["", ".", "..", "...", "a/b", "a%b", "x" * 257, True, None, 1.5, "\x00", "a\tb"])
def test_path_segment_refuses(value: Any) -> None:
    with pytest.raises(InvalidRequest):
        path_segment(value)


@pytest.mark.parametrize(("value", "expected"), [("123", "123"), (42, "42"), ("a:b", "a%3Ab"), ("ü", "%C3%BC")])
def test_path_segment_encodes(value: Any, expected: str) -> None:
    assert path_segment(value) == expected


def test_a_real_shop_is_never_called_over_plain_http(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    spy.register(monkeypatch)
    store = spy.spy_store(APP_ID, "fuzz_shop", HOST)
    store = type(store)(store.app_id, store.name, store.adapter, f"http://{HOST}/api", store.options, store.env)
    body = dump(BASES["read"])
    headers = tokens.bearer(tokens.fast_token(APP_ID))
    for allow_http, status in ((False, 503), (True, 200)):
        config = Settings(state_path=str(tmp_path / f"{allow_http}.sqlite3"), allow_http_upstream=allow_http)
        app = create_app(config, stores={APP_ID: store}, state=SQLiteState(config.state_path))
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            mock.get(re.compile(rf"http://{HOST}/.*"), json=spy.SHOP_ANSWER)
            response = app.test_client().post(
                "/fast/v1/read", data=body, content_type="application/json", headers=headers
            )
            assert response.status_code == status, response.get_json()
            assert len(mock.calls) == (0 if status == 503 else 1)


# --- the 422 body's details, in the contract's protobufAny shape -----------------------------


def _proto_fields(data: bytes) -> list[tuple[int, bytes]]:
    """Length-delimited fields of a protobuf message (all BadRequest uses)."""
    out, at = [], 0

    def varint() -> int:
        nonlocal at
        shift = value = 0
        while True:
            byte = data[at]
            at += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    while at < len(data):
        key = varint()
        assert key & 7 == 2
        length = varint()
        out.append((key >> 3, data[at : at + length]))
        at += length
    return out


def test_field_violations_travel_as_a_packed_bad_request(target: Target) -> None:
    import base64

    body = copy.deepcopy(BASES["update"])
    body["order"]["items"][0]["quantity"] = -1
    payload = refused(target, "update", dump(body))
    [detail] = payload["details"]
    assert detail["type_url"] == "type.googleapis.com/google.rpc.BadRequest"
    violations = [dict(_proto_fields(raw)) for number, raw in _proto_fields(base64.b64decode(detail["value"]))]
    assert violations == [{1: b"order.items[0].quantity", 2: b"Must not be negative."}]
