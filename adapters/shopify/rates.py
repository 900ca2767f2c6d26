"""The shipping rates Shopify quotes for a cart, cached by what decides them.

``draftOrderCalculate`` quotes the rates; they depend only on the destination, the lines and the
discount codes, so they are kept in the state store under a fingerprint of those for
``rates_cache_seconds``, and a draft mutation asks for a quote in the same document only when none is kept.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from adapters.shopify import api
from adapters.shopify.api import ShopifyClient
from adapters.shopify.draft import DraftState
from adapters.shopify.options import ShopifyOptions
from mappings.shopify.shipping import Rate, rates_from
from service.logs import log_fields
from service.state import StateStore

log = logging.getLogger(__name__)


def rates_key(state: DraftState) -> str | None:
    """A fingerprint of what decides the shipping rates; None when Shopify cannot quote any."""
    if not state.shipping or not state.lines or not state.needs_shipping():
        return None
    basis = {
        "to": {k: state.shipping.get(k) for k in ("countryCode", "provinceCode", "zip", "city", "address1")},
        "lines": sorted(
            (line.variant_id or json.dumps(line.custom, sort_keys=True), line.quantity) for line in state.lines
        ),
        "codes": sorted(code.upper() for code in state.discount_codes),
    }
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:32]


@dataclass
class Quote:
    """What a draft mutation should ask for: the rates' key, those kept, and the calculate input if none are."""

    key: str | None
    cached: list[Rate] | None
    calc_input: dict[str, Any] | None


@dataclass
class Rates:
    client: ShopifyClient
    options: ShopifyOptions
    state: StateStore
    prefix: str

    def calc_input(self, draft: DraftState) -> dict[str, Any]:
        return draft.full_input(accept_automatic_discounts=self.options.accept_automatic_discounts)

    def _cached(self, key: str | None) -> list[Rate] | None:
        if key is None or not self.options.rates_cache_seconds:
            return None
        kept = self.state.get_json(f"{self.prefix}rates:{key}")
        return None if kept is None else [Rate.from_json(r) for r in kept]

    def _store(self, key: str | None, rates: list[Rate]) -> None:
        if key is not None and self.options.rates_cache_seconds:
            self.state.set_json(
                f"{self.prefix}rates:{key}", [r.to_json() for r in rates], self.options.rates_cache_seconds
            )

    def quote(self, draft: DraftState) -> Quote:
        key = rates_key(draft)
        cached = self._cached(key)
        wanted = key is not None and cached is None
        return Quote(key, cached, self.calc_input(draft) if wanted else None)

    def from_answer(self, data: dict[str, Any], quote: Quote) -> list[Rate]:
        """The rates a draft mutation's answer carries (or those kept), stored for the next call."""
        if quote.key is None:
            return []
        if quote.cached is not None:
            return quote.cached
        found = data.get("draftOrderCalculate") or {}
        if api.user_errors(found) or not found.get("calculatedDraftOrder"):
            log.warning(
                "Shopify could not quote shipping for this cart",
                extra=log_fields(platform="shopify", detail="; ".join(api.user_errors(found))),
            )
            return []
        rates = rates_from(found["calculatedDraftOrder"])
        self._store(quote.key, rates)
        return rates

    def for_draft(self, draft: DraftState) -> list[Rate]:
        """The rates for this cart: kept, or quoted by one ``draftOrderCalculate``."""
        quote = self.quote(draft)
        if quote.calc_input is None:
            return quote.cached or []
        return self.from_answer(api.calculate(self.client, quote.calc_input), quote)
