"""Acceptance, through the pages as a new user would: a 第九版 close contact admitted on a given day gets
tasks on the right days, cannot be released early, and is released and handed to home monitoring."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from fangkong.epi import services as epi_services
from fangkong.isolation import selectors
from fangkong.isolation.models import Episode, Task
from fangkong.isolation.tests.conftest import make_household, make_person

pytestmark = pytest.mark.django_db
D = dt.date


def _login(client, user):
    client.force_login(user)


def test_di9ban_close_contact_through_the_pages(world, site, staff, epi2, client, monkeypatch):
    day = {"today": D(2022, 10, 3)}
    monkeypatch.setattr(selectors, "today", lambda: day["today"])
    case = epi_services.case_register(actor=world.epi, person=make_person(world, "病例", make_household(world.unit_y, "101")),
                                      sampled_date=D(2022, 10, 2), isolated_date=D(2022, 10, 2))
    person = make_person(world, "密接甲", make_household(world.unit_x, "302"))
    epi_services.contact_register(actor=world.epi, case=case, person=person, category="close_contact",
                                  contact_date=D(2022, 10, 2))
    _login(client, world.epi)
    # the person page of the contact links to the admission
    page = client.get(f"/epi/persons/{person.pk}/").content.decode()
    assert f"/isolation/admit/?person={person.pk}" in page
    form = client.get(f"/isolation/admit/?person={person.pk}")
    assert form.status_code == 200
    status = form.context["statuses"][0]
    assert status.kind == "centralized_isolation"
    r = client.post("/isolation/admit/", {"person": person.pk, "status": status.pk, "mode": "centralized",
                                          "site": site.pk, "start": "2022-10-03"})
    assert r.status_code == 302, r.content.decode()[:2000]
    ep = Episode.objects.get(person=person)
    assert (ep.phase_start, ep.phase_end) == (D(2022, 10, 2), D(2022, 10, 8))
    # the daily command, every day (twice on one day: idempotent)
    for d in range(3, 10):
        out = io.StringIO()
        call_command("isolation_tasks", "--date", f"2022-10-{d:02d}", stdout=out)
        assert json.loads(out.getvalue())["date"] == f"2022-10-{d:02d}"
    call_command("isolation_tasks", "--date", "2022-10-05", stdout=io.StringIO())
    tests = {t.due_date: t for t in Task.objects.filter(episode=ep, kind="test")}
    assert sorted(tests) == [D(2022, 10, 2), D(2022, 10, 3), D(2022, 10, 4), D(2022, 10, 6), D(2022, 10, 8)]
    assert Task.objects.filter(episode=ep, kind="follow_up").count() == 2 * 6  # 3rd..8th
    # the sampling group records negative results as the days come
    client.logout()
    _login(client, staff)
    for d in (2, 3, 4, 6):
        day["today"] = D(2022, 10, max(d, 3))
        assert client.post(f"/isolation/tasks/{tests[D(2022, 10, d)].pk}/", {"result": "negative"}).status_code == 302
    # day 7: not yet; the page says why, with the rule id
    day["today"] = D(2022, 10, 7)
    detail = client.get(f"/isolation/episodes/{ep.pk}/").content.decode()
    assert "尚未期满" in detail and "di9ban.close_contact.centralized" in detail
    client.post(f"/isolation/episodes/{ep.pk}/propose/")
    ep.refresh_from_db()
    assert ep.state == "active"
    # day 8 without the day-8 result: refused (missing test)
    day["today"] = D(2022, 10, 8)
    r = client.post(f"/isolation/episodes/{ep.pk}/propose/", follow=True)
    assert "缺少阴性核酸检测结果" in r.content.decode()
    client.post(f"/isolation/tasks/{tests[D(2022, 10, 8)].pk}/", {"result": "negative"})
    client.post(f"/isolation/episodes/{ep.pk}/propose/")
    ep.refresh_from_db()
    assert ep.state == "release_proposed"
    # the proposer cannot approve; a second epi user does
    client.post(f"/isolation/episodes/{ep.pk}/approve/")
    ep.refresh_from_db()
    assert ep.state == "release_proposed"
    client.logout()
    _login(client, epi2)
    client.post(f"/isolation/episodes/{ep.pk}/approve/")
    ep.refresh_from_db()
    assert ep.state == "released" and ep.released_on == D(2022, 10, 8)
    assert ep.handover_area == world.x and "居家健康监测" in ep.handover_text
    assert "2022年10月09日" in ep.handover_text or "2022年10月9日" in ep.handover_text
    detail = client.get(f"/isolation/episodes/{ep.pk}/").content.decode()
    assert "移交" in detail
