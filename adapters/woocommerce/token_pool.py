"""Cart-Tokens fetched ahead of time, so creating a cart is one round trip instead of two.

A Store API write without a ``Cart-Token`` is refused 401 (the shop then wants a nonce:
recordings/no-cart-token.jsonl seq 1 and 3), so a new cart needs a token first, and the only
way to get one is a ``GET /cart``. That GET does not depend on the Fast call, so it can be made
before the call comes: a small pool per store, shared by every worker through the state store,
refilled by a background thread after each take.

Cost in the shop: one ``GET /cart`` per cart, as without the pool, just earlier. A token whose
session was never written leaves nothing in the shop's database (WooCommerce saves a session only
once it holds data), so pooled tokens that expire unused cost nothing but the GET. Tokens live
48 hours (``wc_store_api_cart_token_expiration``); one is handed out only with more than a day
left, so a cart created from it outlives any checkout.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable

from adapters.woocommerce.cart_token import CartRef, parse_cart_token
from service import deadline
from service.errors import FastError
from service.logs import log_fields, request_id_var
from service.state import StateStore

log = logging.getLogger(__name__)

MIN_LIFE = 24 * 3600  # a pooled token is handed out only with at least this long to live
POOL_TTL = 2 * 24 * 3600


class CartTokenPool:
    def __init__(
        self,
        state: StateStore,
        key: str,
        fetch: Callable[[], CartRef],
        *,
        size: int,
        budget: float,
        clock: Callable[[], float] = time.time,
        background: Callable[[Callable[[], None]], None] | None = None,
    ) -> None:
        self.state, self.key, self.fetch, self.size = state, key, fetch, size
        self.budget, self.clock = budget, clock
        self.background = background or _in_a_thread
        self._refilling = threading.Lock()

    def take(self) -> CartRef | None:
        """A fresh token no other cart will get, or None when the pool is empty."""
        if self.size <= 0:
            return None
        with self.state.lock(self.key + ":lock"):
            tokens = self._fresh(self.state.get_json(self.key) or [])
            taken = tokens.pop(0) if tokens else None
            self.state.set_json(self.key, tokens, POOL_TTL)
        return parse_cart_token(taken) if taken else None

    def refill_later(self) -> None:
        """Top the pool up off the call path (one refill at a time in this process)."""
        if self.size > 0 and self._refilling.acquire(blocking=False):
            self.background(self._refill)

    def refill(self) -> int:
        """Fetch tokens until the pool is full; the number fetched."""
        fetched = 0
        while True:
            with self.state.lock(self.key + ":lock"):
                tokens = self._fresh(self.state.get_json(self.key) or [])
                self.state.set_json(self.key, tokens, POOL_TTL)
            if len(tokens) >= self.size:
                return fetched
            with deadline.budget(self.budget):
                cart = self.fetch()
            fetched += 1
            with self.state.lock(self.key + ":lock"):
                tokens = self._fresh(self.state.get_json(self.key) or [])
                tokens.append(cart.token)
                self.state.set_json(self.key, tokens[: self.size], POOL_TTL)

    def _refill(self) -> None:
        # Its own request id: the shop's logs (and the benchmark) tell these GETs from a Fast call's.
        request_id = request_id_var.set(f"cart-token-pool-{uuid.uuid4()}")
        try:
            self.refill()
        except (FastError, OSError) as exc:
            # The next create fetches its own token: slower, never wrong.
            log.warning("could not refill the Cart-Token pool", extra=log_fields(reason=str(exc)))
        finally:
            request_id_var.reset(request_id)
            self._refilling.release()

    def _fresh(self, tokens: list[str]) -> list[str]:
        now = self.clock()
        return [t for t in tokens if (ref := parse_cart_token(t)) is not None and ref.exp - now > MIN_LIFE]


def _in_a_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="woo-cart-tokens", daemon=True).start()
