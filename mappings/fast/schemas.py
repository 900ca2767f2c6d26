"""Fast's messages as marshmallow schemas: both dialects in, the OpenAPI shapes out.

Loading is tolerant the way Fast's real traffic needs (the seeds' dialect and
the OpenAPI one, numbers where strings are declared, enums as names or proto
numbers, unknown fields ignored). Dumping emits exactly the OpenAPI shapes:
money as decimal strings, enums as names, ids as ``{"value": ...}``, and no
``null``s.
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_dump, post_load, pre_load, validates_schema
from marshmallow.validate import Range

from mappings import model
from mappings.fast.enums import (
    CONVERT_MODES,
    DISCOUNT_ORIGINS,
    DISCOUNT_TYPES,
    ENTITY_TYPES,
    FULFILLMENT_MODELS,
    MAX_ID_LENGTH,
    ORDER_STATUSES,
    ORDER_TYPES,
    SEGMENT_TYPES,
    SHIPPING_OPTION_TYPES,
)
from mappings.fast.fields import Enum, Id, Money, Quantity, Text, nested_list


class WireSchema(Schema):
    """Unknown fields are ignored at every level; ``None`` is never emitted."""

    class Meta:
        unknown = EXCLUDE

    model: type | None = None

    @pre_load
    def _drop_nulls(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None}
        return data

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Any:
        return self.model(**data) if self.model is not None else data

    @post_dump
    def _drop_empty(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {k: v for k, v in data.items() if v is not None and v != []}


class CustomValueSchema(WireSchema):
    model = model.CustomValue
    key = Text(required=True, max_length=MAX_ID_LENGTH)
    value = Text(load_default="")


class AddressSchema(WireSchema):
    model = model.Address
    id = Id()
    first_name = Text()
    last_name = Text()
    middle_name = Text()
    company = Text()
    email = Text(max_length=320)
    phone = Text(max_length=64)
    address_1 = Text()
    address_2 = Text()
    city_locality = Text()
    state_province = Text()
    state_province_code = Text(max_length=64)
    country = Text()
    country_code = Text(max_length=64)
    postal_code = Text(max_length=64)


class DiscountSchema(WireSchema):
    model = model.Discount
    code = Text(max_length=MAX_ID_LENGTH)
    description = Text()
    origin = Enum(DISCOUNT_ORIGINS)
    type = Enum(DISCOUNT_TYPES)
    applied = fields.Boolean()
    total_amount = Money()


class LineSchema(WireSchema):
    model = model.Line
    id = Id()
    external_id = Text(max_length=MAX_ID_LENGTH)
    external_product_id = Text(max_length=MAX_ID_LENGTH)
    external_variant_id = Text(max_length=MAX_ID_LENGTH)
    external_options = nested_list(CustomValueSchema)
    customizations = nested_list(CustomValueSchema)
    quantity = Quantity(load_default=0)
    external_item_id = Text(max_length=MAX_ID_LENGTH, load_only=True)
    quantity_fulfilled = Quantity()
    unit_price = Money()
    discounted_unit_price = Money()
    line_discount_amount = Money()
    subtotal_amount = Money()
    tax_amount = Money()
    total_amount = Money()
    discounts = nested_list(DiscountSchema)
    name = Text()
    description = Text()
    image_url = Text()
    fulfillment_mode = Enum(FULFILLMENT_MODELS)


class LineRefSchema(WireSchema):
    model = model.LineRef
    id = Id()
    quantity = Quantity(load_default=0)
    # Fast's examples carry it; the contract does not name it, so it is never emitted.
    external_id = Text(max_length=MAX_ID_LENGTH, load_only=True)


class ShippingOptionSchema(WireSchema):
    model = model.ShippingOption
    id = Id()
    external_id = Text(max_length=MAX_ID_LENGTH)
    name = Text()
    shipment_type = Enum(SHIPPING_OPTION_TYPES)
    cost = Money()
    tax = Money()
    total = Money()
    carrier = Text()
    service_level = Text()


class ShipmentSchema(WireSchema):
    model = model.Shipment
    carrier = Text()
    tracking_number = Text()
    estimated_delivery_date = Text(max_length=32)
    lines = nested_list(LineRefSchema)


class ShipmentPlanSchema(WireSchema):
    model = model.ShipmentPlan
    id = Id()
    external_id = Text(max_length=MAX_ID_LENGTH)
    ship_to = fields.Nested(AddressSchema)
    lines = nested_list(LineRefSchema)
    selected_option = fields.Nested(ShippingOptionSchema)
    available_options = nested_list(ShippingOptionSchema)
    shipments = nested_list(ShipmentSchema)


class RefundSchema(WireSchema):
    model = model.Refund
    id = Id()
    external_id = Text(max_length=MAX_ID_LENGTH)
    reason = Text()
    use_original_method = fields.Boolean()
    lines = nested_list(LineRefSchema)
    refund_date = Text(max_length=32)
    amount = Money()
    tax = Money()
    shipping = Money()


class FastOrderSchema(WireSchema):
    model = model.Order
    id = Id()
    external_id = Text(max_length=MAX_ID_LENGTH)
    user_id = Text(max_length=MAX_ID_LENGTH)
    order_type = Enum(ORDER_TYPES)
    currency_code = Text(max_length=8)
    status = Enum(ORDER_STATUSES)
    bill_to = fields.Nested(AddressSchema)
    lines = nested_list(LineSchema)
    shipment_plans = nested_list(ShipmentPlanSchema)
    coupons = nested_list(DiscountSchema)
    total_amount = Money()
    sub_total = Money()
    total_discounts = Money()
    total_tax = Money()
    total_shipping = Money()
    refunds = nested_list(RefundSchema)
    custom_values = nested_list(CustomValueSchema)
    user_note = Text()
    store_note = Text()
    fast_note = Text()


class ShippingZoneSchema(WireSchema):
    model = model.ShippingZone
    country_iso2 = Text(required=True, max_length=8)
    subdivision_iso2 = Text(max_length=16)


class SegmentStatusSchema(WireSchema):
    model = model.SegmentStatus
    updated = Enum(SEGMENT_TYPES, required=True)
    status = fields.Boolean(required=True)
    reason_code = Text()
    message = Text()


# --- update increments ----------------------------------------------------


class ItemUpdateSchema(WireSchema):
    model = model.ItemUpdate
    item_id = Id()
    quantity = Quantity(load_default=None)
    external_item_id = Text(max_length=MAX_ID_LENGTH)
    external_product_id = Text(max_length=MAX_ID_LENGTH)
    external_variant_id = Text(max_length=MAX_ID_LENGTH)
    external_options = nested_list(CustomValueSchema)
    customizations = nested_list(CustomValueSchema)

    @pre_load
    def _dialects(self, data: Any, **kwargs: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        # Seeds: {"id": "item_1", "quantity": 2}.
        if "item_id" not in data and "id" in data:
            data["item_id"] = data.pop("id")
        # Captured traffic nests the quantity in the id (and misspells it).
        item_id = data.get("item_id")
        if "quantity" not in data and isinstance(item_id, dict):
            for key in ("quantity", "quanity"):
                if key in item_id:
                    data["quantity"] = item_id[key]
                    break
        return data


class CouponUpdateSchema(WireSchema):
    model = model.CouponUpdate
    code = Text(load_default="", max_length=MAX_ID_LENGTH)
    remove = fields.Boolean(load_default=False)


class ShipmentUpdateSchema(WireSchema):
    model = model.ShipmentUpdate
    plan_id = Id()
    ship_to = fields.Nested(AddressSchema)
    line_refs = nested_list(LineRefSchema)


class ShippingOptionUpdateSchema(WireSchema):
    model = model.ShippingOptionUpdate
    plan_id = Id()
    option_id = Id()
    external_option_id = Text(max_length=MAX_ID_LENGTH)


class UpdateSegmentSchema(WireSchema):
    model = model.OrderUpdate
    order_id = Id()
    external_id = Text(max_length=MAX_ID_LENGTH)
    is_cart = fields.Boolean()
    convert_mode = Enum(CONVERT_MODES)
    convert_cart_to_order = fields.Boolean(load_default=False)
    status = Enum(ORDER_STATUSES)
    bill_to = fields.Nested(AddressSchema)
    items = nested_list(ItemUpdateSchema)
    coupon = fields.Nested(CouponUpdateSchema)
    shipping_option = fields.Nested(ShippingOptionUpdateSchema)
    shipments = nested_list(ShipmentUpdateSchema)

    @pre_load
    def _dialects(self, data: Any, **kwargs: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if isinstance(data.get("coupon"), str | int):
            data["coupon"] = {"code": data["coupon"]}
        if "external_id" not in data and "external_order_id" in data:
            data["external_id"] = data.pop("external_order_id")
        return data


# --- request envelopes ------------------------------------------------------


class _Envelope(WireSchema):
    type = Enum(ENTITY_TYPES)
    app_id = Text(max_length=MAX_ID_LENGTH)
    request_id = Id()

    @pre_load
    def _entity_type(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict) and "type" not in data and "entity_type" in data:
            data = dict(data)
            data["type"] = data.pop("entity_type")
        return data


def _present(value: Any) -> None:
    if not value:
        raise ValidationError("Missing data for required field.")


class CreateLineSchema(LineSchema):
    """A line of a create: Fast always sends its id and a quantity of at least one (absent means 1)."""

    id = Id(required=True, validate=_present)
    quantity = Quantity(load_default=1, validate=Range(min=1, error="Must be at least 1."))


class CreateOrderSchema(FastOrderSchema):
    """The order of a create: Fast always names it, and its lines by distinct ids."""

    id = Id(required=True, validate=_present)
    lines = nested_list(CreateLineSchema)

    @validates_schema
    def _distinct_line_ids(self, data: dict[str, Any], **kwargs: Any) -> None:
        seen: set[str] = set()
        for index, line in enumerate(data.get("lines") or []):
            if line.id in seen:
                raise ValidationError({"lines": {index: {"id": [f"Line id {line.id!r} is used twice."]}}})
            seen.add(line.id)


class CreateSegmentSchema(WireSchema):
    is_cart = fields.Boolean()
    order = fields.Nested(CreateOrderSchema, required=True)


class CreateRequestSchema(_Envelope):
    order = fields.Nested(CreateSegmentSchema, required=True)


class OrderRefSchema(WireSchema):
    """The order named by a read or delete: Fast's id and/or the shop's reference."""

    is_cart = fields.Boolean()
    order_id = Id()
    external_order_id = Text(max_length=MAX_ID_LENGTH)

    @pre_load
    def _dialects(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict) and "external_order_id" not in data and "external_id" in data:
            data = dict(data)
            data["external_order_id"] = data.pop("external_id")
        return data

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> model.OrderRef:
        return model.OrderRef(
            fast_order_id=data.get("order_id"),
            external_id=data.get("external_order_id"),
            is_cart=data.get("is_cart"),
        )


class ReadRequestSchema(_Envelope):
    order = fields.Nested(OrderRefSchema)
    shipping_zones = fields.Dict()


class UpdateRequestSchema(_Envelope):
    order = fields.Nested(UpdateSegmentSchema, required=True)


class DeleteRequestSchema(_Envelope):
    order = fields.Nested(OrderRefSchema, required=True)
