"""Risk areas: members down to the room, names built from the members, people living in an area."""

from __future__ import annotations

from datetime import date

import pytest

from fangkong.areas.services import area_create
from fangkong.core.errors import NotFound, ServiceError
from fangkong.residents.idnumbers import make_citizen_id
from fangkong.residents.models import Household
from fangkong.residents.services import person_register
from fangkong.risk_areas import selectors, services
from fangkong.risk_areas.tests.factories import area, at

pytestmark = pytest.mark.django_db


def _household(world, unit, floor, room):
    return Household.objects.create(area=unit, area_path=unit.path, floor=floor, room=room)


def _person(world, n, household=None, area=None, tags=()):
    return person_register(actor=world.hq, area=area or household.area, household=household, name=f"居民{n}",
                           id_type="citizen_id", id_number=make_citizen_id("611002", date(1950, 1, 1), n),
                           care_tags=tags)


def test_people_by_node_floor_and_room(world):
    h301 = _household(world, world.unit_x, 3, "301")
    h302 = _household(world, world.unit_x, 3, "302")
    h501 = _household(world, world.unit_x, 5, "501")
    p1, p2, p3 = _person(world, 1, h301, tags=["lives_alone_elderly"]), _person(world, 2, h302), _person(world, 3, h501)
    other = _person(world, 4, _household(world, world.unit_y, 3, "301"))
    building = area(world, "high", [{"kind": "node", "area": world.building_x}], designated=at(2022, 9, 1, 8))
    floor = area(world, "high", [{"kind": "floor", "area": world.unit_x, "floor": 3}], designated=at(2022, 9, 1, 8))
    room = area(world, "high", [{"kind": "room", "area": world.unit_x, "room": "501"}], designated=at(2022, 9, 1, 8))
    assert set(selectors.persons_in_risk_area(building)) == {p1, p2, p3}
    assert set(selectors.persons_in_risk_area(floor)) == {p1, p2}
    assert set(selectors.persons_in_risk_area(room)) == {p3}
    assert selectors.households_in_risk_area(floor).count() == 2
    m = selectors.risk_area_memberships_for_persons([p1.pk, p3.pk, other.pk])
    assert {ra.pk for ra, _lv, _since in m[p1.pk]} == {building.pk, floor.pk}
    assert {ra.pk for ra, _lv, _since in m[p3.pk]} == {building.pk, room.pk}
    assert other.pk not in m
    assert m[p1.pk][0][1] == "high"
    assert selectors.care_counts(world.hq, floor) == {"lives_alone_elderly": 1}
    assert list(selectors.care_ledger(world.worker_y, floor)) == []  # scoped


def test_names_built_from_the_members(world):
    factory = area_create(actor=world.hq, parent=world.grid_x, name="东关木器厂")
    b2, b6 = area_create(actor=world.hq, parent=factory, name="2号楼"), area_create(actor=world.hq, parent=factory,
                                                                                    name="6号楼")
    two = area(world, "medium", [{"kind": "node", "area": b2}, {"kind": "node", "area": b6}])
    assert selectors.risk_area_default_name(two) == "东关木器厂2号楼、6号楼"
    assert two.county.name == "商州区"
    community = area(world, "high", [{"kind": "node", "area": world.z}])
    assert selectors.risk_area_default_name(community) == "城关街道龙潭社区"
    assert community.county.name == "山阳县"
    floor = area(world, "high", [{"kind": "floor", "area": world.building_x, "floor": 2}])
    assert selectors.risk_area_default_name(floor) == "翠屏小区1号楼2层"
    boundary = area(world, "high", [{"kind": "boundary", "area": world.x,
                                     "boundary_text": "东至优贝幼儿园西墙、西至吴家巷口西50米"}])
    assert selectors.risk_area_display_name(boundary) == "东至优贝幼儿园西墙、西至吴家巷口西50米"
    assert selectors.persons_in_risk_area(boundary).count() == 0
    named = area(world, "high", [{"kind": "node", "area": world.x}], name="翠屏社区（除3号楼外）")
    assert selectors.risk_area_display_name(named) == "翠屏社区（除3号楼外）"


def test_village_groups_are_written_together(world):
    village = area_create(actor=world.hq, parent=world.street, name="连湾村", kind="village")
    grid = area_create(actor=world.hq, parent=village, name="第1网格")
    groups = [area_create(actor=world.hq, parent=grid, name=f"{i}组", kind="village_group") for i in (4, 5, 6)]
    ra = area(world, "high", [{"kind": "node", "area": g} for g in groups])
    assert selectors.risk_area_default_name(ra) == "城关街道连湾村4、5、6组"


def test_levels_come_from_the_rule_set_and_scope_is_enforced(world):
    with pytest.raises(ServiceError, match="高风险区"):
        area(world, "sealed", [{"kind": "node", "area": world.x}])
    ra = area(world, "sealed", [{"kind": "node", "area": world.x}], ruleset_id="di8ban")
    assert ra.measures  # from the rule set
    with pytest.raises(NotFound):  # epi manages only 商州区; z is in 山阳县
        services.risk_area_create(actor=world.epi, level="high", members=[{"kind": "node", "area": world.z}],
                                  ruleset_id="di9ban")
    with pytest.raises(NotFound):
        services.risk_area_create(actor=world.worker_x, level="high", members=[{"kind": "node", "area": world.x}],
                                  ruleset_id="di9ban")
    with pytest.raises(ServiceError, match="整县"):
        area(world, "high", [{"kind": "node", "area": world.county}])


def test_adding_a_part_beside_the_first_widens_the_area_within_the_county(world):
    """A mix: start from a building, then add a written boundary around its compound's street and a
    building elsewhere in the county; a part in another county is refused."""
    ra = area(world, "high", [{"kind": "node", "area": world.building_x}], designated=at(2022, 9, 1, 8))
    services.risk_area_member_add(actor=world.hq, risk_area=ra, member={
        "kind": "boundary", "area": world.compound_x, "boundary_text": "东至丹江路、西至北新街"})
    ra.refresh_from_db()
    assert ra.area == world.compound_x and ra.area_path == world.compound_x.path
    services.risk_area_member_add(actor=world.hq, risk_area=ra, member={"kind": "node", "area": world.building_y})
    ra.refresh_from_db()
    assert world.building_y.path.startswith(ra.area_path) and ra.county == world.county
    assert ra.members.count() == 3
    with pytest.raises(ServiceError) as exc:
        services.risk_area_member_add(actor=world.hq, risk_area=ra, member={"kind": "node", "area": world.street2})
    assert exc.value.code == "outside"
