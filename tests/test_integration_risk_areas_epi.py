"""The seam between risk areas and control statuses: people living in an area get the derived status
automatically, with the area as evidence; a downgrade changes it, a lift ends it."""

from __future__ import annotations

import datetime as dt

import pytest

from fangkong.epi import selectors as epi_selectors
from fangkong.epi import services as epi_services
from fangkong.epi.models import ControlStatus
from fangkong.risk_areas import services
from fangkong.risk_areas.tests.factories import area, at, issuer, second_hq
from fangkong.testing.tests import factories as f

pytestmark = pytest.mark.django_db


def _publish(world, ra, kind, effective_at, to_level=""):
    n = services.notice_create(actor=world.hq, issuer=issuer(world), effective_at=effective_at,
                               changes=[{"risk_area": ra, "kind": kind, "to_level": to_level}])
    services.notice_submit(actor=world.hq, notice=n)
    return services.notice_approve(actor=second_hq(world), notice=n, now=effective_at + dt.timedelta(hours=1))


def test_residents_follow_their_area_designate_downgrade_lift(world, django_capture_on_commit_callbacks):
    inside = [f.person(world.unit_x, name=f"居民{i}") for i in range(3)]
    outside = f.person(world.grid_y, name="外人")
    with django_capture_on_commit_callbacks(execute=True):
        ra = area(world, "high", [{"kind": "node", "area": world.unit_x}], designated=at(2022, 9, 1, 8))
    statuses = ControlStatus.objects.filter(person__in=inside)
    assert statuses.count() == 3
    s = statuses.get(person=inside[0])
    assert (s.kind, s.start, s.end, s.category) == ("stay_at_home", dt.date(2022, 9, 1), None, "in_high_risk_area")
    assert (s.evidence_type, s.evidence_id) == ("risk_areas.riskarea", str(ra.pk))
    assert s.rule_id == "di9ban.in_high_risk_area.stay_at_home"
    assert not ControlStatus.objects.filter(person=outside).exists()
    (line,) = epi_selectors.person_status_summary(world.epi, inside[0], today=dt.date(2022, 9, 3))
    assert line.sentence.startswith("因居住在高风险区“")
    assert "自2022年9月1日起实行居家足不出户，直至所在风险区降级或解除（今天为第3天）" in line.sentence

    # downgraded to medium on 9-8 at 20:00: the high status ends that day, 人不出区 starts
    with django_capture_on_commit_callbacks(execute=True):
        _publish(world, ra, "downgrade", at(2022, 9, 8, 20), "medium")
    high = ControlStatus.objects.get(person=inside[0], category="in_high_risk_area")
    medium = ControlStatus.objects.get(person=inside[0], category="in_medium_risk_area")
    assert high.end == dt.date(2022, 9, 8)
    assert (medium.kind, medium.start, medium.end) == ("stay_in_area", dt.date(2022, 9, 8), None)

    # lifted at midnight on 9-12: the status ends on 9-11 and stays in the history
    ra.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        _publish(world, ra, "lift", at(2022, 9, 12, 0))
    medium.refresh_from_db()
    assert medium.end == dt.date(2022, 9, 11)
    assert ControlStatus.objects.filter(person__in=inside).count() == 6
    lines = epi_selectors.person_status_summary(world.epi, inside[0], today=dt.date(2022, 9, 20))
    assert not any(ln.current for ln in lines)

    # the county recompute (a rule-set change) reads the same facts: nothing changes
    res = epi_services.status_recompute_area(world.county.path, actor=world.epi, reason="test")
    assert (res.created, res.updated, res.deleted) == (0, 0, 0)
    assert not epi_selectors.unsupported_statuses(world.hq).exists()


def test_a_member_added_to_an_active_area_brings_its_residents(world, django_capture_on_commit_callbacks):
    h301, h502 = f.household(world.unit_x, "301"), f.household(world.unit_x, "502")
    h301.floor, h502.floor = 3, 5
    h301.save(), h502.save()
    first = f.person(world.unit_x, name="三楼", household=h301)
    later = f.person(world.unit_x, name="五楼", household=h502)
    room = {"kind": "room", "area": world.unit_x, "floor": 3, "room": "301"}
    with django_capture_on_commit_callbacks(execute=True):
        ra = area(world, "high", [room], designated=at(2022, 11, 20, 8))
    assert ControlStatus.objects.filter(person=first).exists()
    assert not ControlStatus.objects.filter(person=later).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.risk_area_member_add(actor=world.hq, risk_area=ra,
                                      member={"kind": "room", "area": world.unit_x, "floor": 5, "room": "502"})
    s = ControlStatus.objects.get(person=later)
    assert s.rule_id == "ershitiao.in_high_risk_area.stay_at_home"  # 二十条 in force on 11-20
