"""The demo scenario fills every module through the services, and a second run changes nothing."""

from __future__ import annotations

import pytest
from django.apps import apps

from fangkong.core import demo_scenario

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not demo_scenario.installed(), reason="needs residents, testing, epi and risk_areas"),
]


def _counts() -> dict[str, int]:
    from fangkong.audit.models import Event

    models = ["testing.Round", "testing.Site", "testing.Tube", "testing.Binding", "testing.Recall",
              "epi.Case", "epi.Contact", "epi.ContactSuggestion", "epi.ControlStatus", "epi.InvestigationEntry",
              "epi.AssistList", "epi.AssistItem", "risk_areas.RiskArea", "risk_areas.RiskAreaEvent",
              "risk_areas.Issuer", "risk_areas.Notice", "residents.Campaign", "residents.Visit",
              "residents.Person", "accounts.User"]
    out = {name: apps.get_model(name).objects.count() for name in models}
    out["audit.Event"] = Event.objects.count()
    return out


def test_the_scenario_fills_the_modules_once(db):
    from fangkong.areas import services as areas
    from fangkong.areas.models import Area
    from fangkong.core.management.commands.demo import users_ensure
    from fangkong.epi import selectors as epi_selectors
    from fangkong.epi.models import Case, ContactSuggestion
    from fangkong.residents.seed import seed_city
    from fangkong.risk_areas.models import Notice, RiskArea
    from fangkong.testing.models import Recall, Round, RoundSample

    areas.divisions_load()
    street = Area.objects.get(code=demo_scenario.STREET_CODE)
    areas.demo_city_build(seed=3, communities_per_street=2, grids_per_community=2, compounds_per_grid=2,
                          buildings_per_compound=2, units_per_building=1, streets=[street])
    seed_city(persons=500, seed=3)
    users = users_ensure()

    result = demo_scenario.demo_scenario_run(users=users)
    assert not result.skipped

    round_ = Round.objects.get(name=demo_scenario.ROUND_NAME)
    assert RoundSample.objects.filter(round=round_).count() >= 100
    assert RoundSample.objects.filter(round=round_, state="negative").exists()
    recalls = Recall.objects.filter(round=round_)
    assert recalls.count() == 10 and not recalls.filter(status="open").exists()
    case = Case.objects.get()
    assert case.source == "positive_test" and str(case.sampled_date) == "2022-09-02"
    assert case.contacts.filter(category="close_contact").count() >= 1
    assert ContactSuggestion.objects.filter(case=case, state="pending").exists()
    # the contacts' statuses are derived from 第九版, each with its evidence
    contact = case.contacts.filter(category="close_contact").first()
    statuses = list(contact.person.control_statuses.all())
    assert statuses and all(s.ruleset_id == "di9ban" and s.rule_id for s in statuses)
    assert not epi_selectors.unsupported_statuses(users["hq"]).exists()
    lst = case.__class__._meta.apps.get_model("epi", "AssistList").objects.get()
    assert lst.rows_total == 20 and 10 <= lst.rows_matched < 20
    assert lst.items.filter(outcome="duplicate").count() == 2
    assert lst.items.filter(method="partial_id").exists()
    notice = Notice.objects.get()
    assert notice.number == 31 and notice.status == "published" and notice.applied_at is not None
    assert notice.requested_by == users["hq"] and notice.approved_by == users["hq2"]
    assert sorted(RiskArea.objects.values_list("level", flat=True)) == ["low", "medium"]
    assert apps.get_model("residents", "Visit").objects.count() > 20

    before = _counts()
    again = demo_scenario.demo_scenario_run(users=users_ensure())
    assert again.skipped
    assert _counts() == before
