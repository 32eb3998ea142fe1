from __future__ import annotations

import datetime as dt

import pytest

from fangkong.audit.models import Event
from fangkong.residents.models import Person
from fangkong.testing import selectors, services
from fangkong.testing.choices import Mode, PersonState, RecallStatus, TubeStatus
from fangkong.testing.models import Binding, Recall, RoundSample, Tube
from fangkong.testing.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world):
    people = [f.person(world.unit_x, name=f"居民{i}") for i in range(12)]
    r = f.round_(world)
    site = f.site(world)
    t1, t2 = list(site.tables.order_by("name"))
    return world, r, t1, t2, people


def ingest(world, items, actor=None):
    return services.bindings_ingest(actor=actor or world.sampler, items=items)


def statuses(results):
    return [(x["status"], x["reason"]) for x in results]


def cov(r, area):
    return selectors.coverage_totals(r, area)


def test_pool_all_negative(setup):
    world, r, t1, _t2, people = setup
    res = ingest(world, [f.item(r, "T0001", t1, p) for p in people[:10]])
    assert [x["status"] for x in res] == ["accepted"] * 10
    tube = Tube.objects.get(barcode="T0001")
    assert tube.count == 10 and tube.status == TubeStatus.CLOSED  # full closes it
    c = cov(r, world.building_x)
    assert (c["should"], c["tested"], c["untested"], c["pending"]) == (12, 10, 2, 10)
    out = services.results_ingest(actor=world.hq, items=[{"tube": "T0001", "result": "negative"}])
    assert out[0]["status"] == "accepted"
    c = cov(r, world.building_x)
    assert (c["pending"], c["negative"], c["pool_positive"]) == (0, 10, 0)
    assert selectors.person_round_state(people[0].pk, r) == PersonState.NEGATIVE
    assert set(selectors.untested_qs(r, world.building_x)) == set(people[10:])
    assert cov(r, world.city)["tested"] == 10 and cov(r, world.y)["tested"] == 0


def test_positive_pool_recalls_then_single_positive(setup, monkeypatch):
    world, r, t1, t2, people = setup
    calls = []
    monkeypatch.setattr(services, "positive_single_tube_to_epi", lambda **kw: calls.append(kw))
    ingest(world, [f.item(r, "T0002", t1, p, capacity=5) for p in people[:5]])
    services.results_ingest(actor=world.hq, items=[{"tube": "T0002", "result": "positive"}])
    recalls = list(Recall.objects.filter(tube__barcode="T0002"))
    assert {x.person_id for x in recalls} == {p.pk for p in people[:5]}
    assert all(x.status == RecallStatus.OPEN and x.stay_at_home for x in recalls)
    states = set(RoundSample.objects.filter(round=r, person__in=people[:5]).values_list("state", flat=True))
    assert states == {PersonState.POOL_POSITIVE}  # never "positive" from a pool
    assert cov(r, world.x)["pool_positive"] == 5 and cov(r, world.x)["positive"] == 0
    assert len(selectors.open_recalls_for_persons([people[0].pk])) == 1
    assert list(selectors.recall_qs(world.worker_x, r, world.x)) and not list(selectors.recall_qs(world.worker_y, r, world.x))
    # Re-sampling: single tubes.
    at = f.START + dt.timedelta(hours=3)
    res = ingest(world, [f.item(r, f"S{i}", t2, p, capacity=1, at=at) for i, p in enumerate(people[:5])])
    assert all(x["status"] == "accepted" and x["flags"] == ["repeat"] for x in res)
    c = cov(r, world.x)
    assert (c["pool_positive"], c["pending"], c["tested"]) == (0, 5, 5)
    services.results_ingest(actor=world.hq, items=[{"tube": "S0", "result": "positive"}] +
                            [{"tube": f"S{i}", "result": "negative"} for i in range(1, 5)])
    c = cov(r, world.x)
    assert (c["positive"], c["negative"], c["pending"]) == (1, 4, 0)
    assert Recall.objects.get(person=people[0]).outcome == "positive"
    assert set(Recall.objects.filter(person__in=people[1:5]).values_list("outcome", flat=True)) == {"negative"}
    assert not selectors.open_recalls_for_persons([p.pk for p in people[:5]])
    assert len(calls) == 1 and calls[0]["person"] == people[0] and calls[0]["barcode"] == "S0"
    assert calls[0]["sampled_at"] == at
    assert Event.objects.filter(action="person.positive").count() == 1


def test_invalid_tube_asks_for_resampling(setup):
    world, r, t1, _t2, people = setup
    ingest(world, [f.item(r, "T0003", t1, p) for p in people[:3]])
    services.tube_close(actor=world.sampler, barcode="T0003")
    services.results_ingest(actor=world.hq, items=[{"tube": "T0003", "result": "invalid"}])
    assert cov(r, world.x)["invalid"] == 3
    assert not Recall.objects.exists()


def test_bindings_idempotent(setup):
    world, r, t1, _t2, people = setup
    items = [f.item(r, "T0004", t1, p) for p in people[:4]]
    first = ingest(world, items)
    again = ingest(world, items + [items[0]])
    assert [x["status"] for x in first] == ["accepted"] * 4
    assert [x["status"] for x in again] == ["duplicate"] * 5
    assert Binding.objects.count() == 4 and Tube.objects.get(barcode="T0004").count == 4
    assert cov(r, world.x)["tested"] == 4


def test_results_idempotent_and_conflict(setup):
    world, r, t1, _t2, people = setup
    ingest(world, [f.item(r, "T0005", t1, p) for p in people[:2]])
    a = services.results_ingest(actor=world.hq, items=[{"tube": "T0005", "result": "negative"}])
    b = services.results_ingest(actor=world.hq, items=[{"tube": "T0005", "result": "阴性"}])
    c = services.results_ingest(actor=world.hq, items=[{"tube": "T0005", "result": "positive"},
                                                       {"tube": "NOPE", "result": "negative"},
                                                       {"tube": "T0005", "result": "maybe"}])
    assert a[0]["status"] == "accepted" and b[0]["status"] == "duplicate"
    assert [(x["status"], x["reason"]) for x in c] == [("rejected", "result_conflict"), ("rejected", "unknown_tube"),
                                                      ("rejected", "bad_result")]
    assert cov(r, world.x)["negative"] == 2


def test_guards(setup, world):
    _w, r, t1, t2, people = setup
    other = f.round_(world, name="第2轮")
    ingest(world, [f.item(r, "FULL5", t1, p, capacity=5) for p in people[:5]])
    ingest(world, [f.item(r, "HAND", t1, people[5])])
    services.tube_close(actor=world.sampler, barcode="HAND")
    site_y = f.site(world, world.z, name="龙潭采样点", tables=1)
    res = ingest(world, [
        f.item(r, "FULL5", t1, people[6], capacity=5),  # full
        f.item(r, "HAND", t1, people[6]),  # closed by hand
        f.item(r, "T9", t1, people[6], id_number="611002198005171234"),  # bad check digit
        f.item(other, "FULL5", t1, people[6], capacity=5),  # tube of another round
        f.item(r, "T8", t1, people[6], capacity=7),
        f.item(r, "HAND", t1, people[6], capacity=5),  # capacity differs from the tube's
        f.item(r, "T7", site_y.tables.get(), people[6]),  # table out of the sampler's area
        f.item(r, "T6", t1, people[6], at=f.START - dt.timedelta(hours=1)),
        f.item(r, "T6", t1, people[6], at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1)),
        {"round": r.pk},
        f.item(r, "bad code!", t1, people[6]),
    ])
    assert statuses(res) == [
        ("rejected", "tube_full"), ("rejected", "tube_closed"), ("rejected", "malformed_id"),
        ("rejected", "tube_other_round"), ("rejected", "bad_capacity"), ("rejected", "capacity_mismatch"),
        ("rejected", "unknown_table"), ("rejected", "time_outside_round"), ("rejected", "future_time"),
        ("rejected", "bad_client_id"), ("rejected", "bad_tube"),
    ]
    assert all(x["message"] for x in res)
    assert Binding.objects.count() == 6


def test_single_mode_area_refuses_pooled_tube(world):
    r = f.round_(world, areas=[services.AreaSpec(world.street, Mode.POOL, 10),
                               services.AreaSpec(world.building_x, Mode.SINGLE, 1)])
    t = f.site(world).tables.first()
    inside, outside = f.person(world.unit_x), f.person(world.grid_x)
    res = ingest(world, [f.item(r, "P1", t, inside), f.item(r, "P1", t, outside), f.item(r, "S1", t, inside, capacity=1)])
    assert statuses(res) == [("rejected", "capacity_not_allowed"), ("accepted", ""), ("accepted", "")]


def test_repeat_person_and_walk_in_flagged(setup):
    world, r, t1, _t2, people = setup
    ingest(world, [f.item(r, "T0010", t1, people[0])])
    stranger = f.citizen_id(dt.date(1990, 1, 2))
    res = ingest(world, [f.item(r, "T0011", t1, people[0]), f.item(r, "T0011", t1, None, id_number=stranger)])
    assert res[0]["flags"] == ["repeat"] and res[1].get("flags") == ["walk_in"], res
    walk_in = Person.objects.get(id_number=stranger)
    assert walk_in.walk_in and walk_in.needs_review and walk_in.area == world.x
    c = cov(r, world.x)
    assert (c["should"], c["tested"], c["sampled"]) == (13, 2, 2)
    assert "name" not in str(res) and stranger not in str(res)  # a sampler learns no ledger data


def test_offline_upload_keeps_original_time(setup):
    world, r, t1, _t2, people = setup
    old = f.START + dt.timedelta(minutes=20)
    ingest(world, [f.item(r, "T0020", t1, people[0], at=old)])
    b = Binding.objects.get()
    assert b.sampled_at == old and b.received_at > old


def test_exemptions_and_lists(world):
    baby = f.person(world.unit_x, birth=dt.date(2021, 3, 1))
    bedridden = f.person(world.unit_x, tags=["reduced_mobility"])
    adult = f.person(world.unit_x)
    r = f.round_(world)
    c = cov(r, world.building_x)
    assert (c["should"], c["exempt"]) == (2, 1)
    assert set(selectors.untested_qs(r, world.building_x)) == {bedridden, adult}
    assert list(selectors.door_to_door_qs(r, world.building_x)) == [bedridden]
    assert baby not in selectors.untested_qs(r, world.x)


def test_contact_selectors(setup):
    world, r, t1, t2, people = setup
    at = f.START + dt.timedelta(hours=1)
    ingest(world, [f.item(r, "T0030", t1, p, at=at) for p in people[:3]])
    ingest(world, [f.item(r, "T0031", t1, people[3], at=at + dt.timedelta(minutes=3))])
    ingest(world, [f.item(r, "T0032", t1, people[4], at=at + dt.timedelta(minutes=30))])
    since, until = f.START, f.START + dt.timedelta(hours=5)
    mates = selectors.tube_mates(people[0].pk, since, until)
    assert [pid for pid, _ in mates] == [people[1].pk, people[2].pk]
    assert mates[0][1].startswith("同一混管 T0030（9月1日 08:00")
    neighbours = {pid for pid, _ in selectors.table_neighbours(people[0].pk, since, until)}
    assert neighbours == {people[1].pk, people[2].pk, people[3].pk}


def test_round_scope(setup):
    world, r, *_ = setup
    assert r in selectors.round_qs(world.worker_x)
    assert r in selectors.round_qs(world.sampler, services.SAMPLE)
    z_round = f.round_(world, areas=[services.AreaSpec(world.z, Mode.POOL, 10)], name="山阳")
    assert z_round not in selectors.round_qs(world.worker_x)
    assert z_round in selectors.round_qs(world.hq)


def test_coverage_rebuild_matches_incremental(setup):
    world, r, t1, _t2, people = setup
    ingest(world, [f.item(r, "T0040", t1, p) for p in people[:7]])
    services.results_ingest(actor=world.hq, items=[{"tube": "T0040", "result": "positive"}])
    before = cov(r, world.city)
    services.coverage_rebuild(round_=r)
    assert cov(r, world.city) == before


def test_bulk_batch_uses_the_big_batch_path_and_stays_idempotent(setup):
    """A batch above COPY_FROM (PostgreSQL: COPY into a staging table) answers like a small one."""
    from fangkong.residents.idnumbers import make_citizen_id

    world, r, t1, _t2, _people = setup
    n = services.COPY_FROM + 100
    births = [dt.date(1950, 1, 1) + dt.timedelta(days=i) for i in range(n)]
    ids = [make_citizen_id("611002", b, 500 + i % 400) for i, b in enumerate(births)]
    Person.objects.bulk_create([Person(area=world.unit_y, area_path=world.unit_y.path, name=f"批量{i}",
                                       id_type="citizen_id", id_number=cid, id_tail=cid[-6:], birth_date=b)
                                for i, (cid, b) in enumerate(zip(ids, births, strict=True))])
    services.coverage_rebuild(round_=r)  # people registered after opening: the reconciliation counts them
    items = [{"client_id": f"bulk-{i}", "round": r.pk, "tube": f"BK{i // 10:05d}", "capacity": 10, "table": t1.pk,
              "id_type": "citizen_id", "id_number": cid, "sampled_at": f.START.isoformat()} for i, cid in enumerate(ids)]
    res = ingest(world, items)
    assert [x["status"] for x in res] == ["accepted"] * n
    again = ingest(world, items)
    assert [x["status"] for x in again] == ["duplicate"] * n
    assert Binding.objects.filter(client_id__startswith="bulk-").count() == n
    assert RoundSample.objects.filter(round=r, person__id_number__in=ids).count() == n
    c = cov(r, world.building_y)
    assert (c["should"], c["tested"], c["pending"]) == (n, n, n)
    assert set(Tube.objects.filter(barcode__startswith="BK").values_list("count", flat=True)) == {10}


def test_bulk_batch_survives_a_concurrent_writer(setup, monkeypatch):
    """The big-batch path writes straight into the tables, trusting what it read first. A row committed
    by a concurrent writer after that read (simulated: the reads are made blind to it) makes the direct
    write fail; the batch then goes the careful way and still answers exactly: that item duplicate, the
    repeat flagged, everything else accepted, nothing stored twice."""
    from fangkong.residents.idnumbers import make_citizen_id

    world, r, t1, _t2, _people = setup
    n = services.COPY_FROM + 20
    births = [dt.date(1960, 1, 1) + dt.timedelta(days=i) for i in range(n)]
    ids = [make_citizen_id("611002", b, 500 + i % 400) for i, b in enumerate(births)]
    Person.objects.bulk_create([Person(area=world.unit_y, area_path=world.unit_y.path, name=f"并发{i}",
                                       id_type="citizen_id", id_number=cid, id_tail=cid[-6:], birth_date=b)
                                for i, (cid, b) in enumerate(zip(ids, births, strict=True))])
    services.coverage_rebuild(round_=r)  # people registered after opening: the reconciliation counts them
    items = [{"client_id": f"conc-{i}", "round": r.pk, "tube": f"CC{i // 10:05d}", "capacity": 10, "table": t1.pk,
              "id_type": "citizen_id", "id_number": cid, "sampled_at": f.START.isoformat()} for i, cid in enumerate(ids)]
    # "The other writer": item 0's client_id stored in another tube (the same tube would have been
    # serialised by the tube lock, and seen), and person 1 sampled in another tube.
    assert ingest(world, [{**items[0], "tube": "CX00000"}])[0]["status"] == "accepted"
    assert ingest(world, [{**items[1], "client_id": "other-1", "tube": "CX00001"}])[0]["status"] == "accepted"
    monkeypatch.setattr(services, "_seen_client_ids", lambda client_ids: set())
    monkeypatch.setattr(services, "_samples_existing", lambda keys: set())
    res = ingest(world, items)
    assert res[0]["status"] == "duplicate"
    assert res[1]["status"] == "accepted" and res[1].get("flags") == ["repeat"]
    assert [x["status"] for x in res[2:]] == ["accepted"] * (n - 2)
    assert Binding.objects.filter(client_id__startswith="conc-").count() == n
    assert RoundSample.objects.filter(round=r, person__id_number__in=ids).count() == n
    assert RoundSample.objects.get(round=r, person__id_number=ids[1]).tube.barcode == "CC00000"
    services.coverage_fold(round_=r)
    incremental = cov(r, world.building_y)
    services.coverage_rebuild(round_=r)
    assert cov(r, world.building_y) == incremental


@pytest.mark.parametrize("values, sql_type", [
    (["a", "", "NULL", "null", "with space", 'quo"te', "back\\slash", "c,o{m}m,a", "中文", " lead", "tab\tnl\n"],
     "varchar"),
    ([0, 1, -5, 2**40], "bigint"),
    ([True, False, None], "boolean"),
])
def test_pg_array_literal_round_trips(values, sql_type):
    """The array literals the ingest builds by hand (instead of psycopg's per-element adapter) come back
    from PostgreSQL exactly as they went in, whatever the strings hold."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL array literals")
    with services._cursor() as cur:
        cur.execute(f"SELECT %s::{sql_type}[]", [services._pg_array(values)])
        assert cur.fetchone()[0] == values
