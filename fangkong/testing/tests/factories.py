"""Test data for the testing app, built through the real services where there is one."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from fangkong.accounts.models import User
from fangkong.accounts.services import role_assign
from fangkong.core.testing.world import PASSWORD
from fangkong.residents.idnumbers import make_citizen_id
from fangkong.residents.models import CareTag, Household, Person
from fangkong.testing import services
from fangkong.testing.choices import Mode

_seq = itertools.count(1)
START = dt.datetime(2022, 9, 1, 7, 0, tzinfo=dt.UTC) - dt.timedelta(hours=8)  # 07:00 Beijing time


def citizen_id(birth: dt.date = dt.date(1980, 5, 17)) -> str:
    return make_citizen_id("611002", birth, next(_seq) % 1000)


def person(area, *, name="张三", birth=dt.date(1980, 5, 17), household=None, tags=()) -> Person:
    cid = citizen_id(birth)
    while Person.objects.filter(id_number=cid).exists():
        cid = citizen_id(birth)
    p = Person.objects.create(area=area, area_path=area.path, name=name, id_type="citizen_id", id_number=cid,
                              id_tail=cid[-6:], birth_date=birth, household=household)
    for tag in tags:
        CareTag.objects.create(person=p, tag=tag, area_path=p.area_path)
    return p


def household(area, room: str) -> Household:
    return Household.objects.create(area=area, area_path=area.path, room=room, address=f"{area.name}{room}")


def round_(world, *, areas=None, start=START, hours=14, infant_age_years=3, name="第1轮全员核酸"):
    specs = areas or [services.AreaSpec(world.street, Mode.POOL, 10)]
    return services.round_create(actor=world.hq, name=name, area=world.city, starts_at=start,
                                 ends_at=start + dt.timedelta(hours=hours), areas=specs,
                                 infant_age_years=infant_age_years)


def site(world, area=None, *, tables=2, name="翠屏社区广场采样点"):
    return services.site_create(actor=world.hq, area=area or world.x, name=name, tables=tables,
                                hours="07:00-12:00")


def user(username: str, role: str, area) -> User:
    u = User(username=username, display_name=username)
    u.set_password(PASSWORD)
    u.save()
    role_assign(actor=None, user=u, role=role, area=area)
    return u


def item(r, tube, table, p, *, cid=None, capacity=10, at=None, id_number=None, id_type="citizen_id") -> dict:
    return {"client_id": cid or f"c-{next(_seq)}", "round": r.pk, "tube": tube, "capacity": capacity,
            "table": table.pk, "id_type": id_type, "id_number": id_number or p.id_number,
            "sampled_at": (at or START + dt.timedelta(hours=1)).isoformat()}


def now_after(r, hours=2):
    return r.starts_at + dt.timedelta(hours=hours)


def aware(*args):
    return timezone.make_aware(dt.datetime(*args))
