"""Undo the item changes of a batch the shop refused part of, so a refused update changes nothing."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from adapters.woocommerce.api import Sub, SubKind, SubResult, WooApi
from adapters.woocommerce.cart_token import CartRef
from adapters.woocommerce.record import CartRecord, CartRecords, ItemSnapshot, Pending, snapshot
from mappings import woocommerce as wc
from service.errors import FastError, UpstreamUnavailable
from service.logs import log_fields

log = logging.getLogger(__name__)


def undo(api: WooApi, records: CartRecords, cart: CartRef, record: CartRecord, results: list[SubResult]) -> None:
    """Reverse every item change of a batch that went through; the record follows re-added items."""
    before = dict(record.items)
    reverse = _reverse(before, results)
    if not reverse:
        return
    reverse.reverse()
    try:
        undone = api.batch(cart, reverse)
    except FastError:
        undone = []
    if len(undone) != len(reverse) or not all(r.ok for r in undone):
        log.error(
            "a refused cart change could not be fully undone; the cart will be re-read on the next call",
            extra=log_fields(platform="woocommerce", changes=len(reverse)),
        )
        record.pending = Pending([], list(record.lines))
        records.save(cart, record)
        raise UpstreamUnavailable("the shop refused part of the change and the cart could not be restored")
    body = next((r.cart() for r in reversed(undone) if r.cart() is not None), None)
    if body is not None:
        # Re-added items may come back under new keys: follow them.
        rekey(record, before, body)
        record.remember(body, undone[-1].header("Nonce"))
    records.save(cart, record)


def _reverse(before: Mapping[str, ItemSnapshot], results: list[SubResult]) -> list[Sub]:
    """The sub-requests that take each answered cart back to the one before it, in the batch's order."""
    previous = {key: item.q for key, item in before.items()}
    reverse: list[Sub] = []
    for result in results:
        cart_body = result.cart()
        if not result.ok or cart_body is None:
            continue
        now = wc.item_quantities(cart_body)
        changed = [k for k in set(now) | set(previous) if now.get(k, 0) != previous.get(k, 0)]
        for key in changed:
            reverse.append(_restore(key, previous.get(key, 0), key in now, before.get(key)))
        previous = now
    return reverse


def _restore(key: str, old: int, still_there: bool, info: ItemSnapshot | None) -> Sub:
    if old == 0:
        return Sub("cart/remove-item", {"key": key}, SubKind.REMOVE, key=key)
    if still_there:
        return Sub("cart/update-item", {"key": key, "quantity": old}, SubKind.SET, key=key)
    readd: dict[str, Any] = {"id": info.id if info else None, "quantity": old}
    if info and info.v:
        readd["variation"] = [{"attribute": a, "value": v} for a, v in info.v]
    return Sub("cart/add-item", readd, SubKind.READD, key=key)


def rekey(record: CartRecord, before: Mapping[str, ItemSnapshot], body: Mapping[str, Any]) -> None:
    """Point each Fast line whose cart item came back under a new key at that key."""
    now = snapshot(body)
    for line in record.lines:
        if line.key in now:
            continue
        old = before.get(line.key)
        if old is None:
            continue
        match = next((k for k, v in now.items() if v.same_item(old)), None)
        if match:
            line.key = match
