"""Full lifecycles per rule set: admission, daily tasks on the right days, tests, release refused and approved."""

import datetime as dt

import pytest

from fangkong.core.errors import NotFound, ServiceError
from fangkong.epi import services as epi_services
from fangkong.epi.models import ControlStatus
from fangkong.isolation import selectors, services
from fangkong.isolation.models import Escalation, Task
from fangkong.isolation.tests.conftest import make_household, make_person, make_user

pytestmark = pytest.mark.django_db
D = dt.date


def _days(ep, kind):
    return sorted({t.due_date for t in ep.tasks.filter(kind=kind)})


def _run_days(start, end):
    d = start
    while d <= end:
        services.tasks_generate(day=d)
        d += dt.timedelta(days=1)


def _close_contact(world, contact_date, name="李四"):
    case_person = make_person(world, "张三", make_household(world.unit_x, "301"))
    case = epi_services.case_register(actor=world.epi, person=case_person, sampled_date=contact_date,
                                      isolated_date=contact_date)
    person = make_person(world, name, make_household(world.unit_x, "401"))
    contact = epi_services.contact_register(actor=world.epi, case=case, person=person, category="close_contact",
                                            contact_date=contact_date)
    return person, contact


def test_di9ban_close_contact_centralized_lifecycle(world, site, staff, epi2):
    person, contact = _close_contact(world, D(2022, 10, 1))
    status = ControlStatus.objects.filter(person=person, kind="centralized_isolation").first()
    assert status is not None
    ep = services.episode_admit(actor=world.epi, person=person, mode="centralized", site=site, control_status=status,
                                start=D(2022, 10, 2))
    assert (ep.ruleset_id, ep.category, ep.rule_id) == ("di9ban", "close_contact", "di9ban.close_contact.centralized")
    assert (ep.phase_start, ep.phase_end) == (D(2022, 10, 1), D(2022, 10, 7))
    assert ep.contact_id == contact.pk and ep.room is not None and ep.caller == staff
    _run_days(D(2022, 10, 2), D(2022, 10, 9))
    _run_days(D(2022, 10, 2), D(2022, 10, 9))  # idempotent
    tests = {t.due_date: t for t in ep.tasks.filter(kind="test")}
    assert sorted(tests) == [D(2022, 10, d) for d in (1, 2, 3, 5, 7)]
    assert [t.test_day for t in sorted(tests.values(), key=lambda t: t.due_date)] == [1, 2, 3, 5, 7]
    assert _days(ep, "follow_up") == [D(2022, 10, d) for d in range(2, 8)]
    assert ep.tasks.filter(kind="follow_up").count() == 12
    # release refused before the period
    for d in (1, 2, 3, 5):
        services.test_record(actor=staff, task=tests[D(2022, 10, d)], result="negative")
    with pytest.raises(ServiceError) as exc:
        services.release_propose(actor=staff, episode=ep, today=D(2022, 10, 6))
    assert "尚未期满" in exc.value.message and "di9ban.close_contact.centralized" in exc.value.message
    # refused with a missing test (day 7)
    with pytest.raises(ServiceError) as exc:
        services.release_propose(actor=staff, episode=ep, today=D(2022, 10, 7))
    assert "第7天" in exc.value.message
    services.test_record(actor=staff, task=tests[D(2022, 10, 7)], result="negative")
    ep = services.release_propose(actor=staff, episode=ep, today=D(2022, 10, 7))
    assert ep.state == "release_proposed"
    # four eyes: the proposer cannot approve; a second user with isolation.release can
    with pytest.raises((ServiceError, NotFound)):
        services.release_approve(actor=staff, episode=ep, today=D(2022, 10, 7))
    ep = services.release_approve(actor=world.epi, episode=ep, today=D(2022, 10, 7))
    assert ep.state == "released" and ep.released_on == D(2022, 10, 7)
    assert ep.handover_area == world.x
    assert "居家健康监测" in ep.handover_text and "di9ban.close_contact.home_monitoring" in ep.handover_text
    assert not ep.tasks.filter(due_date__gt=D(2022, 10, 7)).exists()
    assert any("可以解除" in r for r in ep.release_reasons)


def test_positive_result_refuses_release(world, site, staff):
    person, contact = _close_contact(world, D(2022, 10, 1))
    ep = services.episode_admit(actor=world.epi, person=person, mode="centralized", site=site, contact=contact,
                                start=D(2022, 10, 1))
    t = ep.tasks.get(kind="test", due_date=D(2022, 10, 1))
    services.test_record(actor=staff, task=t, result="positive")
    assert Escalation.objects.filter(task=t).exists()
    with pytest.raises(ServiceError) as exc:
        services.release_propose(actor=staff, episode=ep, today=D(2022, 10, 7))
    assert "阳性" in exc.value.message


def test_secondary_contact_home_isolation_di9ban(world):
    person = make_person(world, "王五", make_household(world.unit_x, "501"))
    guard = make_user("cadre_x", "cadre", world.x)
    ep = services.episode_admit(actor=world.epi, person=person, mode="home", ruleset_id="di9ban",
                                category="secondary_contact", last_exposure=D(2022, 10, 3), start=D(2022, 10, 3),
                                guardians=[(world.worker_x, "网格员"), (guard, "社区干部")])
    assert ep.rule_id == "di9ban.secondary_contact.home_isolation"
    _run_days(D(2022, 10, 3), D(2022, 10, 12))
    assert _days(ep, "test") == [D(2022, 10, 3), D(2022, 10, 6), D(2022, 10, 9)]
    assert _days(ep, "follow_up")[-1] == D(2022, 10, 9)
    for t in ep.tasks.filter(kind="test"):
        services.test_record(actor=world.worker_x, task=t, result="negative")
    ep = services.release_propose(actor=world.worker_x, episode=ep, today=D(2022, 10, 9))
    ep = services.release_approve(actor=world.epi, episode=ep, today=D(2022, 10, 9))
    assert ep.state == "released" and ep.handover_text == ""


def test_di8ban_close_contact_period(world, site):
    person = make_person(world, "赵六", make_household(world.unit_x, "601"))
    ep = services.episode_admit(actor=world.epi, person=person, mode="centralized", site=site, ruleset_id="di8ban",
                                category="close_contact", last_exposure=D(2022, 5, 1), start=D(2022, 5, 1))
    assert ep.phase_kind == "centralized_isolation" and ep.rule_id.startswith("di8ban.")
    plan = services.episode_plan(ep)
    assert ep.phase_end == plan.phases[ep.phase_index].end
    assert ep.test_dates == [t.date.isoformat() for t in plan.phases[ep.phase_index].tests]


def test_not_applicable_and_period_over(world, site):
    person = make_person(world, "钱七", make_household(world.unit_x, "701"))
    with pytest.raises(ServiceError, match="不适用集中隔离"):
        services.episode_admit(actor=world.epi, person=person, mode="centralized", site=site, ruleset_id="di9ban",
                               category="secondary_contact", last_exposure=D(2022, 10, 1), start=D(2022, 10, 1))
    with pytest.raises(ServiceError, match="届满"):
        services.episode_admit(actor=world.epi, person=person, mode="centralized", site=site, ruleset_id="di9ban",
                               category="close_contact", last_exposure=D(2022, 10, 1), start=D(2022, 10, 20))


def test_capacity_cannot_be_exceeded_and_household_shares_room(world, site):
    hh = make_household(world.unit_x, "801")
    a, b = make_person(world, "甲", hh), make_person(world, "乙", hh)
    others = [make_person(world, f"丙{i}", make_household(world.unit_y, f"{i + 1}01")) for i in range(3)]
    kw = dict(mode="centralized", site=site, ruleset_id="di9ban", category="close_contact",
              last_exposure=D(2022, 10, 1), start=D(2022, 10, 1))
    ea = services.episode_admit(actor=world.hq, person=a, **kw)
    eb = services.episode_admit(actor=world.hq, person=b, **kw)
    assert ea.room_id == eb.room_id
    services.episode_admit(actor=world.hq, person=others[0], **kw)
    e3 = services.episode_admit(actor=world.hq, person=others[1], **kw)
    with pytest.raises(ServiceError, match="已满"):
        services.episode_admit(actor=world.hq, person=others[2], **kw)
    with pytest.raises(ServiceError, match="一人一间"):
        services.room_change(actor=world.hq, episode=e3, room=ea.room)
    cap = selectors.site_capacity([site])[0]
    assert (cap["rooms"], cap["occupied"], cap["persons"], cap["free"]) == (3, 3, 4, 0)
    with pytest.raises(ServiceError, match="已在隔离中"):
        services.episode_admit(actor=world.hq, person=a, **kw)


def test_transfer_never_arrives_is_flagged(world, site, staff):
    from django.utils import timezone

    person = make_person(world, "孙八", make_household(world.unit_x, "901"))
    pickup = timezone.now() - dt.timedelta(hours=6)
    ep = services.episode_admit(actor=world.epi, person=person, mode="centralized", site=site, ruleset_id="di9ban",
                                category="close_contact", last_exposure=timezone.localdate(),
                                transfer=services.TransferIn("翠屏社区1号楼", pickup, "陕H·12345", "李医生"))
    assert ep.state == "transfer"
    assert services.transfers_flag() == 1
    assert services.transfers_flag() == 0
    esc = Escalation.objects.get(episode=ep, task__isnull=True)
    assert "未到达" in esc.reason
    assert selectors.escalation_qs(staff).filter(pk=esc.pk).exists()
    services.transfer_arrive(actor=staff, episode=ep)
    ep.refresh_from_db()
    assert ep.state == "active"
    esc.refresh_from_db()
    assert esc.resolved


def test_missed_follow_ups_escalate_to_the_community(world):
    from django.utils import timezone

    person = make_person(world, "周九", make_household(world.unit_x, "1001"))
    ep = services.episode_admit(actor=world.epi, person=person, mode="home", ruleset_id="di9ban",
                                category="secondary_contact", last_exposure=D(2022, 10, 3), start=D(2022, 10, 3),
                                guardians=[(world.worker_x, "网格员")])
    am = ep.tasks.get(kind="follow_up", slot="am", due_date=D(2022, 10, 3))
    services.follow_up_record(actor=world.worker_x, task=am, outcome="seen_well", temperature=36.5)
    noon = timezone.make_aware(dt.datetime(2022, 10, 3, 13, 0))
    assert services.followups_escalate(now=noon) == 0  # pm slot not yet due
    night = timezone.make_aware(dt.datetime(2022, 10, 3, 22, 0))
    assert services.followups_escalate(now=night) == 1
    assert services.followups_escalate(now=night) == 0
    pm = Task.objects.get(episode=ep, slot="pm", due_date=D(2022, 10, 3))
    assert pm.state == "missed"
    esc = Escalation.objects.get(task=pm)
    assert esc.area_path == person.area_path
    community_admin = make_user("comm_x", "community_admin", world.x)
    assert selectors.escalation_qs(community_admin).filter(pk=esc.pk).exists()
    assert not selectors.escalation_qs(world.worker_y).exists()
    services.escalation_resolve(actor=community_admin, escalation=esc, note="已上门，情况正常")


def test_follow_up_raises_needs_tracked_to_done(world):
    person = make_person(world, "吴十", make_household(world.unit_x, "1101"))
    ep = services.episode_admit(actor=world.epi, person=person, mode="home", ruleset_id="di9ban",
                                category="secondary_contact", last_exposure=D(2022, 10, 3), start=D(2022, 10, 3),
                                guardians=[(world.worker_x, "网格员")])
    t = ep.tasks.get(kind="follow_up", slot="am", due_date=D(2022, 10, 3))
    with pytest.raises(ServiceError, match="体温"):
        services.follow_up_record(actor=world.worker_x, task=t, outcome="seen_well")
    services.follow_up_record(actor=world.worker_x, task=t, outcome="seen_well", temperature=36.6,
                              needs=[("medicine", "降压药 2 盒")])
    need = ep.needs.get()
    assert not need.done
    services.need_done(actor=world.worker_x, need=need, note="已送达")
    need.refresh_from_db()
    assert need.done and need.done_by == world.worker_x


def test_occupancy_snapshot_daily(world, site):
    person = make_person(world, "郑一", make_household(world.unit_x, "1201"))
    services.episode_admit(actor=world.epi, person=person, mode="centralized", site=site, ruleset_id="di9ban",
                           category="close_contact", last_exposure=D(2022, 10, 1), start=D(2022, 10, 1))
    services.daily_run(day=D(2022, 10, 2))
    services.daily_run(day=D(2022, 10, 2))
    hist = selectors.occupancy_history([site], days=100000)
    assert hist == [{"date": "2022-10-02", "rooms": 3, "occupied": 1, "persons": 1}]
