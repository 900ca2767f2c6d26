"""Shipping as Shopify quotes it: the rates ``draftOrderCalculate`` offers, and the zones the shop ships to."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mappings import model
from mappings.money import to_decimal
from mappings.shopify import amount


@dataclass(frozen=True)
class Rate:
    handle: str
    title: str
    price: Decimal
    currency: str | None

    def to_json(self) -> dict[str, Any]:
        return {"handle": self.handle, "title": self.title, "price": str(self.price), "currency": self.currency}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rate:
        return cls(data["handle"], data["title"], to_decimal(data["price"]), data.get("currency"))

    def shipping_line_input(self) -> dict[str, Any]:
        return {
            "shippingRateHandle": self.handle,
            "title": self.title,
            "priceWithCurrency": {"amount": str(self.price), "currencyCode": self.currency},
        }


def rates_from(calculated: dict[str, Any] | None) -> list[Rate]:
    if not calculated:
        return []
    return [
        Rate(r["handle"], r["title"], amount(r["price"]), (r.get("price") or {}).get("currencyCode"))
        for r in calculated.get("availableShippingRates") or []
    ]


def _zone_countries(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every country entry of every zone of the shop's delivery profiles."""
    found = []
    for profile in (data.get("deliveryProfiles") or {}).get("nodes", []):
        for group in profile.get("profileLocationGroups") or []:
            for zone_link in (group.get("locationGroupZones") or {}).get("nodes", []):
                found += (zone_link.get("zone") or {}).get("countries") or []
    return found


def _classify(countries: list[dict[str, Any]]) -> tuple[set[str], dict[str, set[str]], bool]:
    """Countries shipped to whole, provinces by country, and whether a zone is the rest of the world."""
    whole: set[str] = set()
    provinces: dict[str, set[str]] = {}
    rest_of_world = False
    for country in countries:
        code = country.get("code") or {}
        if code.get("restOfWorld"):
            rest_of_world = True
            continue
        iso = code.get("countryCode")
        names = [p["code"] for p in country.get("provinces") or [] if p.get("code")]
        if iso and names:
            provinces.setdefault(iso, set()).update(names)
        elif iso:
            whole.add(iso)
    return whole, provinces, rest_of_world


def shipping_zones(data: dict[str, Any]) -> list[model.ShippingZone]:
    """Countries (and, where a zone names some, provinces) the shop's delivery profiles ship to."""
    ships_to = [c for c in (data.get("shop") or {}).get("shipsToCountries") or [] if c]
    whole, provinces, rest_of_world = _classify(_zone_countries(data))
    if rest_of_world or (not whole and not provinces):
        whole.update(c for c in ships_to if c not in provinces)
    zones = [model.ShippingZone(country) for country in sorted(whole)]
    for country in sorted(provinces):
        if country not in whole:
            zones.extend(model.ShippingZone(country, region) for region in sorted(provinces[country]))
    return zones
