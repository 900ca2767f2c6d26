"""The items segment of a WooCommerce cart: plan its sub-requests, absorb the answers, refuse what a lost record hides.

A refused item changes nothing: what went through is undone (``undo.py``),
and an answer that never arrived is reconciled on the next call.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

from adapters.base import plan_items
from adapters.woocommerce.api import Sub, SubKind, SubResult, WooApi
from adapters.woocommerce.cart_token import CartRef
from adapters.woocommerce.record import CartRecord, CartRecords, ItemSnapshot, Pending, PendingAdd
from adapters.woocommerce.undo import undo
from mappings import model
from mappings import woocommerce as wc
from service.errors import FastError, InvalidRequest, OrderNotFound, ShapeError, UpstreamRejected, UpstreamUnavailable
from service.logs import log_fields

log = logging.getLogger(__name__)

CartAnswer = tuple[dict[str, Any], str | None]  # a cart body and the nonce it came with


class CartItems:
    """Fast's ``items`` entries applied to one store's carts."""

    def __init__(self, api: WooApi, records: CartRecords, store_name: str) -> None:
        self.api = api
        self.records = records
        self.store_name = store_name

    # --- planning ---------------------------------------------------------------------

    def subs(self, record: CartRecord, items: list[model.ItemUpdate]) -> list[Sub]:
        """Store API requests for Fast's ``items`` entries: decreases first, then increases, then new lines.

        Updates ``record.lines`` to the line map the change leads to; refuses, before anything is
        sent, what Fast cannot name.
        """
        tracked = [dataclasses.replace(t) for t in record.lines]
        current = [model.Line(id=t.id, external_id=t.key) for t in tracked]
        current += [model.Line(external_id=key) for key in record.items if key not in {t.key for t in tracked}]
        untracked = {key: n for key in record.items if (n := record.untracked(key))}
        wanted: dict[str, int] = {}
        adds: list[Sub] = []
        for action in plan_items(current, items):
            if action.kind == "none":
                if untracked and action.item.item_id:
                    raise self.line_map_lost(record, action.item.item_id)
            elif action.kind == "add":
                adds.append(self._add_sub(record, action, untracked))
            else:
                assert action.line is not None
                key = action.line.external_id or ""
                wanted[key] = _wanted(record, tracked, action, key)
        record.lines = tracked
        return _quantity_subs(record, wanted) + adds

    def _add_sub(self, record: CartRecord, action: Any, untracked: Mapping[str, int]) -> Sub:
        line_id = action.item.item_id
        try:
            add = wc.add_item_body(action.item, action.quantity)
        except ValueError as exc:
            if untracked and line_id:
                raise self.line_map_lost(record, line_id) from None
            raise InvalidRequest(str(exc)) from None
        if line_id and _may_be_untracked(add, record.items, untracked):
            raise self.line_map_lost(record, line_id)
        return Sub("cart/add-item", add.body, SubKind.ADD, line_id=line_id, add=add)

    # --- the lost-record refusals ---------------------------------------------------------

    def line_map_lost(self, record: CartRecord, line_id: str) -> FastError:
        """A Fast line the record does not know, in a cart holding items no Fast line accounts for.

        This is what a lost or stale record looks like (a restart on an ephemeral state store, a
        storefront edit): the line may be one of those items, and guessing which would change or
        charge the wrong thing. Nothing is sent; Fast is told the cart is gone (404), which makes it
        stop or create the order again, instead of retrying a call that can never succeed.
        """
        log.error(
            "refused a line change: the service has no record tying this Fast line to the shop's cart",
            extra=log_fields(
                platform="woocommerce", store=self.store_name, fast_order_id=record.fast_id, line_id=line_id
            ),
        )
        return OrderNotFound(
            f"the service no longer knows which WooCommerce cart item holds Fast line {line_id} (its record of"
            " the cart was lost); nothing was changed: create the order again"
        )

    def cart_record_lost(self, record: CartRecord, what: str) -> FastError:
        """An empty cart the service has no record of: it may have become an order this service placed."""
        log.error(
            f"refused to {what} a cart the service has no record of: it may already be an order",
            extra=log_fields(platform="woocommerce", store=self.store_name, fast_order_id=record.fast_id),
        )
        return OrderNotFound(
            f"the WooCommerce cart is empty and the service has no record of it (lost state?): it cannot {what}"
            " it safely; if the cart was converted, name the WooCommerce order id"
        )

    # --- applying ------------------------------------------------------------------------

    def apply(self, cart: CartRef, record: CartRecord, items: list[model.ItemUpdate]) -> CartAnswer | None:
        """Apply the items segment in one batch; on any refusal undo what went through and raise."""
        before_lines = [dataclasses.replace(t) for t in record.lines]
        subs = self.subs(record, items)
        if not subs:
            return None  # nothing to change in the shop (e.g. Fast's lines re-split within one cart item)
        if any(s.kind == SubKind.ADD for s in subs):
            # If the answer is lost, the next call finds out what happened before acting.
            record.pending = Pending([_pending_add(s) for s in subs if s.kind == SubKind.ADD], before_lines)
            self.records.save(cart, dataclasses.replace(record, lines=before_lines))
        results = self.api.batch(cart, subs)
        failure = next(((s, r) for s, r in zip(subs, results, strict=True) if not _item_ok(s, r)), None)
        if failure is None:
            body = absorb(record, subs, results)
            record.pending = None
            if body is None:
                raise ShapeError("the shop's batch answer holds no cart")
            return body, next((r.header("Nonce") for r in reversed(results) if r.header("Nonce")), None)
        # Something was refused: restore the cart to what it was, then say why.
        error = item_error(*failure)
        record.lines = before_lines
        record.pending = None
        undo(self.api, self.records, cart, record, results)
        self.records.save(cart, record)  # the outcome is known: no reconciliation needed next time
        raise error

    def reconcile(self, cart: CartRef, record: CartRecord) -> CartAnswer:
        """A previous change's answer was lost: read the cart and adopt the lines it did add."""
        pending = record.pending or Pending([], [])
        body, nonce = self.api.get_cart(cart)
        previous = record.quantities()
        now = wc.item_quantities(body)
        tracked = list(pending.lines or record.lines)
        known = {t.id for t in tracked}
        for add in pending.adds:
            if not add.line_id or add.line_id in known:
                continue
            grown = [k for k in now if now[k] - previous.get(k, 0) >= add.qty]
            if not grown:
                continue  # the add never happened: the retried call will add it
            key = next((k for k in grown if _item_id(body, k) == add.id), grown[0])
            tracked.append(_tracked(add.line_id, key, add.qty, _find_item(body, key), add.product))
            previous[key] = previous.get(key, 0) + add.qty
        record.lines = tracked
        record.pending = None
        record.remember(body, nonce)
        self.records.save(cart, record)
        return body, nonce


def absorb(record: CartRecord, subs: list[Sub], results: list[SubResult]) -> dict[str, Any] | None:
    """Walk the batch's answers in order: learn which cart item each new Fast line landed in."""
    tracked = list(record.lines)
    previous = record.quantities()
    body: dict[str, Any] | None = None
    for sub, result in zip(subs, results, strict=True):
        cart = result.cart()
        if cart is None:
            continue
        body = cart
        now = wc.item_quantities(cart)
        if sub.kind == SubKind.ADD and result.ok and sub.add is not None:
            key, item = _added_item(cart, previous, sub)
            if key is not None and sub.line_id:
                tracked.append(_tracked(sub.line_id, key, now[key] - previous.get(key, 0), item, sub.add.product))
        previous = now
    record.lines = tracked
    return body


def item_error(sub: Sub, result: SubResult) -> FastError:
    error = result.error
    what = sub.add.describe if sub.add else f"cart item {sub.key}"
    if error.code == "woocommerce_rest_cart_invalid_key":
        return UpstreamRejected(f"{what} is no longer in the cart")
    if result.status >= 500:
        return UpstreamUnavailable(f"the shop failed to change the cart ({error.message})")
    # Out of stock, unknown product, no such variation, quantity limits: the shop said no to this item.
    return UpstreamRejected(f"{what}: {error.message}")


def _wanted(record: CartRecord, tracked: list[wc.TrackedLine], action: Any, key: str) -> int:
    """The cart item quantity a set or remove of one Fast line leads to."""
    owner = next((t for t in tracked if t.id == action.line.id), None) if action.line.id else None
    if owner is None:
        return action.quantity if action.kind == "set" else 0
    owner.qty = action.quantity
    if action.kind == "remove":
        tracked.remove(owner)
    return sum(t.qty for t in tracked if t.key == key) + record.untracked(key)


def _quantity_subs(record: CartRecord, wanted: Mapping[str, int]) -> list[Sub]:
    changes: list[Sub] = []
    for key, qty in wanted.items():
        if qty <= 0:
            changes.append(Sub("cart/remove-item", {"key": key}, SubKind.REMOVE, key=key))
        elif qty != record.quantity(key):
            changes.append(Sub("cart/update-item", {"key": key, "quantity": qty}, SubKind.SET, key=key))

    def order(sub: Sub) -> int:
        if sub.kind == SubKind.REMOVE:
            return 0
        return 1 if sub.body["quantity"] < record.quantity(sub.key) else 2

    return sorted(changes, key=order)


def _tracked(line_id: str, key: str, qty: int, item: Mapping[str, Any] | None, product: str | None) -> wc.TrackedLine:
    return wc.TrackedLine(
        id=line_id,
        key=key,
        qty=qty,
        item=item.get("id") if item else None,
        variation=bool(item and (item.get("type") == "variation" or item.get("variation"))),
        product=product,
    )


def _may_be_untracked(add: wc.AddItem, items: Mapping[str, ItemSnapshot], untracked: Mapping[str, int]) -> bool:
    """Whether a "new" line could be one the cart already holds but no Fast line accounts for."""
    for key in untracked:
        info = items.get(key)
        if info is not None and (info.id == add.body.get("id") or ("variation" in add.body and info.v)):
            return True
    return False


def _item_ok(sub: Sub, result: SubResult) -> bool:
    if result.ok:
        return True
    # Removing a line that is already gone leaves it gone.
    return sub.kind == SubKind.REMOVE and result.error.code == "woocommerce_rest_cart_invalid_key"


def _pending_add(sub: Sub) -> PendingAdd:
    return PendingAdd(
        line_id=sub.line_id,
        id=sub.body.get("id"),
        qty=int(sub.body.get("quantity") or 1),
        product=sub.add.product if sub.add else None,
    )


def _find_item(cart: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    return next((i for i in wc.cart_items(cart) if str(i["key"]) == key), None)


def _item_id(cart: Mapping[str, Any], key: str) -> Any:
    item = _find_item(cart, key)
    return item.get("id") if item else None


def _added_item(
    cart: Mapping[str, Any], previous: Mapping[str, int], sub: Sub
) -> tuple[str | None, Mapping[str, Any] | None]:
    """The cart item an add-item landed in: a new key, or an existing one whose quantity grew."""
    grown = [item for item in wc.cart_items(cart) if int(item.get("quantity") or 0) > previous.get(str(item["key"]), 0)]
    if not grown:
        return None, None
    wanted = sub.body.get("id")
    item = next((i for i in grown if i.get("id") == wanted), None) or next(
        (i for i in grown if str(i["key"]) not in previous), grown[0]
    )
    return str(item["key"]), item
