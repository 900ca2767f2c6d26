"""Fast's answers: the canonical model dumped through the schemas, inside Fast's envelopes."""

from __future__ import annotations

from typing import Any

from mappings import model
from mappings.fast.schemas import FastOrderSchema, SegmentStatusSchema, ShippingZoneSchema

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
