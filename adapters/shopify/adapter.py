"""Shopify: a Fast cart is a draft order in the Admin GraphQL API; conversion completes it.

How a call to Shopify is made: ``ShopifyClient.graphql`` POSTs one document to
``<base_url>/admin/api/<api_version>/graphql.json`` through ``UpstreamClient``
(timeouts, retries, the call's deadline). Shopify answers throttling, internal
errors and bad queries with HTTP 200 and a top-level ``errors`` list; the
client turns those into retries (``THROTTLED`` waits for the bucket to refill)
or the project's error types. ``userErrors`` in a mutation's payload are the
shop saying no: 422 with Shopify's message.

Round trips: an update reads the draft order (and looks up any new items in
the same query), then sends one ``draftOrderUpdate``, which answers with the
whole draft order, together with a ``draftOrderCalculate`` when the shipping
rates for the cart's contents are not cached yet. Only a refused coupon (undone
with a second update), a shipping option chosen for rates not yet quoted, and
conversion cost more.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import requests

from adapters.base import Adapter, items_of, plan_items, requested_segments
from adapters.http import Transient, UpstreamClient
from adapters.shopify.catalogue import merge, pack_lookups
from adapters.shopify.cost import MAX_QUERY_COST, declares, largest_page, requested_cost
from mappings import model
from mappings import shopify as m
from service.config import Settings, StoreConfig
from service.errors import FastError, InvalidRequest, OrderNotFound, UpstreamRejected, UpstreamUnavailable
from service.logs import log_fields, register_secret
from service.state import StateStore

log = logging.getLogger(__name__)

DEFAULT_API_VERSION = "2025-01"
CREATED_TTL = 7 * 24 * 3600  # how long a retried create finds the draft order the first one made
CANCEL_REASONS = ("CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF")
MARK_PAID_ON = ("BOOKED", "PENDING_FULFILLMENT", "never")
_API_VERSION = re.compile(r"^(\d{4}-(01|04|07|10)|unstable)$")

# Statuses Fast may move a converted order to, from each status (FULFILLED and COMPLETE are Shopify's to set).
TRANSITIONS: dict[str, set[str]] = {
    model.STATUS_PENDING: {
        model.STATUS_HOLD,
        model.STATUS_BOOKED,
        model.STATUS_PENDING_FULFILLMENT,
        model.STATUS_CANCELED,
    },
    model.STATUS_HOLD: {model.STATUS_BOOKED, model.STATUS_PENDING_FULFILLMENT, model.STATUS_CANCELED},
    model.STATUS_BOOKED: {model.STATUS_HOLD, model.STATUS_PENDING_FULFILLMENT, model.STATUS_CANCELED},
    model.STATUS_PENDING_FULFILLMENT: {model.STATUS_CANCELED},
    model.STATUS_FULFILLED: set(),
    model.STATUS_COMPLETE: set(),
    model.STATUS_CANCELED: set(),
}
_CONTENT_SEGMENTS = {
    model.SEGMENT_LINE_ITEM,
    model.SEGMENT_BILLING_ADDRESS,
    model.SEGMENT_SHIPPING_ADDRESS,
    model.SEGMENT_SHIPPING_OPTION,
    model.SEGMENT_COUPON,
}


# --- configuration ----------------------------------------------------------------------


@dataclass(frozen=True)
class ShopifyOptions:
    """The store's options in the stores file; every one has a documented default (docs/shopify.md)."""

    api_version: str = DEFAULT_API_VERSION
    reserve_inventory_minutes: int = 60
    accept_automatic_discounts: bool = True
    payment_pending: bool = True
    hold_fulfillment: bool = True
    mark_paid_on: str = "PENDING_FULFILLMENT"
    cancel_reason: str = "OTHER"
    cancel_restock: bool = True
    cancel_notify_customer: bool = False
    cancel_refund: bool = False
    rates_cache_seconds: int = 600

    @classmethod
    def load(cls, store: StoreConfig) -> tuple[ShopifyOptions, list[str]]:
        where = f"store {store.name!r} ({store.app_id})"
        problems: list[str] = []
        values: dict[str, Any] = {}
        defaults = cls()
        for name in cls.__dataclass_fields__:
            default = getattr(defaults, name)
            value = store.option(name, default)
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    problems.append(f"{where}: {name} must be true or false, got {value!r}")
                    continue
            elif isinstance(default, int):
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    problems.append(f"{where}: {name} must be a whole number >= 0, got {value!r}")
                    continue
            elif not isinstance(value, str):
                problems.append(f"{where}: {name} must be a string, got {value!r}")
                continue
            values[name] = value
        options = cls(**values)
        if not _API_VERSION.match(options.api_version):
            problems.append(
                f"{where}: api_version must look like 2025-01 (a released version), got {options.api_version!r}"
            )
        if options.cancel_reason not in CANCEL_REASONS:
            problems.append(f"{where}: cancel_reason must be one of {', '.join(CANCEL_REASONS)}")
        if options.mark_paid_on not in MARK_PAID_ON:
            problems.append(f"{where}: mark_paid_on must be one of {', '.join(MARK_PAID_ON)}")
        return options, problems


# --- the one place a Shopify call is made -----------------------------------------------------


def _body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def throttle_wait(body: Any) -> float | None:
    """Seconds until Shopify's cost bucket holds this query again, from ``extensions.cost``.

    ``(requestedQueryCost - currentlyAvailable) / restoreRate``; None when the answer is not a throttle.
    """
    if not isinstance(body, dict):
        return None
    errors = body.get("errors")
    if not isinstance(errors, list) or not any(
        isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors
    ):
        return None
    cost = (body.get("extensions") or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    # Query-cost points, not money: plain numbers are right here.
    requested, available, rate = (
        cost.get("requestedQueryCost"),
        status.get("currentlyAvailable"),
        status.get("restoreRate"),
    )
    if not all(isinstance(n, int | float) and not isinstance(n, bool) for n in (requested, available, rate)):
        return 1.0  # throttled without numbers: wait a second
    if rate <= 0:
        return 1.0
    return max(0.0, (requested - available) / rate)


class ShopifyClient(UpstreamClient):
    """The Admin GraphQL endpoint of one shop."""

    platform = "shopify"

    def check_transient(self, response: requests.Response) -> None:
        if response.status_code in (200, 429):
            body = _body(response)
            wait = throttle_wait(body)
            if wait is not None:
                # A throttled query was not run: safe to resend even a create.
                raise Transient("Shopify throttled the query (THROTTLED)", wait=wait, sent=False)
            if response.status_code == 200:
                if "INTERNAL_SERVER_ERROR" in _error_codes(body):
                    raise Transient("Shopify reported an internal error")
                return
        if response.status_code == 500:
            raise Transient("HTTP 500")
        super().check_transient(response)

    def translate(self, response: requests.Response) -> FastError:
        status = response.status_code
        reasons = {
            401: "Shopify refused the store's access token",
            403: "Shopify refused the store's access token",
            402: "the Shopify store is frozen (its plan is unpaid)",
            423: "the Shopify store is locked",
            404: "Shopify has no Admin API at this address: check the store's base_url and api_version",
        }
        if status in reasons:
            # Loud: nothing will work for this store until its owner fixes it.
            log.error(
                reasons[status], extra=log_fields(platform=self.platform, status=status, action="fix the store config")
            )
            return UpstreamUnavailable(reasons[status])
        return UpstreamUnavailable(f"Shopify answered HTTP {status}")

    def graphql(self, document: str, variables: dict[str, Any], *, idempotent: bool) -> dict[str, Any]:
        """Run one GraphQL document; return its ``data`` or raise the matching project error.

        A document that reads line items in pages (``$lineCount``) gets the largest page its cost allows.
        """
        if declares(document, "lineCount") and "lineCount" not in variables:
            variables = {**variables, "lineCount": largest_page(document, variables, "lineCount")}
        expected = requested_cost(document, variables)
        if expected > MAX_QUERY_COST:
            log.error(
                "a Shopify document is over the single-query cost limit: not sent",
                extra=log_fields(platform=self.platform, cost=expected),
            )
            raise UpstreamUnavailable(f"the request to Shopify would cost {expected} points, over {MAX_QUERY_COST}")
        response = self.request(
            "POST", "graphql.json", json={"query": document, "variables": variables}, idempotent=idempotent
        )
        body = self.json(response)
        if not isinstance(body, dict):
            raise UpstreamUnavailable("Shopify answered JSON that is not a GraphQL response")
        reported = ((body.get("extensions") or {}).get("cost") or {}).get("requestedQueryCost")
        if isinstance(reported, int | float) and not isinstance(reported, bool) and reported != expected:
            log.warning(
                "Shopify priced a document differently from the documented rules",
                extra=log_fields(platform=self.platform, computed=expected, reported=reported),
            )
        errors = body.get("errors")
        if errors:
            raise self._query_error(errors)
        data = body.get("data")
        if not isinstance(data, dict):
            raise UpstreamUnavailable("Shopify answered a GraphQL response without data")
        return data

    def _query_error(self, errors: Any) -> FastError:
        if not isinstance(errors, list):
            return UpstreamUnavailable(f"Shopify could not run the query: {str(errors)[:200]}")
        codes = _error_codes({"errors": errors})
        message = "; ".join(str(e.get("message", "")) for e in errors if isinstance(e, dict))[:500]
        if "ACCESS_DENIED" in codes or "SHOP_INACTIVE" in codes:
            log.error(
                "Shopify refused the query: the custom app lacks an access scope or the shop is inactive",
                extra=log_fields(platform=self.platform, codes=sorted(codes), detail=message),
            )
            return UpstreamUnavailable(f"Shopify refused the query: {message}")
        if codes & {"INVALID_VARIABLE", "argumentLiteralsIncompatible"} or "invalid value" in message.lower():
            return UpstreamRejected(f"Shopify refused the request: {message}")
        log.error("Shopify could not run the query", extra=log_fields(platform=self.platform, detail=message))
        return UpstreamUnavailable(f"Shopify could not run the query: {message}")


def _error_codes(body: Any) -> set[str]:
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return set()
    return {
        str((e.get("extensions") or {}).get("code"))
        for e in errors
        if isinstance(e, dict) and (e.get("extensions") or {}).get("code")
    }


def _payload(data: dict[str, Any], field: str) -> dict[str, Any]:
    payload = data.get(field)
    if not isinstance(payload, dict):
        raise UpstreamUnavailable(f"Shopify's answer has no {field} payload")
    return payload


def _user_errors(payload: dict[str, Any], key: str = "userErrors") -> list[str]:
    return [str(e.get("message")) for e in payload.get(key) or [] if isinstance(e, dict)]


def _reject(errors: list[str], what: str) -> UpstreamRejected:
    return UpstreamRejected(f"Shopify refused to {what}: {'; '.join(errors)}")


# --- the adapter -------------------------------------------------------------------------


class Refused(Exception):
    """A segment Shopify declines without failing the call (segment ``status: false``)."""

    def __init__(self, reason_code: str, message: str) -> None:
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message


@dataclass
class Target:
    kind: str  # "DraftOrder" or "Order"
    id: str
    draft: dict[str, Any] | None = None


class ShopifyAdapter(Adapter):
    name = "shopify"
    secrets: ClassVar[tuple[tuple[str, bool], ...]] = (("access_token", True),)
    needs_base_url = True
    # Fast's order id is a tag on the draft order: service.py may hand over calls that name only that id.
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

    # --- reads --------------------------------------------------------------------------

    def read(self, ref: model.OrderRef) -> model.Order:
        target = self._locate(ref)
        if target.kind == "Order":
            return m.order_to_fast(self._fetch_order(target.id))
        draft = target.draft or self._fetch_draft(target.id)
        if draft.get("status") == "COMPLETED" and draft.get("order"):
            return m.order_to_fast(self._fetch_order(draft["order"]["id"]))
        return m.draft_to_order(draft, self._rates(m.DraftState.from_draft(draft)))

    def shipping_zones(self) -> list[model.ShippingZone]:
        return m.shipping_zones(self.client.graphql(m.SHIPPING_ZONES_QUERY, {}, idempotent=True))

    # --- create -------------------------------------------------------------------------

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
        items = items_of(order)
        adds = [action for action in plan_items([], items) if action.kind == "add"]
        if not adds:
            raise InvalidRequest("a Shopify cart needs at least one item", field="order.lines")
        if len(adds) > m.MAX_LINES:
            raise InvalidRequest(f"a Shopify cart holds at most {m.MAX_LINES} lines", field="order.lines")
        lookups = m.ItemLookups()
        for action in adds:
            lookups.add(action.item)
        variables: dict[str, Any] = {
            "withExisting": bool(order.id),
            "existingQuery": f"{m.tag_query(order.id)} AND status:open" if order.id else "",
        }
        chunks = pack_lookups(lookups, m.CREATE_LOOKUP_QUERY, variables)
        data = self.client.graphql(m.CREATE_LOOKUP_QUERY, {**variables, **chunks[0].variables()}, idempotent=True)
        existing = [
            node
            for node in (data.get("existing") or {}).get("nodes", [])
            if order.id and m._attribute(node.get("customAttributes"), m.FAST_ORDER_ATTR) == order.id
        ]
        if existing:
            # A retried create: the cart already exists for this Fast order.
            return self.read(model.OrderRef(order.id, existing[0]["id"]))
        catalogue = self._catalogue(data, chunks[1:])

        state = m.DraftState()
        self._add_lines(state, adds, catalogue)
        self._check_stock(state, m.DraftState(), held=False)
        if order.id:
            state.set_attribute(m.FAST_ORDER_ATTR, order.id)
            state.tags = [m.FAST_TAG, m.order_tag(order.id)]
        else:
            state.tags = [m.FAST_TAG]
        if order.bill_to and any(v for v in vars(order.bill_to).values()):
            state.billing = m.address_input(order.bill_to, field_name="order.bill_to") or None
            state.email = order.bill_to.email
        for plan in order.shipment_plans:
            if plan.ship_to:
                state.shipping = m.address_input(plan.ship_to, field_name="order.shipment_plans.ship_to") or None
                if plan.id:
                    state.set_attribute(m.FAST_PLAN_ATTR, plan.id)
                break

        draft_input = state.full_input(accept_automatic_discounts=self.options.accept_automatic_discounts)
        draft_input.update(state.changes_from(m.DraftState()))
        self._reserve(draft_input)
        rates_key = state.rates_key()
        cached = self._cached_rates(rates_key)
        with_rates = rates_key is not None and cached is None
        data = self.client.graphql(
            m.DRAFT_CREATE_MUTATION,
            {
                "input": draft_input,
                "withRates": with_rates,
                "calcInput": self._calc_input(state) if with_rates else {},
            },
            idempotent=False,
        )
        payload = _payload(data, "draftOrderCreate")
        errors = _user_errors(payload)
        if errors or not payload.get("draftOrder"):
            raise _reject(errors or ["no draft order in the answer"], "create the cart")
        draft = self._all_lines(payload["draftOrder"])
        rates = self._rates_from_answer(data, rates_key, cached)
        return m.draft_to_order(draft, rates)

    # --- update -------------------------------------------------------------------------

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
        lookups = m.ItemLookups()
        for item in update.items:
            if item.quantity != 0:
                lookups.add(item)
        # The first document reads the draft and as many lookups as leave room for a page of 25 lines.
        chunks = pack_lookups(lookups, m.DRAFT_QUERY, {"id": target.id, "lineCount": 25})
        if target.draft is not None and not lookups:
            draft, data = target.draft, {}
        else:
            data = self.client.graphql(m.DRAFT_QUERY, {"id": target.id, **chunks[0].variables()}, idempotent=True)
            draft = data.get("draftOrder")
            if not draft:
                raise OrderNotFound(f"Shopify has no draft order {target.id}")
            draft = self._all_lines(draft)
        if draft.get("status") == "COMPLETED" and draft.get("order"):
            with self.state.lock(f"{self.prefix}cart:{draft['order']['id']}"):
                return self._update_order(draft["order"]["id"], update, segments)
        catalogue = self._catalogue(data, chunks[1:])

        before = m.DraftState.from_draft(draft)
        state = before.copy()
        results: dict[str, model.SegmentStatus] = {}
        new_code: str | None = None
        if ref.fast_order_id and not state.attribute(m.FAST_ORDER_ATTR):
            # A cart made elsewhere that Fast took over: from now on it carries Fast's id.
            state.set_attribute(m.FAST_ORDER_ATTR, ref.fast_order_id)
            state.tags = [*state.tags, m.FAST_TAG, m.order_tag(ref.fast_order_id)]
        for segment in segments:
            if segment == model.SEGMENT_CONVERT:
                continue
            try:
                if segment == model.SEGMENT_LINE_ITEM:
                    self._apply_items(state, update.items, catalogue)
                    self._check_stock(state, before, held=self._reservation_active(draft))
                elif segment == model.SEGMENT_BILLING_ADDRESS:
                    self._apply_billing(state, update.bill_to)
                elif segment == model.SEGMENT_SHIPPING_ADDRESS:
                    self._apply_shipping_address(state, update.shipments)
                elif segment == model.SEGMENT_SHIPPING_OPTION:
                    self._apply_shipping_option(state, update.shipping_option)
                elif segment == model.SEGMENT_COUPON:
                    new_code = self._apply_coupon(state, update.coupon)
                elif segment == model.SEGMENT_ORDER_STATUS:
                    if update.convert_cart_to_order:
                        continue  # applied to the order once it exists
                    self._apply_cart_status(state, update.status)
                results[segment] = model.SegmentStatus(segment, True)
            except Refused as refusal:
                results[segment] = model.SegmentStatus(segment, False, refusal.reason_code, refusal.message)

        refused_coupon: model.Discount | None = None
        rates: list[m.Rate] | None = None
        changes = state.changes_from(before)
        if changes:
            draft, rates = self._send_update(target.id, state, changes)
            if new_code:
                applied, reason = m.coupon_outcome(draft, new_code)
                if not applied:
                    # Shopify keeps a code it cannot apply; take it back out so the cart matches what Fast is told.
                    state.discount_codes = [c for c in state.discount_codes if c.upper() != new_code.upper()]
                    draft, rates = self._send_update(target.id, state, {"discountCodes": state.discount_codes})
                    message = reason or f"discount code {new_code!r} was not applied"
                    results[model.SEGMENT_COUPON] = model.SegmentStatus(
                        model.SEGMENT_COUPON, False, "COUPON_NOT_APPLICABLE", message
                    )
                    refused_coupon = m.refused_coupon(new_code, message)
        if rates is None:
            rates = self._rates(state)
        if (
            model.SEGMENT_SHIPPING_ADDRESS in results
            and results[model.SEGMENT_SHIPPING_ADDRESS].status
            and state.needs_shipping()
            and not rates
        ):
            country = (state.shipping or {}).get("countryCode") or "(no country)"
            results[model.SEGMENT_SHIPPING_ADDRESS] = model.SegmentStatus(
                model.SEGMENT_SHIPPING_ADDRESS,
                False,
                "ADDRESS_NOT_SERVICEABLE",
                f"the shop has no shipping rate to {country} for this cart",
            )

        if update.convert_cart_to_order:
            order_json = self._convert(draft, state)
            results[model.SEGMENT_CONVERT] = model.SegmentStatus(model.SEGMENT_CONVERT, True)
            if update.status:
                order_json = self._set_order_status(order_json, update.status)
                results[model.SEGMENT_ORDER_STATUS] = model.SegmentStatus(model.SEGMENT_ORDER_STATUS, True)
            fast_order = m.order_to_fast(order_json)
        else:
            fast_order = m.draft_to_order(draft, rates)
        if refused_coupon is not None:
            fast_order.coupons.append(refused_coupon)
        return model.UpdateResult(fast_order, [results[s] for s in segments if s in results])

    def _send_update(
        self, draft_id: str, state: m.DraftState, changes: dict[str, Any]
    ) -> tuple[dict[str, Any], list[m.Rate]]:
        """One ``draftOrderUpdate`` (idempotent: it sets whole values), with a calculate when rates are not cached."""
        changes = dict(changes)
        self._reserve(changes)
        rates_key = state.rates_key()
        cached = self._cached_rates(rates_key)
        with_rates = rates_key is not None and cached is None
        data = self.client.graphql(
            m.DRAFT_UPDATE_MUTATION,
            {
                "id": draft_id,
                "input": changes,
                "withRates": with_rates,
                "calcInput": self._calc_input(state) if with_rates else {},
            },
            idempotent=True,
        )
        payload = _payload(data, "draftOrderUpdate")
        errors = _user_errors(payload)
        if errors or not payload.get("draftOrder"):
            raise _reject(errors or ["no draft order in the answer"], "update the cart")
        return self._all_lines(payload["draftOrder"]), self._rates_from_answer(data, rates_key, cached)

    # --- segments on a cart --------------------------------------------------------------

    def _add_lines(self, state: m.DraftState, adds: list[Any], catalogue: m.Catalogue) -> None:
        for action in adds:
            variant = catalogue.resolve(action.item)
            m.check_sellable(variant)
            state.lines.append(
                m.DraftLine(
                    variant_id=variant["id"],
                    quantity=action.quantity,
                    fast_line_id=action.item.item_id,
                    customizations=[(cv.key, cv.value) for cv in action.item.customizations],
                    variant=variant,
                    requires_shipping=(variant.get("inventoryItem") or {}).get("requiresShipping", True),
                )
            )

    def _apply_items(self, state: m.DraftState, items: list[model.ItemUpdate], catalogue: m.Catalogue) -> None:
        current = [model.Line(id=line.fast_line_id, external_id=line.external_id) for line in state.lines]
        actions = plan_items(current, items)
        self._add_lines(state, [a for a in actions if a.kind == "add"], catalogue)
        for action in actions:
            if action.kind not in ("set", "remove") or action.line is None:
                continue
            index = next(i for i, line in enumerate(state.lines) if line.external_id == action.line.external_id)
            if action.kind == "remove":
                del state.lines[index]
            else:
                state.lines[index].quantity = action.quantity
                if action.item.customizations:
                    state.lines[index].customizations = [(cv.key, cv.value) for cv in action.item.customizations]
        if not state.lines:
            raise InvalidRequest(
                "a Shopify draft order needs at least one line item: delete the cart instead of emptying it",
                field="order.items",
            )
        if len(state.lines) > m.MAX_LINES:
            raise InvalidRequest(f"a Shopify cart holds at most {m.MAX_LINES} lines", field="order.items")

    def _check_stock(self, state: m.DraftState, before: m.DraftState, *, held: bool) -> None:
        """Refuse quantities the shop cannot sell; only variants whose quantity grows are checked."""
        wanted: dict[str, int] = {}
        variants: dict[str, dict[str, Any]] = {}
        for line in state.lines:
            if line.variant_id and line.variant:
                wanted[line.variant_id] = wanted.get(line.variant_id, 0) + line.quantity
                variants[line.variant_id] = line.variant
        had: dict[str, int] = {}
        for line in before.lines:
            if line.variant_id:
                had[line.variant_id] = had.get(line.variant_id, 0) + line.quantity
        for variant_id, quantity in wanted.items():
            if quantity > had.get(variant_id, 0):
                m.check_stock(variants[variant_id], quantity, had.get(variant_id, 0) if held else 0)

    def _apply_billing(self, state: m.DraftState, bill_to: model.Address | None) -> None:
        if bill_to is None:
            return
        state.billing = m.address_input(bill_to, field_name="order.bill_to") or state.billing
        if bill_to.email:
            state.email = bill_to.email.strip()

    def _apply_shipping_address(self, state: m.DraftState, shipments: list[model.ShipmentUpdate]) -> None:
        plan = next((s for s in shipments if s.ship_to is not None), None)
        if plan is None or plan.ship_to is None:
            raise InvalidRequest("the shipments update carries no ship_to address", field="order.shipments")
        address = m.address_input(plan.ship_to, field_name="order.shipments.ship_to")
        if address != state.shipping and state.shipping_line is not None:
            state.shipping_line = None  # the old rate may not exist at the new address: Fast chooses again
        state.shipping = address
        if plan.plan_id:
            state.set_attribute(m.FAST_PLAN_ATTR, plan.plan_id)

    def _apply_shipping_option(self, state: m.DraftState, choice: model.ShippingOptionUpdate | None) -> None:
        wanted = choice.wanted_option if choice else None
        if not wanted:
            raise InvalidRequest("shipping_option names no option", field="order.shipping_option.option_id")
        rate = next((r for r in self._rates(state) if r.handle == wanted), None)
        if rate is None:
            raise Refused(
                "SHIPPING_OPTION_NOT_AVAILABLE", f"shipping option {wanted!r} is not offered for this cart and address"
            )
        state.shipping_line = rate.shipping_line_input()

    def _apply_coupon(self, state: m.DraftState, coupon: model.CouponUpdate | None) -> str | None:
        """Add or remove a discount code; return a newly added code (Shopify judges it on update)."""
        if coupon is None or not coupon.code.strip():
            return None
        code = coupon.code.strip()
        present = any(c.upper() == code.upper() for c in state.discount_codes)
        if coupon.remove:
            state.discount_codes = [c for c in state.discount_codes if c.upper() != code.upper()]
            return None
        if present:
            return None  # already applied: a retried call changes nothing
        state.discount_codes = [*state.discount_codes, code]
        return code

    def _apply_cart_status(self, state: m.DraftState, status: str | None) -> None:
        if status in (None, model.STATUS_CART):
            return
        if status == model.STATUS_CANCELED:
            tag = m.STATUS_TAGS[model.STATUS_CANCELED]
            if tag not in state.tags:
                state.tags = [*state.tags, tag]
            return
        raise InvalidRequest(f"the cart has not been converted to an order: it cannot become {status}")

    # --- conversion and order statuses ----------------------------------------------------

    def _convert(self, draft: dict[str, Any], state: m.DraftState) -> dict[str, Any]:
        """Complete the draft order (payment pending) and hold it back from fulfilment."""
        if not state.lines:
            raise InvalidRequest("the cart is empty: nothing to order")
        if state.needs_shipping() and not draft.get("shippingLine"):
            raise InvalidRequest(
                "the cart has items to ship and no shipping option: choose one before converting",
                field="order.shipping_option",
            )
        if not self._reservation_active(draft):
            self._check_stock(state, m.DraftState(), held=False)  # nothing reserved any more: stock must be there
        if not draft.get("ready", True):
            raise UpstreamUnavailable("Shopify is still calculating this draft order", retry_after=2)
        data = self.client.graphql(
            m.DRAFT_COMPLETE_MUTATION,
            {"id": draft["id"], "paymentPending": self.options.payment_pending},
            idempotent=True,  # a draft completes once: a resend is answered with an error we recover from below
        )
        payload = _payload(data, "draftOrderComplete")
        errors = _user_errors(payload)
        completed = payload.get("draftOrder") or {}
        order_json = self._all_lines(completed["order"]) if completed.get("order") else None
        if errors or not order_json:
            again = self._fetch_draft(draft["id"])
            if again.get("status") != "COMPLETED" or not again.get("order"):
                raise _reject(errors or ["no order in the answer"], "convert the cart to an order")
            order_json = self._fetch_order(again["order"]["id"])
        log.info(
            "Shopify draft order completed",
            extra=log_fields(platform="shopify", draft=draft["id"], order=order_json.get("id")),
        )
        return self._ensure_held(order_json)

    def _update_order(self, order_id: str, update: model.OrderUpdate, segments: list[str]) -> model.UpdateResult:
        order_json = self._fetch_order(order_id)
        changing = [s for s in segments if s in _CONTENT_SEGMENTS]
        if changing:
            raise InvalidRequest(
                f"{order_json.get('name') or order_id} is already an order: its contents can no longer change"
            )
        statuses: list[model.SegmentStatus] = []
        if model.SEGMENT_CONVERT in segments:
            order_json = self._ensure_held(order_json)  # converting twice returns the order
            statuses.append(model.SegmentStatus(model.SEGMENT_CONVERT, True))
        if model.SEGMENT_ORDER_STATUS in segments and update.status:
            order_json = self._set_order_status(order_json, update.status)
            statuses.append(model.SegmentStatus(model.SEGMENT_ORDER_STATUS, True))
        return model.UpdateResult(m.order_to_fast(order_json), statuses)

    def _set_order_status(self, order_json: dict[str, Any], target: str) -> dict[str, Any]:
        current = m.order_status(order_json)
        if target != current and target not in TRANSITIONS.get(current, set()):
            raise InvalidRequest(f"order {order_json.get('name')} cannot go from {current} to {target}")
        # Each step checks Shopify's state first, so a retried call finishes what a failed one began.
        if target == model.STATUS_BOOKED:
            if self.options.mark_paid_on == "BOOKED":
                order_json = self._mark_paid(order_json)
        elif target == model.STATUS_PENDING_FULFILLMENT:
            if self.options.mark_paid_on != "never":
                order_json = self._mark_paid(order_json)
            order_json = self._release_holds(order_json)
        elif target == model.STATUS_CANCELED:
            order_json = self._cancel(order_json)
        elif target not in (model.STATUS_HOLD,):
            raise InvalidRequest(f"Fast cannot set {target} on a Shopify order: Shopify sets it when the order ships")
        if target in m.STATUS_TAGS:
            order_json = self._set_status_tag(order_json, target)
        return order_json

    def _ensure_held(self, order_json: dict[str, Any]) -> dict[str, Any]:
        """Hold an unpaid order's fulfilment orders until Fast says the payment is good."""
        if not self.options.hold_fulfillment or m.order_status(order_json) != model.STATUS_PENDING:
            return order_json
        for fulfillment_order in order_json.get("fulfillmentOrders", {}).get("nodes", []):
            holds = fulfillment_order.get("fulfillmentHolds") or []
            if fulfillment_order.get("status") not in ("OPEN", "ON_HOLD", "SCHEDULED") or any(
                h.get("handle") == m.HOLD_HANDLE for h in holds
            ):
                continue
            data = self.client.graphql(
                m.FULFILLMENT_HOLD_MUTATION,
                {
                    "id": fulfillment_order["id"],
                    "hold": {
                        "reason": "AWAITING_PAYMENT",
                        "reasonNotes": "Fast checkout: waiting for Fast to confirm the payment",
                        "handle": m.HOLD_HANDLE,
                        "notifyMerchant": False,
                    },
                },
                idempotent=False,
            )
            errors = _user_errors(_payload(data, "fulfillmentOrderHold"))
            if errors:
                log.error(
                    "the order exists but could not be held back from fulfilment",
                    extra=log_fields(platform="shopify", order=order_json.get("id"), detail="; ".join(errors)),
                )
                raise UpstreamUnavailable(f"the order was created but Shopify refused to hold it: {'; '.join(errors)}")
            fulfillment_order["status"] = "ON_HOLD"
            fulfillment_order["fulfillmentHolds"] = [*holds, {"handle": m.HOLD_HANDLE, "reason": "AWAITING_PAYMENT"}]
        return order_json

    def _mark_paid(self, order_json: dict[str, Any]) -> dict[str, Any]:
        if not order_json.get("canMarkAsPaid"):
            return order_json
        # Resending is safe: Shopify refuses to mark a paid order paid again (checked below).
        data = self.client.graphql(m.ORDER_MARK_AS_PAID_MUTATION, {"input": {"id": order_json["id"]}}, idempotent=True)
        payload = _payload(data, "orderMarkAsPaid")
        errors = _user_errors(payload)
        if errors or not payload.get("order"):
            again = self._fetch_order(order_json["id"])
            if again.get("canMarkAsPaid") or again.get("cancelledAt"):
                raise _reject(errors or ["no order in the answer"], "mark the order as paid")
            return again  # an earlier attempt whose answer was lost already did it
        return self._all_lines(payload["order"])

    def _release_holds(self, order_json: dict[str, Any]) -> dict[str, Any]:
        for fulfillment_order in order_json.get("fulfillmentOrders", {}).get("nodes", []):
            holds = fulfillment_order.get("fulfillmentHolds") or []
            ours = [h for h in holds if h.get("handle") == m.HOLD_HANDLE and h.get("id")]
            if not ours:
                continue
            data = self.client.graphql(
                m.FULFILLMENT_RELEASE_MUTATION,
                {"id": fulfillment_order["id"], "holdIds": [h["id"] for h in ours]},
                idempotent=True,
            )
            errors = _user_errors(_payload(data, "fulfillmentOrderReleaseHold"))
            if errors and self._still_held(order_json["id"], fulfillment_order["id"]):
                raise _reject(errors, "release the order for fulfilment")
            rest = [h for h in holds if h not in ours]
            fulfillment_order["fulfillmentHolds"] = rest
            fulfillment_order["status"] = "ON_HOLD" if rest else "OPEN"
        return order_json

    def _still_held(self, order_id: str, fulfillment_order_id: str) -> bool:
        for fulfillment_order in self._fetch_order(order_id).get("fulfillmentOrders", {}).get("nodes", []):
            if fulfillment_order["id"] == fulfillment_order_id:
                return any(h.get("handle") == m.HOLD_HANDLE for h in fulfillment_order.get("fulfillmentHolds") or [])
        return False

    def _cancel(self, order_json: dict[str, Any]) -> dict[str, Any]:
        if order_json.get("cancelledAt") or m.STATUS_TAGS[model.STATUS_CANCELED] in (order_json.get("tags") or []):
            return order_json
        data = self.client.graphql(
            m.ORDER_CANCEL_MUTATION,
            {
                "orderId": order_json["id"],
                "reason": self.options.cancel_reason,
                "refund": self.options.cancel_refund,
                "restock": self.options.cancel_restock,
                "notifyCustomer": self.options.cancel_notify_customer,
                "staffNote": "Canceled by Fast: the payment or fraud check failed",
            },
            idempotent=True,  # cancelling twice is refused by Shopify, never done twice
        )
        errors = _user_errors(_payload(data, "orderCancel"), "orderCancelUserErrors")
        if errors and not self._fetch_order(order_json["id"]).get("cancelledAt"):
            raise _reject(errors, "cancel the order")  # (a resend after a lost answer finds it canceled)
        # Shopify cancels in a background job; the status tag makes the outcome readable at once.
        return order_json

    def _set_status_tag(self, order_json: dict[str, Any], status: str) -> dict[str, Any]:
        tag = m.STATUS_TAGS[status]
        tags = list(order_json.get("tags") or [])
        stale = [t for t in m.STATUS_TAGS.values() if t in tags and t != tag]
        if tag in tags and not stale:
            return order_json
        data = self.client.graphql(
            m.ORDER_TAGS_MUTATION,
            {"id": order_json["id"], "add": [tag], "withRemove": bool(stale), "remove": stale},
            idempotent=True,
        )
        errors = _user_errors(_payload(data, "tagsAdd"))
        if stale:
            errors += _user_errors(_payload(data, "tagsRemove"))
        if errors:
            raise _reject(errors, "record Fast's status on the order")
        order_json["tags"] = [t for t in tags if t not in stale] + ([tag] if tag not in tags else [])
        return order_json

    # --- delete -------------------------------------------------------------------------

    def delete(self, ref: model.OrderRef) -> None:
        try:
            target = self._locate(ref)
        except OrderNotFound:
            return
        if target.kind == "Order":
            raise InvalidRequest(f"{target.id} is a placed order, not a cart: cancel it with a status update")
        with self.state.lock(f"{self.prefix}cart:{target.id}"):
            data = self.client.graphql(m.DRAFT_DELETE_MUTATION, {"input": {"id": target.id}}, idempotent=True)
        errors = _user_errors(_payload(data, "draftOrderDelete"))
        if not errors:
            return
        try:
            draft = self._fetch_draft(target.id)
        except OrderNotFound:
            return  # already gone: deleting twice is fine
        if draft.get("status") == "COMPLETED":
            raise InvalidRequest(f"{target.id} became an order: cancel it with a status update")
        raise _reject(errors, "delete the cart")

    # --- lookups ------------------------------------------------------------------------

    def _locate(self, ref: model.OrderRef) -> Target:
        """Which draft order or order a call names: by the id we returned, else by Fast's id (tag search)."""
        external = (ref.external_id or "").strip()
        if external:
            parsed = m.parse_gid(external)
            if parsed and parsed[0] in ("DraftOrder", "Order") and parsed[1].isdigit():
                return Target(parsed[0], external)
            if external.isdigit():
                return Target("DraftOrder", m.gid("DraftOrder", external))
            if parsed and parsed[0] == "Cart":
                raise OrderNotFound("a Shopify storefront cart cannot be read or changed through the Admin API")
            raise OrderNotFound(f"{external!r} is not a Shopify draft order or order id")
        if ref.fast_order_id:
            data = self.client.graphql(m.FIND_DRAFT_QUERY, {"query": m.tag_query(ref.fast_order_id)}, idempotent=True)
            for node in (data.get("draftOrders") or {}).get("nodes", []):
                if m._attribute(node.get("customAttributes"), m.FAST_ORDER_ATTR) == ref.fast_order_id:
                    return Target("DraftOrder", node["id"], self._all_lines(node))
            raise OrderNotFound(f"Shopify has no cart for Fast order {ref.fast_order_id}")
        raise OrderNotFound("the call names no cart or order")

    def _fetch_draft(self, draft_id: str) -> dict[str, Any]:
        data = self.client.graphql(m.DRAFT_QUERY, {"id": draft_id, **m.ItemLookups().variables()}, idempotent=True)
        draft = data.get("draftOrder")
        if not draft:
            raise OrderNotFound(f"Shopify has no draft order {draft_id}")
        return self._all_lines(draft)

    def _fetch_order(self, order_id: str) -> dict[str, Any]:
        data = self.client.graphql(m.ORDER_QUERY, {"id": order_id}, idempotent=True)
        order = data.get("order")
        if not order:
            raise OrderNotFound(f"Shopify has no order {order_id}")
        return self._all_lines(order)

    def _all_lines(self, node: dict[str, Any]) -> dict[str, Any]:
        """A draft order or order with every line item: the pages after the first are read on from its cursor."""
        is_order = "/Order/" in node["id"]
        field, document = ("order", m.ORDER_LINES_QUERY) if is_order else ("draftOrder", m.DRAFT_LINES_QUERY)
        page = node["lineItems"]
        while page.get("pageInfo", {}).get("hasNextPage"):
            data = self.client.graphql(
                document, {"id": node["id"], "after": page["pageInfo"]["endCursor"]}, idempotent=True
            )
            page = ((data.get(field) or {}).get("lineItems")) or {}
            if not page.get("nodes"):
                raise UpstreamUnavailable("Shopify's next page of line items was empty")
            node["lineItems"]["nodes"].extend(page["nodes"])
        node["lineItems"]["pageInfo"] = {"hasNextPage": False}
        return node

    def _catalogue(self, data: dict[str, Any], more: list[m.ItemLookups]) -> m.Catalogue:
        answers = [self.client.graphql(m.ITEMS_QUERY, chunk.variables(), idempotent=True) for chunk in more]
        return merge([m.Catalogue.from_data(answer) for answer in [data, *answers]])

    # --- shipping rates (cached by what decides them) --------------------------------------

    def _calc_input(self, state: m.DraftState) -> dict[str, Any]:
        return state.full_input(accept_automatic_discounts=self.options.accept_automatic_discounts)

    def _cached_rates(self, key: str | None) -> list[m.Rate] | None:
        if key is None or not self.options.rates_cache_seconds:
            return None
        cached = self.state.get_json(f"{self.prefix}rates:{key}")
        return None if cached is None else [m.Rate.from_json(r) for r in cached]

    def _store_rates(self, key: str | None, rates: list[m.Rate]) -> None:
        if key is not None and self.options.rates_cache_seconds:
            self.state.set_json(
                f"{self.prefix}rates:{key}", [r.to_json() for r in rates], self.options.rates_cache_seconds
            )

    def _rates_from_answer(self, data: dict[str, Any], key: str | None, cached: list[m.Rate] | None) -> list[m.Rate]:
        if key is None:
            return []
        if cached is not None:
            return cached
        payload = data.get("draftOrderCalculate") or {}
        if _user_errors(payload) or not payload.get("calculatedDraftOrder"):
            log.warning(
                "Shopify could not quote shipping for this cart",
                extra=log_fields(platform="shopify", detail="; ".join(_user_errors(payload))),
            )
            return []
        rates = m.rates_from(payload["calculatedDraftOrder"])
        self._store_rates(key, rates)
        return rates

    def _rates(self, state: m.DraftState) -> list[m.Rate]:
        key = state.rates_key()
        if key is None:
            return []
        cached = self._cached_rates(key)
        if cached is not None:
            return cached
        data = self.client.graphql(m.DRAFT_CALCULATE_MUTATION, {"input": self._calc_input(state)}, idempotent=True)
        return self._rates_from_answer(data, key, None)

    # --- inventory reservation ------------------------------------------------------------

    def _reserve(self, draft_input: dict[str, Any]) -> None:
        """Hold the cart's stock while the checkout is open (refreshed by every change)."""
        minutes = self.options.reserve_inventory_minutes
        if minutes:
            until = self.now() + dt.timedelta(minutes=minutes)
            draft_input["reserveInventoryUntil"] = until.strftime("%Y-%m-%dT%H:%M:%SZ")

    def _reservation_active(self, draft: dict[str, Any]) -> bool:
        until = draft.get("reserveInventoryUntil")
        if not until:
            return False
        try:
            when = dt.datetime.fromisoformat(str(until).replace("Z", "+00:00"))
        except ValueError:
            return False
        return when > self.now()
