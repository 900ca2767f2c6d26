"""Where the shop ships: WooCommerce's shipping zones as Fast's, cached in the shared store."""

from __future__ import annotations

from typing import Any

from adapters.woocommerce.api import WooApi
from mappings import model
from mappings import woocommerce as wc
from service.errors import ShapeError
from service.state import StateStore


class ShippingZones:
    def __init__(self, api: WooApi, state: StateStore, cache_key: str, cache_seconds: int) -> None:
        self.api = api
        self.state = state
        self.cache_key = cache_key
        self.cache_seconds = cache_seconds

    def get(self) -> list[model.ShippingZone]:
        try:
            return self._get()
        except (KeyError, TypeError, AttributeError, ValueError):
            raise ShapeError("the shop's shipping zones are not shaped like WooCommerce's") from None

    def _get(self) -> list[model.ShippingZone]:
        if self.cache_seconds:
            cached = self.state.get_json(self.cache_key)
            if cached is not None:
                return [model.ShippingZone(z[0], z[1]) for z in cached]
        zones_body = self.api.zones()
        if not isinstance(zones_body, list):
            raise ShapeError("the shop's shipping zones are not a list")
        continents: dict[str, list[str]] | None = None
        found: list[model.ShippingZone] = []
        for zone in zones_body:
            zone_id = zone.get("id") if isinstance(zone, dict) else None
            if not isinstance(zone_id, int):
                raise ShapeError("a shipping zone has no id")
            if not self._ships(zone_id):
                continue  # a zone without an enabled method ships nothing
            if zone_id == 0:
                found.extend(self._rest_of_world())
                continue
            locations = self.api.zone_locations(zone_id)
            if not isinstance(locations, list):
                raise ShapeError("a shipping zone's locations are not a list")
            if continents is None and any(loc.get("type") == "continent" for loc in locations):
                continents = self._continents()
            found.extend(wc.zones_from_locations(locations, continents or {}))
        zones = wc.dedupe_zones(found)
        if self.cache_seconds:
            cached_zones = [[z.country_iso2, z.subdivision_iso2] for z in zones]
            self.state.set_json(self.cache_key, cached_zones, self.cache_seconds)
        return zones

    def _ships(self, zone_id: int) -> bool:
        methods = self.api.zone_methods(zone_id)
        if not isinstance(methods, list):
            raise ShapeError("a shipping zone's methods are not a list")
        return any(isinstance(m, dict) and m.get("enabled") for m in methods)

    def _rest_of_world(self) -> list[model.ShippingZone]:
        """Zone 0 ("locations not covered by your other zones") ships to every country the shop sells to."""
        countries = self.api.countries()
        if not isinstance(countries, list):
            raise ShapeError("the shop's country list is not a list")
        return [model.ShippingZone(str(c["code"]).upper()) for c in countries if isinstance(c, dict) and c.get("code")]

    def _continents(self) -> dict[str, list[str]]:
        data: Any = self.api.continents()
        return {str(c["code"]).upper(): [str(x["code"]).upper() for x in c.get("countries") or []] for c in data}
