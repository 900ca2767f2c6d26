"""The adapter interface: Fast's operations in Fast's domain, one class per platform.

An adapter never sees Flask or Fast's JSON. It receives the canonical objects
of ``mappings.model`` and returns an ``Order`` (or an ``UpdateResult``). Every
failure it reports is one of the types in ``errors``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar, Literal
from urllib.parse import urlsplit

from adapters.options import StoreOptions, secrets_in_file
from mappings.model import (
    ORIGIN_USER,
    SEGMENT_BILLING_ADDRESS,
    SEGMENT_CONVERT,
    SEGMENT_COUPON,
    SEGMENT_LINE_ITEM,
    SEGMENT_ORDER_STATUS,
    SEGMENT_SHIPPING_ADDRESS,
    SEGMENT_SHIPPING_OPTION,
    STATUS_BOOKED,
    STATUS_CANCELED,
    STATUS_COMPLETE,
    STATUS_FULFILLED,
    STATUS_HOLD,
    STATUS_PENDING,
    STATUS_PENDING_FULFILLMENT,
    Discount,
    ItemUpdate,
    Line,
    Order,
    OrderRef,
    OrderUpdate,
    SegmentStatus,
    ShippingZone,
    UpdateResult,
)
from service.config import Settings, StoreConfig
from service.errors import InvalidRequest, UpstreamUnavailable
from service.state import StateStore

# The order in which the segments of one update are applied: what is bought,
# then who buys it and where it goes, then how it ships, then the coupon (whose
# conditions may depend on all of that), then conversion and status.
SEGMENT_ORDER = (
    SEGMENT_LINE_ITEM,
    SEGMENT_BILLING_ADDRESS,
    SEGMENT_SHIPPING_ADDRESS,
    SEGMENT_SHIPPING_OPTION,
    SEGMENT_COUPON,
    SEGMENT_CONVERT,
    SEGMENT_ORDER_STATUS,
)


# Which status an order may move to from which (Fast's order lifecycle after conversion).
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    STATUS_PENDING: frozenset({STATUS_HOLD, STATUS_BOOKED, STATUS_PENDING_FULFILLMENT, STATUS_CANCELED}),
    STATUS_HOLD: frozenset({STATUS_BOOKED, STATUS_PENDING_FULFILLMENT, STATUS_CANCELED}),
    STATUS_BOOKED: frozenset({STATUS_HOLD, STATUS_PENDING_FULFILLMENT, STATUS_CANCELED}),
    STATUS_PENDING_FULFILLMENT: frozenset({STATUS_FULFILLED, STATUS_COMPLETE, STATUS_CANCELED}),
    STATUS_FULFILLED: frozenset({STATUS_COMPLETE}),
    STATUS_COMPLETE: frozenset(),
    STATUS_CANCELED: frozenset(),
}


# The old name, kept until the WooCommerce adapter moves to STATUS_TRANSITIONS (Shopify's
# adapter has a TRANSITIONS of its own, a different table).
TRANSITIONS = STATUS_TRANSITIONS


def requested_segments(update: OrderUpdate) -> list[str]:
    """The segments an update carries, in the order they are applied."""
    present = {
        SEGMENT_LINE_ITEM: bool(update.items),
        SEGMENT_BILLING_ADDRESS: update.bill_to is not None,
        SEGMENT_SHIPPING_ADDRESS: bool(update.shipments),
        SEGMENT_SHIPPING_OPTION: update.shipping_option is not None,
        SEGMENT_COUPON: update.coupon is not None and bool(update.coupon.code),
        SEGMENT_CONVERT: update.convert_cart_to_order,
        SEGMENT_ORDER_STATUS: update.status is not None,
    }
    return [segment for segment in SEGMENT_ORDER if present[segment]]


@dataclass(frozen=True)
class Finding:
    """One result of ``Adapter.probe``: what was checked, whether it passed (None: not checked), why."""

    check: str
    ok: bool | None
    detail: str = ""


# --- the segment pipeline ------------------------------------------------------------------


class SegmentRefused(Exception):
    """The shop declines one segment without failing the call: ``status: false`` in ``status[]``."""

    def __init__(self, reason_code: str, message: str) -> None:
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message


def refused_coupon(code: str, message: str | None) -> Discount:
    """A coupon the shop declined, as Fast shows it in the order's ``coupons``: not applied, nothing off."""
    return Discount(code=code, description=message, origin=ORIGIN_USER, applied=False, total_amount=Decimal("0.00"))


SegmentHandler = Callable[[OrderUpdate], None]


@dataclass
class SegmentOutcome:
    """What ``run_segments`` decided: one status per segment, and the coupon to show as refused."""

    statuses: list[SegmentStatus] = field(default_factory=list)
    refused_coupon: Discount | None = None

    def result(self, order: Order) -> UpdateResult:
        """The update's answer: the order as it now is, the refused coupon shown, the statuses."""
        if self.refused_coupon is not None:
            order.coupons.append(self.refused_coupon)
        return UpdateResult(order, self.statuses)


def run_segments(update: OrderUpdate, handlers: Mapping[str, SegmentHandler]) -> SegmentOutcome:
    """Apply one update, segment by segment, the same way for every platform.

    The adapter supplies one handler per segment it supports (``SEGMENT_LINE_ITEM``
    ... ``SEGMENT_ORDER_STATUS``); each applies its part of ``update`` to the cart
    or order. Decided here, once:

    * order: the segments the update carries (``requested_segments``), in
      ``SEGMENT_ORDER``: what is bought, who buys it and where it goes, how it
      ships, the coupon, then conversion and status;
    * refusal: a handler that raises ``SegmentRefused`` declines its segment
      (``status: false`` with the reason code and message) and the next segments
      still run; a refused coupon is shown in the order as not applied
      (``refused_coupon``);
    * failure: any other exception (``InvalidRequest``, ``UpstreamUnavailable``...)
      stops the update and fails the call; whether earlier segments stay applied
      is the adapter's to decide (the sandbox saves only a fully applied update);
    * a segment the adapter has no handler for fails the call (422), never a silent
      ``status: true``;
    * ``status[]``: one entry per segment run, in the order run.

    The adapter then reads the order and returns ``outcome.result(order)``.
    """
    outcome = SegmentOutcome()
    for segment in requested_segments(update):
        handler = handlers.get(segment)
        if handler is None:
            raise InvalidRequest(f"this shop cannot apply {segment}", field="order")
        try:
            handler(update)
        except SegmentRefused as refusal:
            outcome.statuses.append(SegmentStatus(segment, False, refusal.reason_code, refusal.message))
            if segment == SEGMENT_COUPON and update.coupon is not None:
                outcome.refused_coupon = refused_coupon(update.coupon.code, refusal.message)
            continue
        outcome.statuses.append(SegmentStatus(segment, True))
    return outcome


# --- items -----------------------------------------------------------------------------------


@dataclass
class ItemAction:
    """What one ``items`` entry does to the cart."""

    kind: Literal["add", "set", "remove", "none"]
    item: ItemUpdate
    quantity: int
    line: Line | None = None


def items_of(order: Order) -> list[ItemUpdate]:
    """A create's lines as ``items`` entries: every line is new; a missing quantity means 1.

    The exact item id is ``external_item_id``, else the line's ``external_id`` (Fast's facts
    name both as "an exact item id").
    """
    return [
        ItemUpdate(
            item_id=line.id,
            quantity=line.quantity or 1,
            external_item_id=line.external_item_id or line.external_id,
            external_product_id=line.external_product_id,
            external_variant_id=line.external_variant_id,
            external_options=line.external_options,
            customizations=line.customizations,
        )
        for line in order.lines
    ]


def plan_items(lines: list[Line], items: list[ItemUpdate]) -> list[ItemAction]:
    """Decide, the same way for every platform, what each ``items`` entry means.

    An entry naming a line already in the cart (by Fast line id, else by the
    shop's line id) sets that line's quantity; quantity 0 or absent removes it.
    Any other entry is a new line: absent quantity means 1 (the seeds' "add
    item" examples carry none), an explicit 0 adds nothing. Because a known
    Fast line id always means "set", a retried call never adds a line twice.
    """
    by_fast_id = {line.id: line for line in lines if line.id}
    by_external_id = {line.external_id: line for line in lines if line.external_id}
    actions: list[ItemAction] = []
    planned: dict[str, int] = {}
    for item in items:
        line = by_fast_id.get(item.item_id or "") or (
            by_external_id.get(item.external_item_id or "") if not item.item_id else None
        )
        if line is not None:
            quantity = item.quantity or 0
            action = ItemAction("set" if quantity else "remove", item, quantity, line)
        elif item.quantity == 0:
            action = ItemAction("none", item, 0)
        else:
            action = ItemAction("add", item, item.quantity or 1)
        key = item.item_id or ""
        if key and key in planned:
            # The same Fast line twice in one call: the last entry wins.
            actions[planned[key]] = action
            continue
        if key:
            planned[key] = len(actions)
        actions.append(action)
    return actions


class Adapter(ABC):
    """One shop platform. Instances serve one store and are shared by threads."""

    name: ClassVar[str]
    # Secrets this adapter reads from FAST_STORE_<NAME>_<KEY>; (key, required).
    secrets: ClassVar[tuple[tuple[str, bool], ...]] = ()
    needs_base_url: ClassVar[bool] = True
    # True when the shop itself can find a cart by Fast's order id (it keeps that id),
    # so a call naming only Fast's id needs no entry in the service's id map.
    finds_orders_by_fast_id: ClassVar[bool] = False
    # The store's options (adapters/options.py); with one, check_config reports every problem of
    # the store's table: unknown keys, wrong types, secrets written in the file.
    options_class: ClassVar[type[StoreOptions] | None] = None

    def __init__(self, store: StoreConfig, state: StateStore, settings: Settings) -> None:
        if (
            self.needs_base_url
            and urlsplit(store.base_url or "").scheme != "https"
            and not settings.allow_http_upstream
        ):
            # check-config says why; at run time a shop is never called over plain http.
            raise UpstreamUnavailable(f"store {store.name!r} is misconfigured: its base_url must be https")
        self.store = store
        self.state = state
        self.settings = settings

    @classmethod
    def check_config(cls, store: StoreConfig, settings: Settings) -> list[str]:
        """Every problem with this store's configuration, without revealing secrets."""
        problems: list[str] = []
        where = f"store {store.name!r} ({store.app_id})"
        if cls.needs_base_url:
            if not store.base_url:
                problems.append(f"{where}: base_url is required")
            else:
                parts = urlsplit(store.base_url)
                if parts.scheme not in {"https", "http"} or not parts.netloc:
                    problems.append(f"{where}: base_url must be an http(s) URL")
                elif parts.scheme == "http" and not settings.allow_http_upstream:
                    problems.append(
                        f"{where}: base_url uses plain http; use https, or set"
                        " FAST_ALLOW_HTTP_UPSTREAM=1 for local development"
                    )
                if parts.username or parts.password or parts.query:
                    problems.append(
                        f"{where}: base_url must not carry credentials or a query;"
                        " secrets belong in FAST_STORE_<NAME>_<KEY> environment variables"
                    )
        for key, required in cls.secrets:
            if required and not store.secret(key):
                problems.append(f"{where}: environment variable {store.secret_env_name(key)} is not set")
        secret_keys = [key for key, _ in cls.secrets]
        if cls.options_class is not None:
            problems.extend(cls.options_class.load(store, secret_keys)[1])
        else:
            problems.extend(secrets_in_file(store, secret_keys))
        return problems

    def probe(self) -> list[Finding]:
        """One harmless authenticated read of the shop (``check-config --probe``): what it found."""
        return [Finding("probe", None, f"no probe for {self.name} stores")]

    @abstractmethod
    def create(self, order: Order) -> Order:
        """Create a cart from Fast's order (its lines and Fast ids); return it hydrated."""

    @abstractmethod
    def read(self, ref: OrderRef) -> Order:
        """Read a cart or order; raise ``OrderNotFound`` when the shop has none."""

    @abstractmethod
    def update(self, ref: OrderRef, update: OrderUpdate) -> UpdateResult:
        """Apply one increment; one ``SegmentStatus`` per segment in ``requested_segments``."""

    @abstractmethod
    def delete(self, ref: OrderRef) -> None:
        """Delete (empty) a cart; an absent cart is not an error."""

    @abstractmethod
    def shipping_zones(self) -> list[ShippingZone]:
        """The countries and subdivisions the shop ships to."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release pooled connections."""
