"""Fast's proto enums: names by proto number, and the limits of what Fast may send.

Proto numbering: 0 is "unspecified", then each enum's listed order from 1,
except where Fast's proto numbers differently (SHIPPING_OPTION_TYPE_OTHER = 99).
"""

from __future__ import annotations


def _numbered(*names: str, start: int = 1, **explicit: int) -> dict[int, str]:
    numbers = {index: name for index, name in enumerate(names, start=start)}
    numbers.update({number: name for name, number in explicit.items()})
    return numbers


ENTITY_TYPES = _numbered(
    "ENTITY_TYPE_UNSPECIFIED",
    "ENTITY_TYPE_ORDER",
    "ENTITY_TYPE_SHIPPING_OPTION",
    "ENTITY_TYPE_USER",
    "ENTITY_TYPE_SHIPPING_ZONES",
    start=0,
)
ORDER_STATUSES = _numbered(
    "ORDER_STATUS_CART",
    "ORDER_STATUS_PENDING",
    "ORDER_STATUS_HOLD",
    "ORDER_STATUS_BOOKED",
    "ORDER_STATUS_PENDING_FULFILLMENT",
    "ORDER_STATUS_FULFILLED",
    "ORDER_STATUS_COMPLETE",
    "ORDER_STATUS_CANCELED",
    "ORDER_STATUS_DELETED",
)
ORDER_TYPES = _numbered(
    "ORDER_TYPE_CART",
    "ORDER_TYPE_ORDER",
    "ORDER_TYPE_RETURN",
    "ORDER_TYPE_EXCHANGE",
    "ORDER_TYPE_CREDIT",
    "ORDER_TYPE_REFUND",
)
CONVERT_MODES = _numbered("CART_TO_ORDER_CONVERT_ONLY", "CART_TO_ORDER_CONVERT_UPDATE_AND_CONVERT")
DISCOUNT_ORIGINS = _numbered("DISCOUNT_ORIGIN_USER", "DISCOUNT_ORIGIN_FAST", "DISCOUNT_ORIGIN_VENDOR")
DISCOUNT_TYPES = _numbered(
    "DISCOUNT_TYPE_MISC",
    "DISCOUNT_TYPE_REGULAR",
    "DISCOUNT_TYPE_SHIPPING",
    "DISCOUNT_TYPE_HANDLING",
    "DISCOUNT_TYPE_WRAPPING",
)
FULFILLMENT_MODELS = _numbered(
    "ITEM_FULFILLMENT_MODEL_PHYSICAL", "ITEM_FULFILLMENT_MODEL_DIGITAL", "ITEM_FULFILLMENT_MODEL_SERVICE"
)
SHIPPING_OPTION_TYPES = _numbered("SHIPPING_OPTION_TYPE_IN_STORE_PICKUP", SHIPPING_OPTION_TYPE_OTHER=99)
SEGMENT_TYPES = _numbered(
    "UPDATE_ORDER_SEGMENT_TYPE_COUPON",
    "UPDATE_ORDER_SEGMENT_TYPE_SHIPPING_ADDRESS",
    "UPDATE_ORDER_SEGMENT_TYPE_BILLING_ADDRESS",
    "UPDATE_ORDER_SEGMENT_TYPE_LINE_ITEM",
    "UPDATE_ORDER_SEGMENT_TYPE_SHIPPING_OPTION",
    "UPDATE_ORDER_SEGMENT_TYPE_CONVERT_CART_TO_ORDER",
    "UPDATE_ORDER_SEGMENT_TYPE_ORDER_STATUS",
)
# Spellings seen in Fast's own documents for the same values.
ENUM_ALIASES = {"ENTITY_ORDER": "ENTITY_TYPE_ORDER", "ENTITY_SHIPPING_ZONES": "ENTITY_TYPE_SHIPPING_ZONES"}

# What one field, list or document may hold: past these a request is refused with 422.
MAX_ID_LENGTH = 256
MAX_TEXT_LENGTH = 4096
MAX_QUANTITY = 1_000_000
MAX_LIST_LENGTH = 500
MAX_JSON_DEPTH = 32
MAX_AMOUNT_DECIMALS = 12
