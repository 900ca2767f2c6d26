"""Only Fast may drive a shop: the token matrix, key rotation, and routing by the verified app.

Fast's JWKS is served by a real HTTP server on 127.0.0.1 (PyJWT fetches with
urllib, which ``responses`` cannot see). Two real stores (``app-a``, ``app-b``)
are served by the spy adapter, each with its own host and secret; ``responses``
records every upstream request, so "nothing sent upstream" is checked, not assumed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import responses
from cryptography.hazmat.primitives import serialization
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from service import auth as fast_auth
from service import logs
from service.config import SANDBOX_STORE, Settings
from service.state import SQLiteState
from tests import bodies as b
from tests import openapi, spy, tokens

A_HOST, B_HOST = "a.shop.example", "b.shop.example"
CART_A = "cart-a-1"


@pytest.fixture
def jwks() -> Iterator[tokens.JWKSServer]:
    server = tokens.JWKSServer()
    yield server
    server.close()


@pytest.fixture
def auth_settings(tmp_path: Any, jwks: tokens.JWKSServer) -> Settings:
    return Settings(state_path=str(tmp_path / "state.sqlite3"), fast_jwks_url=jwks.url)


@pytest.fixture
def auth_app(auth_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Flask:
    spy.register(monkeypatch)
    stores = {
        "sandbox": SANDBOX_STORE,
        "app-a": spy.spy_store("app-a", "shop_a", A_HOST),
        "app-b": spy.spy_store("app-b", "shop_b", B_HOST),
    }
    app = create_app(auth_settings, stores=stores, state=SQLiteState(auth_settings.state_path))
    app.config["TESTING"] = True
    return app


@pytest.fixture
def http(auth_app: Flask) -> FlaskClient:
    return auth_app.test_client()


@pytest.fixture
def upstream() -> Iterator[responses.RequestsMock]:
    with spy.shop_mock([A_HOST, B_HOST]) as mock:
        yield mock


def read_body(app_id: str | None = "app-a") -> dict[str, Any]:
    body = b.read(external_id=CART_A)
    if app_id is None:
        body.pop("app_id")
    else:
        body["app_id"] = app_id
    return body


def post(http: FlaskClient, headers: dict[str, str], body: Any = None, operation: str = "read") -> Any:
    response = http.post(f"/fast/v1/{operation}", json=read_body() if body is None else body, headers=headers)
    return response


def assert_refused(response: Any, upstream: responses.RequestsMock, *, status: int = 401) -> dict[str, Any]:
    payload = response.get_json()
    assert response.status_code == status, payload
    openapi.assert_valid("error", payload)
    if status == 401:
        assert payload["code"] == 16  # UNAUTHENTICATED
    assert spy.SpyAdapter.calls == []
    assert len(upstream.calls) == 0
    return payload


def valid_claims(app_id: str = "app-a", **overrides: Any) -> dict[str, Any]:
    return {**tokens.claims(app_id), **overrides}


# --- the matrix ------------------------------------------------------------------------


def test_a_valid_token_is_accepted_and_the_call_uses_that_store_only(
    http: FlaskClient, upstream: responses.RequestsMock
) -> None:
    response = post(http, tokens.bearer(tokens.fast_token("app-a")))
    assert response.status_code == 200, response.get_json()
    openapi.assert_valid("read", response.get_json())
    assert spy.SpyAdapter.calls == [("app-a", "read")]
    [call] = upstream.calls
    assert call.request.url == f"https://{A_HOST}/api/carts/{CART_A}"
    assert call.request.headers["X-Shop-Token"] == "shop-secret-shop_a-7f3a9c"


def test_the_call_is_routed_by_the_token_when_the_body_names_no_app(
    http: FlaskClient, upstream: responses.RequestsMock
) -> None:
    response = post(http, tokens.bearer(tokens.fast_token("app-b")), read_body(app_id=None))
    assert response.status_code == 200, response.get_json()
    [call] = upstream.calls
    assert call.request.url.startswith(f"https://{B_HOST}/")
    assert call.request.headers["X-Shop-Token"] == "shop-secret-shop_b-7f3a9c"


def test_no_authorization_header(http: FlaskClient, upstream: responses.RequestsMock) -> None:
    payload = assert_refused(post(http, {}), upstream)
    assert "no Authorization" in payload["message"]


@pytest.mark.parametrize(
    "value",
    [
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token abc.def.ghi",
        "Bearer abc.def",  # two segments
        "Bearer a.b.c.d",  # four segments
        "Bearer not a jwt",
        "Bearer e30.e30.e30 extra",
        "Bearer !!!.???.***",
        "Bearer abc.def.ghi",  # three segments that are not base64 JSON
        "Bearer " + "A" * 9000 + ".e30.e30",  # absurdly long
    ],
)
def test_malformed_authorization_header(http: FlaskClient, upstream: responses.RequestsMock, value: str) -> None:
    assert_refused(post(http, {"Authorization": value}), upstream)


@pytest.mark.parametrize("alg", ["none", "None", "NONE", ""])
def test_alg_none_is_refused(
    http: FlaskClient, upstream: responses.RequestsMock, jwks: tokens.JWKSServer, alg: str
) -> None:
    token = tokens.unsigned_token({"alg": alg, "typ": "JWT", "kid": tokens.FAST_KID}, valid_claims())
    assert_refused(post(http, tokens.bearer(token)), upstream)
    assert jwks.fetches == 0  # refused before any key lookup


def test_hs256_signed_with_the_public_key_is_refused(
    http: FlaskClient, upstream: responses.RequestsMock, jwks: tokens.JWKSServer
) -> None:
    # Algorithm confusion: a verifier that let the token pick HS256 would use the
    # (public) RSA key as the HMAC secret and accept this forgery.
    public_pem = (
        tokens.rsa_key(tokens.FAST_KID)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = tokens.b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": tokens.FAST_KID}).encode())
    payload = tokens.b64(json.dumps(valid_claims()).encode())
    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    forged = f"{header}.{payload}.{tokens.b64(signature)}"
    assert_refused(post(http, tokens.bearer(forged)), upstream)
    # The same forgery with the JWK's own bytes as the secret fares no better.
    jwk_secret = json.dumps(tokens.public_jwk(tokens.FAST_KID)).encode()
    signature = hmac.new(jwk_secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert_refused(post(http, tokens.bearer(f"{header}.{payload}.{tokens.b64(signature)}")), upstream)


@pytest.mark.parametrize("alg", ["RS512", "PS256", "ES256", "HS512"])
def test_other_algorithms_are_refused(http: FlaskClient, upstream: responses.RequestsMock, alg: str) -> None:
    token = tokens.unsigned_token({"alg": alg, "kid": tokens.FAST_KID}, valid_claims(), b"x" * 64)
    assert_refused(post(http, tokens.bearer(token)), upstream)


def test_unknown_kid_is_refused(http: FlaskClient, upstream: responses.RequestsMock) -> None:
    rogue = tokens.fast_token("app-a", kid="rogue-key", key=tokens.rsa_key("rogue-key"))
    payload = assert_refused(post(http, tokens.bearer(rogue)), upstream)
    assert "key" in payload["message"]


def test_a_known_kid_with_another_keys_signature_is_refused(
    http: FlaskClient, upstream: responses.RequestsMock
) -> None:
    forged = tokens.fast_token("app-a", kid=tokens.FAST_KID, key=tokens.rsa_key("rogue-key"))
    assert_refused(post(http, tokens.bearer(forged)), upstream)


def test_missing_kid_is_refused(http: FlaskClient, upstream: responses.RequestsMock) -> None:
    token = jwt.encode(valid_claims(), tokens.rsa_key(tokens.FAST_KID), algorithm="RS256")
    assert_refused(post(http, tokens.bearer(token)), upstream)


@pytest.mark.parametrize("aud", ["app-z", "", ["app-a", "app-b"], ["app-z"], 42])
def test_wrong_audience_is_refused(http: FlaskClient, upstream: responses.RequestsMock, aud: Any) -> None:
    token = tokens.fast_token("app-a", payload=valid_claims(aud=aud))
    assert_refused(post(http, tokens.bearer(token)), upstream)


@pytest.mark.parametrize("iss", ["https://evil.example", "https://api.fast.co.evil.example", "", None])
def test_wrong_issuer_is_refused(http: FlaskClient, upstream: responses.RequestsMock, iss: Any) -> None:
    claims = valid_claims()
    if iss is None:
        claims.pop("iss")
    else:
        claims["iss"] = iss
    assert_refused(post(http, tokens.bearer(tokens.fast_token("app-a", payload=claims))), upstream)


def test_both_spellings_of_fasts_host_are_accepted_as_issuer(
    http: FlaskClient, upstream: responses.RequestsMock
) -> None:
    for issuer in ("https://api.fast.co", "api.fast.co"):
        token = tokens.fast_token("app-a", issuer=issuer)
        assert post(http, tokens.bearer(token)).status_code == 200


def test_expired_token_is_refused(http: FlaskClient, upstream: responses.RequestsMock) -> None:
    token = tokens.fast_token("app-a", now=time.time() - 7200, ttl=3600)
    payload = assert_refused(post(http, tokens.bearer(token)), upstream)
    assert "expired" in payload["message"]


def test_expiry_within_the_leeway_is_tolerated(http: FlaskClient, upstream: responses.RequestsMock) -> None:
    # Clocks drift: a token that expired 5 s ago is accepted with the default 30 s leeway...
    token = tokens.fast_token("app-a", now=time.time() - 65, ttl=60)
    assert post(http, tokens.bearer(token)).status_code == 200
    # ...one that expired a minute ago is not.
    token = tokens.fast_token("app-a", now=time.time() - 120, ttl=60)
    assert post(http, tokens.bearer(token)).status_code == 401


@pytest.mark.parametrize("claim", ["iat", "nbf"])
def test_token_not_yet_valid_is_refused(http: FlaskClient, upstream: responses.RequestsMock, claim: str) -> None:
    future = int(time.time()) + 3600
    token = tokens.fast_token("app-a", payload=valid_claims(**{claim: future}))
    payload = assert_refused(post(http, tokens.bearer(token)), upstream)
    assert "not valid yet" in payload["message"]


@pytest.mark.parametrize("claim", ["exp", "iat", "aud"])
def test_missing_required_claim_is_refused(http: FlaskClient, upstream: responses.RequestsMock, claim: str) -> None:
    claims = valid_claims()
    claims.pop(claim)
    assert_refused(post(http, tokens.bearer(tokens.fast_token("app-a", payload=claims))), upstream)


@pytest.mark.parametrize("exp", ["soon", None, [1], {"t": 1}, 1e400])
def test_garbage_exp_is_refused(http: FlaskClient, upstream: responses.RequestsMock, exp: Any) -> None:
    claims = valid_claims()
    claims["exp"] = exp
    token = tokens.unsigned_token({"alg": "RS256", "kid": tokens.FAST_KID}, {})  # shape only
    header, _, _ = token.split(".")
    payload = tokens.b64(json.dumps(claims).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = jwt.get_algorithm_by_name("RS256").sign(signing_input, tokens.rsa_key(tokens.FAST_KID))
    signed = f"{header}.{payload}.{tokens.b64(signature)}"
    assert_refused(post(http, tokens.bearer(signed)), upstream)


def test_tampered_payload_is_refused(http: FlaskClient, upstream: responses.RequestsMock) -> None:
    header, _, signature = tokens.fast_token("app-a").split(".")
    for change in ({"aud": "app-b"}, {"exp": int(time.time()) + 10**8}):
        payload = tokens.b64(json.dumps(valid_claims(**change)).encode())
        assert_refused(post(http, tokens.bearer(f"{header}.{payload}.{signature}")), upstream)
    # Flipping one bit of the signature is enough too.
    token = tokens.fast_token("app-a")
    raw = bytearray(base64.urlsafe_b64decode(token.split(".")[2] + "=="))
    raw[10] ^= 1
    flipped = ".".join([*token.split(".")[:2], tokens.b64(bytes(raw))])
    assert_refused(post(http, tokens.bearer(flipped)), upstream)


@pytest.mark.parametrize("operation", ["create", "read", "update", "delete"])
def test_a_token_for_store_a_cannot_drive_store_b(
    http: FlaskClient, upstream: responses.RequestsMock, operation: str
) -> None:
    builders = {
        "create": lambda: b.create("F-1", [b.line("L-1", 1, external_product_id="1")]),
        "read": lambda: b.read(external_id=CART_A),
        "update": lambda: b.update("F-1", external_id=CART_A, coupon="SAVE"),
        "delete": lambda: b.delete(external_id=CART_A),
    }
    body = builders[operation]()
    body["app_id"] = "app-b"
    payload = assert_refused(post(http, tokens.bearer(tokens.fast_token("app-a")), body, operation), upstream)
    assert "app_id" in payload["message"]


def test_the_sandbox_key_cannot_open_a_real_store(http: FlaskClient, upstream: responses.RequestsMock) -> None:
    payload = assert_refused(post(http, fast_auth.sandbox_headers("app-a")), upstream)
    assert "sandbox" in payload["message"]
    # Nor by claiming to be one of Fast's keys: the signature is checked against Fast's key.
    disguised = jwt.encode(
        valid_claims(),
        fast_auth._sandbox_private_key(),
        algorithm="RS256",
        headers={"kid": tokens.FAST_KID},
    )
    assert_refused(post(http, tokens.bearer(disguised)), upstream)
    # Nor with Fast's issuer written into a sandbox-signed token.
    with_fast_iss = fast_auth.sandbox_token("app-a", iss=tokens.FAST_ISSUER)
    assert_refused(post(http, tokens.bearer(with_fast_iss)), upstream)


def test_the_sandbox_store_accepts_the_sandbox_key_and_fasts_keys(http: FlaskClient) -> None:
    body = b.read(external_id="missing-cart")
    assert post(http, fast_auth.sandbox_headers("sandbox"), body).status_code == 404
    assert post(http, tokens.bearer(tokens.fast_token("sandbox")), body).status_code == 404


def test_a_sandbox_token_needs_the_sandbox_issuer(http: FlaskClient, upstream: responses.RequestsMock) -> None:
    token = fast_auth.sandbox_token("sandbox", iss="https://evil.example")
    assert_refused(post(http, tokens.bearer(token), b.read(external_id="x")), upstream)


def test_the_token_is_checked_before_the_body_is_read(http: FlaskClient, upstream: responses.RequestsMock) -> None:
    response = http.post("/fast/v1/create", data=b"{not json", content_type="application/json")
    assert_refused(response, upstream)
    response = http.post("/fast/v1/create", data=b"x" * 400_000, content_type="application/json")
    assert_refused(response, upstream)


def test_the_bearer_scheme_is_case_insensitive(http: FlaskClient, upstream: responses.RequestsMock) -> None:
    token = tokens.fast_token("app-a")
    assert post(http, {"Authorization": f"bearer {token}"}).status_code == 200


def test_a_refused_call_logs_why_but_never_the_token(http: FlaskClient, upstream: responses.RequestsMock) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JSONFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        token = tokens.fast_token("app-z")  # well-formed, for an app not served here
        post(http, tokens.bearer(token))
        sandbox = fast_auth.sandbox_token("app-a")
        post(http, tokens.bearer(sandbox))
    finally:
        root.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert any(line.get("status") == 401 and line.get("error") == "Unauthorised" for line in lines), lines
    text = stream.getvalue()
    for secret in (token, sandbox, token.split(".")[2], sandbox.split(".")[2]):
        assert secret not in text


# --- Fast's keys: caching, rotation, outages --------------------------------------------


def test_the_key_set_is_fetched_once_and_cached(
    http: FlaskClient, upstream: responses.RequestsMock, jwks: tokens.JWKSServer
) -> None:
    for _ in range(5):
        assert post(http, tokens.bearer(tokens.fast_token("app-a"))).status_code == 200
    assert jwks.fetches == 1


def test_a_rotated_key_is_fetched_and_made_up_kids_cannot_flood_fast(
    http: FlaskClient, upstream: responses.RequestsMock, jwks: tokens.JWKSServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fast_auth, "REFETCH_COOLDOWN", 0.3)
    assert post(http, tokens.bearer(tokens.fast_token("app-a"))).status_code == 200
    assert jwks.fetches == 1
    # Fast publishes a new key and starts signing with it.
    jwks.keys = [tokens.public_jwk(tokens.FAST_KID), tokens.public_jwk("fast-key-2")]
    rotated = tokens.bearer(tokens.fast_token("app-a", kid="fast-key-2"))
    time.sleep(0.35)
    assert post(http, rotated).status_code == 200
    assert jwks.fetches == 2
    # A flood of unknown kids triggers no more than one refetch per cooldown.
    for index in range(20):
        forged = tokens.fast_token("app-a", kid=f"made-up-{index}", key=tokens.rsa_key("rogue-key"))
        assert post(http, tokens.bearer(forged)).status_code == 401
    assert jwks.fetches <= 3
    # The old key, withdrawn by Fast, stops working once the set is refetched.
    jwks.keys = [tokens.public_jwk("fast-key-2")]
    time.sleep(0.35)
    post(http, tokens.bearer(tokens.fast_token("app-a", kid="made-up-x", key=tokens.rsa_key("rogue-key"))))
    assert post(http, tokens.bearer(tokens.fast_token("app-a"))).status_code == 401
    assert post(http, rotated).status_code == 200


def test_when_fasts_key_set_cannot_be_fetched_the_call_is_503_and_nothing_is_sent(
    http: FlaskClient, upstream: responses.RequestsMock, jwks: tokens.JWKSServer
) -> None:
    jwks.status = 500
    response = post(http, tokens.bearer(tokens.fast_token("app-a")))
    payload = assert_refused(response, upstream, status=503)
    assert payload["code"] == 14
    assert response.headers["Retry-After"]
    # Further calls during the cooldown do not hammer the failing endpoint (nor wait on it).
    for _ in range(5):
        assert_refused(post(http, tokens.bearer(tokens.fast_token("app-a"))), upstream, status=503)
    assert jwks.fetches == 1


@pytest.mark.parametrize("body", [b"<html>oops</html>", b"[]", b'{"keys": []}', b'{"keys": "x"}'])
def test_a_garbage_key_set_is_an_outage_not_a_crash(
    http: FlaskClient, upstream: responses.RequestsMock, jwks: tokens.JWKSServer, body: bytes
) -> None:
    jwks.body = body
    assert_refused(post(http, tokens.bearer(tokens.fast_token("app-a"))), upstream, status=503)


def test_an_outage_at_fast_keeps_the_last_keys_working(
    tmp_path: Any, jwks: tokens.JWKSServer, monkeypatch: pytest.MonkeyPatch, upstream: responses.RequestsMock
) -> None:
    settings = Settings(state_path=str(tmp_path / "s.sqlite3"), fast_jwks_url=jwks.url, fast_jwks_cache_seconds=0.1)
    monkeypatch.setattr(fast_auth, "REFETCH_COOLDOWN", 5.0)
    stores = {"app-a": spy.spy_store("app-a", "shop_a", A_HOST)}
    spy.register(monkeypatch)
    http = create_app(settings, stores=stores, state=SQLiteState(settings.state_path)).test_client()
    token = tokens.bearer(tokens.fast_token("app-a"))
    assert post(http, token).status_code == 200
    jwks.status = 503
    time.sleep(0.15)  # the cached set has expired
    for _ in range(5):
        assert post(http, token).status_code == 200
    # One failed attempt, then the endpoint is left alone for the cooldown.
    assert jwks.fetches == 2


def test_one_key_client_per_jwks_url(auth_settings: Settings) -> None:
    assert fast_auth.fast_keys(auth_settings) is fast_auth.fast_keys(auth_settings)


# --- the sandbox token command ----------------------------------------------------------


def test_flask_fast_token_prints_a_token_the_sandbox_accepts(auth_app: Flask, http: FlaskClient) -> None:
    result = auth_app.test_cli_runner().invoke(args=["fast", "token", "--app-id", "sandbox", "--ttl", "120"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 120
    assert claims["aud"] == "sandbox"
    assert post(http, tokens.bearer(token), b.read(external_id="nope")).status_code == 404


@pytest.mark.parametrize(("app_id", "why"), [("app-a", "real spy store"), ("nope", "no store")])
def test_flask_fast_token_refuses_real_and_unknown_stores(auth_app: Flask, app_id: str, why: str) -> None:
    result = auth_app.test_cli_runner().invoke(args=["fast", "token", "--app-id", app_id])
    assert result.exit_code != 0
    assert why in result.output
    assert "eyJ" not in result.output


def test_a_deeply_nested_or_malformed_header_is_refused_cleanly() -> None:
    from service.auth import _unverified_header
    from service.errors import Unauthorised

    deep = base64.urlsafe_b64encode(b"[" * 3000 + b"]" * 3000).rstrip(b"=").decode()
    for token in (f"{deep}.e30.c2ln", "no-dots", ".e30.c2ln", "a.b", "a.b.c.d", "e30.e30", "W10.e30.c2ln"):
        with pytest.raises(Unauthorised, match="not a JWT"):
            _unverified_header(token)
