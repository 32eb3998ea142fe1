"""Cases, contacts, derived statuses per rule set, four eyes, suggestions, overrides."""

from __future__ import annotations

import datetime as dt
import sys
import types

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from fangkong.audit.models import Event
from fangkong.core.errors import NotFound, ServiceError
from fangkong.epi import rules, selectors, services
from fangkong.epi.models import Case, Contact, ContactSuggestion, ControlStatus, StatusOrigin

D = dt.date
pytestmark = pytest.mark.django_db


def _case(world, people, day=D(2022, 11, 1)):
    return services.case_register(actor=world.epi, person=people["case"], kind="confirmed", onset_date=day,
                                  sampled_date=day, isolated_date=day)


def _statuses(person):
    return [(s.kind, s.start, s.end, s.test_days, s.rule_id)
            for s in ControlStatus.objects.filter(person=person).order_by("start", "phase_index")]


def assert_no_unsupported(world):
    assert not selectors.unsupported_statuses(world.hq).exists()
    assert not ControlStatus.objects.filter(origin=StatusOrigin.DERIVED, evidence_id="").exists()


# Table-driven from the brief: a close contact whose last exposure is day 1.
CLOSE_CONTACT_TABLE = [
    ("di9ban", D(2022, 11, 1), [
        ("centralized_isolation", D(2022, 11, 1), D(2022, 11, 7),
         ["2022-11-01", "2022-11-02", "2022-11-03", "2022-11-05", "2022-11-07"], "di9ban.close_contact.centralized"),
        ("home_health_monitoring", D(2022, 11, 8), D(2022, 11, 10), ["2022-11-10"],
         "di9ban.close_contact.home_monitoring"),
    ]),
    ("ershitiao", D(2022, 11, 20), [
        ("centralized_isolation", D(2022, 11, 20), D(2022, 11, 24),
         ["2022-11-20", "2022-11-21", "2022-11-22", "2022-11-24"], "ershitiao.close_contact.centralized"),
        ("home_isolation", D(2022, 11, 25), D(2022, 11, 27), ["2022-11-25", "2022-11-27"],
         "ershitiao.close_contact.home_isolation"),
    ]),
    ("xinshitiao", D(2022, 12, 10), [
        ("home_isolation", D(2022, 12, 10), D(2022, 12, 14), ["2022-12-14"], "xinshitiao.close_contact.home_isolation"),
    ]),
    ("di8ban", D(2021, 8, 1), [
        ("centralized_isolation", D(2021, 8, 1), D(2021, 8, 14),
         ["2021-08-01", "2021-08-04", "2021-08-07", "2021-08-14"], None),
        ("home_health_monitoring", D(2021, 8, 15), D(2021, 8, 21), [], None),
    ]),
]


@pytest.mark.parametrize(("ruleset_id", "day", "expected"), CLOSE_CONTACT_TABLE, ids=[r[0] for r in CLOSE_CONTACT_TABLE])
def test_close_contact_statuses_per_rule_set(world, people, ruleset_id, day, expected):
    case = _case(world, people, day)
    services.contact_register(actor=world.epi, case=case, person=people["spouse"], category="close_contact",
                              contact_date=day, situation="co_resident")
    got = _statuses(people["spouse"])
    assert [g[:4] for g in got] == [e[:4] for e in expected]
    for g, e in zip(got, expected, strict=True):
        if e[4]:
            assert g[4] == e[4]
        assert g[4].startswith(ruleset_id + ".")
    lines = selectors.person_status_summary(world.epi, people["spouse"], today=day + dt.timedelta(days=2))
    assert lines[0].current and "今天为第3天" in lines[0].sentence
    assert "密切接触者" in lines[0].why and lines[0].ruleset.startswith(
        {"di9ban": "第九版", "ershitiao": "二十条", "xinshitiao": "新十条", "di8ban": "第八版"}[ruleset_id])
    assert_no_unsupported(world)


def test_the_case_itself_is_isolated_until_released(world, people):
    case = _case(world, people, D(2022, 11, 1))
    [s] = ControlStatus.objects.filter(person=people["case"])
    assert (s.kind, s.start, s.end, s.rule_id) == ("centralized_isolation", D(2022, 11, 1), None,
                                                    "di9ban.infection.centralized")
    services.case_update(actor=world.epi, case=case, released_date=D(2022, 11, 12))
    s.refresh_from_db()
    assert s.end == D(2022, 11, 12)
    assert Event.objects.filter(action="control_status.update", object_id=str(s.pk)).exists()


def test_secondary_contacts_need_a_close_contact_and_a_regime_that_identifies_them(world, people):
    case = _case(world, people, D(2022, 11, 1))
    close = services.contact_register(actor=world.epi, case=case, person=people["spouse"], category="close_contact",
                                      contact_date=D(2022, 11, 1))
    with pytest.raises(ServiceError) as exc:
        services.contact_register(actor=world.epi, case=case, person=people["y"], category="secondary_contact",
                                  contact_date=D(2022, 11, 2))
    assert exc.value.code == "via_required"
    sec = services.contact_register(actor=world.epi, case=case, person=people["y"], category="secondary_contact",
                                    contact_date=D(2022, 11, 2), via=close)
    assert [s[:3] for s in _statuses(people["y"])] == [("home_isolation", D(2022, 11, 2), D(2022, 11, 8))]
    assert [n.contact.pk for n in selectors.chain(world.epi, case)[0].children] == [sec.pk]
    case2 = _case(world, {"case": people["below"]}, D(2022, 11, 20))
    close2 = services.contact_register(actor=world.epi, case=case2, person=people["above"],
                                       category="close_contact", contact_date=D(2022, 11, 20))
    with pytest.raises(ServiceError) as exc:
        services.contact_register(actor=world.epi, case=case2, person=people["far"], category="secondary_contact",
                                  contact_date=D(2022, 11, 21), via=close2)
    assert exc.value.code == "category_not_identified" and "二十条" in exc.value.message


def test_positive_test_opens_one_case_per_source_ref(world, people):
    at = timezone.make_aware(dt.datetime(2022, 11, 3, 9, 30))
    c1 = services.case_open_from_positive_test(actor=None, person=people["case"], sampled_at=at, source="testing",
                                               source_ref="tube:42")
    c2 = services.case_open_from_positive_test(actor=None, person=people["case"], sampled_at=at, source="testing",
                                               source_ref="tube:42")
    assert c1.pk == c2.pk and Case.objects.count() == 1
    assert c1.sampled_date == D(2022, 11, 3) and c1.source == "positive_test"
    assert ControlStatus.objects.filter(person=people["case"], category="infection").count() == 1
    # suggestions were made, but nobody became a contact and nobody else got a status
    assert ContactSuggestion.objects.filter(case=c1).exists()
    assert not Contact.objects.exists()
    assert set(ControlStatus.objects.values_list("person_id", flat=True)) == {people["case"].pk}


def test_suggestions_never_become_contacts_unconfirmed(world, people):
    case = _case(world, people)
    services.suggestions_generate(actor=world.epi, case=case)
    sugg = {(s.person_id, s.source) for s in ContactSuggestion.objects.filter(case=case)}
    assert (people["spouse"].pk, "household") in sugg and (people["child"].pk, "household") in sugg
    assert (people["below"].pk, "neighbour") in sugg and (people["above"].pk, "neighbour") in sugg
    assert people["far"].pk not in {p for p, _ in sugg} and people["y"].pk not in {p for p, _ in sugg}
    assert not Contact.objects.exists()
    assert ControlStatus.objects.exclude(person=people["case"]).count() == 0
    s_spouse = ContactSuggestion.objects.get(case=case, person=people["spouse"])
    s_below = ContactSuggestion.objects.get(case=case, person=people["below"])
    services.suggestion_dismiss(actor=world.epi, suggestion=s_below, reason="不同时段")
    services.suggestion_confirm(actor=world.epi, suggestion=s_spouse, category="close_contact",
                                contact_date=D(2022, 11, 1), situation="co_resident")
    s_spouse.refresh_from_db()
    assert s_spouse.state == "confirmed" and s_spouse.contact is not None
    assert ControlStatus.objects.filter(person=people["spouse"]).count() == 2
    assert not ControlStatus.objects.filter(person=people["below"]).exists()
    with pytest.raises(ServiceError):
        services.suggestion_confirm(actor=world.epi, suggestion=s_below, category="close_contact",
                                    contact_date=D(2022, 11, 1))
    # a grid worker cannot generate or confirm
    with pytest.raises(NotFound):
        services.suggestions_generate(actor=world.worker_x, case=case)


def test_testing_suggestions_when_the_testing_app_is_installed(world, people, monkeypatch):
    fake = types.ModuleType("fangkong.testing.selectors")
    calls = []

    def tube_mates(person_id, since, until):
        calls.append(("tube", person_id, since, until))
        return [(people["y"].pk, "同一混管 T-0001")]

    def table_neighbours(person_id, since, until, minutes=5):
        calls.append(("table", person_id, minutes))
        return [(people["far"].pk, "同一采样台前后5分钟")]

    fake.tube_mates, fake.table_neighbours = tube_mates, table_neighbours
    pkg = types.ModuleType("fangkong.testing")
    pkg.selectors = fake
    monkeypatch.setitem(sys.modules, "fangkong.testing", pkg)
    monkeypatch.setitem(sys.modules, "fangkong.testing.selectors", fake)
    from django.apps import apps

    real = apps.is_installed
    monkeypatch.setattr(apps, "is_installed", lambda name: True if name == "fangkong.testing" else real(name))
    case = _case(world, people)
    services.suggestions_generate(actor=world.epi, case=case)
    got = {(s.person_id, s.source) for s in ContactSuggestion.objects.filter(case=case)}
    assert (people["y"].pk, "tube_mate") in got and (people["far"].pk, "table_neighbour") in got
    assert calls[0][0] == "tube" and calls[0][2].date() == D(2022, 10, 28)  # 4 days look-back (第九版)
    assert not Contact.objects.exists()


# -- four eyes ------------------------------------------------------------------------------------


def test_manual_status_needs_reason_end_and_a_second_approver(world, people, epi2):
    p = people["y"]
    with pytest.raises(ServiceError) as exc:
        services.manual_request_create(actor=world.epi, person=p, kind="home_isolation", start=D(2022, 11, 1),
                                       end=None, reason="外地协查通报的密接")
    assert exc.value.code == "end_required"
    with pytest.raises(ServiceError) as exc:
        services.manual_request_create(actor=world.epi, person=p, kind="home_isolation", start=D(2022, 11, 1),
                                       end=D(2022, 11, 7), reason="")
    assert exc.value.code == "reason_required"
    req = services.manual_request_create(actor=world.epi, person=p, kind="home_isolation", start=D(2022, 11, 1),
                                         end=D(2022, 11, 7), reason="外地协查通报的密接，待正式推送")
    assert not ControlStatus.objects.filter(person=p).exists()  # a request is not a status
    with pytest.raises(ServiceError) as exc:
        services.manual_request_approve(actor=world.epi, request=req)
    assert exc.value.code == "self_approval" and "自己" in exc.value.message
    with pytest.raises(NotFound):
        services.manual_request_approve(actor=world.worker_y, request=req)  # no epi.approve
    with pytest.raises(NotFound):
        services.manual_request_approve(actor=world.hq, request=req)  # hq views, does not approve
    assert not ControlStatus.objects.filter(person=p).exists()
    status = services.manual_request_approve(actor=epi2, request=req, note="同意")
    assert (status.origin, status.approved_by, status.request, status.end) == ("manual", epi2, req, D(2022, 11, 7))
    [line] = selectors.person_status_summary(world.worker_y, p, today=D(2022, 11, 3))
    assert "人工决定" in line.sentence and "epi2" in line.sentence and "至2022年11月7日止" in line.sentence
    with pytest.raises(ServiceError):
        services.manual_request_approve(actor=epi2, request=req)  # already decided
    assert_no_unsupported(world)
    actions = set(Event.objects.values_list("action", flat=True))
    assert {"manual_status.request", "manual_status.approve", "control_status.create"} <= actions


def test_the_database_refuses_a_status_without_basis(world, people, epi2):
    p = people["y"]
    for kwargs in (
        {"origin": "derived", "rule_id": "", "evidence_type": "", "evidence_id": ""},
        {"origin": "manual", "end": D(2022, 11, 7)},
        {"origin": "other", "rule_id": "x", "evidence_type": "x", "evidence_id": "1"},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            ControlStatus.objects.create(person=p, kind="home_isolation", start=D(2022, 11, 1),
                                         area_path=p.area_path, **kwargs)
    req = services.manual_request_create(actor=world.epi, person=p, kind="home_isolation", start=D(2022, 11, 1),
                                         end=D(2022, 11, 7), reason="人工管控理由")
    with pytest.raises(IntegrityError), transaction.atomic():
        type(req).objects.filter(pk=req.pk).update(decided_by=world.epi)  # self-approval at the DB level
    assert_no_unsupported(world)


def test_unsupported_report_lists_what_slipped_through(world, people):
    """The report is the safety net: if a row without basis existed it would show (simulated by
    dropping to a raw update that the CHECK allows: a derived row whose request got attached is not)."""
    case = _case(world, people)
    services.contact_register(actor=world.epi, case=case, person=people["spouse"], category="close_contact",
                              contact_date=D(2022, 11, 1))
    assert_no_unsupported(world)


# -- overrides and recompute -----------------------------------------------------------------------


def test_county_override_with_four_eyes_recomputes_and_is_shown(world, people, epi2):
    case = _case(world, people)
    services.contact_register(actor=world.epi, case=case, person=people["spouse"], category="close_contact",
                              contact_date=D(2022, 11, 1))
    with pytest.raises(ServiceError) as exc:
        services.override_propose(actor=world.epi, county=world.county, ruleset_id="di9ban",
                                  path="close_contact.phases.0.rule", value="x", reason="试")
    assert exc.value.code == "bad_override"
    o = services.override_propose(actor=world.epi, county=world.county, ruleset_id="di9ban",
                                  path="close_contact.phases.1.days", value=5, reason="县指挥部决定延长居家健康监测")
    assert _statuses(people["spouse"])[1][2] == D(2022, 11, 10)  # not yet approved
    with pytest.raises(ServiceError) as exc:
        services.override_approve(actor=world.epi, override=o)
    assert exc.value.code == "self_approval"
    result = services.override_approve(actor=epi2, override=o)
    assert result.updated == 1  # only the phase the override shaped (home monitoring) changes
    # only 第九版 close-contact statuses were read: the case's own status was not even looked at
    assert (result.unchanged, result.persons) == (1, 1)
    got = _statuses(people["spouse"])
    assert [(g[1], g[2]) for g in got] == [(D(2022, 11, 1), D(2022, 11, 7)), (D(2022, 11, 8), D(2022, 11, 12))]
    line = selectors.person_status_summary(world.epi, people["spouse"], today=D(2022, 11, 9))[0]
    assert line.end == D(2022, 11, 12)
    assert any("商州区覆盖" in n and "由3改为5" in n for n in line.override_notes)
    assert Event.objects.filter(action="control_status.update").count() >= 1
    # the other county is not affected
    resolver = services.RulesetResolver()
    assert resolver.for_date(world.z.path, D(2022, 11, 1)).categories["close_contact"].phases[0].days == 7
    services.override_revoke(actor=epi2, override=o, reason="恢复")
    assert _statuses(people["spouse"])[1][2] == D(2022, 11, 10)


def test_overrides_recompute_only_what_they_can_change(world, people, epi2):
    di9 = rules.ruleset_get("di9ban")
    assert rules.override_categories(di9, "close_contact.phases.1.days") == {"close_contact"}
    assert rules.override_categories(di9, "contact.lookback_days") == set()
    assert rules.override_categories(di9, "downgrade.high_medium.days_without_case") == set()
    assert rules.override_categories(di9, "day_one") is None
    _case(world, people)
    o = services.override_propose(actor=world.epi, county=world.county, ruleset_id="di9ban",
                                  path="contact.lookback_days", value=5, reason="县指挥部决定延长追溯期")
    before = Event.objects.filter(action__startswith="control_status.").count()
    result = services.override_approve(actor=epi2, override=o)
    assert (result.persons, result.updated, result.unchanged) == (0, 0, 0)
    assert Event.objects.filter(action__startswith="control_status.").count() == before


def test_recompute_is_idempotent_and_removes_statuses_without_facts(world, people):
    case = _case(world, people)
    contact = services.contact_register(actor=world.epi, case=case, person=people["spouse"],
                                        category="close_contact", contact_date=D(2022, 11, 1))
    r = services.status_recompute_area(world.county.path, actor=world.epi, reason="test")
    assert (r.created, r.updated, r.deleted) == (0, 0, 0) and r.unchanged == 3
    Contact.objects.filter(pk=contact.pk).delete()
    r = services.status_recompute([people["spouse"].pk], actor=world.epi, reason="密接撤销")
    assert r.deleted == 2 and not ControlStatus.objects.filter(person=people["spouse"]).exists()
    assert Event.objects.filter(action="control_status.delete").count() == 2


def test_scoping_of_statuses_and_cases(world, people):
    case = _case(world, people)
    services.contact_register(actor=world.epi, case=case, person=people["y"], category="close_contact",
                              contact_date=D(2022, 11, 1))
    assert selectors.person_status_summary(world.worker_y, people["y"])
    assert not selectors.person_status_summary(world.worker_x, people["y"])
    assert selectors.contact_qs(world.worker_y).count() == 1
    assert not selectors.case_qs(world.worker_x).exists()  # grid workers never see investigations
    assert selectors.case_qs(world.hq).count() == 1
    with pytest.raises(NotFound):
        selectors.case_get(world.worker_x, case.pk)
