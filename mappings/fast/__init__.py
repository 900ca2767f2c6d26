"""Fast's wire format in marshmallow: both dialects in, the OpenAPI shapes out.

Loading is tolerant the way Fast's real traffic needs (the seeds' dialect and
the OpenAPI one, numbers where strings are declared, enums as names or proto
numbers, unknown fields ignored). Dumping emits exactly the OpenAPI shapes:
money as decimal strings, enums as names, ids as ``{"value": ...}``, and no
``null``s.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_dump, post_load, pre_load

from mappings import model
from mappings.money import to_decimal, to_wire
from service.errors import InvalidRequest, MalformedJSON, bad_request_detail

# --- enums ------------------------------------------------------------------
# Proto numbering: 0 is "unspecified", then each enum's listed order from 1,
# except where Fast's proto numbers differently (SHIPPING_OPTION_TYPE_OTHER = 99).


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

MAX_ID_LENGTH = 256
MAX_TEXT_LENGTH = 4096
MAX_QUANTITY = 1_000_000
MAX_LIST_LENGTH = 500
MAX_JSON_DEPTH = 32
MAX_AMOUNT_DECIMALS = 12


# --- fields -----------------------------------------------------------------


class Text(fields.Field):
    """A string on the wire; numbers are accepted where Fast declares strings."""

    def __init__(self, *, max_length: int = MAX_TEXT_LENGTH, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_length = max_length

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise ValidationError("Not a valid string.")
        text = value if isinstance(value, str) else format(value, "f") if isinstance(value, Decimal) else str(value)
        if len(text) > self.max_length:
            raise ValidationError(f"Longer than {self.max_length} characters.")
        if "\x00" in text:
            raise ValidationError("Contains a NUL character.")
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                # A lone surrogate ("\ud800" in the JSON) cannot be sent to any shop.
                raise ValidationError("Contains an invalid character.") from None
        return text

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(value)


class Id(Text):
    """Fast's ``v1UUID``: ``{"value": "..."}`` on the wire, or a bare string/number on input."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=MAX_ID_LENGTH, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        if isinstance(value, dict):
            if "value" not in value:
                raise ValidationError("Missing 'value'.")
            value = value["value"]
            if value is None:
                return None
        text = super()._deserialize(value, attr, data, **kwargs)
        return text or None

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> dict[str, str] | None:
        return None if value is None else {"value": str(value)}


class Money(fields.Field):
    """A decimal amount: a string on the wire, ``Decimal`` inside, never a float."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, str) and len(value) > 64:
            raise ValidationError("Not a valid amount.")
        try:
            amount = to_decimal(value)
        except ValueError:
            raise ValidationError("Not a valid decimal amount.") from None
        if abs(amount) >= Decimal("1e15"):
            raise ValidationError("Amount out of range.")
        if amount.as_tuple().exponent < -MAX_AMOUNT_DECIMALS:  # type: ignore[operator]
            # "1e-999999" would print as a million digits.
            raise ValidationError("Too many decimal places.")
        return amount

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return to_wire(value)


class Quantity(fields.Field):
    """A non-negative whole number; ``"2"`` and ``2.0`` are accepted, ``2.5`` is not."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise ValidationError("Not a valid integer.")
        if isinstance(value, str):
            value = value.strip()
            digits = value[1:] if value.startswith("-") else value
            # ASCII digits only: "--5" and "²" pass str.isdigit() but int() refuses them.
            if not (digits.isascii() and digits.isdigit()) or len(value) > 12:
                raise ValidationError("Not a valid integer.")
            value = int(value)
        if isinstance(value, Decimal):
            if value != value.to_integral_value():
                raise ValidationError("Not a whole number.")
            value = int(value)
        if not isinstance(value, int):
            raise ValidationError("Not a valid integer.")
        if value < 0:
            raise ValidationError("Must not be negative.")
        if value > MAX_QUANTITY:
            raise ValidationError(f"Must not exceed {MAX_QUANTITY}.")
        return value

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> int | None:
        return value


class Enum(fields.Field):
    """A proto enum: accepted as its name, a short name, or its number; emitted as its name."""

    def __init__(self, numbers: dict[int, str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.numbers = numbers
        self.names = set(numbers.values())
        self.prefix = _common_prefix(self.names)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        if isinstance(value, bool) or (isinstance(value, str) and len(value) > 100):
            raise ValidationError("Not a valid enum value.")
        if isinstance(value, int | Decimal) or (isinstance(value, str) and value.strip().isdigit()):
            try:
                number = int(value)
            except (ValueError, ArithmeticError):
                raise ValidationError("Not a valid enum value.") from None
            if number == 0 and number not in self.numbers:
                return None
            if number not in self.numbers:
                raise ValidationError(f"Unknown enum number {number}.")
            return _unspecified_to_none(self.numbers[number])
        if not isinstance(value, str) or len(value) > 100:
            raise ValidationError("Not a valid enum value.")
        name = value.strip().upper()
        name = ENUM_ALIASES.get(name, name)
        if name not in self.names and self.prefix + name in self.names:
            name = self.prefix + name
        if name not in self.names:
            if name.endswith("_UNSPECIFIED") or name == "":
                return None
            raise ValidationError(f"Must be one of: {', '.join(sorted(self.names))}.")
        return _unspecified_to_none(name)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return value


def _common_prefix(names: set[str]) -> str:
    first = next(iter(names))
    prefix = first
    for name in names:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    return prefix[: prefix.rfind("_") + 1]


def _unspecified_to_none(name: str) -> str | None:
    return None if name.endswith("_UNSPECIFIED") else name


def _list(nested: type[Schema], **kwargs: Any) -> fields.List:
    from marshmallow.validate import Length

    return fields.List(fields.Nested(nested), validate=Length(max=MAX_LIST_LENGTH), **kwargs)


# --- schemas ----------------------------------------------------------------


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
    external_options = _list(CustomValueSchema)
    customizations = _list(CustomValueSchema)
    quantity = Quantity(load_default=0)
    external_item_id = Text(max_length=MAX_ID_LENGTH, load_only=True)
    quantity_fulfilled = Quantity()
    unit_price = Money()
    discounted_unit_price = Money()
    line_discount_amount = Money()
    subtotal_amount = Money()
    tax_amount = Money()
    total_amount = Money()
    discounts = _list(DiscountSchema)
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
    lines = _list(LineRefSchema)


class ShipmentPlanSchema(WireSchema):
    model = model.ShipmentPlan
    id = Id()
    external_id = Text(max_length=MAX_ID_LENGTH)
    ship_to = fields.Nested(AddressSchema)
    lines = _list(LineRefSchema)
    selected_option = fields.Nested(ShippingOptionSchema)
    available_options = _list(ShippingOptionSchema)
    shipments = _list(ShipmentSchema)


class RefundSchema(WireSchema):
    model = model.Refund
    id = Id()
    external_id = Text(max_length=MAX_ID_LENGTH)
    reason = Text()
    use_original_method = fields.Boolean()
    lines = _list(LineRefSchema)
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
    lines = _list(LineSchema)
    shipment_plans = _list(ShipmentPlanSchema)
    coupons = _list(DiscountSchema)
    total_amount = Money()
    sub_total = Money()
    total_discounts = Money()
    total_tax = Money()
    total_shipping = Money()
    refunds = _list(RefundSchema)
    custom_values = _list(CustomValueSchema)
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
    external_options = _list(CustomValueSchema)
    customizations = _list(CustomValueSchema)

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
    line_refs = _list(LineRefSchema)


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
    items = _list(ItemUpdateSchema)
    coupon = fields.Nested(CouponUpdateSchema)
    shipping_option = fields.Nested(ShippingOptionUpdateSchema)
    shipments = _list(ShipmentUpdateSchema)

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


class CreateSegmentSchema(WireSchema):
    is_cart = fields.Boolean()
    order = fields.Nested(FastOrderSchema, required=True)


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


# --- response envelopes ---------------------------------------------------

_ORDER = FastOrderSchema()
_ZONE = ShippingZoneSchema()
_STATUS = SegmentStatusSchema()


def _envelope(entity_type: str | None, request_id: str | None, **body: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if entity_type:
        out["type"] = entity_type
    out.update(body)
    if request_id:
        out["request_id"] = {"value": request_id}
    return out


def dump_order_response(order: model.Order, entity_type: str | None, request_id: str | None) -> dict[str, Any]:
    """Create and read responses: ``{"type", "order": {"order": FastOrder}, "request_id"}``."""
    return _envelope(entity_type, request_id, order={"order": _ORDER.dump(order)})


def dump_update_response(result: model.UpdateResult, entity_type: str | None, request_id: str | None) -> dict[str, Any]:
    segment: dict[str, Any] = {"order": _ORDER.dump(result.order)}
    if result.statuses:
        segment["status"] = _STATUS.dump(result.statuses, many=True)
    return _envelope(entity_type, request_id, order=segment)


def dump_zones_response(
    zones: list[model.ShippingZone], entity_type: str | None, request_id: str | None
) -> dict[str, Any]:
    return _envelope(entity_type, request_id, shipping_zones={"shipping_zones": _ZONE.dump(zones, many=True)})


def dump_order(order: model.Order) -> dict[str, Any]:
    return _ORDER.dump(order)


# --- parsing a request body ---------------------------------------------------

_SCHEMAS = {
    "create": CreateRequestSchema(),
    "read": ReadRequestSchema(),
    "update": UpdateRequestSchema(),
    "delete": DeleteRequestSchema(),
}


def decode_json(raw: bytes) -> dict[str, Any]:
    """JSON with exact decimals; 400 for non-JSON, 422 for a non-object or too deep a document."""
    try:
        # Strict UTF-8: json.loads(bytes) would let encoded lone surrogates through.
        data = json.loads(raw.decode("utf-8"), parse_float=_number, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise MalformedJSON("the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidRequest("the request body must be a JSON object", field="$")
    if _depth(data) > MAX_JSON_DEPTH:
        raise InvalidRequest(f"the request body is nested deeper than {MAX_JSON_DEPTH} levels", field="$")
    return data


# A number with a huge exponent is cheap to send and ruinous to use: int(Decimal("1e999999"))
# or format(..., "f") would build a million digits. No amount, quantity or id needs more.
MAX_NUMBER_CHARS = 64
MAX_NUMBER_EXPONENT = 40


def _number(text: str) -> Decimal:
    number = Decimal(text)
    if len(text) > MAX_NUMBER_CHARS or abs(number.adjusted()) > MAX_NUMBER_EXPONENT:
        raise InvalidRequest("the request body holds a number out of range", field="$")
    return number


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _depth(value: Any, level: int = 1) -> int:
    stack = [(value, level)]
    deepest = level
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def load_request(operation: str, data: dict[str, Any]) -> dict[str, Any]:
    """Validate and convert one request body; 422 naming the offending fields."""
    try:
        loaded = _SCHEMAS[operation].load(data)
    except ValidationError as exc:
        violations = list(_flatten(exc.messages))
        shown = "; ".join(f"{path}: {message}" for path, message in violations[:3])
        if len(violations) > 3:
            shown += f"; and {len(violations) - 3} more"
        raise InvalidRequest(
            f"invalid {operation} request: {shown}",
            field=violations[0][0] if violations else None,
            details=[bad_request_detail(violations[:20])],
        ) from None
    loaded.setdefault("type", None)
    return loaded


def _flatten(messages: Any, path: str = "") -> Any:
    if isinstance(messages, dict):
        for key, value in messages.items():
            if isinstance(key, int):
                child = f"{path}[{key}]"
            elif key == "_schema":
                child = path or "$"
            else:
                child = f"{path}.{key}" if path else str(key)
            yield from _flatten(value, child)
    elif isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        yield path or "$", " ".join(messages)
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            yield from _flatten(value, f"{path}[{index}]")
    else:
        yield path or "$", str(messages)
