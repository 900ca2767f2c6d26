"""The sandbox shop: a deterministic shop behind the adapter interface.

Its carts and orders are JSON documents in the shared state store, so they
persist across requests, gunicorn workers and (with Redis) dynos. Every change
to a cart happens under that cart's lock and is saved only when the whole
update succeeded: an update is applied entirely or not at all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any

from adapters.base import (
    STATUS_TRANSITIONS,
    Adapter,
    SegmentHandler,
    SegmentRefused,
    items_of,
    plan_items,
    run_segments,
)
from adapters.options import StoreOptions
from adapters.sandbox.cart import ORDER_TTL, SandboxCart, address_json
from adapters.sandbox.catalog import Catalogue, Item, load_catalog
from adapters.sandbox.pricing import Refusal, available_rates, check_coupon, item_subtotal, price
from mappings import model
from mappings.money import ZERO
from service.config import Settings, StoreConfig
from service.errors import InvalidRequest, OrderNotFound, OrderStateConflict, UpstreamRejected
from service.state import StateStore


@dataclasses.dataclass(frozen=True, kw_only=True)
class SandboxOptions(StoreOptions):
    """The sandbox shop takes no options: any other key in its table is reported as a mistake."""


class SandboxAdapter(Adapter):
    name = "sandbox"
    needs_base_url = False
    options_class = SandboxOptions

    def __init__(
        self,
        store: StoreConfig,
        state: StateStore,
        settings: Settings,
        *,
        catalog: Catalogue | None = None,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        super().__init__(store, state, settings)
        self.catalog = catalog or load_catalog()
        self.today = today
        self.prefix = f"sandbox:{store.app_id}:"

    # --- storage ------------------------------------------------------------

    def _doc_key(self, cart_id: str) -> str:
        return f"{self.prefix}doc:{cart_id}"

    def _cart_id(self, external_id: str | None) -> str:
        """The cart behind a reference: a cart id, or an order number after conversion."""
        if not external_id:
            raise OrderNotFound("the call names no cart or order")
        if external_id.startswith("SB-"):
            cart_id = self.state.get(f"{self.prefix}order:{external_id}")
            if cart_id is None:
                raise OrderNotFound(f"order {external_id} not found")
            return cart_id
        return external_id

    def _load(self, cart_id: str) -> SandboxCart:
        doc = self.state.get_json(self._doc_key(cart_id))
        if doc is None:
            raise OrderNotFound(f"cart {cart_id} not found")
        return SandboxCart.from_json(doc)

    def _save(self, cart: SandboxCart) -> None:
        self.state.set_json(self._doc_key(cart.id), cart.to_json(), cart.ttl)
        if cart.order_no:
            self.state.set(f"{self.prefix}order:{cart.order_no}", cart.id, ORDER_TTL)

    def _price(self, cart: SandboxCart) -> model.Order:
        return price(cart, self.catalog, self.today())

    # --- the interface --------------------------------------------------------

    def create(self, order: model.Order) -> model.Order:
        cart = SandboxCart.new(fast_id=order.id)
        self._apply_items(cart, items_of(order))
        if order.bill_to and any(dataclasses.astuple(order.bill_to)):
            cart.bill_to = address_json(order.bill_to)
        for plan in order.shipment_plans:
            if plan.ship_to:
                cart.ship_to = address_json(plan.ship_to)
        self._save(cart)
        return self._price(cart)

    def create_storefront_cart(self, items: list[model.ItemUpdate]) -> model.Order:
        """A cart made by the shop's own storefront (no Fast ids), for checkouts from a cart page."""
        cart = SandboxCart.new(fast_id=None)
        self._apply_items(cart, items)
        self._save(cart)
        return self._price(cart)

    def read(self, ref: model.OrderRef) -> model.Order:
        return self._price(self._load(self._cart_id(ref.external_id)))

    def update(self, ref: model.OrderRef, update: model.OrderUpdate) -> model.UpdateResult:
        cart_id = self._cart_id(ref.external_id)
        with self.state.lock(self._doc_key(cart_id)):
            cart = self._load(cart_id)
            if ref.fast_order_id and not cart.fast_id:
                cart.fast_id = ref.fast_order_id  # a storefront cart Fast took over
            outcome = run_segments(update, self._handlers(cart))
            self._save(cart)  # only reached when every segment was applied or declined
        return outcome.result(self._price(cart))

    def delete(self, ref: model.OrderRef) -> None:
        try:
            cart_id = self._cart_id(ref.external_id)
        except OrderNotFound:
            return
        with self.state.lock(self._doc_key(cart_id)):
            doc = self.state.get_json(self._doc_key(cart_id))
            if doc is None:
                return
            cart = SandboxCart.from_json(doc)
            if not cart.is_cart:
                raise OrderStateConflict(
                    f"{cart.order_no} is a placed order, not a cart: cancel it with a status update"
                )
            self.state.delete(self._doc_key(cart_id))

    def shipping_zones(self) -> list[model.ShippingZone]:
        return self.catalog.shipping_zones()

    # --- segments -------------------------------------------------------------

    def _handlers(self, cart: SandboxCart) -> dict[str, SegmentHandler]:
        """One handler per segment, each applying its part of the update to this cart."""

        def contents(apply: Callable[[model.OrderUpdate], None]) -> SegmentHandler:
            def handler(update: model.OrderUpdate) -> None:
                if not cart.is_cart:
                    raise OrderStateConflict(f"{cart.order_no} is already an order: its contents can no longer change")
                apply(update)

            return handler

        return {
            model.SEGMENT_LINE_ITEM: contents(lambda u: self._apply_items(cart, u.items)),
            model.SEGMENT_BILLING_ADDRESS: contents(lambda u: setattr(cart, "bill_to", address_json(u.bill_to))),
            model.SEGMENT_SHIPPING_ADDRESS: contents(lambda u: self._set_ship_to(cart, u.shipments)),
            model.SEGMENT_SHIPPING_OPTION: contents(lambda u: self._select_rate(cart, u.shipping_option)),
            model.SEGMENT_COUPON: contents(lambda u: self._apply_coupon(cart, u.coupon)),
            model.SEGMENT_CONVERT: lambda u: self._convert(cart) if cart.is_cart else None,
            model.SEGMENT_ORDER_STATUS: lambda u: self._set_status(cart, u.status or ""),
        }

    def _apply_items(self, cart: SandboxCart, items: list[model.ItemUpdate]) -> None:
        current = [model.Line(id=line.id, external_id=line.line_id) for line in cart.lines]
        for action in plan_items(current, items):
            if action.kind == "add":
                cart.add_line(action.item.item_id, self.catalog.resolve(action.item).sku, action.quantity)
            elif action.kind in ("set", "remove") and action.line is not None:
                line = cart.line(action.line.external_id)
                if line is not None and action.kind == "remove":
                    cart.lines.remove(line)
                elif line is not None:
                    line.qty = action.quantity
        for sku, wanted in cart.quantities_by_sku().items():
            self._check_stock(self.catalog.item(sku), wanted)

    def _set_ship_to(self, cart: SandboxCart, shipments: list[model.ShipmentUpdate]) -> None:
        plan = next((s for s in shipments if s.ship_to is not None), None)
        if plan is None or plan.ship_to is None:
            raise InvalidRequest("the shipments update carries no ship_to address", field="order.shipments")
        cart.ship_to = address_json(plan.ship_to)
        if plan.plan_id:
            cart.plan_id = plan.plan_id
        ship_to = plan.ship_to
        if self.catalog.zone_for(ship_to.country_iso2, ship_to.region_code) is None:
            cart.rate = None
            where = ship_to.country_iso2 or "(no country)"
            if ship_to.region_code and ship_to.country_iso2:
                where = f"{ship_to.country_iso2}-{ship_to.region_code}"
            raise SegmentRefused(Refusal.ADDRESS_NOT_SERVICEABLE, f"the shop does not ship to {where}")

    def _select_rate(self, cart: SandboxCart, choice: model.ShippingOptionUpdate | None) -> None:
        wanted = choice.wanted_option if choice else None
        if not wanted:
            raise InvalidRequest("shipping_option names no option", field="order.shipping_option.option_id")
        offered = [rate.id for rate, _ in available_rates(self.catalog, cart, ZERO, False)]
        if wanted not in offered:
            raise SegmentRefused(
                Refusal.SHIPPING_OPTION_NOT_AVAILABLE,
                f"shipping option {wanted!r} is not available for this address",
            )
        cart.rate = wanted

    def _apply_coupon(self, cart: SandboxCart, coupon: model.CouponUpdate | None) -> None:
        if coupon is None:
            return
        code = coupon.code.strip()
        if coupon.remove:
            cart.remove_coupon(code)
            return
        if cart.has_coupon(code):
            return  # already applied: a retried call changes nothing
        definition = self.catalog.coupons.get(code.upper())
        check = check_coupon(definition, code, item_subtotal(cart, self.catalog), self.today())
        if not check.ok or definition is None:
            raise SegmentRefused(check.reason_code or Refusal.COUPON_REFUSED, check.message or "coupon refused")
        cart.coupons.append(definition.code)

    def _convert(self, cart: SandboxCart) -> None:
        if not cart.lines:
            raise OrderStateConflict("the cart is empty: nothing to order")
        order = self._price(cart)
        if order.shipment_plans and order.shipment_plans[0].selected_option is None:
            raise OrderStateConflict("the cart has no shipping option for its address: it cannot become an order")
        with self.state.lock(f"{self.prefix}stock"):
            wanted = cart.quantities_by_sku()
            for sku, qty in wanted.items():
                self._check_stock(self.catalog.item(sku), qty)
            for sku, qty in wanted.items():
                self._adjust_stock(self.catalog.item(sku), -qty)
        selected = order.shipment_plans[0].selected_option if order.shipment_plans else None
        cart.rate = selected.external_id if selected else None
        cart.status = model.STATUS_PENDING
        cart.order_no = f"SB-{secrets.randbelow(10**8):08d}"

    def _set_status(self, cart: SandboxCart, status: str) -> None:
        current = cart.status
        if status == current:
            return  # a retried status change is a no-op
        if cart.is_cart:
            if status == model.STATUS_CANCELED:
                cart.status = status
                return
            raise OrderStateConflict(f"the cart has not been converted to an order: it cannot become {status}")
        if status not in STATUS_TRANSITIONS.get(current, set()):
            raise OrderStateConflict(f"order {cart.order_no} cannot go from {current} to {status}")
        if status == model.STATUS_CANCELED:
            with self.state.lock(f"{self.prefix}stock"):
                for sku, qty in cart.quantities_by_sku().items():
                    self._adjust_stock(self.catalog.item(sku), qty)
        cart.status = status

    # --- stock ------------------------------------------------------------------

    def _stock_key(self, item: Item) -> str:
        return f"{self.prefix}stock:{item.sku}"

    def stock_left(self, item: Item) -> int | None:
        if item.stock is None:
            return None
        raw = self.state.get(self._stock_key(item))
        return item.stock if raw is None else int(raw)

    def _check_stock(self, item: Item, wanted: int) -> None:
        left = self.stock_left(item)
        if left is not None and wanted > left:
            raise UpstreamRejected(
                f"{item.display_name} is out of stock: {left} left, {wanted} wanted",
                field="order.items",
            )

    def _adjust_stock(self, item: Item, delta: int) -> None:
        left = self.stock_left(item)
        if left is not None:
            self.state.set(self._stock_key(item), str(left + delta))

    # --- what the catalogue command shows --------------------------------------

    def describe_catalog(self) -> dict[str, Any]:
        return {
            "currency": self.catalog.currency,
            "products": [
                {
                    "external_product_id": product.id,
                    "name": product.name,
                    "options": list(product.option_names),
                    "items": [
                        {
                            "external_item_id": item.sku,
                            "external_variant_id": item.variant_id,
                            "options": dict(item.options),
                            "price": str(item.price),
                            "stock": self.stock_left(item),
                            "digital": item.digital,
                        }
                        for item in product.items
                    ],
                }
                for product in self.catalog.products
            ],
            "coupons": [
                {
                    "code": c.code,
                    "description": c.description,
                    "expires": c.expires.isoformat() if c.expires else None,
                }
                for c in self.catalog.coupons.values()
            ],
            "ships_to": [
                {"country": z.country_iso2, "region": z.subdivision_iso2} for z in self.catalog.shipping_zones()
            ],
        }
