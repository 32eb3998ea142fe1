"""The downgrade engine: from the last case in an area and the all-negative rounds, may it move down
under its rule set, and from which day. Facts are monkeypatched (fangkong.risk_areas.facts)."""

from __future__ import annotations

from datetime import date

import pytest

from fangkong.residents.idnumbers import make_citizen_id
from fangkong.residents.services import person_register
from fangkong.risk_areas import facts, selectors, services
from fangkong.risk_areas.tests.factories import area, at, issuer, second_hq

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_facts(monkeypatch):
    state = {"cases": {}, "rounds": [], "calls": []}

    def last_case_date(person_ids, *, since):
        state["calls"].append(("case", sorted(person_ids), since))
        found = [d for pid, d in state["cases"].items() if pid in person_ids and d >= since]
        return max(found) if found else None

    def negative_round_days(person_ids, *, since):
        state["calls"].append(("round", sorted(person_ids), since))
        return [d for d in state["rounds"] if d >= since]

    monkeypatch.setattr(facts, "last_case_date", last_case_date)
    monkeypatch.setattr(facts, "negative_round_days", negative_round_days)
    return state


def _eligible_ids(world, today):
    return [c.risk_area.pk for c in selectors.downgrade_candidates(world.hq, today=today, only_eligible=True)]


def _publish(world, ra, to_level, effective):
    n = services.notice_create(actor=world.hq, issuer=issuer(world), effective_at=effective,
                               changes=[{"risk_area": ra, "kind": "downgrade", "to_level": to_level}])
    services.notice_submit(actor=world.hq, notice=n)
    return services.notice_approve(actor=second_hq(world), notice=n, now=effective)


def test_di9ban_high_to_medium_on_day_7_with_a_negative_round_then_low_after_3_more_days(world, fake_facts):
    ra = area(world, "high", [{"kind": "node", "area": world.compound_x}], designated=at(2022, 8, 28, 10))
    fake_facts["rounds"] = [date(2022, 9, 3)]
    # day 1 = 8-28 (designation day), day 7 = 9-3
    assert _eligible_ids(world, date(2022, 9, 2)) == []
    early = selectors.risk_area_downgrade_decision(ra, today=date(2022, 9, 2))
    assert not early.eligible and early.eligible_from is None
    assert _eligible_ids(world, date(2022, 9, 3)) == [ra.pk]
    d = selectors.risk_area_downgrade_decision(ra, today=date(2022, 9, 3))
    assert d.eligible and d.to_level == "medium" and d.eligible_from == date(2022, 9, 3)
    assert d.rule_id == "di9ban.downgrade.high_medium"

    _publish(world, ra, "medium", at(2022, 9, 3, 20))
    ra.refresh_from_db()
    assert ra.level == "medium" and ra.downgraded_from == "high"
    # then low after 3 more days: day 1 = 9-4, day 3 = 9-6 (no round needed)
    assert _eligible_ids(world, date(2022, 9, 5)) == []
    assert _eligible_ids(world, date(2022, 9, 6)) == [ra.pk]
    d = selectors.risk_area_downgrade_decision(ra, today=date(2022, 9, 6))
    assert d.to_level == "low" and d.rule_id == "di9ban.downgrade.medium_low_from_high"
    assert d.eligible and d.eligible_from == date(2022, 9, 6)
    assert not selectors.risk_area_downgrade_decision(ra, today=date(2022, 9, 5)).eligible


def test_di9ban_needs_the_round_on_day_7(world, fake_facts):
    ra = area(world, "high", [{"kind": "node", "area": world.compound_x}], designated=at(2022, 8, 28, 10))
    fake_facts["rounds"] = [date(2022, 9, 2)]  # day 6: too early
    d = selectors.risk_area_downgrade_decision(ra, today=date(2022, 9, 5))
    assert not d.eligible and d.eligible_from is None
    assert any("全员核酸" in r for r in d.reasons)
    fake_facts["rounds"].append(date(2022, 9, 4))  # a later round counts from that day
    d = selectors.risk_area_downgrade_decision(ra, today=date(2022, 9, 5))
    assert d.eligible and d.eligible_from == date(2022, 9, 4)


def test_a_new_case_restarts_the_count(world, fake_facts):
    person = person_register(actor=world.hq, area=world.unit_x, name="张三", id_type="citizen_id",
                             id_number=make_citizen_id("611002", date(1980, 1, 1), 12))
    ra = area(world, "high", [{"kind": "node", "area": world.compound_x}], designated=at(2022, 8, 28, 10))
    fake_facts["cases"] = {person.pk: date(2022, 8, 30)}
    fake_facts["rounds"] = [date(2022, 9, 3), date(2022, 9, 6)]
    assert _eligible_ids(world, date(2022, 9, 5)) == []  # day 7 is now 9-6
    assert _eligible_ids(world, date(2022, 9, 6)) == [ra.pk]
    assert ("case", [person.pk], date(2022, 8, 28)) in fake_facts["calls"]


def test_ershitiao_high_to_low_after_5_days(world, fake_facts):
    ra = area(world, "high", [{"kind": "node", "area": world.building_x}], designated=at(2022, 11, 15, 9),
              ruleset_id="ershitiao")
    assert _eligible_ids(world, date(2022, 11, 18)) == []
    assert _eligible_ids(world, date(2022, 11, 19)) == [ra.pk]
    d = selectors.risk_area_downgrade_decision(ra, today=date(2022, 11, 19))
    assert d.to_level == "low" and d.rule_id == "ershitiao.downgrade.high_low"
    assert d.eligible and d.eligible_from == date(2022, 11, 19)
    early = selectors.risk_area_downgrade_decision(ra, today=date(2022, 11, 18))
    assert not early.eligible and early.earliest_possible == date(2022, 11, 19)  # a forecast, not yet


def test_without_the_epi_and_testing_apps_there_are_no_facts(world):
    assert facts.last_case_date([1, 2], since=date(2022, 9, 1)) is None
    assert facts.negative_round_days([1, 2], since=date(2022, 9, 1)) == []
