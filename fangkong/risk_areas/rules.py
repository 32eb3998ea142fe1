"""Pure decisions of the risk-areas app: reading and checking a drawn outline (轮廓).

An outline is entered as GeoJSON (a Polygon, or a Feature whose geometry is one) or as "lng,lat" lines
(one vertex a line, as a surveyor's list or the drawing tool writes them). It is stored as a GeoJSON
Polygon with one closed ring. Coordinates must lie in a plausible 商洛 bounding box.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.utils.translation import gettext as _

# 商洛市 lies within about 108°34′–111°01′E, 33°02′–34°24′N; a little margin on every side.
BBOX = (108.3, 32.8, 111.3, 34.6)  # min lng, min lat, max lng, max lat
MAX_VERTICES = 500

_NUMBER = r"[-+]?\d+(?:\.\d+)?"
_LINE = re.compile(rf"^\s*({_NUMBER})\s*[,，\s]\s*({_NUMBER})\s*$")


class OutlineError(ValueError):
    """An outline that cannot be used; the message is for the user."""


def _ring_from_lines(text: str) -> tuple[list[list[float]], bool]:
    ring: list[list[float]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        m = _LINE.match(line.strip().rstrip(";；"))
        if m is None:
            raise OutlineError(
                _("第%(line)d行不是“经度,纬度”：%(text)s") % {"line": n, "text": line.strip()[:40]}
            )
        ring.append([float(m[1]), float(m[2])])
    return ring, False


def _ring_from_geojson(obj: Any) -> tuple[list[list[float]], bool]:
    if isinstance(obj, dict) and obj.get("type") == "FeatureCollection":
        features = obj.get("features") or []
        if len(features) != 1:
            raise OutlineError(
                _("GeoJSON 须只含一个多边形（FeatureCollection 中有%(n)d个要素）。") % {"n": len(features)}
            )
        obj = features[0]
    if isinstance(obj, dict) and obj.get("type") == "Feature":
        obj = obj.get("geometry")
    if isinstance(obj, list):  # a bare list of [lng, lat] pairs (the drawing tool may send one)
        return _pairs(obj), False
    if not isinstance(obj, dict) or obj.get("type") != "Polygon":
        kind = obj.get("type") if isinstance(obj, dict) else type(obj).__name__
        raise OutlineError(_("GeoJSON 须为多边形（Polygon），收到的是：%(kind)s。") % {"kind": kind})
    rings = obj.get("coordinates")
    if not isinstance(rings, list) or not rings:
        raise OutlineError(_("多边形没有坐标。"))
    if len(rings) > 1:
        raise OutlineError(_("轮廓只能有一个外环（不支持内部挖空）。"))
    return _pairs(rings[0]), True


def _pairs(raw: Any) -> list[list[float]]:
    if not isinstance(raw, list):
        raise OutlineError(_("坐标须为 [经度, 纬度] 的列表。"))
    out = []
    for item in raw:
        if (
            not isinstance(item, list | tuple)
            or len(item) < 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in item[:2])
        ):
            raise OutlineError(_("坐标须为 [经度, 纬度] 的列表。"))
        out.append([float(item[0]), float(item[1])])
    return out


def outline_parse(value: Any) -> dict | None:
    """GeoJSON (dict or text), a list of [lng, lat] or "lng,lat" lines → a closed GeoJSON Polygon, or
    None when empty. Raises OutlineError with a message for the user.

    Lines and lists are closed automatically (the last vertex joins the first); GeoJSON must already be
    closed, as the format requires."""
    if value is None or (isinstance(value, str | list | dict) and not value):
        return None
    must_close = False
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text[0] in "{[":
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                raise OutlineError(
                    _("GeoJSON 格式有误（第%(line)d行第%(col)d列）。")
                    % {"line": exc.lineno, "col": exc.colno}
                ) from None
            ring, must_close = _ring_from_geojson(obj)
        else:
            ring, must_close = _ring_from_lines(text)
    else:
        ring, must_close = _ring_from_geojson(value)
    if len(ring) > MAX_VERTICES:
        raise OutlineError(_("轮廓的顶点太多（最多%(max)d个）。") % {"max": MAX_VERTICES})
    if must_close and (len(ring) < 2 or ring[0] != ring[-1]):
        raise OutlineError(_("多边形未闭合：最后一个坐标须与第一个相同。"))
    min_lng, min_lat, max_lng, max_lat = BBOX
    for lng, lat in ring:
        if not (min_lng <= lng <= max_lng and min_lat <= lat <= max_lat):
            if min_lng <= lat <= max_lng and min_lat <= lng <= max_lat:
                raise OutlineError(
                    _("坐标（%(lng)s, %(lat)s）似乎经纬度颠倒：请先写经度、后写纬度。")
                    % {"lng": lng, "lat": lat}
                )
            raise OutlineError(
                _("坐标（%(lng)s, %(lat)s）不在商洛市范围内（经度108.3–111.3，纬度32.8–34.6）。")
                % {"lng": lng, "lat": lat}
            )
    ring = [[round(lng, 6), round(lat, 6)] for lng, lat in ring]
    if ring and ring[0] != ring[-1]:
        ring.append(list(ring[0]))
    distinct = {tuple(p) for p in ring}
    if len(distinct) < 3:
        raise OutlineError(_("轮廓至少需要3个不同的顶点（现有%(n)d个）。") % {"n": len(distinct)})
    if _area2(ring) == 0:
        raise OutlineError(_("轮廓的顶点在一条直线上，围不成区域。"))
    return {"type": "Polygon", "coordinates": [ring]}


def _area2(ring: list[list[float]]) -> float:
    return sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:], strict=False))


def outline_lines(outline: dict | None) -> str:
    """The stored polygon as "lng,lat" lines (the closing vertex left out), for the form."""
    if not outline:
        return ""
    ring = (outline.get("coordinates") or [[]])[0]
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring = ring[:-1]
    return "\n".join(f"{lng},{lat}" for lng, lat in ring)
