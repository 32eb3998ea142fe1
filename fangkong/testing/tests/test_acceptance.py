"""The acceptance scenario, tried as a new user would, with its own expected figures.

A small city: two buildings (翠屏社区 1号楼 and 西关社区 1号楼), a few dozen people among them an infant
(exempt), a bedridden person (door-to-door), a walk-in (unknown to the ledger), a person sampled twice
(a repeat) and an offline terminal uploading hours later with the original sampling time. A round in
10混1 over the street; the lab reports one tube negative, one positive (a pool: recall its members)
and one invalid. Everything is driven through the API a terminal, a lab and a dashboard use.

The expected coverage is computed here in plain Python from the scenario's own data (who lives where,
who was put in which tube, what each tube's result was) and never from the app's selectors; then the
counters (after the background aggregation), the selectors and the API must give exactly that.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from fangkong.residents.idnumbers import make_citizen_id
from fangkong.residents.models import Person
from fangkong.testing import selectors, services
from fangkong.testing.models import Binding, CoverageDelta, Round
from fangkong.testing.tests import factories as f

pytestmark = pytest.mark.django_db

START = f.START  # 07:00 Beijing time
INFANT_BIRTH = dt.date(2021, 6, 1)  # 15 months old on the day: exempt (under 3)
WALK_IN_ID = make_citizen_id("611002", dt.date(1990, 3, 3), 777)
FIELDS = ("should", "tested", "untested", "exempt", "pending", "pool_positive")


def api(client, world, persona, method, url, body=None):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {world.token(persona)}"}
    if method == "post":
        response = client.post(url, json.dumps(body), content_type="application/json", **kwargs)
    else:
        response = client.get(url, **kwargs)
    assert response.status_code in (200, 201), response.content
    return response.json()


def at(hours: float) -> str:
    return (START + dt.timedelta(hours=hours)).isoformat()


@pytest.fixture
def city(world):
    """Who lives where: building → people (name, birth date, tags)."""
    bx = [f.person(world.unit_x, name=f"翠屏{i}") for i in range(20)]
    bx_infant = f.person(world.unit_x, name="翠屏婴儿", birth=INFANT_BIRTH)
    bx_bedridden = f.person(world.unit_x, name="翠屏卧床", birth=dt.date(1936, 2, 2), tags=("reduced_mobility",))
    by = [f.person(world.unit_y, name=f"西关{i}") for i in range(15)]
    residents = {world.building_x.code: [*bx, bx_infant, bx_bedridden], world.building_y.code: by}
    return {"bx": bx, "by": by, "infant": bx_infant, "bedridden": bx_bedridden, "residents": residents}


def expected_coverage(residents: list[dict], current_tube: dict[str, str], results: dict[str, str],
                      capacity: dict[str, int]) -> dict[str, int]:
    """The figures of one area, from the scenario's data alone.

    residents: {"id", "infant"}; current_tube: id number → the tube they were last put in;
    results: tube → negative/positive/invalid (absent: no result yet)."""
    should = sum(1 for p in residents if not p["infant"])
    exempt = sum(1 for p in residents if p["infant"])
    tested = sum(1 for p in residents if not p["infant"] and p["id"] in current_tube)
    pending = sum(1 for p in residents if p["id"] in current_tube and current_tube[p["id"]] not in results)
    pool_positive = sum(1 for p in residents if p["id"] in current_tube
                        and results.get(current_tube[p["id"]]) == "positive" and capacity[current_tube[p["id"]]] > 1)
    return {"should": should, "tested": tested, "untested": should - tested, "exempt": exempt, "pending": pending,
            "pool_positive": pool_positive}


def test_acceptance_scenario(client, world, city):
    # 1. HQ opens a round in 10混1 over the street (both communities).
    created = api(client, world, "hq", "post", "/api/v1/testing/rounds", {
        "name": "9月1日全员核酸", "area": world.city.code, "starts_at": START.isoformat(),
        "ends_at": at(14), "areas": [{"area": world.street.code, "mode": "pool", "capacity": 10}]})
    r = Round.objects.get(pk=created["id"])
    site = f.site(world)  # a sampling site in 翠屏社区 with two tables
    t1, t2 = list(site.tables.order_by("name"))

    # 2. The terminals post tubes. Plain bookkeeping of what we send: person → current tube.
    bx, by = city["bx"], city["by"]
    current_tube: dict[str, str] = {}
    capacity: dict[str, int] = {}
    cid = iter(range(1, 1000))

    def post_tube(tube, people_ids, table, hours, cap=10):
        items = [{"client_id": f"acc-{next(cid)}", "round": r.pk, "tube": tube, "capacity": cap, "table": table.pk,
                  "id_type": "citizen_id", "id_number": pid, "sampled_at": at(hours)} for pid in people_ids]
        out = api(client, world, "sampler", "post", "/api/v1/testing/bindings", {"items": items})["results"]
        for pid in people_ids:
            current_tube[pid] = tube
        capacity[tube] = cap
        return items, out

    # Tube A1: ten people of 翠屏 1号楼 (negative later).
    _items, out = post_tube("A0001", [p.id_number for p in bx[:10]], t1, 1.0)
    assert [x["status"] for x in out] == ["accepted"] * 10
    # Tube A2: seven more of 翠屏 1号楼 and a walk-in unknown to the ledger (positive later).
    items_a2, out = post_tube("A0002", [p.id_number for p in bx[10:17]] + [WALK_IN_ID], t1, 1.5)
    assert [x["status"] for x in out] == ["accepted"] * 8
    assert out[-1]["flags"] == ["walk_in"]
    # The same request sent again (the terminal lost the answer): nothing twice.
    again = api(client, world, "sampler", "post", "/api/v1/testing/bindings", {"items": items_a2})["results"]
    assert [x["status"] for x in again] == ["duplicate"] * 8
    # Tube B1: ten people of 西关 1号楼 (invalid later).
    _items, out = post_tube("B0001", [p.id_number for p in by[:10]], t2, 2.0)
    assert [x["status"] for x in out] == ["accepted"] * 10
    # Tube A3 (left open, no result): a repeat (bx[0], already in A1) and two more of 翠屏 1号楼.
    _items, out = post_tube("A0003", [bx[0].id_number, bx[17].id_number, bx[18].id_number], t1, 4.0)
    assert out[0]["status"] == "accepted" and out[0]["flags"] == ["repeat"]
    # An offline terminal uploads at the end of the morning what it sampled at 08:00 (tube B2, 3 people).
    _items, out = post_tube("B0002", [p.id_number for p in by[10:13]], t2, 1.0)
    assert [x["status"] for x in out] == ["accepted"] * 3
    offline = Binding.objects.filter(tube__barcode="B0002")
    assert {b.sampled_at for b in offline} == {START + dt.timedelta(hours=1)}
    assert all(b.received_at > b.sampled_at for b in offline)
    # Not sampled: bx[19], by[13], by[14], the bedridden person; the infant is exempt.

    # 3. The lab reports.
    results = {"A0001": "negative", "A0002": "positive", "B0001": "invalid"}
    out = api(client, world, "hq", "post", "/api/v1/testing/results",
              {"items": [{"tube": t, "result": v} for t, v in results.items()]})["results"]
    assert [x["status"] for x in out] == ["accepted"] * 3

    # 4. Expected figures, from the scenario alone.
    walk_in = Person.objects.get(id_number=WALK_IN_ID)  # registered in the site's community, 翠屏社区
    infant_id = city["infant"].id_number

    def people(persons):
        return [{"id": p.id_number, "infant": p.id_number == infant_id} for p in persons]

    bx_all = people(city["residents"][world.building_x.code])
    by_all = people(city["residents"][world.building_y.code])
    expected = {
        world.building_x.code: expected_coverage(bx_all, current_tube, results, capacity),
        world.building_y.code: expected_coverage(by_all, current_tube, results, capacity),
        world.x.code: expected_coverage(bx_all + people([walk_in]), current_tube, results, capacity),
        world.street.code: expected_coverage(bx_all + by_all + people([walk_in]), current_tube, results, capacity),
    }
    # The scenario by hand, as a reader checks it: 翠屏 1号楼 22 residents, one infant exempt → 21 should;
    # 19 sampled (A1 10, A2 7, A3 2 new), the bedridden and bx[19] untested; pending: A3's three
    # (the repeat moved to A3); pool positive: A2's seven.
    assert expected[world.building_x.code] == {"should": 21, "tested": 19, "untested": 2, "exempt": 1,
                                               "pending": 3, "pool_positive": 7}
    assert expected[world.building_y.code] == {"should": 15, "tested": 13, "untested": 2, "exempt": 0,
                                               "pending": 3, "pool_positive": 0}
    expected_untested = {
        world.building_x.code: {p.pk for p in [bx[19], city["bedridden"]]},
        world.building_y.code: {p.pk for p in by[13:15]},
    }
    expected_recalls = {p.pk for p in bx[10:17]} | {walk_in.pk}

    # 5. The counters: changes are pending until the background aggregation folds them.
    assert CoverageDelta.objects.filter(round=r).exists()
    services.coverage_fold(round_=r)
    assert not CoverageDelta.objects.filter(round=r).exists()
    areas = {a.code: a for a in (world.building_x, world.building_y, world.x, world.street)}
    for code, want in expected.items():
        got = selectors.coverage_totals(r, areas[code])
        assert {k: got[k] for k in FIELDS} == want, code
        api_got = api(client, world, "hq", "get", f"/api/v1/testing/rounds/{r.pk}/coverage?area={code}")
        assert {k: api_got[k] for k in FIELDS} == want, code
    # A grid worker of 翠屏社区 sees the same figures for their building.
    got = api(client, world, "worker_x", "get", f"/api/v1/testing/rounds/{r.pk}/coverage?area={world.building_x.code}")
    assert {k: got[k] for k in FIELDS} == expected[world.building_x.code]
    # The counters agree with a full recount from the rows.
    services.coverage_rebuild(round_=r)
    for code, want in expected.items():
        got = selectors.coverage_totals(r, areas[code])
        assert {k: got[k] for k in FIELDS} == want, code

    # 6. The untested lists and the door-to-door list.
    for code, want in expected_untested.items():
        assert {p.pk for p in selectors.untested_qs(r, areas[code])} == want
        listed = api(client, world, "hq", "get", f"/api/v1/testing/rounds/{r.pk}/untested?area={code}")
        assert {row["person"] for row in listed["results"]} == want and listed["count"] == len(want)
    assert [p.pk for p in selectors.door_to_door_qs(r, world.building_x)] == [city["bedridden"].pk]
    listed = api(client, world, "hq", "get",
                 f"/api/v1/testing/rounds/{r.pk}/untested?area={world.building_x.code}&door_to_door=1")
    assert [row["person"] for row in listed["results"]] == [city["bedridden"].pk]

    # 7. The recall list: every member of the positive pool, nobody else, staying at home.
    recalls = list(selectors.recall_qs(world.hq, r, world.street))
    assert {x.person_id for x in recalls} == expected_recalls
    assert all(x.tube.barcode == "A0002" and x.status == "open" and x.stay_at_home for x in recalls)
    listed = api(client, world, "hq", "get", f"/api/v1/testing/rounds/{r.pk}/recalls?area={world.street.code}")
    assert {row["person"] for row in listed["results"]} == expected_recalls
    in_building = api(client, world, "hq", "get",
                      f"/api/v1/testing/rounds/{r.pk}/recalls?area={world.building_x.code}")
    assert {row["person"] for row in in_building["results"]} == {p.pk for p in bx[10:17]}
    # A pool never makes anyone "positive".
    assert selectors.coverage_totals(r, world.street)["positive"] == 0
