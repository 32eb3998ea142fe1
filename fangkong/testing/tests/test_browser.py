"""The phone sampling page in a browser on a phone-sized viewport (390×844): a sampler logs in, scans
a tube, scans three people, closes the tube and sees the confirmation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fangkong.core.testing.browser import login, screenshot
from fangkong.core.testing.world import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("browser_context", [PHONE], indirect=True)
def test_sampler_scans_a_tube_on_a_phone(live_server, browser_context):
    from fangkong.core.testing.world import build_world
    from fangkong.testing import services
    from fangkong.testing.choices import TubeStatus
    from fangkong.testing.models import Binding, Tube
    from fangkong.testing.tests import factories as f

    world = build_world()
    people = [f.person(world.unit_x, name=f"居民{i}") for i in range(3)]
    start = timezone.now() - dt.timedelta(hours=1)
    r = f.round_(world, start=start, hours=12, name="今日全员核酸")
    site = f.site(world)
    table = site.tables.order_by("name").first()
    services.table_assign_samplers(actor=world.hq, table=table, samplers=[world.sampler])

    page = browser_context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("dialog", lambda dialog: dialog.accept())  # "确认封管？"
    login(page, live_server.url, "sampler", PASSWORD)
    page.goto(f"{live_server.url}/testing/sample/")
    page.select_option("select[name=round]", str(r.pk))
    page.select_option("select[name=table]", str(table.pk))
    page.select_option("select[name=capacity]", "10")
    page.fill("input[name=tube]", "sc0001")  # a scanner types the barcode and Enter
    page.press("input[name=tube]", "Enter")
    page.wait_for_selector("[data-testid=tube-barcode]")
    assert page.locator("[data-testid=tube-barcode]").inner_text() == "SC0001"
    assert page.locator("[data-testid=tube-count]").inner_text() == "0/10"
    for i, p in enumerate(people, start=1):
        page.fill("[data-testid=id-input]", p.id_number)
        with page.expect_navigation():
            page.press("[data-testid=id-input]", "Enter")
        assert page.locator("[data-testid=tube-count]").inner_text() == f"{i}/10"
        assert "已绑定" in page.content()
    # Nothing is wider than the phone.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    screenshot(page, "testing_sample_tube_phone")
    with page.expect_navigation():
        page.click("[data-testid=close-tube]")
    assert "试管 SC0001 已封管（3 人）" in page.content()
    screenshot(page, "testing_sample_closed_phone")
    tube = Tube.objects.get(barcode="SC0001")
    assert tube.status == TubeStatus.CLOSED and tube.count == 3
    assert set(Binding.objects.filter(tube=tube).values_list("person_id", flat=True)) == {p.pk for p in people}
    assert not [e for e in errors if "Content Security Policy" in e], errors
