"""Browser tests: the building view a grid worker opens on a phone in the stairwell, and an import with errors
(upload a messy CSV, read the preview counts, confirm, watch the job finish, download the error rows)."""

import datetime as dt

import pytest

from fangkong.core.testing.browser import login, screenshot
from fangkong.core.testing.world import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _cid(year, n):
    from fangkong.residents.idnumbers import make_citizen_id

    return make_citizen_id("611002", dt.date(year, 3, 4), n)


@pytest.mark.parametrize("browser_context", [PHONE], indirect=True)
def test_building_view_on_a_phone(live_server, browser_context):
    from fangkong.core.testing.world import build_world
    from fangkong.residents import services

    world = build_world()
    unit = world.unit_x
    h1 = services.household_create(actor=world.hq, area=unit, room="301")
    h2 = services.household_create(actor=world.hq, area=unit, room="302")
    h3 = services.household_create(actor=world.hq, area=unit, room="101")
    services.person_register(actor=world.hq, area=unit, household=h1, name="张建国", id_type="citizen_id",
                             id_number=_cid(1940, 11), relationship="head", care_tags=["lives_alone_elderly"])
    services.person_register(actor=world.hq, area=unit, household=h2, name="李娜", id_type="citizen_id",
                             id_number=_cid(1992, 22), relationship="head", care_tags=["pregnant"])
    services.person_register(actor=world.hq, area=unit, household=h2, name="王小宝", id_type="citizen_id",
                             id_number=_cid(2021, 33), relationship="child", care_tags=["infant"])
    services.person_register(actor=world.hq, area=unit, household=h3, name="赵透析", id_type="citizen_id",
                             id_number=_cid(1960, 45), relationship="head", care_tags=["chronic_illness"])
    page = browser_context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    login(page, live_server.url, "worker_x", PASSWORD)
    page.goto(f"{live_server.url}/residents/buildings/{world.building_x.code}/")
    floors = page.locator("[data-testid=floor]")
    assert floors.count() == 2  # 3rd floor above the 1st
    assert floors.nth(0).get_attribute("data-floor") == "3" and floors.nth(1).get_attribute("data-floor") == "1"
    rooms = floors.nth(0).locator("[data-testid=room]")
    assert rooms.count() == 2
    assert "301" in rooms.nth(0).inner_text() and "张建国" in rooms.nth(0).inner_text()
    assert "独居老人" in rooms.nth(0).inner_text()
    second = rooms.nth(1).inner_text()
    assert "李娜" in second and "王小宝" in second and "孕妇" in second and "婴幼儿" in second
    assert "赵透析" in floors.nth(1).inner_text()
    # phone layout: two rooms side by side, nothing wider than the screen
    b0, b1 = rooms.nth(0).bounding_box(), rooms.nth(1).bounding_box()
    assert abs(b0["y"] - b1["y"]) < 2 and b1["x"] > b0["x"] + b0["width"] - 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "residents_building_phone")
    # a room opens the household card
    rooms.nth(1).click()
    page.wait_for_load_state("networkidle")
    assert "/residents/households/" in page.url and "王小宝" in page.content()
    screenshot(page, "residents_household_phone")
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_import_with_errors(live_server, browser_context, tmp_path):
    from openpyxl import load_workbook

    from fangkong.core.testing.world import build_world
    from fangkong.residents.models import Person

    world = build_world()
    comp, bld, unit = world.compound_x.name, world.building_x.name, world.unit_x.name
    lines = [
        f"{world.x.name}常住人口信息汇总表,,,,,,,",
        "姓名,身份证号码,联系电话,小区,楼号,单元,房号,与户主关系",
        f"张三,{_cid(1980, 13)},13800000000,{comp},{bld},{unit},301,户主",
        f"李四,{_cid(1982, 24)},,{comp},{bld},{unit},301,配偶",
        f"王五,611002198001011230,,{comp},{bld},{unit},302,户主",  # wrong check character
        f"赵六,{_cid(1975, 35)},,不存在小区,1号楼,1单元,101,户主",  # outside the area
        f"重复,{_cid(1980, 13)},,{comp},{bld},{unit},303,户主",  # duplicate inside the file
        ",,,,,,,",
        f"孙七,{_cid(1990, 47)},12345,{comp},{bld},{unit},303,户主",  # bad phone
    ]
    path = tmp_path / "台账.csv"
    path.write_bytes("\r\n".join(lines).encode("gb18030"))
    page = browser_context.new_page()
    login(page, live_server.url, "street_admin", PASSWORD)
    page.goto(f"{live_server.url}/residents/import/")
    assert "还没有导入记录" in page.content()
    page.fill("input[name=area]", world.x.code)
    page.set_input_files("input[name=file]", str(path))
    page.click("[data-testid=upload]")
    page.wait_for_selector("[data-testid=job][data-status=done]", timeout=30_000)
    assert page.inner_text("[data-testid=n-created]") == "2"
    assert page.inner_text("[data-testid=n-errors]") == "4"
    table = page.inner_text("[data-testid=error-rows]")
    assert "校验" in table and "不存在小区" in table and "重复" in table
    assert Person.objects.count() == 0  # a dry run writes nothing
    screenshot(page, "residents_import_preview")
    page.click("[data-testid=confirm]")
    page.wait_for_selector("[data-testid=job][data-status=done]", timeout=30_000)
    assert page.inner_text("[data-testid=n-created]") == "2"
    assert Person.objects.count() == 2
    screenshot(page, "residents_import_done")
    with page.expect_download() as info:
        page.click("[data-testid=error-file]")
    download = tmp_path / "errors.xlsx"
    info.value.save_as(str(download))
    ws = load_workbook(download, read_only=True).active
    rows = [[("" if c is None else str(c)) for c in r] for r in ws.iter_rows(values_only=True)]
    header, body = rows[0], rows[1:]
    assert "错误原因" in header and "原行号" in header
    reason = header.index("错误原因")
    assert len(body) == 4
    reasons = " ".join(r[reason] for r in body)
    assert "校验" in reasons and "不存在小区" in reasons and "重复" in reasons and "电话" in reasons
    assert any("王五" in r for r in body)  # the original cells come back with the reason
