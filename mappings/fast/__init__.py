"""Fast's wire format in marshmallow (``from mappings import fast``).

* ``enums``: proto enums and the limits of what Fast may send;
* ``fields``: text, ids, money, quantities, enums on the wire;
* ``schemas``: Fast's messages, both dialects in, the OpenAPI shapes out;
* ``parse``: a request body to the canonical model (``decode_json``, ``load_request``);
* ``dump``: the canonical model to Fast's answers (``dump_order_response``...).
"""

from mappings.fast.dump import dump_order, dump_order_response, dump_update_response, dump_zones_response
from mappings.fast.enums import (
    CONVERT_MODES,
    DISCOUNT_ORIGINS,
    DISCOUNT_TYPES,
    ENTITY_TYPES,
    ENUM_ALIASES,
    FULFILLMENT_MODELS,
    MAX_AMOUNT_DECIMALS,
    MAX_ID_LENGTH,
    MAX_JSON_DEPTH,
    MAX_LIST_LENGTH,
    MAX_QUANTITY,
    MAX_TEXT_LENGTH,
    ORDER_STATUSES,
    ORDER_TYPES,
    SEGMENT_TYPES,
    SHIPPING_OPTION_TYPES,
)
from mappings.fast.fields import Enum, Id, Money, Quantity, Text
from mappings.fast.parse import decode_json, load_request
from mappings.fast.schemas import (
    AddressSchema,
    CreateRequestSchema,
    DeleteRequestSchema,
    DiscountSchema,
    FastOrderSchema,
    ItemUpdateSchema,
    LineSchema,
    ReadRequestSchema,
    SegmentStatusSchema,
    ShippingZoneSchema,
    UpdateRequestSchema,
    UpdateSegmentSchema,
    WireSchema,
)

__all__ = [
    "CONVERT_MODES",
    "DISCOUNT_ORIGINS",
    "DISCOUNT_TYPES",
    "ENTITY_TYPES",
    "ENUM_ALIASES",
    "FULFILLMENT_MODELS",
    "MAX_AMOUNT_DECIMALS",
    "MAX_ID_LENGTH",
    "MAX_JSON_DEPTH",
    "MAX_LIST_LENGTH",
    "MAX_QUANTITY",
    "MAX_TEXT_LENGTH",
    "ORDER_STATUSES",
    "ORDER_TYPES",
    "SEGMENT_TYPES",
    "SHIPPING_OPTION_TYPES",
    "AddressSchema",
    "CreateRequestSchema",
    "DeleteRequestSchema",
    "DiscountSchema",
    "Enum",
    "FastOrderSchema",
    "Id",
    "ItemUpdateSchema",
    "LineSchema",
    "Money",
    "Quantity",
    "ReadRequestSchema",
    "SegmentStatusSchema",
    "ShippingZoneSchema",
    "Text",
    "UpdateRequestSchema",
    "UpdateSegmentSchema",
    "WireSchema",
    "decode_json",
    "dump_order",
    "dump_order_response",
    "dump_update_response",
    "dump_zones_response",
    "load_request",
]
