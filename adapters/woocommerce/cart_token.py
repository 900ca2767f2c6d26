"""A Store API ``Cart-Token``: the JWT that names a cart's session, read without its secret."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass


@dataclass(frozen=True)
class CartRef:
    """A Store API cart: its token and what the token's payload says."""

    token: str
    session: str
    exp: int


def parse_cart_token(token: str) -> CartRef | None:
    """Read a Cart-Token's payload without verifying it (the shop's secret signs it; we never have it).

    ``user_id`` names the cart's session, ``exp`` its expiry: an expired cart is then reported as
    gone instead of being answered with the new, empty cart the shop would start for that token.
    """
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        return None
    if not isinstance(payload, dict):
        return None
    session, exp = payload.get("user_id"), payload.get("exp")
    if session in (None, "") or isinstance(exp, bool) or not isinstance(exp, int):
        return None
    return CartRef(token, str(session), exp)
