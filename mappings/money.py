"""Exact money arithmetic: Decimal in, Decimal out, never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ZERO = Decimal("0")
CENT = Decimal("0.01")


def to_decimal(value: object) -> Decimal:
    """Parse a wire amount (string, int or Decimal) exactly; floats are refused."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool | float):
        raise ValueError("money must be a decimal string, not a float or bool")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a decimal amount: {value!r}") from None
    else:
        raise ValueError(f"not a decimal amount: {value!r}")
    if not result.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return result


def quantize(amount: Decimal, exponent: Decimal = CENT) -> Decimal:
    """Round half-up to the currency's minor unit, the way shops round."""
    return amount.quantize(exponent, rounding=ROUND_HALF_UP)


def from_minor_units(value: object, minor_unit: int) -> Decimal:
    """WooCommerce-style integer minor units ("1999", 2) -> Decimal("19.99")."""
    return to_decimal(value).scaleb(-minor_unit)


def to_wire(amount: Decimal | None) -> str | None:
    """Decimal -> the plain string Fast expects: at least two decimals ("0.00", "54.02", never
    "0" or "5.402E+1"); more decimals are kept as they are, never rounded away."""
    if amount is None:
        return None
    if amount.as_tuple().exponent > -2:  # type: ignore[operator]
        amount = amount.quantize(CENT)
    return format(amount, "f")
