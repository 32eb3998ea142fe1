"""Test builders for risk areas: the 商洛 tree of notice 第31号 and areas made through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from fangkong.accounts.models import User
from fangkong.accounts.services import role_assign
from fangkong.areas.models import Area
from fangkong.areas.services import area_create
from fangkong.core.testing.world import PASSWORD, World
from fangkong.risk_areas import services
from fangkong.risk_areas.models import Issuer, RiskArea

CST = ZoneInfo("Asia/Shanghai")
ISSUER = "商洛市疫情防控应急指挥部"


def at(y, m, d, h=0, minute=0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=CST)


def second_hq(world: World) -> User:
    user = User.objects.filter(username="hq2").first()
    if user is None:
        user = User(username="hq2", display_name="hq2")
        user.set_password(PASSWORD)
        user.save()
        role_assign(actor=None, user=user, role="hq", area=world.city)
    return user


def issuer(world: World, next_number: int = 31) -> Issuer:
    found = Issuer.objects.filter(name=ISSUER).first()
    return found or services.issuer_create(actor=world.hq, name=ISSUER, area=world.city, next_number=next_number)


def area(world: World, level: str, members: list[dict], *, designated: datetime | None = None,
         ruleset_id: str = "di9ban", name: str = "") -> RiskArea:
    ra = services.risk_area_create(actor=world.hq, level=level, members=members, ruleset_id=ruleset_id, name=name)
    if designated is not None:
        ra = services.risk_area_designate(actor=world.hq, risk_area=ra, effective_at=designated)
    return ra


@dataclass
class Seed31:
    cuiping: RiskArea
    longtan: RiskArea
    dongguan: RiskArea
    xiguan: RiskArea
    buildings: list[Area]


def seed_31_tree(world: World) -> dict[str, Area]:
    hq = world.hq
    yangdi = Area.objects.get(code="611024109000")  # 山阳县杨地镇
    cuiping = area_create(actor=hq, parent=world.street2, name="翠屏社区")
    xiguan = area_create(actor=hq, parent=world.street2, name="西关社区")
    longtan = area_create(actor=hq, parent=yangdi, name="龙潭社区")
    factory = area_create(actor=hq, parent=world.grid_x, name="东关木器厂", kind="work_unit_compound")
    b2 = area_create(actor=hq, parent=factory, name="2号楼")
    area_create(actor=hq, parent=factory, name="4号楼")
    b6 = area_create(actor=hq, parent=factory, name="6号楼")
    return {"cuiping": cuiping, "xiguan": xiguan, "longtan": longtan, "factory": factory, "b2": b2, "b6": b6}


def seed_31_areas(world: World) -> Seed31:
    """The four areas of notice 第31号 as they stood before it (designated in late August 2022)."""
    t = seed_31_tree(world)
    node = lambda a: {"kind": "node", "area": a}  # noqa: E731
    return Seed31(
        cuiping=area(world, "high", [node(t["cuiping"])], designated=at(2022, 8, 23, 12)),
        longtan=area(world, "high", [node(t["longtan"])], designated=at(2022, 8, 24, 8)),
        dongguan=area(world, "medium", [node(t["b2"]), node(t["b6"])], designated=at(2022, 8, 25, 8)),
        xiguan=area(world, "medium", [node(t["xiguan"])], designated=at(2022, 8, 25, 8)),
        buildings=[t["b2"], t["b6"]],
    )
