"""The guardian's phone page (/isolation/my/) at 390×844: today's follow-ups with big buttons."""

import pytest

from fangkong.core.testing.browser import login, screenshot
from fangkong.core.testing.world import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("browser_context", [{"width": 390, "height": 844}], indirect=True)
def test_guardian_records_follow_up_on_phone(live_server, browser_context):
    import datetime as dt

    from django.utils import timezone

    from fangkong.core.testing.world import build_world
    from fangkong.isolation import services
    from fangkong.isolation.models import Task
    from fangkong.residents.idnumbers import make_citizen_id
    from fangkong.residents.services import person_register

    world = build_world()
    person = person_register(actor=world.hq, area=world.unit_x, name="居家甲", id_type="citizen_id",
                             id_number=make_citizen_id("611002", dt.date(1980, 1, 1), 777), phone="13800001111")
    ep = services.episode_admit(actor=world.hq, person=person, mode="home", ruleset_id="di9ban",
                                category="secondary_contact", last_exposure=timezone.localdate(),
                                guardians=[(world.worker_x, "网格员")])
    page = browser_context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    login(page, live_server.url, "worker_x", PASSWORD)
    page.goto(f"{live_server.url}/isolation/my/")
    cards = page.locator(".fk-followup")
    assert cards.count() == 2
    assert "居家甲" in cards.first.inner_text()
    button = cards.first.locator("button[value=seen_well]")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 300  # big, full-width buttons on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no horizontal scrolling
    screenshot(page, "isolation_guardian_my_390")
    cards.first.locator("input[name=temperature]").fill("36.6")
    cards.first.locator("input[name=need_text]").fill("降压药两盒")
    with page.expect_navigation():
        button.click()
    assert page.locator(".fk-followup").count() == 1
    assert "降压药两盒" in page.content()
    done = Task.objects.filter(episode=ep, state="done", kind="follow_up")
    assert done.count() == 1 and str(done.first().temperature) == "36.6"
    # a follow-up without a temperature is refused with a clear message, nothing saved
    with page.expect_navigation():
        page.locator(".fk-followup").first.locator("button[value=seen_well]").click()
    assert "体温" in page.content()
    assert done.count() == 1
    screenshot(page, "isolation_guardian_my_390_after")
    assert not [e for e in errors if "Content Security Policy" in e], errors


@pytest.mark.parametrize("browser_context", [{"width": 390, "height": 844}], indirect=True)
def test_staff_logs_calls_on_phone(live_server, browser_context):
    """The site staff's call list at 390×844: one call logged per tap, each slot shown done or not."""
    import datetime as dt

    from django.utils import timezone

    from fangkong.core.testing.world import build_world
    from fangkong.isolation import services
    from fangkong.isolation.models import CallLog
    from fangkong.isolation.tests.conftest import make_user
    from fangkong.residents.idnumbers import make_citizen_id
    from fangkong.residents.services import person_register

    world = build_world()
    site = services.site_create(actor=world.hq, area=world.street, name="城关隔离点", rooms=["101", "102"])
    staff = make_user("iso_caller", "isolation_staff", world.street)
    services.staff_add(actor=world.hq, site=site, user=staff, group=site.groups.get(name="信息联络组"))
    person = person_register(actor=world.hq, area=world.unit_x, name="集中乙", id_type="citizen_id",
                             id_number=make_citizen_id("611002", dt.date(1980, 1, 1), 778), phone="13800002222")
    ep = services.episode_admit(actor=world.hq, person=person, mode="centralized", site=site, ruleset_id="di9ban",
                                category="close_contact", last_exposure=timezone.localdate())
    page = browser_context.new_page()
    login(page, live_server.url, "iso_caller", PASSWORD)
    page.goto(f"{live_server.url}/isolation/sites/{site.pk}/calls/")
    card = page.locator(".fk-call").first
    assert "集中乙" in card.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    reached = card.locator("button[name=reached][value='1']")
    assert reached.bounding_box()["height"] >= 44
    card.locator("label:has-text('上午')").click()
    card.locator("input[name=need_phone_credit]").check()
    screenshot(page, "isolation_call_list_390")
    with page.expect_navigation():
        reached.click()
    call = CallLog.objects.get(episode=ep)
    assert (call.slot, call.reached, call.caller_id) == ("am", True, staff.pk)
    assert list(call.needs.values_list("kind", flat=True)) == ["phone_credit"]
    assert "已打 1" in page.locator(".fk-call-counts").inner_text()
    screenshot(page, "isolation_call_list_390_after")
