"""Pages: the acceptance path through the web UI, the public page (no personal data, cached), the map."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command

from fangkong.residents.idnumbers import make_citizen_id
from fangkong.residents.models import Household
from fangkong.residents.services import person_register
from fangkong.risk_areas import notice_render
from fangkong.risk_areas.models import Notice, RiskArea
from fangkong.risk_areas.tests.factories import issuer, second_hq, seed_31_areas

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _residents(world):
    hh = Household.objects.create(area=world.unit_x, area_path=world.unit_x.path, floor=3, room="301",
                                  address="翠屏小区1号楼1单元301")
    people = []
    for n, (name, phone) in enumerate((("王秀兰", "13912345678"), ("李建国", "13800001111"))):
        people.append(person_register(actor=world.hq, household=hh, area=world.unit_x, name=name, phone=phone,
                                      id_type="citizen_id", id_number=make_citizen_id("611002", date(1940, 5, 1), n),
                                      care_tags=["lives_alone_elderly"] if n == 0 else ["chronic_illness"]))
    return people


def test_the_notice_31_through_the_web_ui(client, world):
    """Tried as a new user would: pick the areas on the 调整研判 page, draft, submit, approve (another
    HQ user), then read the notice as HTML and download PDF and DOCX."""
    s = seed_31_areas(world)
    issuer(world)
    client.force_login(world.hq)
    page = client.get("/risk-areas/downgrades/").content.decode()
    for ra in (s.cuiping, s.longtan, s.dongguan, s.xiguan):
        assert f'value="{ra.pk}:downgrade:' in page
    tokens = [f"{s.cuiping.pk}:downgrade:medium", f"{s.longtan.pk}:downgrade:medium",
              f"{s.dongguan.pk}:downgrade:low", f"{s.xiguan.pk}:downgrade:low"]
    assert client.get("/risk-areas/notices/new/", {"change": tokens}).status_code == 200
    r = client.post("/risk-areas/notices/new/", {"confirm": "1", "change": tokens, "issuer": issuer(world).pk,
                                                 "effective_date": "2022-09-04", "effective_hour": "20"})
    notice = Notice.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/risk-areas/notices/{notice.pk}/"
    r = client.post(f"/risk-areas/notices/{notice.pk}/edit/", {
        "effective_date": "2022-09-04", "effective_hour": "20", "basis": notice.basis,
        "measures:downgrade|high|medium": "足不出户、错峰取物"})
    assert r.status_code == 302
    client.post(f"/risk-areas/notices/{notice.pk}/submit/")
    client.post(f"/risk-areas/notices/{notice.pk}/approve/")  # the requester: refused
    notice.refresh_from_db()
    assert notice.status == "pending_approval"
    client.force_login(second_hq(world))
    client.post(f"/risk-areas/notices/{notice.pk}/approve/")
    notice.refresh_from_db()
    assert (notice.status, notice.number) == ("published", 31)
    body = client.get(f"/risk-areas/notices/{notice.pk}/").content.decode()
    assert "山阳县（2个）：城关街道翠屏社区、杨地镇龙潭社区。实行“足不出户、错峰取物”等管控措施。" in body
    assert "商州区东关木器厂2号楼、6号楼，山阳县城关街道西关社区。实行“个人防护、避免聚集”等防范措施。" in body
    pdf = client.get(f"/risk-areas/notices/{notice.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    pypdf = pytest.importorskip("pypdf")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "第31号" in re.sub(r"\s+", "", text) and "杨地镇龙潭社区" in re.sub(r"\s+", "", text)
    docx = client.get(f"/risk-areas/notices/{notice.pk}/docx/")
    assert docx.content[:2] == b"PK"
    # the timeline links the notice (applied now: its time has passed)
    detail = client.get(f"/risk-areas/{s.cuiping.pk}/").content.decode()
    assert "第31号" in detail and "降级" in detail


def test_area_page_shows_people_households_and_care_ledger_masked(client, world):
    people = _residents(world)
    from fangkong.risk_areas.tests.factories import area, at

    ra = area(world, "high", [{"kind": "floor", "area": world.unit_x, "floor": 3}], designated=at(2022, 9, 1, 8))
    client.force_login(world.worker_x)
    body = client.get(f"/risk-areas/{ra.pk}/").content.decode()
    assert "王秀兰" in body and "（2人，1户）" in body and "独居老人" in body
    assert people[0].id_number not in body and "13912345678" not in body  # masked
    assert "139****5678" in body
    assert f'href="/residents/persons/{people[0].pk}/">王秀兰</a>' in body  # to the person page (status and why)
    client.force_login(world.worker_y)
    assert client.get(f"/risk-areas/{ra.pk}/").status_code == 404


def test_public_pages_have_no_personal_data(client, world):
    people = _residents(world)
    s = seed_31_areas(world)
    from fangkong.risk_areas import services
    from fangkong.risk_areas.tests.factories import area, at

    area(world, "high", [{"kind": "room", "area": world.unit_x, "room": "301"}], designated=at(2022, 9, 1, 8))
    n = services.notice_create(actor=world.hq, issuer=issuer(world), effective_at=at(2022, 9, 4, 20),
                               changes=[{"risk_area": s.cuiping, "kind": "downgrade", "to_level": "medium"}])
    services.notice_submit(actor=world.hq, notice=n)
    services.notice_approve(actor=second_hq(world), notice=n)
    pages = [client.get(u) for u in ("/public/", "/public/notices/", f"/public/notices/{n.pk}/")]
    assert all(p.status_code == 200 for p in pages)
    text = "".join(p.content.decode() for p in pages)
    assert "城关街道翠屏社区" in text and "山阳县" in text and "第31号" in text
    for p in people:
        for value in (p.name, p.id_number, p.phone, p.id_number[-6:], p.phone[-4:]):
            assert value not in text, value
    assert not re.search(r"\b1[3-9]\d{9}\b", text) and not re.search(r"\b\d{17}[\dX]\b", text)
    assert "翠屏小区1号楼1单元301室" in text  # the room area is named, not its residents


def test_public_page_is_cached_and_invalidated_on_publish(client, world, django_assert_max_num_queries):
    s = seed_31_areas(world)
    first = client.get("/public/")
    assert first["Cache-Control"].startswith("public")
    with django_assert_max_num_queries(2):
        client.get("/public/")
    from fangkong.risk_areas import services
    from fangkong.risk_areas.tests.factories import at

    n = services.notice_create(actor=world.hq, issuer=issuer(world), effective_at=at(2022, 9, 4, 20),
                               changes=[{"risk_area": s.xiguan, "kind": "lift"}])
    services.notice_submit(actor=world.hq, notice=n)
    services.notice_approve(actor=second_hq(world), notice=n)
    after = client.get("/public/").content.decode()
    assert "城关街道西关社区" not in after.split("最新通告")[0]
    assert "第31号" in after


def test_drafts_are_not_public(client, world):
    s = seed_31_areas(world)
    from fangkong.risk_areas import services
    from fangkong.risk_areas.tests.factories import at

    n = services.notice_create(actor=world.hq, issuer=issuer(world), effective_at=at(2022, 9, 4, 20),
                               changes=[{"risk_area": s.xiguan, "kind": "lift"}])
    assert client.get(f"/public/notices/{n.pk}/").status_code == 404
    assert client.get(f"/public/notices/{n.pk}/pdf/").status_code == 404


def test_map_page_passes_data_without_inline_script(client, world):
    seed_31_areas(world)
    client.force_login(world.hq)
    body = client.get("/risk-areas/map/").content.decode()
    block = re.search(r'<script id="risk-map-data" type="application/json">(.*?)</script>', body, re.S)
    data = json.loads(block[1])
    assert len(data["points"]) == 4 and data["geo_url"].endswith("risk_areas/geo/shangluo_demo.json")
    scripts = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", body)
    assert scripts == []


def test_outline_command_is_deterministic(tmp_path, world):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    call_command("risk_areas_outlines", output=str(a), stdout=io.StringIO())
    call_command("risk_areas_outlines", output=str(b), stdout=io.StringIO())
    assert a.read_bytes() == b.read_bytes()
    shipped = Path(__file__).resolve().parents[1] / "static" / "risk_areas" / "geo" / "shangluo_demo.json"
    assert json.loads(a.read_text()) == json.loads(shipped.read_text())
    assert {f["properties"]["name"] for f in json.loads(a.read_text())["features"]} >= {"商州区", "山阳县"}


def test_notice_css_matches_the_renderer():
    css = (Path(__file__).resolve().parents[1] / "static" / "risk_areas" / "notice.css").read_text()
    assert notice_render.NOTICE_CSS in css


def test_create_designate_and_edit_through_pages(client, world):
    client.force_login(world.epi)
    r = client.post("/risk-areas/new/", {"ruleset_id": "di9ban", "level": "high", "kind": "room",
                                         "area_code": world.unit_x.code, "room": "502", "floor": "5"})
    ra = RiskArea.objects.get()
    assert r.status_code == 302 and ra.status == "proposed"
    r = client.post("/risk-areas/new/", {"ruleset_id": "di9ban", "level": "high", "kind": "node",
                                         "area_code": world.z.code})
    assert r.status_code == 200 and "不在您的辖区内" in r.content.decode()
    client.post(f"/risk-areas/{ra.pk}/designate/", {"effective_date": "2022-09-01", "effective_hour": "8"})
    ra.refresh_from_db()
    assert ra.status == "active" and ra.level == "high"
    client.post(f"/risk-areas/{ra.pk}/edit/", {"name": "翠屏小区1号楼1单元502室", "measures": "足不出户、上门服务"})
    ra.refresh_from_db()
    assert ra.name == "翠屏小区1号楼1单元502室"


def test_english_ui_dates_have_no_chinese_format(client, world):
    """The dates on the interface follow the language (the notice text itself stays Chinese)."""
    seed_31_areas(world)
    client.force_login(world.hq)
    client.cookies["django_language"] = "en"
    page = client.get("/risk-areas/downgrades/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(r"As of \d{4}-\d\d-\d\d", page)
    page = client.get("/public/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "更新于" not in page and not re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d", page)
    client.cookies["django_language"] = "zh-hans"
    page = client.get("/risk-areas/downgrades/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert re.search(r"截至\d{4}年\d{1,2}月\d{1,2}日", page)


def test_add_a_part_form_has_labels(client, world):
    """The 'add a part' form on the area page says what each box is for (it had bare inputs)."""
    s = seed_31_areas(world)
    client.force_login(world.hq)
    page = client.get(f"/risk-areas/{s.cuiping.pk}/").content.decode()
    form = page[page.index('data-testid="member-kind"'):]
    for label in ("类型", "区域代码", "楼层", "房号", "四至边界"):
        assert f">{label}</label>" in form, label


def test_new_area_form_starts_with_the_rule_set_in_force(client, world, settings):
    """Not the first rule set of the list (第八版): the one in force today, or, once risk areas are over,
    the one of the newest area in force (a replayed scenario)."""
    from unittest import mock

    client.force_login(world.hq)
    with mock.patch("django.utils.timezone.localdate", return_value=date(2022, 11, 20)):
        page = client.get("/risk-areas/new/").content.decode()
    assert re.search(r'<option value="ershitiao"[^>]*selected', page)
    assert re.search(r'<option value="high"[^>]*selected', page)
    seed_31_areas(world)  # 第九版 areas in force
    page = client.get("/risk-areas/new/").content.decode()
    assert re.search(r'<option value="di9ban"[^>]*selected', page)
