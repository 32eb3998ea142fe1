import pytest

from fangkong.areas.models import Area
from fangkong.core.errors import NotFound
from fangkong.core.scoping import (
    _collapse,
    assignment_paths,
    authorize,
    can,
    get_or_404,
    path_range,
    scope,
)


def test_path_range_is_the_subtree_and_nothing_else():
    lo, hi = path_range("/611/611002/")
    inside = ["/611/611002/", "/611/611002/611002001/", "/611/611002/611002001/x/"]
    outside = ["/611/6110020/", "/611/611003/", "/611/", "/611/611002"]
    assert all(lo <= p < hi for p in inside)
    assert not any(lo <= p < hi for p in outside)


def test_path_range_rejects_malformed_paths():
    with pytest.raises(ValueError):
        path_range("611/611002")


def test_nested_assignments_collapse():
    assert _collapse(["/a/b/", "/a/", "/c/", "/a/b/c/"]) == ["/a/", "/c/"]


def test_no_assignment_sees_nothing(world):
    assert assignment_paths(world.norole, "areas.view") == []
    assert scope(Area.objects.all(), world.norole, "areas.view", field="path").count() == 0
    assert scope(Area.objects.all(), None, "areas.view", field="path").count() == 0


def test_worker_sees_only_its_community_subtree(world):
    visible = set(scope(Area.objects.all(), world.worker_x, "areas.view", field="path").values_list("code", flat=True))
    assert world.x.code in visible and world.unit_x.code in visible
    assert world.y.code not in visible and world.street.code not in visible


def test_unknown_action_is_an_error_not_a_grant(world):
    with pytest.raises(KeyError):
        scope(Area.objects.all(), world.hq, "no.such_action", field="path")


def test_authorize_raises_not_found_outside_scope(world):
    authorize(world.worker_x, "areas.view", world.grid_x.path)
    with pytest.raises(NotFound):
        authorize(world.worker_x, "areas.view", world.grid_y.path)
    with pytest.raises(NotFound):
        authorize(world.worker_x, "areas.manage", world.grid_x.path)
    assert not can(world.worker_x, "areas.view", None)


def test_get_or_404_same_error_for_missing_and_out_of_scope(world):
    with pytest.raises(NotFound) as missing:
        get_or_404(Area.objects.all(), world.worker_x, "areas.view", field="path", code="000")
    with pytest.raises(NotFound) as hidden:
        get_or_404(Area.objects.all(), world.worker_x, "areas.view", field="path", code=world.y.code)
    assert type(missing.value) is type(hidden.value)


def test_inactive_user_sees_nothing(world):
    world.worker_x.is_active = False
    assert assignment_paths(world.worker_x, "areas.view") == []


def test_subtree_filter_is_one_range_condition(world, django_assert_num_queries):
    qs = scope(Area.objects.all(), world.worker_x, "areas.view", field="path")
    sql = str(qs.query)
    assert "JOIN" not in sql.upper()
    assert sql.count(">=") == 1 and sql.count("<") == 1
