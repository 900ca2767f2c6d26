"""How a WooCommerce cart or order becomes a Fast order, and Fast increments become Store API requests.

Pure translation, one module per direction:

* ``to_fast``: the Store API cart (``/wc/store/v1/cart``) as a Fast cart, and
  shipping zones;
* ``to_fast_order``: the REST API v3 order (``/wc/v3/orders/{id}``) as a Fast order;
* ``to_woocommerce``: Fast addresses and items as Store API bodies;
* ``lines``: the Fast line map (``TrackedLine``) and the exact split of a shared cart item;
* ``common``: meta keys, status tables, text and money parsing.

Nothing here talks to the network. The names below are re-exported so
``from mappings import woocommerce as wc`` keeps working.
"""

from mappings.woocommerce.common import (
    COUPON_TYPE_LABELS,
    DEFAULT_STATUS_MAP,
    FREE_SHIPPING_METHOD,
    META_FAST_LINES,
    META_FAST_ORDER_ID,
    META_FAST_STATUS,
    PICKUP_METHODS,
    WOO_TO_FAST_STATUS,
    cart_items,
    cart_total_minor,
    clean_text,
    coupon_reason_code,
    decimal_amount,
    fast_status_of,
    item_quantities,
    meta_value,
    selected_rates,
)
from mappings.woocommerce.lines import (
    OrderLineRef,
    TrackedLine,
    allocate,
    fast_lines_meta,
    lines_by_key,
    order_line_refs,
    split_quantity,
)
from mappings.woocommerce.to_fast import (
    CartContext,
    cart_to_order,
    dedupe_zones,
    fast_address,
    has_address,
    zones_from_locations,
)
from mappings.woocommerce.to_fast_order import order_to_fast
from mappings.woocommerce.to_woocommerce import AddItem, add_item_body, woo_address

# Kept importable for the webhooks helper's code written against the old module (adapters/woocommerce/webhooks.py,
# mappings/woocommerce/events.py); new code takes the path from adapters/woocommerce/api.py, which owns the URLs.
REST_API = "/wc/v3"
_order_line_refs = order_line_refs

__all__ = [
    "COUPON_TYPE_LABELS",
    "DEFAULT_STATUS_MAP",
    "FREE_SHIPPING_METHOD",
    "META_FAST_LINES",
    "META_FAST_ORDER_ID",
    "META_FAST_STATUS",
    "PICKUP_METHODS",
    "REST_API",
    "WOO_TO_FAST_STATUS",
    "AddItem",
    "CartContext",
    "OrderLineRef",
    "TrackedLine",
    "add_item_body",
    "allocate",
    "cart_items",
    "cart_to_order",
    "cart_total_minor",
    "clean_text",
    "coupon_reason_code",
    "decimal_amount",
    "dedupe_zones",
    "fast_address",
    "fast_lines_meta",
    "fast_status_of",
    "has_address",
    "item_quantities",
    "lines_by_key",
    "meta_value",
    "order_line_refs",
    "order_to_fast",
    "selected_rates",
    "split_quantity",
    "woo_address",
    "zones_from_locations",
]
