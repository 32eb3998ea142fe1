"""Pages that are not covered elsewhere: editing a case (kind, dates, release) through `case_update`."""

from __future__ import annotations

import datetime as dt

import pytest

from fangkong.audit.models import Event
from fangkong.epi import services
from fangkong.epi.models import ControlStatus
from fangkong.epi.tests.conftest import make_person

pytestmark = pytest.mark.django_db
D = dt.date


def test_case_edit_page_updates_the_case_and_ends_its_status(client, world):
    p = make_person(world, "赵六", area=world.unit_x)
    case = services.case_register(actor=world.epi, person=p, sampled_date=D(2022, 11, 1), isolated_date=D(2022, 11, 1))
    assert ControlStatus.objects.get(person=p).end is None
    client.force_login(world.epi)
    url = f"/epi/cases/{case.pk}/edit/"
    page = client.get(url).content.decode()
    assert "解除/出院日期" in page and 'value="2022-11-01"' in page
    # a release before the sampling date is refused with the reason
    r = client.post(url, {"kind": "asymptomatic", "sampled_date": "2022-11-01", "isolated_date": "2022-11-01",
                          "released_date": "2022-10-20"})
    assert r.status_code == 200 and "解除日期不能早于发病/采样日期" in r.content.decode()
    r = client.post(url, {"kind": "confirmed", "onset_date": "2022-10-31", "sampled_date": "2022-11-01",
                          "isolated_date": "2022-11-01", "released_date": "2022-11-12", "reason": "治愈出院"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert (case.kind, case.onset_date, case.released_date) == ("confirmed", D(2022, 10, 31), D(2022, 11, 12))
    assert ControlStatus.objects.get(person=p).end == D(2022, 11, 12)
    ev = Event.objects.filter(action="case.update").latest("id")
    assert ev.reason == "治愈出院" and ev.after["released_date"] == "2022-11-12"
    # a grid worker sees statuses, not the case: the edit page answers like a missing case
    client.force_login(world.worker_x)
    assert client.get(url).status_code == 404
