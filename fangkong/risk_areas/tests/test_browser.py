"""In the browser: an HQ user proposes a written-boundary area and draws its outline by clicking on the
map, proposes the notice and submits it; a second HQ user approves; the public page shows the area and
the staff map draws it as a polygon. No inline script (CSP): no CSP errors in the console."""

from __future__ import annotations

import pytest

from fangkong.core.testing.browser import login, screenshot
from fangkong.core.testing.world import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BOUNDARY = "东至优贝幼儿园西墙、西至吴家巷口西50米、南至江滨路、北至东大街"


def test_designate_a_drawn_outline_and_publish(live_server, browser_context):
    from fangkong.core.testing.world import build_world
    from fangkong.risk_areas.models import Notice, RiskArea
    from fangkong.risk_areas.tests.factories import issuer, second_hq

    world = build_world()
    issuer(world)
    second_hq(world)
    errors: list[str] = []
    page = browser_context.new_page()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("dialog", lambda dialog: dialog.accept())

    login(page, live_server.url, "hq", PASSWORD)
    page.goto(f"{live_server.url}/risk-areas/new/")
    page.select_option("#id_ruleset_id", "di9ban")
    page.select_option("#id_level", "high")
    page.select_option("#id_kind", "boundary")
    page.fill("#id_area_code", world.x.code)
    page.fill("#id_boundary_text", BOUNDARY)
    page.wait_for_selector("[data-outline-ready]")
    drawing = page.locator("[data-testid=outline-map]")
    drawing.scroll_into_view_if_needed()
    box = drawing.bounding_box()
    assert box is not None
    cx, cy = box["width"] / 2, box["height"] / 2
    for dx, dy in ((-40, -30), (40, -35), (50, 30), (-30, 40), (0, 0)):
        drawing.click(position={"x": cx + dx, "y": cy + dy})
    assert page.locator("[data-testid=outline-count]").inner_text() == "5"
    page.click("text=撤销上一点")
    assert page.locator("[data-testid=outline-count]").inner_text() == "4"
    lines = page.input_value("#id_outline").splitlines()
    assert len(lines) == 4 and all("," in line for line in lines)
    screenshot(page, "risk_areas_outline_drawn")
    with page.expect_navigation():
        page.click("form.card-body button[type=submit]")
    assert "已新建拟划定的风险区域" in page.content()
    assert "已绘制轮廓" in page.locator("[data-testid=members]").inner_text()
    ra = RiskArea.objects.get(status="proposed")
    outline = ra.members.get().outline
    assert outline["type"] == "Polygon" and len(outline["coordinates"][0]) == 5  # closed ring
    assert all(108.3 <= lng <= 111.3 and 32.8 <= lat <= 34.6 for lng, lat in outline["coordinates"][0])

    # propose the notice (effective at 0:00 today, so it applies when approved) and submit it
    page.goto(f"{live_server.url}/risk-areas/downgrades/")
    page.check(f"input[name=change][value^='{ra.pk}:designate']")
    with page.expect_navigation():
        page.click("text=拟定调整通告")
    assert page.input_value("#id_effective_date")  # today, in the ISO form a date input needs
    page.select_option("#id_effective_hour", "0")
    with page.expect_navigation():
        page.click("text=保存草稿")
    assert BOUNDARY in page.locator("[data-testid=notice-body]").inner_text()
    with page.expect_navigation():
        page.click("button:has-text('提交审批')")
    assert "须由另一位指挥部人员审批" in page.content()
    assert page.locator("button:has-text('审批并发布')").count() == 0  # not the requester
    notice = Notice.objects.get()

    # a second HQ user approves
    browser_context.clear_cookies()
    login(page, live_server.url, "hq2", PASSWORD)
    page.goto(f"{live_server.url}/risk-areas/notices/{notice.pk}/")
    with page.expect_navigation():
        page.click("button:has-text('审批并发布')")
    assert "已审批并发布" in page.content()
    body = page.locator("[data-testid=notice-body]").inner_text()
    assert "第31号" in body and "新增高风险区（1个）" in body and f"商州区{BOUNDARY}。" in body
    screenshot(page, "risk_areas_outline_notice_published")

    # the staff map draws the area as a polygon
    page.goto(f"{live_server.url}/risk-areas/map/")
    page.wait_for_function("document.querySelector('#risk-map canvas') !== null")
    page.wait_for_timeout(500)
    screenshot(page, "risk_areas_outline_map")

    # the public page, without login
    browser_context.clear_cookies()
    page.goto(f"{live_server.url}/public/")
    public = page.locator("body").inner_text()
    assert BOUNDARY in public and "高风险区" in public and "商州区" in public
    screenshot(page, "risk_areas_outline_public")
    assert not [e for e in errors if "Content Security Policy" in e], errors
