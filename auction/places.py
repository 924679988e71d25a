"""Where a listed asset is, as far as the public may know it.

Coordinates are recorded by staff in the workspace. The public catalog and lot page show
only what the asset's `public_location` allows: the area (the coordinates rounded to two
decimal places, about a kilometre, drawn as a circle: the default, so a home's door is never
on the map unless staff choose so), the exact place (staff chose to publish it), or nothing.
Nothing else of the asset's address or its file (the debtor's identity, the plot and plan
numbers, the custody location) leaves through this module.

The map's tiles come from `MAP_TILE_URL`; with none set the map is drawn without tiles and
the list beside it still names every place (no request leaves the site).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.conf import settings
from django.urls import reverse

from enforcement.models import SeizedAsset

AREA_PLACES = Decimal("0.01")  # about 1.1 km of latitude
AREA_RADIUS_M = 800


@dataclass(frozen=True)
class Place:
    lot_id: int
    title: str
    latitude: float
    longitude: float
    exact: bool
    where: str  # district and city, as written on the asset

    def as_json(self) -> dict[str, Any]:
        return {
            "lot": self.lot_id,
            "title": self.title,
            "lat": self.latitude,
            "lng": self.longitude,
            "exact": self.exact,
            "where": self.where,
            "url": reverse("auction:lot", args=[self.lot_id]),
            "radius": 0 if self.exact else AREA_RADIUS_M,
        }


def _round(value: Decimal) -> Decimal:
    return value.quantize(AREA_PLACES, rounding=ROUND_HALF_EVEN)


def public_place(lot_id: int, asset: SeizedAsset) -> Place | None:
    """What the public may see of where `asset` is, or None."""
    if asset.latitude is None or asset.longitude is None:
        return None
    choice = asset.public_location
    if choice == SeizedAsset.PublicLocation.HIDDEN:
        return None
    exact = choice == SeizedAsset.PublicLocation.EXACT
    latitude = asset.latitude if exact else _round(asset.latitude)
    longitude = asset.longitude if exact else _round(asset.longitude)
    where = " · ".join(part for part in (asset.district, asset.city) if part)
    return Place(lot_id, asset.title, float(latitude), float(longitude), exact, where)


def places(lots: list[Any]) -> list[Place]:
    """The public places of `lots` (each with its asset loaded), in their order."""
    found = (public_place(lot.pk, lot.asset) for lot in lots)
    return [place for place in found if place is not None]


def map_settings() -> dict[str, str]:
    """The tile server the map reads, as the page passes it to the map's script."""
    return {
        "tiles": str(getattr(settings, "MAP_TILE_URL", "") or ""),
        "attribution": str(getattr(settings, "MAP_TILE_ATTRIBUTION", "") or ""),
    }
