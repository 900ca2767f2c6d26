"""Signing the simulator's calls the way Fast signs its own: an RS256 JWT per call.

Claims: ``aud`` = the store's Fast app id, ``iss`` = the issuer, ``iat``,
``exp``; the header names the key (``kid``). By default the calls are signed
with the sandbox key pair shipped in ``keys/`` (public on purpose: the service
trusts it for sandbox stores only). A test deployment of a real store trusts a
key of your own: pass ``--private-key``, ``--kid`` and, if it checks one,
``--issuer``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

ALGORITHM = "RS256"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
SANDBOX_PRIVATE_KEY = PROJECT_ROOT / "keys" / "sandbox-private.pem"
# These must match what the service trusts for the sandbox key (service/auth.py);
# tests/simulator/test_signing.py checks they do whenever fast_auth is present.
SANDBOX_KID = "fast-seller-proxy-sandbox-1"
SANDBOX_ISSUER = "urn:fast-seller-proxy:sandbox"
FAST_ISSUER = "https://api.fast.co"
TOKEN_TTL = 300


class SigningError(Exception):
    """The key cannot be used; the message says why (never the key itself)."""


@dataclass(frozen=True)
class Signer:
    """Mints one short-lived token per call."""

    key: RSAPrivateKey
    kid: str
    issuer: str
    ttl: int = TOKEN_TTL
    source: str = ""

    def token(self, app_id: str, now: float | None = None) -> str:
        issued = int(time.time() if now is None else now)
        claims = {"iss": self.issuer, "aud": app_id, "iat": issued, "exp": issued + self.ttl}
        return jwt.encode(claims, self.key, algorithm=ALGORITHM, headers={"kid": self.kid})

    def headers(self, app_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(app_id)}"}


def load_private_key(path: Path) -> RSAPrivateKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningError(f"cannot read the private key {path}: {exc.strerror}") from None
    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise SigningError(f"{path} is not an unencrypted PEM private key") from None
    if not isinstance(key, RSAPrivateKey):
        raise SigningError(f"{path} is not an RSA key (Fast signs RS256)")
    return key


def make_signer(
    private_key: str | None = None,
    kid: str | None = None,
    issuer: str | None = None,
    env: dict[str, str] | None = None,
) -> Signer | None:
    """The signer for these options, or None when the sandbox key is not in this checkout.

    With no key given, the sandbox key signs with the sandbox kid and issuer.
    With a key of your own, the issuer defaults to FAST_JWT_ISSUER (its first
    entry) and then to Fast's host.
    """
    env = dict(os.environ) if env is None else env
    if private_key is None:
        if not SANDBOX_PRIVATE_KEY.is_file():
            return None
        return Signer(
            load_private_key(SANDBOX_PRIVATE_KEY),
            kid or SANDBOX_KID,
            issuer or SANDBOX_ISSUER,
            source="the sandbox key",
        )
    if not kid:
        raise SigningError("--kid is required with --private-key: the service picks the key by the token's kid")
    configured = [part.strip() for part in env.get("FAST_JWT_ISSUER", "").split(",") if part.strip()]
    return Signer(
        load_private_key(Path(private_key)),
        kid,
        issuer or (configured[0] if configured else FAST_ISSUER),
        source=f"{private_key} (kid {kid})",
    )
