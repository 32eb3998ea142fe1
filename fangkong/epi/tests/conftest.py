import datetime as dt

import pytest

from fangkong.accounts.models import User
from fangkong.accounts.services import role_assign
from fangkong.core.testing.world import PASSWORD
from fangkong.residents.idnumbers import make_citizen_id
from fangkong.residents.models import Household
from fangkong.residents.services import person_register

_seq = iter(range(1, 999))


def make_household(area, floor, room):
    return Household.objects.create(area=area, area_path=area.path, floor=floor, room=room,
                                    address=f"{area.parent.parent.name}{area.parent.name}{area.name}{room}室")


def make_person(world, name, household=None, area=None, phone="", birth=dt.date(1990, 1, 1)):
    return person_register(actor=world.hq, area=area or household.area, household=household, name=name,
                           id_type="citizen_id", id_number=make_citizen_id("611002", birth, next(_seq)), phone=phone)


@pytest.fixture
def epi2(world):
    user = User(username="epi2", display_name="epi2")
    user.set_password(PASSWORD)
    user.save()
    role_assign(actor=None, user=user, role="epi", area=world.county)
    return user


@pytest.fixture
def people(world):
    """A family of three on floor 3 of unit X, neighbours on floors 2, 4 and 6, one person in unit Y."""
    hh3 = make_household(world.unit_x, 3, "301")
    hh2 = make_household(world.unit_x, 2, "201")
    hh4 = make_household(world.unit_x, 4, "401")
    hh6 = make_household(world.unit_x, 6, "601")
    hy = make_household(world.unit_y, 1, "101")
    return {
        "case": make_person(world, "张三", hh3, phone="13800000001"),
        "spouse": make_person(world, "李四", hh3, phone="13800000002"),
        "child": make_person(world, "张小", hh3, birth=dt.date(2015, 5, 5)),
        "below": make_person(world, "王五", hh2, phone="13800000003"),
        "above": make_person(world, "赵六", hh4),
        "far": make_person(world, "钱七", hh6),
        "y": make_person(world, "孙八", hy, phone="13900000009"),
    }
