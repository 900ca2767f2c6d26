"""Shopify: a Fast cart is a draft order in the Admin GraphQL API; conversion completes it.

The interface methods live here; ``api.py`` is the only module that talks to Shopify (one function per
remote operation), ``cost.py`` prices each document, ``catalogue.py`` resolves Fast's items, ``cart.py``
applies an update's segments to a draft, ``rates.py`` keeps the shipping rates, ``lifecycle.py``
converts, holds and moves orders through Fast's statuses. Round trips per Fast call: docs/benchmark.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from adapters.base import Adapter, ItemAction, items_of, plan_items, requested_segments
from adapters.shopify import api
from adapters.shopify.api import ShopifyClient
from adapters.shopify.cart import (
    CartChange,
    add_lines,
    apply_segments,
    check_line_count,
    check_quantities,
    reservation_active,
    reservation_until,
)
from adapters.shopify.catalogue import Catalogue, merge, pack_lookups
from adapters.shopify.draft import DraftState
from adapters.shopify.lifecycle import HELD_STATUSES, Lifecycle
from adapters.shopify.options import ShopifyOptions
from adapters.shopify.rates import Rates
from mappings import model
from mappings.shopify import FAST_ORDER_ATTR, FAST_PLAN_ATTR, FAST_TAG, attribute, gid, order_tag, parse_gid, tag_query
from mappings.shopify.documents import CREATE_LOOKUP_QUERY, DRAFT_QUERY
from mappings.shopify.shipping import Rate, shipping_zones
from mappings.shopify.to_fast import coupon_outcome, draft_to_order, order_to_fast, refused_coupon
from mappings.shopify.to_shopify import ItemLookups, address_input
from service.config import Settings, StoreConfig
from service.errors import InvalidRequest, OrderNotFound, UpstreamUnavailable
from service.logs import log_fields, register_secret
from service.state import StateStore

log = logging.getLogger(__name__)

CREATED_TTL = 7 * 24 * 3600  # how long a retried create finds the draft order the first one made
_CONTENT_SEGMENTS = {
    model.SEGMENT_LINE_ITEM,
    model.SEGMENT_BILLING_ADDRESS,
    model.SEGMENT_SHIPPING_ADDRESS,
    model.SEGMENT_SHIPPING_OPTION,
    model.SEGMENT_COUPON,
}


@dataclass
class Target:
    kind: str  # "DraftOrder" or "Order"
    id: str
    draft: dict[str, Any] | None = None


class ShopifyAdapter(Adapter):
    name = "shopify"
    secrets: ClassVar[tuple[tuple[str, bool], ...]] = (("access_token", True),)
    needs_base_url = True
    # Fast's order id is a tag on the draft order: the service may hand over calls that name only that id.
    finds_orders_by_fast_id: ClassVar[bool] = True

    def __init__(
        self,
        store: StoreConfig,
        state: StateStore,
        settings: Settings,
        *,
        now: Callable[[], dt.datetime] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        super().__init__(store, state, settings)
        self.options, problems = ShopifyOptions.load(store)
        if problems:
            log.error("Shopify store misconfigured", extra=log_fields(problems=problems))
            raise UpstreamUnavailable("the Shopify store is misconfigured: " + "; ".join(problems))
        token = store.secret("access_token") or ""
        register_secret(token)
        base = (store.base_url or "").rstrip("/")
        extra: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
        self.client = ShopifyClient(
            f"{base}/admin/api/{self.options.api_version}",
            headers={"X-Shopify-Access-Token": token},
            connect_timeout=settings.upstream_connect_timeout,
            read_timeout=settings.upstream_read_timeout,
            max_attempts=settings.upstream_max_attempts,
            **extra,
        )
        self.now = now or (lambda: dt.datetime.now(dt.UTC))
        self.prefix = f"shopify:{store.app_id}:"
        self.rates = Rates(self.client, self.options, state, self.prefix)
        self.lifecycle = Lifecycle(self.client, self.options, state, self.prefix, sleep or time.sleep)

    @classmethod
    def check_config(cls, store: StoreConfig, settings: Settings) -> list[str]:
        problems = super().check_config(store, settings)
        _, option_problems = ShopifyOptions.load(store)
        problems.extend(option_problems)
        host = (store.base_url or "").split("://", 1)[-1].split("/", 1)[0]
        if host and not host.endswith(".myshopify.com") and not settings.allow_http_upstream:
            problems.append(
                f"store {store.name!r} ({store.app_id}): base_url must be the shop's https://<shop>.myshopify.com"
                " address (the Admin API is not served on custom domains)"
            )
        return problems

    def close(self) -> None:
        self.client.session.close()

    # --- reads ------------------------------------------------------------------------------

    def read(self, ref: model.OrderRef) -> model.Order:
        target = self._locate(ref)
        if target.kind == "Order":
            return order_to_fast(self.lifecycle.keep_held(self._order(target.id)))
        draft = target.draft or self._draft(target.id)
        if draft.get("status") == "COMPLETED" and draft.get("order"):
            return order_to_fast(self.lifecycle.keep_held(self._order(draft["order"]["id"])))
        return draft_to_order(draft, self.rates.for_draft(DraftState.from_draft(draft)))

    def shipping_zones(self) -> list[model.ShippingZone]:
        return shipping_zones(api.shipping_zones(self.client))

    # --- create -----------------------------------------------------------------------------

    def create(self, order: model.Order) -> model.Order:
        if not order.id:
            return self._create(order)
        # Two creates for one Fast order (a retry racing the first) make one draft order.
        with self.state.lock(f"{self.prefix}create:{order.id}"):
            made = self.state.get(f"{self.prefix}created:{order.id}")
            if made:
                try:
                    return self.read(model.OrderRef(order.id, made))
                except OrderNotFound:
                    pass  # deleted since: make a new one
            created = self._create(order)
            self.state.set(f"{self.prefix}created:{order.id}", created.external_id or "", CREATED_TTL)
            return created

    def _create(self, order: model.Order) -> model.Order:
        adds = [action for action in plan_items([], items_of(order)) if action.kind == "add"]
        if not adds:
            raise InvalidRequest("a Shopify cart needs at least one item", field="order.lines")
        lookups = ItemLookups()
        for action in adds:
            lookups.add(action.item)
        search = f"{tag_query(order.id)} AND status:open" if order.id else ""
        variables: dict[str, Any] = {"withExisting": bool(order.id), "existingQuery": search}
        chunks = pack_lookups(lookups, CREATE_LOOKUP_QUERY, variables)
        data = api.create_lookup(self.client, {**variables, **chunks[0].variables()})
        for node in (data.get("existing") or {}).get("nodes", []):
            if order.id and attribute(node.get("customAttributes"), FAST_ORDER_ATTR) == order.id:
                return self.read(model.OrderRef(order.id, node["id"]))  # a retried create: the cart exists
        state = self._new_cart(order, adds, self._catalogue(data, chunks[1:]))
        draft_input = state.full_input(accept_automatic_discounts=self.options.accept_automatic_discounts)
        draft_input.update(state.changes_from(DraftState()))
        self._reserve(draft_input)
        quote = self.rates.quote(state)
        draft, answer = api.create_draft(self.client, draft_input, quote.calc_input)
        return draft_to_order(draft, self.rates.from_answer(answer, quote))

    def _new_cart(self, order: model.Order, adds: list[ItemAction], catalogue: Catalogue) -> DraftState:
        state = DraftState()
        add_lines(state, adds, catalogue)
        check_line_count(state, "order.lines")
        check_quantities(state, DraftState(), held=False)
        state.tags = [FAST_TAG]
        if order.id:
            state.set_attribute(FAST_ORDER_ATTR, order.id)
            state.tags.append(order_tag(order.id))
        if order.bill_to and any(v for v in vars(order.bill_to).values()):
            state.billing = address_input(order.bill_to, field_name="order.bill_to") or None
            state.email = order.bill_to.email
        plan = next((p for p in order.shipment_plans if p.ship_to), None)
        if plan is not None and plan.ship_to is not None:
            state.shipping = address_input(plan.ship_to, field_name="order.shipment_plans.ship_to") or None
            if plan.id:
                state.set_attribute(FAST_PLAN_ATTR, plan.id)
        return state

    # --- update -----------------------------------------------------------------------------

    def update(self, ref: model.OrderRef, update: model.OrderUpdate) -> model.UpdateResult:
        segments = requested_segments(update)
        target = self._locate(ref)
        # An update rewrites whole values (the line list, the codes): one change per cart at a time.
        with self.state.lock(f"{self.prefix}cart:{target.id}"):
            if target.kind == "Order":
                return self._update_order(target.id, update, segments)
            return self._update_draft(target, ref, update, segments)

    def _update_draft(
        self, target: Target, ref: model.OrderRef, update: model.OrderUpdate, segments: list[str]
    ) -> model.UpdateResult:
        draft, catalogue = self._draft_and_items(target, update)
        if draft.get("status") == "COMPLETED" and draft.get("order"):
            with self.state.lock(f"{self.prefix}cart:{draft['order']['id']}"):
                return self._update_order(draft["order"]["id"], update, segments)
        before = DraftState.from_draft(draft)
        change = CartChange(before, before.copy(), catalogue, self.rates, reservation_active(draft, self.now()))
        if ref.fast_order_id and not change.state.attribute(FAST_ORDER_ATTR):
            # A cart made elsewhere that Fast took over: from now on it carries Fast's id.
            change.state.set_attribute(FAST_ORDER_ATTR, ref.fast_order_id)
            change.state.tags = [*change.state.tags, FAST_TAG, order_tag(ref.fast_order_id)]
        apply_segments(change, update, segments)
        draft, rates, refused = self._send_changes(target.id, draft, change)
        if update.convert_cart_to_order:
            order = order_to_fast(self._convert(draft, change.state, update, change.results))
        else:
            self._judge_address(change, rates)
            order = draft_to_order(draft, rates)
        if refused is not None:
            order.coupons.append(refused)
        return model.UpdateResult(order, [change.results[s] for s in segments if s in change.results])

    def _draft_and_items(self, target: Target, update: model.OrderUpdate) -> tuple[dict[str, Any], Catalogue]:
        """The draft order and the variants the update's new items name, in as few documents as cost allows."""
        lookups = ItemLookups()
        for item in update.items:
            if item.quantity != 0:
                lookups.add(item)
        if target.draft is not None and not lookups:
            return target.draft, Catalogue()
        # The first document reads the draft and as many lookups as leave room for a page of 25 lines.
        chunks = pack_lookups(lookups, DRAFT_QUERY, {"id": target.id, "lineCount": 25})
        data = api.read_draft(self.client, target.id, chunks[0])
        if not data.get("draftOrder"):
            raise OrderNotFound(f"Shopify has no draft order {target.id}")
        return data["draftOrder"], self._catalogue(data, chunks[1:])

    def _send_changes(
        self, draft_id: str, draft: dict[str, Any], change: CartChange
    ) -> tuple[dict[str, Any], list[Rate], model.Discount | None]:
        """The changes in one ``draftOrderUpdate``; a new code Shopify does not apply is taken back out."""
        changes = change.state.changes_from(change.before)
        if not changes:
            return draft, self.rates.for_draft(change.state), None
        draft, rates = self._send_update(draft_id, change.state, changes)
        code = change.new_code
        applied, reason = coupon_outcome(draft, code) if code else (True, None)
        if applied or code is None:
            return draft, rates, None
        # Shopify keeps a code it cannot apply; take it back out so the cart matches what Fast is told.
        change.state.discount_codes = [c for c in change.state.discount_codes if c.upper() != code.upper()]
        draft, rates = self._send_update(draft_id, change.state, {"discountCodes": change.state.discount_codes})
        message = reason or f"discount code {code!r} was not applied"
        change.results[model.SEGMENT_COUPON] = model.SegmentStatus(
            model.SEGMENT_COUPON, False, "COUPON_NOT_APPLICABLE", message
        )
        currency = draft.get("presentmentCurrencyCode") or draft.get("currencyCode")
        return draft, rates, refused_coupon(code, message, currency)

    def _send_update(
        self, draft_id: str, state: DraftState, changes: dict[str, Any]
    ) -> tuple[dict[str, Any], list[Rate]]:
        changes = dict(changes)
        self._reserve(changes)
        quote = self.rates.quote(state)
        draft, answer = api.update_draft(self.client, draft_id, changes, quote.calc_input)
        return draft, self.rates.from_answer(answer, quote)

    def _judge_address(self, change: CartChange, rates: list[Rate]) -> None:
        """An address the shop has no rate to is refused as a segment (Fast shows the shopper why)."""
        result = change.results.get(model.SEGMENT_SHIPPING_ADDRESS)
        if result is None or not result.status or not change.state.needs_shipping() or rates:
            return
        country = (change.state.shipping or {}).get("countryCode") or "(no country)"
        change.results[model.SEGMENT_SHIPPING_ADDRESS] = model.SegmentStatus(
            model.SEGMENT_SHIPPING_ADDRESS,
            False,
            "ADDRESS_NOT_SERVICEABLE",
            f"the shop has no shipping rate to {country} for this cart",
        )

    def _convert(
        self, draft: dict[str, Any], state: DraftState, update: model.OrderUpdate, results: dict[str, Any]
    ) -> dict[str, Any]:
        reserved = reservation_active(draft, self.now())
        order_json = self.lifecycle.convert(draft, state, reserved=reserved, then=update.status)
        results[model.SEGMENT_CONVERT] = model.SegmentStatus(model.SEGMENT_CONVERT, True)
        if update.status:
            order_json = self.lifecycle.set_status(order_json, update.status)
            results[model.SEGMENT_ORDER_STATUS] = model.SegmentStatus(model.SEGMENT_ORDER_STATUS, True)
        return order_json

    def _update_order(self, order_id: str, update: model.OrderUpdate, segments: list[str]) -> model.UpdateResult:
        order_json = self._order(order_id)
        if any(s in _CONTENT_SEGMENTS for s in segments):
            raise InvalidRequest(
                f"{order_json.get('name') or order_id} is already an order: its contents can no longer change"
            )
        statuses: list[model.SegmentStatus] = []
        target = update.status if model.SEGMENT_ORDER_STATUS in segments else None
        if target is None or target in HELD_STATUSES:
            order_json = self.lifecycle.keep_held(order_json)  # every later call holds what is not held yet
        if model.SEGMENT_CONVERT in segments:
            statuses.append(model.SegmentStatus(model.SEGMENT_CONVERT, True))  # converting twice returns the order
        if target:
            order_json = self.lifecycle.set_status(order_json, target)
            statuses.append(model.SegmentStatus(model.SEGMENT_ORDER_STATUS, True))
        return model.UpdateResult(order_to_fast(order_json), statuses)

    # --- delete -----------------------------------------------------------------------------

    def delete(self, ref: model.OrderRef) -> None:
        try:
            target = self._locate(ref)
        except OrderNotFound:
            return
        if target.kind == "Order":
            raise InvalidRequest(f"{target.id} is a placed order, not a cart: cancel it with a status update")
        with self.state.lock(f"{self.prefix}cart:{target.id}"):
            errors = api.delete_draft(self.client, target.id)
        if not errors:
            return
        try:
            draft = self._draft(target.id)
        except OrderNotFound:
            return  # already gone: deleting twice is fine
        if draft.get("status") == "COMPLETED":
            raise InvalidRequest(f"{target.id} became an order: cancel it with a status update")
        raise api.reject(errors, "delete the cart")

    # --- lookups ----------------------------------------------------------------------------

    def _locate(self, ref: model.OrderRef) -> Target:
        """Which draft order or order a call names: by the id we returned, else by Fast's id (tag search)."""
        external = (ref.external_id or "").strip()
        if external:
            parsed = parse_gid(external)
            if parsed and parsed[0] in ("DraftOrder", "Order") and parsed[1].isdigit():
                return Target(parsed[0], external)
            if external.isdigit():
                return Target("DraftOrder", gid("DraftOrder", external))
            if parsed and parsed[0] == "Cart":
                raise OrderNotFound("a Shopify storefront cart cannot be read or changed through the Admin API")
            raise OrderNotFound(f"{external!r} is not a Shopify draft order or order id")
        if ref.fast_order_id:
            for node in api.find_drafts(self.client, tag_query(ref.fast_order_id)):
                if attribute(node.get("customAttributes"), FAST_ORDER_ATTR) == ref.fast_order_id:
                    return Target("DraftOrder", node["id"], node)
            raise OrderNotFound(f"Shopify has no cart for Fast order {ref.fast_order_id}")
        raise OrderNotFound("the call names no cart or order")

    def _draft(self, draft_id: str) -> dict[str, Any]:
        draft = api.read_draft(self.client, draft_id).get("draftOrder")
        if not draft:
            raise OrderNotFound(f"Shopify has no draft order {draft_id}")
        return draft

    def _order(self, order_id: str) -> dict[str, Any]:
        order = api.read_order(self.client, order_id)
        if not order:
            raise OrderNotFound(f"Shopify has no order {order_id}")
        return order

    def _catalogue(self, data: dict[str, Any], more: list[ItemLookups]) -> Catalogue:
        answers = [api.lookup_items(self.client, chunk) for chunk in more]
        return merge([Catalogue.from_data(answer) for answer in [data, *answers]])

    def _reserve(self, draft_input: dict[str, Any]) -> None:
        """Hold the cart's stock while the checkout is open (refreshed by every change)."""
        until = reservation_until(self.now(), self.options.reserve_inventory_minutes)
        if until:
            draft_input["reserveInventoryUntil"] = until
