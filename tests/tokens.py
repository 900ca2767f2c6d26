"""Stand-ins for Fast's signing keys, a real JWKS server for them, and token builders.

PyJWT fetches keys with urllib, which ``responses`` cannot intercept, so the
JWKS is served by a real HTTP server on 127.0.0.1 in a thread.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

FAST_KID = "test-fast-key-1"
FAST_ISSUER = "https://api.fast.co"


@cache
def rsa_key(name: str = FAST_KID) -> rsa.RSAPrivateKey:
    """A test key pair per name, made once per test session."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(kid: str, key: rsa.RSAPrivateKey | None = None) -> dict[str, Any]:
    jwk = json.loads(RSAAlgorithm.to_jwk((key or rsa_key(kid)).public_key()))
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return jwk


def claims(app_id: str, *, issuer: str = FAST_ISSUER, ttl: int = 3600, now: float | None = None) -> dict[str, Any]:
    issued = int(time.time() if now is None else now)
    return {"iss": issuer, "aud": app_id, "iat": issued, "exp": issued + ttl}


def fast_token(
    app_id: str,
    *,
    kid: str = FAST_KID,
    key: rsa.RSAPrivateKey | None = None,
    payload: dict[str, Any] | None = None,
    **claim_args: Any,
) -> str:
    """A token as Fast would sign it (with a test key standing in for Fast's)."""
    body = payload if payload is not None else claims(app_id, **claim_args)
    return jwt.encode(body, key or rsa_key(kid), algorithm="RS256", headers={"kid": kid})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    """A token assembled by hand: any header, any payload, any signature."""
    parts = [b64(json.dumps(header).encode()), b64(json.dumps(payload).encode())]
    return ".".join([*parts, b64(signature)])


class JWKSServer:
    """Serves a JWKS at ``url`` from a thread; counts fetches; can be told to fail."""

    def __init__(self, keys: list[dict[str, Any]] | None = None) -> None:
        self.keys = keys if keys is not None else [public_jwk(FAST_KID)]
        self.fetches = 0
        self.status = 200
        self.body: bytes | None = None  # when set, served instead of the keys
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.fetches += 1
                body = server.body if server.body is not None else json.dumps({"keys": server.keys}).encode()
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1/oauth2/jwks"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
