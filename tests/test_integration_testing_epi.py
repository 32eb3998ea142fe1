"""The seams between apps: a positive pool keeps its members at home (epi status with the recall as
evidence) until the single tube settles it; a positive single tube opens a case; the risk-area
downgrade facts read rounds and cases."""

from __future__ import annotations

import datetime as dt

import pytest

from fangkong.epi.models import Case, ControlStatus
from fangkong.risk_areas import facts
from fangkong.testing import services
from fangkong.testing.choices import Mode
from fangkong.testing.tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


def _round(world, mode=Mode.POOL, capacity=5):
    return f.round_(world, areas=[services.AreaSpec(world.street, mode, capacity)])


def test_positive_pool_puts_members_at_home_until_the_single_tube(world):
    people = [f.person(world.unit_x, name=f"居民{i}") for i in range(5)]
    r = _round(world)
    t1, t2 = list(f.site(world).tables.order_by("name"))
    services.bindings_ingest(actor=world.sampler, items=[f.item(r, "P001", t1, p, capacity=5) for p in people])
    services.results_ingest(actor=world.hq, items=[{"tube": "P001", "result": "positive"}])
    at_home = ControlStatus.objects.filter(person__in=people, kind="stay_at_home")
    assert at_home.count() == 5
    status = at_home.get(person=people[0])
    assert status.evidence_type == "testing.recall" and "P001" in status.evidence_label
    assert status.rule_id.endswith("pool_positive.stay_at_home")
    # people[0] re-sampled alone: negative releases them; people[1] positive opens a case
    later = f.START + dt.timedelta(hours=6)
    services.bindings_ingest(actor=world.sampler, items=[
        f.item(r, "S001", t2, people[0], capacity=1, at=later),
        f.item(r, "S002", t2, people[1], capacity=1, at=later),
    ])
    services.results_ingest(actor=world.hq, items=[{"tube": "S001", "result": "negative"},
                                                  {"tube": "S002", "result": "positive"}])
    assert not ControlStatus.objects.filter(person=people[0]).exists()
    assert Case.objects.filter(person=people[1]).exists()
    assert ControlStatus.objects.filter(person=people[1], category="infection").exists()
    assert ControlStatus.objects.filter(person__in=people[2:], kind="stay_at_home").count() == 3


def test_risk_area_facts_read_rounds_and_cases(world):
    people = [f.person(world.unit_x, name=f"居民{i}") for i in range(3)]
    ids = [p.pk for p in people]
    r = _round(world, capacity=10)
    t1, _t2 = list(f.site(world).tables.order_by("name"))
    services.bindings_ingest(actor=world.sampler, items=[f.item(r, "N001", t1, p) for p in people])
    since = dt.date(2022, 8, 25)
    assert facts.negative_round_days(ids, since=since) == []  # results pending
    services.results_ingest(actor=world.hq, items=[{"tube": "N001", "result": "negative"}])
    assert facts.negative_round_days(ids, since=since) == [dt.date(2022, 9, 1)]
    assert facts.negative_round_days(ids + [f.person(world.unit_x).pk], since=since) == []  # one untested
    assert facts.last_case_date(ids, since=since) is None
    from fangkong.epi.services import case_register

    case_register(actor=world.epi, person=people[2], sampled_date=dt.date(2022, 9, 3))
    assert facts.last_case_date(ids, since=since) == dt.date(2022, 9, 3)
    assert facts.last_case_date(ids, since=dt.date(2022, 9, 4)) is None


def test_person_page_says_why_since_when_until_when(client, world):
    person = f.person(world.unit_x, name="张三")
    r = _round(world)
    t1, _t2 = list(f.site(world).tables.order_by("name"))
    services.bindings_ingest(actor=world.sampler, items=[f.item(r, "P009", t1, person, capacity=5)])
    services.results_ingest(actor=world.hq, items=[{"tube": "P009", "result": "positive"}])
    client.force_login(world.worker_x)
    body = client.get(f"/residents/persons/{person.pk}/").content.decode()
    assert "混管可疑阳性" in body and "P009" in body and "pool_positive.stay_at_home" in body
    client.force_login(world.worker_y)
    assert client.get(f"/residents/persons/{person.pk}/").status_code == 404
