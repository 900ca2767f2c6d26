"""Replays the recordings of a real WooCommerce 9.9.5 against the fake and lists every disagreement.

The recordings (tests/fixtures/woocommerce/recordings/, README there) were made on
loopback against a real, unmodified shop. ``replay()`` sends every recorded
request, in the order they were recorded, to a ``FakeWooCommerce`` set up like
that shop (``recorded_shop()``), and compares each answer with the real one.

What is compared, for every exchange:
- the HTTP status;
- on the outer answer, whether ``Cart-Token`` and ``Nonce`` are present;
- on each batch sub-answer, the header names, their JSON types, and values
  (``User-ID``, ``Allow``; ``Cart-Hash`` empty or not);
- the body: the same keys at every level, the same JSON types, the same list
  lengths, and the same values — error codes and messages, money in minor units
  (Store API) or decimal strings (REST v3), taxes, rates, names, stock limits.

What is deliberately not compared by value (only by type): things each shop
hands out for itself — Cart-Tokens, nonces, timestamps, order keys, cart and
meta hashes, row ids of REST line items and meta data, dates, and URLs (the
recorded shop ran on http://127.0.0.1:8080). Identifiers that the rest of the
replay depends on are substituted instead of ignored: the fake's Cart-Token for
each recorded session, its cart item keys and its order ids are learnt from its
answers and then required to stay consistent. The order of an order's
``meta_data`` rows is not compared (the real shop answers them sorted one time
and in insertion order another, checkout.jsonl seq 13 vs 23).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.fakes.woocommerce import FakeWooCommerce, recorded_shop

RECORDINGS = Path(__file__).resolve().parent.parent / "fixtures" / "woocommerce" / "recordings"
# In the order they were recorded (their Cart-Tokens' iat): the shop's stock carries from one to the next.
FILES = ("batch-without-outer-cart-token.jsonl", "checkout.jsonl", "edge-cases.jsonl", "no-cart-token.jsonl")

# Stock that moved in the real shop between two recordings, through traffic that was not recorded: the
# Hoodie's limit is 994 when checkout.jsonl starts, 3 are sold there, and it reads 985 at no-cart-token.jsonl seq 7.
STOCK_BEFORE = {"no-cart-token.jsonl": {12: 985}}

# Values each shop makes up for itself: compared by JSON type only.
VOLATILE_KEYS = frozenset(
    {
        "order_key",
        "cart_hash",
        "date_created",
        "date_created_gmt",
        "date_modified",
        "date_modified_gmt",
        "date_paid",
        "date_paid_gmt",
        "date_completed",
        "date_completed_gmt",
        "customer_ip_address",
        "customer_user_agent",
        "Cart-Token",
        "Nonce",
        "Nonce-Timestamp",
    }
)
# Lists of rows whose "id" is the row's own database id.
ROW_LISTS = frozenset({"line_items", "meta_data", "tax_lines", "shipping_lines", "coupon_lines", "fee_lines"})
HASH_META = frozenset({"_shipping_hash", "_coupons_hash", "_fees_hash", "_taxes_hash"})
ITEM_KEY = re.compile(r"^[0-9a-f]{32}$")
ORDER_PATH = re.compile(r"(/wc/v3/orders/)(\d+)")


@dataclass
class Exchange:
    file: str
    seq: int
    method: str
    path: str
    problems: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.file}:{self.seq}"


def load(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (RECORDINGS / name).read_text().splitlines() if line.strip()]


def session_of(token: Any) -> str | None:
    """The session (``user_id``) a Cart-Token names, read without its secret; None for garbage."""
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    payload = token.split(".")[1]
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError):
        return None
    return str(data.get("user_id")) if isinstance(data, dict) and data.get("user_id") else None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


class Replay:
    """One pass over the recordings, learning the fake's identifiers as it goes."""

    def __init__(self, shop: FakeWooCommerce) -> None:
        self.shop = shop
        self.issued: set[str] = set()  # every Cart-Token the real shop handed out
        self.tokens: dict[str, str] = {}  # recorded session -> the fake's latest token for it
        self.keys: dict[str, str] = {}  # recorded cart item key -> the fake's
        self.orders: dict[int, int] = {}  # recorded order id -> the fake's
        self.nonce: str | None = None

    # --- requests ----------------------------------------------------------------------

    def token_for(self, recorded: str) -> str:
        session = session_of(recorded)
        if session is None or session not in self.tokens:
            return recorded  # garbage stays garbage (edge-cases.jsonl seq 5)
        mine = self.tokens[session]
        if recorded in self.issued:
            return mine
        # A token the real shop never issued: the recording forged its signature (edge-cases.jsonl seq 6).
        head, _, signature = mine.rpartition(".")
        return f"{head}.{signature[:-3]}{'abc' if not signature.endswith('abc') else 'xyz'}"

    def headers_for(self, recorded: dict[str, Any]) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in recorded.items():
            if name == "Cart-Token":
                out[name] = self.token_for(str(value))
            elif name == "Nonce":
                out[name] = self.nonce or str(value)
            elif name == "Authorization":
                credentials = f"{self.shop.app_user}:{self.shop.app_password}".encode()
                out[name] = "Basic " + base64.b64encode(credentials).decode()
            else:
                out[name] = str(value)
        return out

    def body_for(self, value: Any, parent: str = "") -> Any:
        if isinstance(value, dict):
            out = {}
            for key, inner in value.items():
                if key == "headers" and isinstance(inner, dict):
                    out[key] = self.headers_for(inner)
                else:
                    out[key] = self.body_for(inner, key)
            return out
        if isinstance(value, list):
            return [self.body_for(v, parent) for v in value]
        if parent == "key" and isinstance(value, str) and value in self.keys:
            return self.keys[value]
        return value

    def path_for(self, path: str) -> str:
        return ORDER_PATH.sub(lambda m: m.group(1) + str(self.orders.get(int(m.group(2)), m.group(2))), path)

    # --- learning ---------------------------------------------------------------------

    def learn_token(self, recorded: Any, mine: Any) -> None:
        if isinstance(recorded, str):
            self.issued.add(recorded)
        session = session_of(recorded)
        if session and isinstance(mine, str) and session_of(mine):
            self.tokens[session] = mine

    def learn_body(self, recorded: Any, mine: Any) -> None:
        if not isinstance(recorded, dict) or not isinstance(mine, dict):
            return
        for theirs, ours in zip(recorded.get("items") or [], mine.get("items") or [], strict=False):
            if isinstance(theirs, dict) and isinstance(ours, dict) and "key" in theirs:
                self.keys.setdefault(str(theirs["key"]), str(ours.get("key")))
        if "order_id" in recorded and isinstance(mine.get("order_id"), int):
            self.orders.setdefault(int(recorded["order_id"]), mine["order_id"])

    # --- comparing --------------------------------------------------------------------

    def compare(self, recorded: Any, mine: Any, where: str, problems: list[str], key: str = "") -> None:
        if _kind(recorded) != _kind(mine):
            problems.append(f"{where}: real {_kind(recorded)} {_short(recorded)}, fake {_kind(mine)} {_short(mine)}")
            return
        if isinstance(recorded, dict):
            missing = sorted(set(recorded) - set(mine))
            extra = sorted(set(mine) - set(recorded))
            if missing:
                problems.append(f"{where}: the fake lacks {missing}")
            if extra:
                problems.append(f"{where}: the fake adds {extra}")
            for name in recorded:
                if name in mine:
                    self.compare(recorded[name], mine[name], f"{where}.{name}", problems, name)
            return
        if isinstance(recorded, list):
            if len(recorded) != len(mine):
                problems.append(f"{where}: real has {len(recorded)} entries, fake {len(mine)}")
                return
            if key == "meta_data":
                recorded, mine = _by_key(recorded), _by_key(mine)
            for i, (theirs, ours) in enumerate(zip(recorded, mine, strict=True)):
                if key in ROW_LISTS and isinstance(theirs, dict) and isinstance(ours, dict):
                    theirs = {k: v for k, v in theirs.items() if k != "id"} | {"id": 0}
                    ours = {k: v for k, v in ours.items() if k != "id"} | {"id": 0}
                    if theirs.get("key") in HASH_META:
                        theirs["value"] = ours.get("value", theirs["value"])
                self.compare(theirs, ours, f"{where}[{i}]", problems, key)
            return
        if not self.same_value(recorded, mine, key):
            problems.append(f"{where}: real {_short(recorded)}, fake {_short(mine)}")

    def same_value(self, recorded: Any, mine: Any, key: str) -> bool:
        if key in VOLATILE_KEYS:
            return True
        if isinstance(recorded, str) and recorded.startswith("http"):
            return isinstance(mine, str) and mine.startswith("http")
        if key == "key" and isinstance(recorded, str) and ITEM_KEY.match(recorded):
            return self.keys.get(recorded) == mine
        order_id = key in ("order_id", "id", "number", "order_number") and str(recorded).isdigit()
        if order_id and int(recorded) in self.orders:
            return str(self.orders[int(recorded)]) == str(mine)
        if isinstance(recorded, float) or isinstance(mine, float):
            return Decimal(str(recorded)) == Decimal(str(mine))
        return bool(recorded == mine)

    def compare_headers(self, recorded: dict[str, Any], mine: dict[str, Any], where: str, problems: list[str]) -> None:
        for name in ("Cart-Token", "Nonce"):
            if (name in recorded) != (name in mine):
                state = "sends" if name in recorded else "does not send"
                problems.append(f"{where}: the real shop {state} {name}")

    def compare_sub_headers(
        self, recorded: dict[str, Any], mine: dict[str, Any], where: str, problems: list[str]
    ) -> None:
        self.compare_headers(recorded, mine, where, problems)
        if "Cart-Hash" in recorded and "Cart-Hash" in mine and bool(recorded["Cart-Hash"]) != bool(mine["Cart-Hash"]):
            problems.append(f"{where}.Cart-Hash: real {recorded['Cart-Hash']!r}, fake {mine['Cart-Hash']!r}")
        shown = {k: v for k, v in recorded.items() if k != "Cart-Hash"}
        ours = {k: v for k, v in mine.items() if k != "Cart-Hash"}
        if ("Cart-Hash" in recorded) != ("Cart-Hash" in mine):
            problems.append(f"{where}: Cart-Hash present in the real answer: {'Cart-Hash' in recorded}")
        self.compare(shown, ours, where, problems)

    # --- one exchange -------------------------------------------------------------------

    def exchange(self, name: str, row: dict[str, Any]) -> Exchange:
        request, response = row["request"], row["response"]
        result = Exchange(name, int(row["seq"]), request["method"], request["path"])
        problems = result.problems
        raw = json.dumps(self.body_for(request["body"])) if request["body"] is not None else None
        url = self.shop.base_url + self.path_for(request["path"])
        answer = self.shop.handle(request["method"], url, self.headers_for(request["headers"]), raw)
        if isinstance(answer, Exception):
            problems.append(f"the fake raised {answer!r}")
            return result
        status, headers, text = answer
        try:
            body = json.loads(text)
        except ValueError:
            problems.append(f"the fake answered a body that is not JSON: {text[:80]!r}")
            return result
        if status != response["status"]:
            problems.append(f"status: real {response['status']}, fake {status}")
        self.learn_token(response["headers"].get("Cart-Token"), headers.get("Cart-Token"))
        if headers.get("Nonce"):
            self.nonce = headers["Nonce"]
        self.compare_headers(response["headers"], headers, "headers", problems)
        theirs = response["body"]
        if isinstance(theirs, dict) and isinstance(theirs.get("responses"), list) and isinstance(body, dict):
            self.batch(theirs["responses"], body.get("responses"), problems)
        else:
            self.learn_body(theirs, body)
            self.compare(theirs, body, "body", problems)
        return result

    def batch(self, recorded: list[Any], mine: Any, problems: list[str]) -> None:
        if not isinstance(mine, list) or len(mine) != len(recorded):
            count = len(mine) if isinstance(mine, list) else "no"
            problems.append(f"body.responses: real has {len(recorded)} sub-answers, fake {count}")
            return
        for i, (theirs, ours) in enumerate(zip(recorded, mine, strict=True)):
            where = f"body.responses[{i}]"
            if not isinstance(ours, dict):
                problems.append(f"{where}: the fake's sub-answer is not an object")
                continue
            if theirs.get("status") != ours.get("status"):
                problems.append(f"{where}.status: real {theirs.get('status')}, fake {ours.get('status')}")
            their_headers, our_headers = theirs.get("headers") or {}, ours.get("headers") or {}
            self.learn_token(their_headers.get("Cart-Token"), our_headers.get("Cart-Token"))
            if our_headers.get("Nonce"):
                self.nonce = str(our_headers["Nonce"])
            self.compare_sub_headers(their_headers, our_headers, f"{where}.headers", problems)
            self.learn_body(theirs.get("body"), ours.get("body"))
            self.compare(theirs.get("body"), ours.get("body"), f"{where}.body", problems)
            missing = sorted(set(theirs) - set(ours))
            if missing:
                problems.append(f"{where}: the fake's sub-answer lacks {missing}")


def _by_key(rows: list[Any]) -> list[Any]:
    return sorted(rows, key=lambda r: str(r.get("key")) if isinstance(r, dict) else "")


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def replay(shop: FakeWooCommerce | None = None) -> list[Exchange]:
    """Every recorded exchange of every file, in recorded order, with what the fake did differently."""
    shop = shop or recorded_shop()
    run = Replay(shop)
    results = []
    for name in FILES:
        for product_id, stock in STOCK_BEFORE.get(name, {}).items():
            shop.products[product_id].stock = stock
        for row in load(name):
            results.append(run.exchange(name, row))
    return results


def disagreements(results: list[Exchange]) -> list[str]:
    return [f"{r.name} {r.method} {r.path}: {p}" for r in results for p in r.problems]
