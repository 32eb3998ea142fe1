"""The named world every permission test uses (STYLE.md: "a small named world").

Two counties (商州区, 山阳县) with their streets from the division file; in 商州区城关街道 the
communities X (翠屏社区) and its sibling Y (西关社区), each with a grid, a compound, a building and a
unit; in 山阳县城关街道 a community Z. Users: hq (city), street_admin (商州区城关街道), worker_x and
worker_y (grid workers of X and Y), sampler (street), epi (商州区), norole (no assignment), and
anonymous (no user).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fangkong.accounts.models import User
from fangkong.accounts.services import role_assign, token_create
from fangkong.areas.models import Area
from fangkong.areas.services import area_create, divisions_load

PERSONAS = ("hq", "street_admin", "worker_x", "worker_y", "sampler", "epi", "norole", "anonymous")
PASSWORD = "Test-password-2022"


@dataclass
class World:
    city: Area
    county: Area  # 商州区
    county2: Area  # 山阳县
    street: Area  # 商州区城关街道
    street2: Area  # 山阳县城关街道
    x: Area
    y: Area
    z: Area
    grid_x: Area
    compound_x: Area
    building_x: Area
    unit_x: Area
    grid_y: Area
    compound_y: Area
    building_y: Area
    unit_y: Area
    users: dict[str, User | None]
    _tokens: dict[str, str] = field(default_factory=dict)

    def __getattr__(self, name):
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)

    def token(self, persona: str) -> str | None:
        if self.users.get(persona) is None:
            return None
        if persona not in self._tokens:
            _t, plain = token_create(actor=None, user=self.users[persona], name=f"test {persona}")
            self._tokens[persona] = plain
        return self._tokens[persona]


def _user(username: str, role: str | None = None, area: Area | None = None) -> User:
    user = User(username=username, display_name=username)
    user.set_password(PASSWORD)
    user.save()
    if role:
        role_assign(actor=None, user=user, role=role, area=area)
    return user


def _chain(actor, community: Area) -> tuple[Area, Area, Area, Area]:
    grid = area_create(actor=actor, parent=community, name="第1网格")
    compound = area_create(actor=actor, parent=grid, name=f"{community.name[:2]}小区")
    building = area_create(actor=actor, parent=compound, name="1号楼")
    unit = area_create(actor=actor, parent=building, name="1单元")
    return grid, compound, building, unit


def build_world() -> World:
    divisions_load()
    get = Area.objects.get
    city, county, county2 = get(code="611000000000"), get(code="611002000000"), get(code="611024000000")
    street, street2 = get(code="611002001000"), get(code="611024001000")
    hq = _user("hq", "hq", city)
    x = area_create(actor=hq, parent=street, name="翠屏社区")
    y = area_create(actor=hq, parent=street, name="西关社区")
    z = area_create(actor=hq, parent=street2, name="龙潭社区")
    grid_x, compound_x, building_x, unit_x = _chain(hq, x)
    grid_y, compound_y, building_y, unit_y = _chain(hq, y)
    users: dict[str, User | None] = {
        "hq": hq,
        "street_admin": _user("street_admin", "street_admin", street),
        "worker_x": _user("worker_x", "grid_worker", x),
        "worker_y": _user("worker_y", "grid_worker", y),
        "sampler": _user("sampler", "sampler", street),
        "epi": _user("epi", "epi", county),
        "norole": _user("norole"),
        "anonymous": None,
    }
    return World(city=city, county=county, county2=county2, street=street, street2=street2, x=x, y=y, z=z,
                 grid_x=grid_x, compound_x=compound_x, building_x=building_x, unit_x=unit_x,
                 grid_y=grid_y, compound_y=compound_y, building_y=building_y, unit_y=unit_y, users=users)
