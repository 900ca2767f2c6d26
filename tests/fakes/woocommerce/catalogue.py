"""What the fake shop holds: products, coupons, zones and methods, tax rates, carts; its errors and faults."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

JSON = dict[str, Any]
Answer = tuple[int, dict[str, Any], Any]

STORE = "/wc/store/v1"
REST = "/wc/v3"
WC_VERSION = "9.9.5"
SESSION_TTL = 2 * 24 * 3600  # AbstractCartRoute::get_cart_token_expiration: wc_session_expiration, 48 h
QUANTITY_LIMIT = 9999  # StoreApi QuantityLimits: the woocommerce_store_api_product_quantity_limit default
LOW_STOCK_AMOUNT = 2  # WooCommerce's woocommerce_notify_low_stock_amount default
CONTINENTS = {
    "EU": ["AT", "BE", "DE", "DK", "ES", "FR", "IE", "IT", "NL", "PT", "SE"],
    "NA": ["CA", "MX", "US"],
}
COUNTRIES = ["AT", "BE", "CA", "DE", "DK", "ES", "FR", "GB", "IE", "IT", "MX", "NL", "PT", "SE", "US"]
GATEWAYS = {"bacs": "Direct bank transfer", "cheque": "Check payments", "cod": "Cash on delivery"}
ORDER_STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "trash")
STOCK_HELD = ("on-hold", "processing", "completed")
WRITES = ("POST", "PUT", "PATCH", "DELETE")
BILLING_KEYS = (
    "first_name",
    "last_name",
    "company",
    "address_1",
    "address_2",
    "city",
    "state",
    "postcode",
    "country",
    "email",
    "phone",
)
SHIPPING_KEYS = tuple(k for k in BILLING_KEYS if k != "email")
# WordPress's fatal-error handler (wp_die in a REST context), recordings/batch-without-outer-cart-token.jsonl seq 2.
CRITICAL_ERROR = {
    "code": "internal_server_error",
    "message": '<p>There has been a critical error on this website.</p><p><a href="https://wordpress.org/'
    'documentation/article/faq-troubleshooting/">Learn more about troubleshooting WordPress.</a></p>',
    "data": {"status": 500},
    "additional_errors": [],
}


class WooError(Exception):
    """A refusal in WooCommerce's error shape. ``headers=False``: raised by WordPress's argument
    validation, before the route runs, so the answer carries no Cart-Token or Nonce
    (edge-cases.jsonl seq 7)."""

    def __init__(self, status: int, code: str, message: str, *, headers: bool = True, **data: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.data = status, code, message, data
        self.headers = headers

    def body(self) -> JSON:
        return {"code": self.code, "message": self.message, "data": {"status": self.status, **self.data}}


class CriticalError(Exception):
    """PHP died (a TypeError): WordPress answers 500 with its critical-error page, and no cart headers."""


@dataclass
class Product:
    id: int
    name: str
    price: Decimal
    sku: str = ""
    type: str = "simple"  # simple | variable | variation
    parent_id: int = 0
    regular_price: Decimal | None = None
    # variation: attribute name -> value ("pa_color" -> "black", "size" -> "M"); variable: name -> label
    attributes: dict[str, str] = field(default_factory=dict)
    stock: int | None = None
    virtual: bool = False
    purchasable: bool = True
    description: str = ""
    weight: float = 0
    image: bool = True
    low_stock_amount: int | None = None  # the product's own threshold; None: the store's
    shipping_class: str = ""
    slug: str = ""


@dataclass
class Coupon:
    code: str  # as the merchant typed it ("TENOFF"); applied case-insensitively
    discount_type: str  # percent | fixed_cart | fixed_product
    amount: Decimal
    free_shipping: bool = False
    minimum_amount: Decimal | None = None
    expires: float | None = None
    usage_limit: int | None = None
    usage_count: int = 0
    individual_use: bool = False
    id: int = 0


@dataclass
class Method:
    instance_id: int
    method_id: str  # flat_rate | free_shipping | local_pickup
    title: str
    cost: Decimal = Decimal("0")
    enabled: bool = True
    requires: str = ""  # free_shipping: "" | coupon | min_amount | either
    min_amount: Decimal = Decimal("0")
    taxable: bool = True


@dataclass
class Zone:
    id: int
    name: str
    locations: list[tuple[str, str]]  # (code, type): ("US", "country"), ("US:CA", "state"), ("EU", "continent")
    methods: list[Method]
    order: int = 0


@dataclass
class TaxRate:
    country: str
    state: str  # "" = every state
    rate: Decimal  # percent
    name: str = "Tax"
    shipping: bool = True
    id: int = 0


@dataclass
class Session:
    id: str
    items: dict[str, JSON] = field(default_factory=dict)
    coupons: list[str] = field(default_factory=list)  # as the shopper typed them (CartApplyCoupon keeps the case)
    billing: JSON = field(default_factory=dict)
    shipping: JSON = field(default_factory=dict)
    chosen: dict[str, str] = field(default_factory=dict)
    method_counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Fault:
    """Make matching requests fail. ``after``: the shop acts, then the answer is lost."""

    method: str | None
    path: str | None
    kind: str  # status | timeout | connect | garbage | shape
    status: int = 503
    after: bool = False
    times: int = 1
    retry_after: str | None = None
    body_match: Callable[[Any], bool] | None = None

    def matches(self, method: str, path: str, body: Any) -> bool:
        if self.times <= 0:
            return False
        if self.method and self.method != method:
            return False
        if self.path and not re.search(self.path, path):
            return False
        return self.body_match is None or self.body_match(body)


def slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")


def lower_headers(headers: dict[str, Any]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}
