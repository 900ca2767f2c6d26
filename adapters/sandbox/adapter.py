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

from adapters.base import TRANSITIONS, Adapter, items_of, plan_items, requested_segments
from adapters.sandbox.catalog import Catalog, Item, load_catalog
from mappings import model
from mappings.money import ZERO
from mappings.sandbox import available_rates, check_coupon, price
from service.config import Settings, StoreConfig
from service.errors import InvalidRequest, OrderNotFound, OrderStateConflict, UpstreamRejected
from service.state import StateStore

CART_TTL = 7 * 24 * 3600
ORDER_TTL = 90 * 24 * 3600


class Refused(Exception):
    """A segment the shop declines without failing the call (segment ``status: false``)."""

    def __init__(self, reason_code: str, message: str) -> None:
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message


class SandboxAdapter(Adapter):
    name = "sandbox"
    needs_base_url = False

    def __init__(
        self,
        store: StoreConfig,
        state: StateStore,
        settings: Settings,
        *,
        catalog: Catalog | None = None,
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

    def _load(self, cart_id: str) -> dict[str, Any]:
        doc = self.state.get_json(self._doc_key(cart_id))
        if doc is None:
            raise OrderNotFound(f"cart {cart_id} not found")
        return doc

    def _save(self, doc: dict[str, Any]) -> None:
        ttl = CART_TTL if doc["status"] == model.STATUS_CART else ORDER_TTL
        self.state.set_json(self._doc_key(doc["id"]), doc, ttl)
        if doc.get("order_no"):
            self.state.set(f"{self.prefix}order:{doc['order_no']}", doc["id"], ORDER_TTL)

    def _price(self, doc: dict[str, Any]) -> model.Order:
        return price(doc, self.catalog, self.today())

    # --- the interface --------------------------------------------------------

    def create(self, order: model.Order) -> model.Order:
        doc = self._new_doc(fast_id=order.id)
        items = items_of(order)
        self._apply_items(doc, items)
        if order.bill_to and any(dataclasses.astuple(order.bill_to)):
            doc["bill_to"] = _address_doc(order.bill_to)
        for plan in order.shipment_plans:
            if plan.ship_to:
                doc["ship_to"] = _address_doc(plan.ship_to)
        self._save(doc)
        return self._price(doc)

    def create_storefront_cart(self, items: list[model.ItemUpdate]) -> model.Order:
        """A cart made by the shop's own storefront (no Fast ids), for checkouts from a cart page."""
        doc = self._new_doc(fast_id=None)
        self._apply_items(doc, items)
        self._save(doc)
        return self._price(doc)

    def read(self, ref: model.OrderRef) -> model.Order:
        return self._price(self._load(self._cart_id(ref.external_id)))

    def update(self, ref: model.OrderRef, update: model.OrderUpdate) -> model.UpdateResult:
        cart_id = self._cart_id(ref.external_id)
        with self.state.lock(self._doc_key(cart_id)):
            doc = self._load(cart_id)
            if ref.fast_order_id and not doc.get("fast_id"):
                doc["fast_id"] = ref.fast_order_id  # a storefront cart Fast took over
            statuses: list[model.SegmentStatus] = []
            refused_coupon: model.Discount | None = None
            for segment in requested_segments(update):
                try:
                    self._apply(segment, doc, update)
                    statuses.append(model.SegmentStatus(segment, True))
                except Refused as refusal:
                    statuses.append(model.SegmentStatus(segment, False, refusal.reason_code, refusal.message))
                    if segment == model.SEGMENT_COUPON and update.coupon:
                        refused_coupon = model.Discount(
                            code=update.coupon.code,
                            description=refusal.message,
                            origin=model.ORIGIN_USER,
                            applied=False,
                            total_amount=ZERO,
                        )
            self._save(doc)
        order = self._price(doc)
        if refused_coupon is not None:
            order.coupons.append(refused_coupon)
        return model.UpdateResult(order, statuses)

    def delete(self, ref: model.OrderRef) -> None:
        try:
            cart_id = self._cart_id(ref.external_id)
        except OrderNotFound:
            return
        with self.state.lock(self._doc_key(cart_id)):
            doc = self.state.get_json(self._doc_key(cart_id))
            if doc is None:
                return
            if doc["status"] != model.STATUS_CART:
                raise OrderStateConflict(
                    f"{doc['order_no']} is a placed order, not a cart: cancel it with a status update"
                )
            self.state.delete(self._doc_key(cart_id))

    def shipping_zones(self) -> list[model.ShippingZone]:
        return self.catalog.shipping_zones()

    # --- segments -------------------------------------------------------------

    def _new_doc(self, fast_id: str | None) -> dict[str, Any]:
        return {
            "id": "sbx_" + secrets.token_urlsafe(18).replace("-", "x").replace("_", "y"),
            "fast_id": fast_id,
            "status": model.STATUS_CART,
            "order_no": None,
            "lines": [],
            "next_line": 1,
            "coupons": [],
        }

    def _apply(self, segment: str, doc: dict[str, Any], update: model.OrderUpdate) -> None:
        is_cart = doc["status"] == model.STATUS_CART
        if segment == model.SEGMENT_ORDER_STATUS:
            self._set_status(doc, update.status or "")
            return
        if segment == model.SEGMENT_CONVERT:
            if is_cart:
                self._convert(doc)
            return
        if not is_cart:
            raise OrderStateConflict(f"{doc['order_no']} is already an order: its contents can no longer change")
        if segment == model.SEGMENT_LINE_ITEM:
            self._apply_items(doc, update.items)
        elif segment == model.SEGMENT_BILLING_ADDRESS:
            doc["bill_to"] = _address_doc(update.bill_to)
        elif segment == model.SEGMENT_SHIPPING_ADDRESS:
            self._set_ship_to(doc, update.shipments)
        elif segment == model.SEGMENT_SHIPPING_OPTION:
            self._select_rate(doc, update.shipping_option)
        elif segment == model.SEGMENT_COUPON:
            self._apply_coupon(doc, update.coupon)

    def _apply_items(self, doc: dict[str, Any], items: list[model.ItemUpdate]) -> None:
        current = [model.Line(id=line.get("id"), external_id=line["line_id"]) for line in doc["lines"]]
        for action in plan_items(current, items):
            if action.kind == "none":
                continue
            if action.kind == "add":
                item = self.catalog.resolve(action.item)
                doc["lines"].append(
                    {
                        "id": action.item.item_id,
                        "line_id": f"ln_{doc['next_line']}",
                        "sku": item.sku,
                        "qty": action.quantity,
                    }
                )
                doc["next_line"] += 1
                continue
            assert action.line is not None
            for line in doc["lines"]:
                if line["line_id"] == action.line.external_id:
                    if action.kind == "remove":
                        doc["lines"].remove(line)
                    else:
                        line["qty"] = action.quantity
                    break
        for sku, wanted in _quantities_by_sku(doc).items():
            self._check_stock(self.catalog.item(sku), wanted)

    def _set_ship_to(self, doc: dict[str, Any], shipments: list[model.ShipmentUpdate]) -> None:
        plan = next((s for s in shipments if s.ship_to is not None), None)
        if plan is None or plan.ship_to is None:
            raise InvalidRequest("the shipments update carries no ship_to address", field="order.shipments")
        doc["ship_to"] = _address_doc(plan.ship_to)
        if plan.plan_id:
            doc["plan_id"] = plan.plan_id
        ship_to = plan.ship_to
        if self.catalog.zone_for(ship_to.country_iso2, ship_to.region_code) is None:
            doc.pop("rate", None)
            where = ship_to.country_iso2 or "(no country)"
            if ship_to.region_code and ship_to.country_iso2:
                where = f"{ship_to.country_iso2}-{ship_to.region_code}"
            raise Refused("ADDRESS_NOT_SERVICEABLE", f"the shop does not ship to {where}")

    def _select_rate(self, doc: dict[str, Any], choice: model.ShippingOptionUpdate | None) -> None:
        wanted = choice.wanted_option if choice else None
        if not wanted:
            raise InvalidRequest("shipping_option names no option", field="order.shipping_option.option_id")
        offered = [rate.id for rate, _ in available_rates(self.catalog, doc, ZERO, False)]
        if wanted not in offered:
            raise Refused(
                "SHIPPING_OPTION_NOT_AVAILABLE",
                f"shipping option {wanted!r} is not available for this address",
            )
        doc["rate"] = wanted

    def _apply_coupon(self, doc: dict[str, Any], coupon: model.CouponUpdate | None) -> None:
        if coupon is None:
            return
        code = coupon.code.strip()
        if coupon.remove:
            doc["coupons"] = [c for c in doc["coupons"] if c.upper() != code.upper()]
            return
        if any(c.upper() == code.upper() for c in doc["coupons"]):
            return  # already applied: a retried call changes nothing
        definition = self.catalog.coupons.get(code.upper())
        subtotal = sum((self.catalog.item(line["sku"]).price * line["qty"] for line in doc["lines"]), ZERO)
        check = check_coupon(definition, code, subtotal, self.today())
        if not check.ok or definition is None:
            raise Refused(check.reason_code or "COUPON_REFUSED", check.message or "coupon refused")
        doc["coupons"].append(definition.code)

    def _convert(self, doc: dict[str, Any]) -> None:
        if not doc["lines"]:
            raise OrderStateConflict("the cart is empty: nothing to order")
        order = self._price(doc)
        if order.shipment_plans and order.shipment_plans[0].selected_option is None:
            raise OrderStateConflict("the cart has no shipping option for its address: it cannot become an order")
        with self.state.lock(f"{self.prefix}stock"):
            wanted = _quantities_by_sku(doc)
            for sku, qty in wanted.items():
                self._check_stock(self.catalog.item(sku), qty)
            for sku, qty in wanted.items():
                self._adjust_stock(self.catalog.item(sku), -qty)
        doc["rate"] = order.shipment_plans[0].selected_option.external_id if order.shipment_plans else None  # type: ignore[union-attr]
        doc["status"] = model.STATUS_PENDING
        doc["order_no"] = f"SB-{secrets.randbelow(10**8):08d}"

    def _set_status(self, doc: dict[str, Any], status: str) -> None:
        current = doc["status"]
        if status == current:
            return  # a retried status change is a no-op
        if current == model.STATUS_CART:
            if status == model.STATUS_CANCELED:
                doc["status"] = status
                return
            raise OrderStateConflict(f"the cart has not been converted to an order: it cannot become {status}")
        if status not in TRANSITIONS.get(current, set()):
            raise OrderStateConflict(f"order {doc['order_no']} cannot go from {current} to {status}")
        if status == model.STATUS_CANCELED:
            with self.state.lock(f"{self.prefix}stock"):
                for sku, qty in _quantities_by_sku(doc).items():
                    self._adjust_stock(self.catalog.item(sku), qty)
        doc["status"] = status

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


_ADDRESS_FIELDS = tuple(f.name for f in dataclasses.fields(model.Address))


def _address_doc(address: model.Address | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return {name: getattr(address, name) for name in _ADDRESS_FIELDS if getattr(address, name) is not None}


def _quantities_by_sku(doc: dict[str, Any]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for line in doc["lines"]:
        totals[line["sku"]] = totals.get(line["sku"], 0) + line["qty"]
    return totals
