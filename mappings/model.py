"""The canonical order the adapters return and mappings/fast.py dumps.

Field names follow Fast's wire names so the mapping stays one-to-one. Money is
Decimal; enums are held as Fast's names (``ORDER_STATUS_CART``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

# Order statuses, order types and segment types as Fast names them.
STATUS_CART = "ORDER_STATUS_CART"
STATUS_PENDING = "ORDER_STATUS_PENDING"
STATUS_HOLD = "ORDER_STATUS_HOLD"
STATUS_BOOKED = "ORDER_STATUS_BOOKED"
STATUS_PENDING_FULFILLMENT = "ORDER_STATUS_PENDING_FULFILLMENT"
STATUS_FULFILLED = "ORDER_STATUS_FULFILLED"
STATUS_COMPLETE = "ORDER_STATUS_COMPLETE"
STATUS_CANCELED = "ORDER_STATUS_CANCELED"
STATUS_DELETED = "ORDER_STATUS_DELETED"

TYPE_CART = "ORDER_TYPE_CART"
TYPE_ORDER = "ORDER_TYPE_ORDER"

SEGMENT_COUPON = "UPDATE_ORDER_SEGMENT_TYPE_COUPON"
SEGMENT_SHIPPING_ADDRESS = "UPDATE_ORDER_SEGMENT_TYPE_SHIPPING_ADDRESS"
SEGMENT_BILLING_ADDRESS = "UPDATE_ORDER_SEGMENT_TYPE_BILLING_ADDRESS"
SEGMENT_LINE_ITEM = "UPDATE_ORDER_SEGMENT_TYPE_LINE_ITEM"
SEGMENT_SHIPPING_OPTION = "UPDATE_ORDER_SEGMENT_TYPE_SHIPPING_OPTION"
SEGMENT_CONVERT = "UPDATE_ORDER_SEGMENT_TYPE_CONVERT_CART_TO_ORDER"
SEGMENT_ORDER_STATUS = "UPDATE_ORDER_SEGMENT_TYPE_ORDER_STATUS"

OPTION_PICKUP = "SHIPPING_OPTION_TYPE_IN_STORE_PICKUP"
OPTION_OTHER = "SHIPPING_OPTION_TYPE_OTHER"

FULFILLMENT_PHYSICAL = "ITEM_FULFILLMENT_MODEL_PHYSICAL"
FULFILLMENT_DIGITAL = "ITEM_FULFILLMENT_MODEL_DIGITAL"

ORIGIN_USER = "DISCOUNT_ORIGIN_USER"
ORIGIN_VENDOR = "DISCOUNT_ORIGIN_VENDOR"
DISCOUNT_REGULAR = "DISCOUNT_TYPE_REGULAR"
DISCOUNT_SHIPPING = "DISCOUNT_TYPE_SHIPPING"


@dataclass
class CustomValue:
    key: str
    value: str


@dataclass
class Address:
    id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    middle_name: str | None = None
    company: str | None = None
    email: str | None = None
    phone: str | None = None
    address_1: str | None = None
    address_2: str | None = None
    city_locality: str | None = None
    state_province: str | None = None
    state_province_code: str | None = None
    country: str | None = None
    country_code: str | None = None
    postal_code: str | None = None

    @property
    def country_iso2(self) -> str | None:
        """The ISO country code, whichever of the two fields Fast filled."""
        code = self.country_code or self.country
        return code.strip().upper() if code else None

    @property
    def region_code(self) -> str | None:
        code = self.state_province_code or self.state_province
        return code.strip().upper() if code else None


@dataclass
class Discount:
    code: str | None = None
    description: str | None = None
    origin: str | None = None
    type: str | None = None
    applied: bool | None = None
    total_amount: Decimal | None = None


@dataclass
class Line:
    id: str | None = None
    external_id: str | None = None
    external_product_id: str | None = None
    external_variant_id: str | None = None
    external_options: list[CustomValue] = field(default_factory=list)
    customizations: list[CustomValue] = field(default_factory=list)
    quantity: int = 0
    # The shop's exact item id (SKU, variant id) when Fast names one; input only.
    external_item_id: str | None = None
    quantity_fulfilled: int | None = None
    unit_price: Decimal | None = None
    discounted_unit_price: Decimal | None = None
    line_discount_amount: Decimal | None = None
    subtotal_amount: Decimal | None = None
    tax_amount: Decimal | None = None
    total_amount: Decimal | None = None
    discounts: list[Discount] = field(default_factory=list)
    name: str | None = None
    description: str | None = None
    image_url: str | None = None
    fulfillment_mode: str | None = None


@dataclass
class LineRef:
    id: str | None = None
    quantity: int = 0
    external_id: str | None = None


@dataclass
class ShippingOption:
    id: str | None = None
    external_id: str | None = None
    name: str | None = None
    shipment_type: str | None = None
    cost: Decimal | None = None
    tax: Decimal | None = None
    total: Decimal | None = None
    carrier: str | None = None
    service_level: str | None = None


@dataclass
class Shipment:
    carrier: str | None = None
    tracking_number: str | None = None
    estimated_delivery_date: str | None = None
    lines: list[LineRef] = field(default_factory=list)


@dataclass
class ShipmentPlan:
    id: str | None = None
    external_id: str | None = None
    ship_to: Address | None = None
    lines: list[LineRef] = field(default_factory=list)
    selected_option: ShippingOption | None = None
    available_options: list[ShippingOption] = field(default_factory=list)
    shipments: list[Shipment] = field(default_factory=list)


@dataclass
class Refund:
    id: str | None = None
    external_id: str | None = None
    reason: str | None = None
    use_original_method: bool | None = None
    lines: list[LineRef] = field(default_factory=list)
    refund_date: str | None = None
    amount: Decimal | None = None
    tax: Decimal | None = None
    shipping: Decimal | None = None


@dataclass
class Order:
    id: str | None = None
    external_id: str | None = None
    user_id: str | None = None
    order_type: str | None = None
    currency_code: str | None = None
    status: str | None = None
    bill_to: Address | None = None
    lines: list[Line] = field(default_factory=list)
    shipment_plans: list[ShipmentPlan] = field(default_factory=list)
    coupons: list[Discount] = field(default_factory=list)
    total_amount: Decimal | None = None
    sub_total: Decimal | None = None
    total_discounts: Decimal | None = None
    total_tax: Decimal | None = None
    total_shipping: Decimal | None = None
    refunds: list[Refund] = field(default_factory=list)
    custom_values: list[CustomValue] = field(default_factory=list)
    user_note: str | None = None
    store_note: str | None = None
    fast_note: str | None = None


@dataclass
class ShippingZone:
    country_iso2: str
    subdivision_iso2: str | None = None


# --- what Fast asks for -----------------------------------------------------


@dataclass
class OrderRef:
    """How a call names an order: Fast's id, the shop reference, or both."""

    fast_order_id: str | None = None
    external_id: str | None = None
    is_cart: bool | None = None

    def describe(self) -> str:
        return self.external_id or self.fast_order_id or "(no id)"


@dataclass
class ItemUpdate:
    """One ``items`` entry: a new line, a quantity change, or (quantity 0) a removal.

    ``quantity`` is None when Fast left it out (proto3's default, meaning 0).
    """

    item_id: str | None = None
    quantity: int | None = None
    external_item_id: str | None = None
    external_product_id: str | None = None
    external_variant_id: str | None = None
    external_options: list[CustomValue] = field(default_factory=list)
    customizations: list[CustomValue] = field(default_factory=list)


@dataclass
class ShipmentUpdate:
    plan_id: str | None = None
    ship_to: Address | None = None
    line_refs: list[LineRef] = field(default_factory=list)


@dataclass
class ShippingOptionUpdate:
    plan_id: str | None = None
    option_id: str | None = None
    external_option_id: str | None = None

    @property
    def wanted_option(self) -> str | None:
        return self.external_option_id or self.option_id


@dataclass
class CouponUpdate:
    code: str = ""
    remove: bool = False


@dataclass
class OrderUpdate:
    """The increment one update call carries; absent segments are None/empty."""

    order_id: str | None = None
    external_id: str | None = None
    is_cart: bool | None = None
    convert_cart_to_order: bool = False
    convert_mode: str | None = None
    status: str | None = None
    bill_to: Address | None = None
    items: list[ItemUpdate] = field(default_factory=list)
    coupon: CouponUpdate | None = None
    shipping_option: ShippingOptionUpdate | None = None
    shipments: list[ShipmentUpdate] = field(default_factory=list)

    @property
    def ref(self) -> OrderRef:
        return OrderRef(self.order_id, self.external_id, self.is_cart)


@dataclass
class SegmentStatus:
    updated: str
    status: bool
    reason_code: str | None = None
    message: str | None = None


@dataclass
class UpdateResult:
    order: Order
    statuses: list[SegmentStatus] = field(default_factory=list)
