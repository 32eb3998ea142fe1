"""Synthetic map data for the demo city: county outlines as GeoJSON, and a point per risk area.

The outlines are NOT real boundaries: deterministic octagons around the approximate county seats
(good enough to show where areas are). `manage risk_areas_outlines` writes them to
static/risk_areas/geo/shangluo_demo.json; the map page draws them with ECharts (static/risk_areas/map.js).
"""

from __future__ import annotations

import hashlib
import math

# Approximate seats (lon, lat) of 商洛市's counties; other counties get a deterministic position.
SEATS = {
    "611002000000": (109.94, 33.87),  # 商州区
    "611021000000": (110.15, 34.09),  # 洛南县
    "611022000000": (110.33, 33.70),  # 丹凤县
    "611023000000": (110.88, 33.53),  # 商南县
    "611024000000": (109.88, 33.53),  # 山阳县
    "611025000000": (109.15, 33.42),  # 镇安县
    "611026000000": (109.11, 33.69),  # 柞水县
}
LEVEL_COLORS = {"high": "#d63939", "sealed": "#d63939", "medium": "#f76707", "controlled": "#f76707",
                "low": "#2fb344", "precaution": "#2fb344"}


def _unit(text: str, salt: str = "") -> float:
    """A deterministic number in [0, 1) from a text."""
    digest = hashlib.sha256((salt + text).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def seat_of(code: str, index: int = 0) -> tuple[float, float]:
    if code in SEATS:
        return SEATS[code]
    return (109.0 + 0.45 * (index % 5), 33.3 + 0.35 * (index // 5))


def county_outline(code: str, index: int = 0, radius: float = 0.2) -> list[list[float]]:
    lon, lat = seat_of(code, index)
    ring = []
    for k in range(8):
        angle = 2 * math.pi * k / 8
        r = radius * (0.8 + 0.35 * _unit(code, str(k)))
        ring.append([round(lon + r * math.cos(angle), 5), round(lat + r * 0.8 * math.sin(angle), 5)])
    ring.append(ring[0])
    return ring


def outlines_geojson(counties: list[tuple[str, str]]) -> dict:
    """counties = [(code, name)] → a FeatureCollection of synthetic polygons (deterministic)."""
    features = []
    for i, (code, name) in enumerate(counties):
        features.append({"type": "Feature", "properties": {"name": name, "code": code},
                         "geometry": {"type": "Polygon", "coordinates": [county_outline(code, i)]}})
    return {"type": "FeatureCollection", "features": features}


def point_of(county_code: str, key: str) -> list[float]:
    """A deterministic point inside the county's synthetic outline for a risk area."""
    lon, lat = seat_of(county_code)
    angle, r = 2 * math.pi * _unit(key, "a"), 0.12 * math.sqrt(_unit(key, "r"))
    return [round(lon + r * math.cos(angle), 5), round(lat + r * 0.8 * math.sin(angle), 5)]


def map_payload(areas, *, geo_url: str) -> dict:
    """Points for areas without a drawn outline, polygons for those with one (written boundaries)."""
    from fangkong.epi import rules
    from fangkong.risk_areas.choices import MemberKind
    from fangkong.risk_areas.models import RiskAreaMember
    from fangkong.risk_areas.selectors import display_names, ruleset_of

    points, polygons = [], []
    names = display_names(list(areas))
    outlines: dict[int, list[list[list[float]]]] = {}
    for ra_id, outline in (RiskAreaMember.objects.filter(risk_area__in=list(areas), kind=MemberKind.BOUNDARY,
                                                         outline__isnull=False)
                           .order_by("order", "id").values_list("risk_area_id", "outline")):
        ring = (outline or {}).get("coordinates", [[]])[0] if isinstance(outline, dict) else None
        if ring:
            outlines.setdefault(ra_id, []).append(ring)
    for ra in areas:
        county = ra.county.code if ra.county_id and ra.county else ""
        common = {
            "name": names[ra.pk], "level": ra.level,
            "level_name": rules.level_name(ruleset_of(ra), ra.level) if ra.level else "",
            "county": ra.county.name if ra.county else "", "measures": ra.measures,
            "color": LEVEL_COLORS.get(ra.level, "#666"),
        }
        if ra.pk in outlines:
            polygons.extend({**common, "ring": ring} for ring in outlines[ra.pk])
        else:
            points.append({**common, "value": point_of(county, ra.area_path + str(ra.pk))})
    return {"geo_url": geo_url, "map": "shangluo_demo", "points": points, "polygons": polygons}
