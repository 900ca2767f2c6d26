"""``POST /sandbox/v1/storefront-carts``: make a sandbox storefront cart, for the storefront-cart scenario.

A real shop's cart page makes carts with no Fast ids; Fast then reads such a
cart by its id and clears it once it has taken the checkout over. The sandbox
shop has no storefront, so this endpoint plays it::

    POST /sandbox/v1/storefront-carts
    {"app_id": "sandbox", "items": [{"external_product_id": "1001", "quantity": 2}]}
    -> 201 {"external_order_id": "sbx_...", "order": FastOrder}

It serves sandbox stores only (404 for every other store) and touches nothing
but the sandbox's own carts. It asks for no token: the sandbox signing key is
public, so a token would not keep anyone out of the sandbox shop.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, request
from marshmallow import ValidationError

from mappings import fast
from service.errors import InvalidRequest, StoreNotFound

MAX_ITEMS = 20

blueprint = Blueprint("sandbox_storefront", __name__)
_items_schema = fast.ItemUpdateSchema(many=True)


@blueprint.post("/sandbox/v1/storefront-carts")
def create_storefront_cart() -> Response:
    body = fast.decode_json(request.get_data(cache=False))
    app_id = body.get("app_id")
    if not isinstance(app_id, str) or not app_id:
        raise InvalidRequest("app_id names no store", field="app_id")
    service = current_app.extensions["fast.service"]
    store = service.store(app_id)
    if store.adapter != "sandbox":
        raise StoreNotFound(f"store {app_id!r} is not a sandbox store: its storefront makes its own carts")
    items_data = body.get("items")
    if not isinstance(items_data, list) or not 1 <= len(items_data) <= MAX_ITEMS:
        raise InvalidRequest(f"items must list 1 to {MAX_ITEMS} items", field="items")
    try:
        items = _items_schema.load(items_data)
    except ValidationError as exc:
        raise InvalidRequest(f"invalid items: {_first(exc.messages)}", field="items") from None
    for item in items:
        item.item_id = None  # a storefront line carries no Fast id
        if not item.quantity:
            item.quantity = 1

    order = service.adapter(app_id).create_storefront_cart(items)
    payload = {"external_order_id": order.external_id, "order": fast.dump_order(order)}
    return Response(json.dumps(payload, separators=(",", ":")), status=201, mimetype="application/json")


def _first(messages: Any) -> str:
    text = json.dumps(messages, default=str)
    return text if len(text) <= 200 else text[:197] + "..."
