"""The membership side of the permission matrix: selectors.episode_qs ORs area scope and memberships."""

import datetime as dt

import pytest

from fangkong.core.errors import NotFound
from fangkong.isolation import selectors, services
from fangkong.isolation.tests.conftest import make_household, make_person, make_user

pytestmark = pytest.mark.django_db
D = dt.date(2022, 10, 3)
KW = dict(ruleset_id="di9ban", last_exposure=D, start=D)


@pytest.fixture
def setup(world, site, staff):
    other_site = services.site_create(actor=world.hq, area=world.street, name="第二隔离点", rooms=["1"])
    at_site = services.episode_admit(actor=world.hq, person=make_person(world, "点内", make_household(world.unit_x, "101")),
                                     mode="centralized", site=site, category="close_contact", **KW)
    at_other = services.episode_admit(actor=world.hq, person=make_person(world, "别点", make_household(world.unit_y, "102")),
                                      mode="centralized", site=other_site, category="close_contact", **KW)
    home_x = services.episode_admit(actor=world.hq, person=make_person(world, "居家X", make_household(world.unit_x, "103")),
                                    mode="home", category="secondary_contact", guardians=[(world.worker_x, "网格员")],
                                    **KW)
    home_y = services.episode_admit(actor=world.hq, person=make_person(world, "居家Y", make_household(world.unit_y, "104")),
                                    mode="home", category="secondary_contact", **KW)
    return {"site": at_site, "other": at_other, "home_x": home_x, "home_y": home_y, "other_site": other_site}


def _seen(user):
    return set(selectors.episode_qs(user).values_list("person__name", flat=True))


def test_episode_visibility_matrix(world, setup, staff):
    comm_x = make_user("comm_x", "community_admin", world.x)
    volunteer = make_user("vol", "volunteer", world.x)
    stray_staff = make_user("stray", "isolation_staff", world.street)  # role but no membership
    far_staff = make_user("far", "isolation_staff", world.street2)  # membership outside the role's area
    services.staff_add(actor=world.hq, site=setup["other_site"], user=far_staff)
    assert _seen(world.hq) == {"点内", "别点", "居家X", "居家Y"}
    assert _seen(world.street_admin) == {"点内", "别点", "居家X", "居家Y"}
    assert _seen(world.epi) == {"点内", "别点", "居家X", "居家Y"}
    assert _seen(staff) == {"点内"}  # isolation staff: their site only
    assert _seen(stray_staff) == set()
    assert _seen(far_staff) == set()
    assert _seen(world.worker_x) == {"居家X"}  # guardians: the people they guard
    assert _seen(world.worker_y) == set()
    assert _seen(comm_x) == {"点内", "居家X"}  # community staff: their community's people
    assert _seen(volunteer) == set()
    assert _seen(world.sampler) == set() and _seen(world.norole) == set()


def test_writes_follow_the_same_scope(world, setup, staff):
    t_other = setup["other"].tasks.filter(kind="follow_up").first()
    with pytest.raises(NotFound):
        services.follow_up_record(actor=staff, task=t_other, outcome="seen_well", temperature=36.5)
    with pytest.raises(NotFound):
        services.follow_up_record(actor=world.worker_y, task=setup["home_x"].tasks.filter(kind="follow_up").first(),
                                  outcome="seen_well", temperature=36.5)
    with pytest.raises(NotFound):
        selectors.task_get(world.worker_y, t_other.pk)
    with pytest.raises(NotFound):
        selectors.site_get(world.worker_x, setup["other_site"].pk)
    assert selectors.site_get(staff, setup["site"].site_id)
    with pytest.raises(NotFound):
        selectors.site_get(staff, setup["other_site"].pk)
    # release approval needs isolation.release (epi/hq), never site staff or guardians
    assert not selectors.can_release(staff, setup["site"])
    assert not selectors.can_release(world.worker_x, setup["home_x"])
    assert selectors.can_release(world.epi, setup["home_x"])
    # admission needs isolation.manage over the person
    with pytest.raises(NotFound):
        services.episode_admit(actor=world.worker_x, person=make_person(world, "新", make_household(world.unit_x, "105")),
                               mode="home", category="secondary_contact", **KW)
    with pytest.raises(NotFound):
        services.episode_admit(actor=staff, person=make_person(world, "新2", make_household(world.unit_x, "106")),
                               mode="centralized", site=setup["site"].site, category="close_contact", **KW)


def test_worklists(world, setup, staff):
    wl = selectors.worklist_site(staff, setup["site"].site, D)
    assert {t.episode.person.name for t in wl["follow_ups_due"]} == {"点内"}
    assert {t.episode.person.name for t in wl["tests_due"]} == {"点内"}
    wl = selectors.worklist_area(world.worker_x if False else world.street_admin, world.x.path, D)
    assert {t.episode.person.name for t in wl["follow_ups_due"]} == {"居家X"}
    with pytest.raises(NotFound):
        selectors.worklist_area(world.worker_x, world.y.path, D)
    wl = selectors.worklist_guardian(world.worker_x, D)
    assert {t.episode.person.name for t in wl["follow_ups_due"]} == {"居家X"}
    calls = selectors.call_list(staff, setup["site"].site, D)
    assert {t.episode.person.name for t in calls} == {"点内"} and len(calls) == 2
