"""A full lifecycle per rule set: tasks on the plan's days, release refused early, released on the last day."""

import datetime as dt

import pytest

from fangkong.core.errors import ServiceError
from fangkong.epi import rules as epi_rules
from fangkong.isolation import services
from fangkong.isolation.tests.conftest import make_household, make_person

pytestmark = pytest.mark.django_db

CASES = [
    ("di8ban", "close_contact", "centralized", dt.date(2022, 3, 1)),
    ("di9ban", "close_contact", "centralized", dt.date(2022, 8, 1)),
    ("di9ban", "secondary_contact", "home", dt.date(2022, 8, 1)),
    ("ershitiao", "close_contact", "centralized", dt.date(2022, 11, 20)),
    ("ershitiao", "close_contact", "home", dt.date(2022, 11, 20)),
    ("ershitiao", "from_high_risk_area", "home", dt.date(2022, 11, 20)),
    ("xinshitiao", "close_contact", "home", dt.date(2022, 12, 10)),
]


@pytest.mark.parametrize("ruleset_id,category,mode,exposure", CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_lifecycle(world, site, staff, epi2, ruleset_id, category, mode, exposure):
    plan = epi_rules.control_plan(epi_rules.ruleset_get(ruleset_id), category, last_exposure=exposure,
                                  isolation_start=exposure)
    phase = next(p for p in plan.phases if p.kind in {"centralized": ("centralized_isolation",),
                                                      "home": ("home_isolation", "home_medical_observation")}[mode])
    person = make_person(world, "甲", make_household(world.unit_x, "301"))
    ep = services.episode_admit(actor=world.epi, person=person, mode=mode, site=site if mode == "centralized" else None,
                                ruleset_id=ruleset_id, category=category, last_exposure=exposure, start=phase.start,
                                guardians=[(world.worker_x, "网格员")])
    assert (ep.phase_index, ep.rule_id, ep.phase_start, ep.phase_end) == (phase.index, phase.rule_id, phase.start,
                                                                          phase.end)
    d = phase.start
    while d <= phase.end + dt.timedelta(days=2):
        services.tasks_generate(day=d)
        d += dt.timedelta(days=1)
    tests = sorted(ep.tasks.filter(kind="test"), key=lambda t: t.due_date)
    assert [t.due_date for t in tests] == [t.date for t in phase.tests]
    assert [t.test_day for t in tests] == [t.day for t in phase.tests]
    assert ep.tasks.filter(kind="follow_up").count() == 2 * phase.days
    worker = staff if mode == "centralized" else world.worker_x
    for t in tests:
        services.test_record(actor=worker, task=t, result="negative")
    with pytest.raises(ServiceError, match=phase.rule_id.replace(".", r"\.")):
        services.release_propose(actor=worker, episode=ep, today=phase.end - dt.timedelta(days=1))
    ep = services.release_propose(actor=worker, episode=ep, today=phase.end)
    ep = services.release_approve(actor=epi2, episode=ep, today=phase.end)
    assert ep.state == "released" and ep.released_on == phase.end
    has_next = phase.index + 1 < len(plan.phases)
    assert bool(ep.handover_text) == has_next
    if has_next:
        assert plan.phases[phase.index + 1].rule_id in ep.handover_text
