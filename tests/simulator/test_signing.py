"""The simulator signs every call as Fast does: RS256, aud = app id, iss, iat, exp, kid."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jwt
import pytest
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from simulator import signing
from simulator.runner import Client


@pytest.fixture(scope="module")
def key_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """A throwaway test key pair (never committed)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path_factory.mktemp("keys") / "test-private.pem"
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return path, key.public_key()


def test_a_token_carries_fasts_claims(key_pair: tuple[Path, Any]) -> None:
    path, public = key_pair
    signer = signing.make_signer(str(path), "test-key-1", None, env={})
    assert signer is not None
    token = signer.token("my-app", now=1_700_000_000)
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": "test-key-1", "typ": "JWT"}
    claims = jwt.decode(
        token, public, algorithms=["RS256"], audience="my-app", options={"verify_exp": False, "verify_iat": False}
    )
    assert claims == {"iss": "https://api.fast.co", "aud": "my-app", "iat": 1_700_000_000, "exp": 1_700_000_300}


def test_the_issuer_comes_from_the_option_then_fast_jwt_issuer(key_pair: tuple[Path, Any]) -> None:
    path, _ = key_pair
    env = {"FAST_JWT_ISSUER": "https://staging.fast.test, api.fast.co"}
    assert signing.make_signer(str(path), "k", None, env=env).issuer == "https://staging.fast.test"  # type: ignore[union-attr]
    assert signing.make_signer(str(path), "k", "urn:x", env=env).issuer == "urn:x"  # type: ignore[union-attr]


def test_bad_keys_are_refused_clearly(key_pair: tuple[Path, Any], tmp_path: Path) -> None:
    path, _ = key_pair
    with pytest.raises(signing.SigningError, match="--kid is required"):
        signing.make_signer(str(path), None, None, env={})
    with pytest.raises(signing.SigningError, match="cannot read the private key"):
        signing.make_signer(str(tmp_path / "nope.pem"), "k", None, env={})
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    with pytest.raises(signing.SigningError, match="not an unencrypted PEM private key"):
        signing.make_signer(str(garbage), "k", None, env={})
    ec_key = tmp_path / "ec.pem"
    ec_key.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(signing.SigningError, match="not an RSA key"):
        signing.make_signer(str(ec_key), "k", None, env={})


def test_the_sandbox_key_is_the_default_when_present(
    monkeypatch: pytest.MonkeyPatch, key_pair: tuple[Path, Any]
) -> None:
    path, _ = key_pair
    monkeypatch.setattr(signing, "SANDBOX_PRIVATE_KEY", path)
    signer = signing.make_signer(env={"FAST_JWT_ISSUER": "https://api.fast.co"})
    assert signer is not None
    assert (signer.kid, signer.issuer) == (signing.SANDBOX_KID, signing.SANDBOX_ISSUER)
    monkeypatch.setattr(signing, "SANDBOX_PRIVATE_KEY", path.parent / "absent.pem")
    assert signing.make_signer(env={}) is None


def test_every_call_is_signed_with_a_fresh_token(key_pair: tuple[Path, Any]) -> None:
    path, public = key_pair
    signer = signing.make_signer(str(path), "test-key-1", None, env={})
    client = Client("http://deployment.test", "my-app", signer)
    with responses.RequestsMock() as network:
        network.add(responses.POST, re.compile(r"http://deployment\.test/fast/v1/.*"), json={})
        client.fast("delete", {"order": {}})
        client.fast("delete", {"order": {}})
        headers = [call.request.headers for call in network.calls]
    for header in headers:
        token = header["Authorization"].removeprefix("Bearer ")
        claims = jwt.decode(token, public, algorithms=["RS256"], audience="my-app", issuer="https://api.fast.co")
        assert claims["exp"] - claims["iat"] == signing.TOKEN_TTL
    assert headers[0]["User-Agent"] == "fast-seller-proxy-simulator"


def test_the_sandbox_token_is_what_the_service_accepts() -> None:
    """When the service's verification is in this checkout, a simulator token must pass it."""
    fast_auth = pytest.importorskip("service.auth")
    assert (signing.SANDBOX_KID, signing.SANDBOX_ISSUER) == (fast_auth.SANDBOX_KID, fast_auth.SANDBOX_ISSUER)
    assert signing.SANDBOX_PRIVATE_KEY == fast_auth.SANDBOX_PRIVATE_KEY
    from service.config import SANDBOX_STORE, Settings

    signer = signing.make_signer()
    assert signer is not None
    token = signer.token("sandbox")
    assert fast_auth.verify_token(token, Settings(), {"sandbox": SANDBOX_STORE}) == "sandbox"
