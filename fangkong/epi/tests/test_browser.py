"""Four eyes in the browser: an epidemiologist requests a manual status (reason, end date), sees it
pending, cannot approve it; a second epidemiologist approves it; the person page says why, since when
and until when."""

from __future__ import annotations

import pytest

from fangkong.core.testing.browser import login, screenshot
from fangkong.core.testing.world import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manual_status_needs_a_second_epidemiologist(live_server, browser_context):
    from fangkong.accounts.models import User
    from fangkong.accounts.services import role_assign
    from fangkong.core.testing.world import build_world
    from fangkong.epi.models import ControlStatus
    from fangkong.epi.tests.conftest import make_person

    world = build_world()
    epi2 = User(username="epi2", display_name="第二流调员")
    epi2.set_password(PASSWORD)
    epi2.save()
    role_assign(actor=None, user=epi2, role="epi", area=world.county)
    person = make_person(world, "王五", area=world.unit_x)
    errors: list[str] = []

    page = browser_context.new_page()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    login(page, live_server.url, "epi", PASSWORD)
    page.goto(f"{live_server.url}/epi/persons/{person.pk}/")
    page.click("text=申请人工管控")
    page.select_option("#id_kind", "home_isolation")
    page.fill("#id_start", "2022-11-01")
    page.fill("#id_end", "2022-11-07")
    page.fill("#id_reason", "外地推送的密接，流调研判需居家隔离")
    with page.expect_navigation():
        page.click("form.card-body button[type=submit]")
    assert "须另一位流调/疾控人员审批后生效" in page.content()
    assert "待审批" in page.locator("body").inner_text()
    assert "没有管控状态" in page.locator("[data-testid=person-statuses]").inner_text()

    # the requester sees the request pending, without an approve button, with the reason why
    page.goto(f"{live_server.url}/epi/requests/")
    body = page.locator("body").inner_text()
    assert "王五" in body and "这是您本人提交的申请，须由另一位人员审批。" in body
    assert page.locator("button[value=approve]").count() == 0
    screenshot(page, "epi_manual_request_pending_own")
    assert not ControlStatus.objects.filter(person=person).exists()

    # a second epidemiologist approves
    browser_context.clear_cookies()
    login(page, live_server.url, "epi2", PASSWORD)
    page.goto(f"{live_server.url}/epi/requests/")
    with page.expect_navigation():
        page.click("button[value=approve]")
    assert "已批准，管控状态已生效" in page.content()

    # the person page: why, since when, until when
    page.goto(f"{live_server.url}/epi/persons/{person.pk}/")
    statuses = page.locator("[data-testid=person-statuses]").inner_text()
    assert "居家隔离医学观察" in statuses
    assert "因人工决定（外地推送的密接，流调研判需居家隔离；经第二流调员批准）" in statuses
    assert "自2022年11月1日起" in statuses and "至2022年11月7日止" in statuses
    screenshot(page, "epi_manual_status_approved_person")
    status = ControlStatus.objects.get(person=person)
    assert (status.origin, status.approved_by_id) == ("manual", epi2.pk)
    assert not [e for e in errors if "Content Security Policy" in e], errors
