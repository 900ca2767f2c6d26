"""The REST v3 routes of the fake shop: orders (read, search, update) and shipping zones."""

from __future__ import annotations

import base64
import copy
import json
from typing import TYPE_CHECKING, Any

from tests.fakes.woocommerce.catalogue import CONTINENTS, COUNTRIES, JSON, ORDER_STATUSES, Answer, WooError, Zone

if TYPE_CHECKING:
    from tests.fakes.woocommerce.shop import FakeWooCommerce

NO_ROUTE = ("rest_no_route", "No route was found matching the URL and request method.")


class RestMixin:
    def _authenticate(self: FakeWooCommerce, headers: dict[str, str]) -> None:
        denied = WooError(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        auth = headers.get("authorization", "")
        if not auth.lower().startswith("basic "):
            raise denied
        try:
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        except ValueError:
            raise denied from None
        https = self.base_url.startswith("https://")
        if user == self.consumer_key and password == self.consumer_secret and https:
            return  # consumer keys travel as basic auth over https only
        if (
            self.app_user
            and user == self.app_user
            and password == self.app_password
            and (https or self.local_environment)
        ):
            return  # application passwords need https, or a 'local' WordPress environment
        raise denied

    def _rest(self: FakeWooCommerce, method: str, route: str, query: JSON, body: Any) -> Answer:
        parts = route.strip("/").split("/")
        if parts[0] == "orders":
            if len(parts) == 1 and method == "GET":
                return 200, {}, [self._public(o) for o in self._search_orders(query)]
            order = self.orders.get(int(parts[1])) if len(parts) == 2 and parts[1].isdigit() else None
            if order is None:
                raise WooError(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
            if method == "GET":
                return 200, {}, self._public(order)
            if method in ("PUT", "POST", "PATCH"):
                self._update_order(order, body or {})
                return 200, {}, self._public(order)
        if parts[0] == "shipping" and len(parts) >= 2 and parts[1] == "zones" and method == "GET":
            return 200, {}, self._zones_route(parts[2:])
        if parts[:2] == ["data", "countries"]:
            return 200, {}, [{"code": c, "name": c, "states": []} for c in COUNTRIES]
        if parts[:2] == ["data", "continents"]:
            continents = [
                {"code": k, "name": k, "countries": [{"code": c, "name": c, "states": []} for c in v]}
                for k, v in CONTINENTS.items()
            ]
            return 200, {}, continents
        raise WooError(404, *NO_ROUTE)

    def _public(self: FakeWooCommerce, order: JSON) -> JSON:
        """An order as REST v3 answers it (checkout.jsonl seq 13-27)."""
        public = {k: copy.deepcopy(v) for k, v in order.items() if not k.startswith("_")}
        href = f"{self.base_url}/wp-json/wc/v3/orders"
        public["payment_url"] = (
            f"{self.base_url}/checkout/order-pay/{order['id']}/?pay_for_order=true&key={order['order_key']}"
        )
        # WC_Order::is_editable and ::needs_payment (checkout.jsonl seq 13 on-hold: editable, seq 17 processing: not).
        public["is_editable"] = order["status"] in ("pending", "on-hold", "auto-draft")
        public["needs_payment"] = order["status"] in ("pending", "failed") and order["total"] != "0.00"
        public["_links"] = {
            "self": [
                {"href": f"{href}/{order['id']}", "targetHints": {"allow": ["GET", "POST", "PUT", "PATCH", "DELETE"]}}
            ],
            "collection": [{"href": href}],
            "email_templates": [{"embeddable": True, "href": f"{href}/{order['id']}/actions/email_templates"}],
        }
        return public

    def _search_orders(self: FakeWooCommerce, query: JSON) -> list[JSON]:
        found = list(self.orders.values())
        if query.get("search"):
            needle = str(query["search"]).lower()
            found = [o for o in found if needle in json.dumps([o["billing"], o["shipping"]]).lower()]
        if query.get("after"):
            found = [o for o in found if o["date_created_gmt"] > str(query["after"])]
        status = query.get("status", "any")
        if status != "any":
            found = [o for o in found if o["status"] in status.split(",")]
        found.sort(key=lambda o: o["id"], reverse=query.get("order", "desc") == "desc")
        return found[: int(query.get("per_page", 10))]

    def _update_order(self: FakeWooCommerce, order: JSON, body: JSON) -> None:
        status = body.get("status")
        if status is not None and status not in ORDER_STATUSES:
            raise WooError(
                400,
                "rest_invalid_param",
                "Invalid parameter(s): status",
                params={"status": f"status is not one of {', '.join(ORDER_STATUSES)}."},
            )
        for key in ("payment_method_title", "customer_note", "transaction_id"):
            if key in body:
                order[key] = str(body[key])
        for meta in body.get("meta_data") or []:
            existing = next((m for m in order["meta_data"] if m["key"] == meta["key"]), None)
            if existing:
                existing["value"] = meta["value"]
            else:
                order["meta_data"].append({"id": self._item_id(), "key": meta["key"], "value": meta["value"]})
        if status is not None:
            self._transition(order, status)

    def _zones_route(self: FakeWooCommerce, rest: list[str]) -> Any:
        everyone = Zone(0, "Locations not covered by your other zones", [], self.rest_of_world)
        zones = [everyone, *sorted(self.zones, key=lambda z: z.order)]
        if not rest:
            return [{"id": z.id, "name": z.name, "order": z.order} for z in zones]
        zone = next((z for z in zones if str(z.id) == rest[0]), None)
        if zone is None:
            raise WooError(404, "woocommerce_rest_shipping_zone_invalid", "Resource does not exist.")
        if rest[1:] == ["locations"]:
            return [{"code": c, "type": t} for c, t in zone.locations]
        if rest[1:] == ["methods"]:
            return [
                {
                    "instance_id": m.instance_id,
                    "title": m.title,
                    "order": i,
                    "enabled": m.enabled,
                    "method_id": m.method_id,
                    "method_title": m.title,
                    "method_description": "",
                    "settings": {},
                }
                for i, m in enumerate(zone.methods)
            ]
        return {"id": zone.id, "name": zone.name, "order": zone.order}
