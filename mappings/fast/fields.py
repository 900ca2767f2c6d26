"""The field types of Fast's wire format: text, ids, money, quantities, enums."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields

from mappings.fast.enums import (
    ENUM_ALIASES,
    MAX_AMOUNT_DECIMALS,
    MAX_ID_LENGTH,
    MAX_LIST_LENGTH,
    MAX_QUANTITY,
    MAX_TEXT_LENGTH,
)
from mappings.money import to_decimal, to_wire


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


def nested_list(nested: type[Schema], **kwargs: Any) -> fields.List:
    from marshmallow.validate import Length

    return fields.List(fields.Nested(nested), validate=Length(max=MAX_LIST_LENGTH), **kwargs)
