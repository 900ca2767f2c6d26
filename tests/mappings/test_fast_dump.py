"""The compiled dumpers answer exactly what marshmallow's own ``dump`` of the same schemas answers."""

from __future__ import annotations

import dataclasses
import types
import typing
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mappings import fast, model


def _strategy(hint: Any) -> st.SearchStrategy[Any]:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return st.none() | st.one_of([_strategy(a) for a in options])
    if origin is list:
        return st.lists(_strategy(typing.get_args(hint)[0]), max_size=3)
    if hint is str:
        return st.text(max_size=6)
    if hint is bool:
        return st.booleans()
    if hint is int:
        return st.integers(min_value=0, max_value=10**6)
    if hint is Decimal:
        return _decimals()
    if dataclasses.is_dataclass(hint):
        return _builds(hint)
    raise AssertionError(f"no strategy for {hint!r}")


def _builds(cls: type) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls)
    return st.deferred(
        lambda: st.builds(cls, **{f.name: _strategy(hints[f.name]) for f in dataclasses.fields(cls) if f.init})
    )


def _decimals() -> st.SearchStrategy[Decimal]:
    return st.decimals(allow_nan=False, allow_infinity=False) | st.sampled_from(
        [Decimal("1E+2"), Decimal("0E-8"), Decimal("-0.00"), Decimal("54.02")]
    )


@settings(max_examples=300, deadline=None)
@given(_builds(model.Order))
def test_an_order_dumps_exactly_as_marshmallow_dumps_it(order: model.Order) -> None:
    assert fast.dump_order(order) == fast.FastOrderSchema().dump(order)
    assert list(fast.dump_order(order)) == list(fast.FastOrderSchema().dump(order))  # key order too


@settings(max_examples=100, deadline=None)
@given(st.lists(_builds(model.SegmentStatus), max_size=4), st.lists(_builds(model.ShippingZone), max_size=4))
def test_statuses_and_zones_dump_exactly_as_marshmallow_dumps_them(
    statuses: list[model.SegmentStatus], zones: list[model.ShippingZone]
) -> None:
    result = model.UpdateResult(order=model.Order(id="F1"), statuses=statuses)
    dumped = fast.dump_update_response(result, "ENTITY_TYPE_ORDER", "r1")
    assert dumped["order"].get("status", []) == fast.SegmentStatusSchema(many=True).dump(statuses)
    zones_dumped = fast.dump_zones_response(zones, "ENTITY_TYPE_SHIPPING_ZONES", None)
    assert zones_dumped["shipping_zones"]["shipping_zones"] == fast.ShippingZoneSchema(many=True).dump(zones)


def test_every_response_schema_is_compiled_not_left_to_marshmallow() -> None:
    for schema in (fast.FastOrderSchema(), fast.SegmentStatusSchema(), fast.ShippingZoneSchema()):
        dumper = fast.compile_dumper(schema)
        assert getattr(dumper, "__self__", None) is not schema, type(schema).__name__


def test_a_schema_with_a_field_or_hook_it_does_not_know_keeps_marshmallows_dump() -> None:
    from marshmallow import fields, post_dump

    class WithRaw(fast.WireSchema):
        anything = fields.Raw()

    class WithHook(fast.WireSchema):
        name = fast.Text()

        @post_dump
        def shout(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
            return {k: v.upper() for k, v in data.items()}

    for cls in (WithRaw, WithHook):
        schema = cls()
        assert fast.compile_dumper(schema) == schema.dump
    assert fast.compile_dumper(WithHook())({"name": "ada"}) == {"name": "ADA"}


def test_money_stays_exact_and_plain() -> None:
    order = model.Order(total_amount=Decimal("1E+2"), sub_total=Decimal("0E-8"), total_tax=Decimal("54.020"))
    dumped = fast.dump_order(order)
    assert (dumped["total_amount"], dumped["sub_total"], dumped["total_tax"]) == ("100", "0.00000000", "54.020")
