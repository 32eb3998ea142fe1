"""Outlines of written boundaries: parsing and checks (closed ring, ≥3 points, inside 商洛), the page
(nothing lost on error), the API (GeoJSON) and the map (a polygon instead of a point)."""

from __future__ import annotations

import json

import pytest

from fangkong.core.errors import ServiceError
from fangkong.risk_areas import services
from fangkong.risk_areas.mapdata import map_payload
from fangkong.risk_areas.models import RiskArea
from fangkong.risk_areas.rules import OutlineError, outline_lines, outline_parse
from fangkong.risk_areas.tests.factories import area, at

RING = [[109.94, 33.87], [109.95, 33.87], [109.95, 33.88], [109.94, 33.87]]
POLYGON = {"type": "Polygon", "coordinates": [RING]}
BOUNDARY = "东至优贝幼儿园西墙、西至吴家巷口西50米"


def test_parse_lines_geojson_and_lists():
    assert outline_parse("109.94,33.87\n109.95，33.87\n\n109.95 33.88") == POLYGON  # closed automatically
    assert outline_parse(json.dumps(POLYGON)) == POLYGON
    assert outline_parse({"type": "Feature", "geometry": POLYGON, "properties": {}}) == POLYGON
    assert (
        outline_parse({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": POLYGON}]})
        == POLYGON
    )
    assert outline_parse(RING[:3]) == POLYGON
    assert outline_parse("") is None and outline_parse(None) is None and outline_parse("  \n") is None
    assert outline_lines(POLYGON) == "109.94,33.87\n109.95,33.87\n109.95,33.88"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"type": "Polygon", "coordinates": [RING[:3]]}, "多边形未闭合"),
        ("109.94,33.87\n109.95,33.87", "至少需要3个不同的顶点"),
        ("109.94,33.87\n109.94,33.87\n109.95,33.87\n109.94,33.87", "至少需要3个不同的顶点"),
        ("109.94,33.87\n109.95,33.87\n109.96,33.87", "在一条直线上"),
        ("116.40,39.90\n116.41,39.90\n116.41,39.91", "不在商洛市范围内"),
        ("33.87,109.94\n33.87,109.95\n33.88,109.95", "经纬度颠倒"),
        ("109.94,33.87\n东至优贝幼儿园\n109.95,33.88", "第2行不是“经度,纬度”"),
        ('{"type": "Polygon", "coordinates": [', "GeoJSON 格式有误"),
        ({"type": "Point", "coordinates": [109.94, 33.87]}, "须为多边形（Polygon），收到的是：Point"),
        ({"type": "Polygon", "coordinates": [RING, RING]}, "只能有一个外环"),
        ({"type": "Polygon", "coordinates": [[["a", "b"]]]}, "坐标须为 [经度, 纬度] 的列表"),
    ],
)
def test_bad_outlines_are_refused_with_a_reason(value, message):
    with pytest.raises(
        OutlineError,
        match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]"),
    ):
        outline_parse(value)


@pytest.mark.django_db
def test_service_stores_outline_only_on_boundaries(world):
    ra = area(
        world,
        "high",
        [
            {
                "kind": "boundary",
                "area": world.x,
                "boundary_text": BOUNDARY,
                "outline": "109.94,33.87\n109.95,33.87\n109.95,33.88",
            }
        ],
    )
    assert ra.members.get().outline == POLYGON
    with pytest.raises(ServiceError, match="只有“文字边界”可以绘制轮廓") as exc:
        area(world, "high", [{"kind": "node", "area": world.unit_x, "outline": POLYGON}])
    assert exc.value.field == "outline"
    with pytest.raises(ServiceError, match="不在商洛市范围内") as exc:
        services.risk_area_member_outline_set(
            actor=world.hq,
            risk_area=ra,
            member=ra.members.get(),
            outline="116.40,39.90\n116.41,39.90\n116.41,39.91",
        )
    member = services.risk_area_member_outline_set(
        actor=world.hq, risk_area=ra, member=ra.members.get(), outline=None
    )
    assert member.outline is None


@pytest.mark.django_db
def test_create_page_keeps_the_form_on_error_and_saves_a_drawn_outline(client, world):
    client.force_login(world.hq)
    data = {
        "ruleset_id": "di9ban",
        "level": "high",
        "kind": "boundary",
        "area_code": world.x.code,
        "boundary_text": BOUNDARY,
        "outline": "109.94,33.87\n109.95,33.87",
        "name": "优贝幼儿园周边",
    }
    response = client.post("/risk-areas/new/", data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "轮廓至少需要3个不同的顶点（现有2个）" in body
    assert BOUNDARY in body and "109.94,33.87\n109.95,33.87" in body and "优贝幼儿园周边" in body
    assert 'src="/static/risk_areas/outline.js"' in body and "<script>" not in body
    data["outline"] += "\n109.95,33.88"
    response = client.post("/risk-areas/new/", data)
    assert response.status_code == 302
    ra = RiskArea.objects.get(name="优贝幼儿园周边")
    member = ra.members.get()
    assert member.outline == POLYGON
    detail = client.get(f"/risk-areas/{ra.pk}/").content.decode()
    assert "已绘制轮廓" in detail and f"/members/{member.pk}/outline/" in detail
    page = client.get(f"/risk-areas/{ra.pk}/members/{member.pk}/outline/").content.decode()
    assert "109.94,33.87\n109.95,33.87\n109.95,33.88</textarea>" in page
    response = client.post(f"/risk-areas/{ra.pk}/members/{member.pk}/outline/", {"outline": "109,200"})
    assert "不在商洛市范围内" in response.content.decode()


@pytest.mark.django_db
def test_api_accepts_geojson_and_designates(client, world):
    token = world.token("hq")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    payload = {
        "level": "high",
        "ruleset_id": "di9ban",
        "members": [
            {
                "kind": "boundary",
                "area_code": world.x.code,
                "boundary_text": BOUNDARY,
                "outline": {"type": "Feature", "geometry": POLYGON},
            }
        ],
    }
    r = client.post("/api/v1/risk-areas/", json.dumps(payload), content_type="application/json", **auth)
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["members"][0]["outline"] == POLYGON and out["status"] == "proposed"
    bad = {
        **payload,
        "members": [{**payload["members"][0], "outline": {"type": "Polygon", "coordinates": [RING[:3]]}}],
    }
    r2 = client.post("/api/v1/risk-areas/", json.dumps(bad), content_type="application/json", **auth)
    assert r2.status_code == 400 and r2.json()["field"] == "outline" and "未闭合" in r2.json()["detail"]
    r3 = client.post(
        f"/api/v1/risk-areas/{out['id']}/designate",
        json.dumps({"effective_at": "2022-09-01T08:00:00+08:00"}),
        content_type="application/json",
        **auth,
    )
    assert r3.status_code == 200 and r3.json()["status"] == "active"


@pytest.mark.django_db
def test_map_draws_outlines_as_polygons(world):
    drawn = area(
        world,
        "high",
        [{"kind": "boundary", "area": world.x, "boundary_text": BOUNDARY, "outline": POLYGON}],
        designated=at(2022, 9, 1, 8),
    )
    plain = area(world, "medium", [{"kind": "node", "area": world.unit_y}], designated=at(2022, 9, 1, 8))
    data = map_payload([drawn, plain], geo_url="/static/x.json")
    assert [p["name"] for p in data["polygons"]] == [BOUNDARY]
    assert data["polygons"][0]["ring"] == RING and data["polygons"][0]["level_name"] == "高风险区"
    assert [p["name"] for p in data["points"]] == ["西关小区1号楼1单元"]


@pytest.mark.django_db
def test_edit_and_designate_pages_link_to_the_outline(client, world):
    ra = area(world, "high", [{"kind": "boundary", "area": world.x, "boundary_text": BOUNDARY}])
    member = ra.members.get()
    client.force_login(world.hq)
    for url in (f"/risk-areas/{ra.pk}/edit/", f"/risk-areas/{ra.pk}/designate/"):
        body = client.get(url).content.decode()
        assert f"/risk-areas/{ra.pk}/members/{member.pk}/outline/" in body and "绘制轮廓" in body
