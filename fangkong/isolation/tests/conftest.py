import datetime as dt
import itertools

import pytest

from fangkong.accounts.models import User
from fangkong.accounts.services import role_assign
from fangkong.core.testing.world import PASSWORD
from fangkong.residents.idnumbers import make_citizen_id
from fangkong.residents.models import Household
from fangkong.residents.services import person_register

_seq = itertools.count(1)


def make_household(area, room):
    return Household.objects.create(area=area, area_path=area.path, floor=int(room[0]), room=room,
                                    address=f"{area.name}{room}室")


def make_person(world, name, household=None, area=None):
    return person_register(actor=world.hq, area=area or household.area, household=household, name=name,
                           id_type="citizen_id", id_number=make_citizen_id("611002", dt.date(1985, 3, 3), next(_seq)),
                           phone="")


def make_user(username, role=None, area=None):
    user = User(username=username, display_name=username)
    user.set_password(PASSWORD)
    user.save()
    if role:
        role_assign(actor=None, user=user, role=role, area=area)
    return user


@pytest.fixture
def epi2(world):
    return make_user("epi2", "epi", world.county)


@pytest.fixture
def site(world):
    from fangkong.isolation import services

    return services.site_create(actor=world.hq, area=world.street, name="城关街道集中隔离点",
                                party_branch="隔离点临时党支部", party_secretary="王书记", rooms=["101", "102", "103"])


@pytest.fixture
def staff(world, site):
    from fangkong.isolation import services

    user = make_user("iso_staff", "isolation_staff", world.street)
    services.staff_add(actor=world.hq, site=site, user=user, group=site.groups.get(name="信息联络组"))
    return user
