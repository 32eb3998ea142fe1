import pytest

from fangkong.areas import selectors, services
from fangkong.areas.models import Area
from fangkong.audit.models import Event
from fangkong.core.errors import NotFound, ServiceError


def test_divisions_load_has_the_seven_counties_and_all_118_units(db):
    result = services.divisions_load()
    assert result["total"] == 118 and result["created"] == 118
    assert Area.objects.filter(official=True).count() == 118
    counties = list(Area.objects.filter(level="county").values_list("name", flat=True))
    assert sorted(counties) == sorted(["商州区", "洛南县", "丹凤县", "商南县", "山阳县", "镇安县", "柞水县"])
    assert Area.objects.filter(level="street").count() == 110
    fushui = Area.objects.get(code="611023101000")
    assert fushui.name == "富水镇" and fushui.aliases.filter(name="富水街道").exists()
    again = services.divisions_load()
    assert again["created"] == 0 and again["updated"] == 0


def test_local_codes_follow_the_statistical_pattern_and_are_never_reused(world):
    assert world.x.code == "611002001001" and world.y.code == "611002001002"
    assert world.grid_x.code == world.x.code + "001"
    assert world.grid_x.path == world.x.path + world.grid_x.code + "/"
    services.area_retire(actor=world.hq, area=world.unit_x, reason="拆除")
    again = services.area_create(actor=world.hq, parent=world.building_x, name="1单元")
    assert again.code != world.unit_x.code
    assert Area.objects.filter(code=world.unit_x.code).get().retired_at is not None


def test_village_codes_start_at_200(world):
    village = services.area_create(actor=world.hq, parent=world.street, name="王堰村", kind="village")
    assert village.code == "611002001200"


def test_coded_levels_cannot_be_edited(world):
    with pytest.raises((ServiceError, NotFound)):
        services.area_rename(actor=world.hq, area=world.street, name="改名街道")
    with pytest.raises(ServiceError):
        services.area_create(actor=world.hq, parent=world.county, name="新街道")


def test_rename_keeps_the_old_name_as_alias_and_is_audited(world):
    services.area_rename(actor=world.hq, area=world.x, name="翠屏新社区", reason="更名")
    world.x.refresh_from_db()
    assert world.x.name == "翠屏新社区"
    assert world.x.aliases.filter(name="翠屏社区").exists()
    event = Event.objects.filter(action="area.rename").get()
    assert event.before == {"name": "翠屏社区"} and event.after == {"name": "翠屏新社区"}
    assert event.actor_name == "hq" and event.reason == "更名"
    assert selectors.area_resolve_name("翠屏社区") == [world.x]


def test_move_rewrites_the_paths_of_the_subtree(world):
    services.area_move(actor=world.hq, area=world.grid_x, new_parent=world.y, reason="调整网格")
    world.unit_x.refresh_from_db()
    assert world.unit_x.path.startswith(world.y.path)
    assert world.unit_x.code.startswith(world.x.code)  # codes are stable
    visible_to_y = selectors.area_qs(world.worker_y).filter(pk=world.unit_x.pk).exists()
    visible_to_x = selectors.area_qs(world.worker_x).filter(pk=world.unit_x.pk).exists()
    assert visible_to_y and not visible_to_x


def test_move_into_own_subtree_or_other_level_is_refused(world):
    with pytest.raises(ServiceError):
        services.area_move(actor=world.hq, area=world.grid_x, new_parent=world.building_x)


def test_retire_needs_a_reason_and_no_active_children(world):
    with pytest.raises(ServiceError):
        services.area_retire(actor=world.hq, area=world.unit_x, reason="")
    with pytest.raises(ServiceError):
        services.area_retire(actor=world.hq, area=world.building_x, reason="拆除")


def test_street_admin_manages_only_its_street(world):
    services.area_create(actor=world.street_admin, parent=world.x, name="第2网格")
    with pytest.raises(NotFound):
        services.area_create(actor=world.street_admin, parent=world.z, name="外区网格")
    with pytest.raises(NotFound):
        services.area_create(actor=world.worker_x, parent=world.x, name="网格员不能建")


def test_demo_city_is_deterministic_and_idempotent(db):
    services.divisions_load()
    first = services.demo_city_build(seed=7, communities_per_street=2, grids_per_community=1,
                                     compounds_per_grid=1, buildings_per_compound=1, units_per_building=1)
    assert first["community"] == 2 * 98  # streets and towns, not the special units
    names = list(Area.objects.filter(level="community").order_by("code").values_list("name", flat=True))
    second = services.demo_city_build(seed=7)
    assert set(second.values()) == {0}
    assert names == list(Area.objects.filter(level="community").order_by("code").values_list("name", flat=True))
    assert Area.objects.filter(level="unit").count() == 2 * 98


def test_search_finds_aliases_inside_scope(world):
    services.area_alias_add(actor=world.hq, area=world.x, name="翠屏片区")
    assert selectors.area_search(world.worker_x, "翠屏片区") == [world.x]
    assert selectors.area_search(world.worker_y, "翠屏片区") == []
