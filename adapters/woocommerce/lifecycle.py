"""Status changes: a placed WooCommerce order moving through Fast's statuses, and a cart canceled before conversion."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.base import STATUS_TRANSITIONS, requested_segments
from adapters.woocommerce.api import WooApi
from adapters.woocommerce.cart_token import CartRef
from adapters.woocommerce.checkout import Checkout
from adapters.woocommerce.record import CartRecord, CartRecords
from mappings import model
from mappings import woocommerce as wc
from service.errors import InvalidRequest, OrderStateConflict


class Lifecycle:
    def __init__(self, api: WooApi, records: CartRecords, checkout: Checkout, statuses: Mapping[str, str]) -> None:
        self.api = api
        self.records = records
        self.checkout = checkout
        self.statuses = statuses

    def order(self, order: Mapping[str, Any], fast_id: str | None = None) -> model.Order:
        return wc.order_to_fast(order, self.statuses, fast_id)

    def update_order(self, order_id: int, update: model.OrderUpdate, fast_id: str | None) -> model.UpdateResult:
        """An update of a placed order: only a (resent) convert and a status change are possible."""
        segments = requested_segments(update)
        content = [s for s in segments if s not in (model.SEGMENT_CONVERT, model.SEGMENT_ORDER_STATUS)]
        if content:
            raise InvalidRequest(
                f"WooCommerce order {order_id} is already an order: its contents can no longer change",
            )
        order = self.api.get_order(order_id)
        statuses = []
        if model.SEGMENT_CONVERT in segments:
            order = self.checkout.finish_stamp(order_id, order)
            statuses.append(model.SegmentStatus(model.SEGMENT_CONVERT, True))
        if model.SEGMENT_ORDER_STATUS in segments:
            order = self.set_status(order_id, order, update.status or "")
            statuses.append(model.SegmentStatus(model.SEGMENT_ORDER_STATUS, True))
        return model.UpdateResult(self.order(order, fast_id), statuses)

    def set_status(self, order_id: int, order: dict[str, Any], status: str) -> dict[str, Any]:
        current = wc.fast_status_of(order, self.statuses)
        if status == current:
            return order  # a retried status change is a no-op
        if status not in self.statuses:
            raise InvalidRequest(f"status {status} cannot be set on a WooCommerce order")
        if status not in STATUS_TRANSITIONS.get(current, set()):
            raise OrderStateConflict(f"WooCommerce order {order_id} cannot go from {current} to {status}")
        changes: dict[str, Any] = {
            "status": self.statuses[status],
            "meta_data": [{"key": wc.META_FAST_STATUS, "value": status}],
        }
        return self.api.put_order(order_id, changes)

    def cancel_cart(self, cart: CartRef, record: CartRecord) -> dict[str, Any]:
        """A cart Fast cancels before conversion: empty it."""
        self.api.client.json(self.api.delete_items(cart, ok_statuses=(404,)))
        record.lines, record.items, record.canceled = [], {}, True
        self.records.save(cart, record)
        body, _ = self.api.get_cart(cart)
        return body
