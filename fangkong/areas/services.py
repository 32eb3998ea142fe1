"""Writes to the jurisdiction tree. The only place that creates, renames, moves or retires a node."""

from __future__ import annotations

import csv
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.areas.choices import CODED_LEVELS, KINDS_BY_LEVEL, LEVEL_DEPTH, Kind, Level, child_level
from fangkong.areas.models import Area, AreaAlias
from fangkong.audit.services import event_build, event_record, events_record_bulk, snapshot
from fangkong.core.errors import ServiceError
from fangkong.core.scoping import authorize, path_range

MANAGE = "areas.manage"

# The kind column of the division file → (level, kind)
DIVISION_KINDS = {
    "city": (Level.CITY, Kind.CITY),
    "county": (Level.COUNTY, Kind.DISTRICT),
    "street": (Level.STREET, Kind.STREET),
    "town": (Level.STREET, Kind.TOWN),
    "township": (Level.STREET, Kind.TOWNSHIP),
    "special": (Level.STREET, Kind.SPECIAL),
}

# Models that carry an `area_path` copied from an Area: moving a node rewrites their paths too.
_PATH_CARRIERS: list[tuple[type, str]] = []


def register_path_carrier(model: type, field: str = "area_path") -> None:
    """Domain apps register their scoped tables (in AppConfig.ready) so a move keeps them in scope."""
    if (model, field) not in _PATH_CARRIERS:
        _PATH_CARRIERS.append((model, field))


def make_path(parent: Area | None, code: str) -> str:
    return (parent.path if parent else "/") + code + "/"


def divisions_load(*, csv_path: Path | None = None, actor=None) -> dict[str, int]:
    """Load (or refresh) the official division codes. Idempotent: a second run changes nothing."""
    csv_path = Path(csv_path or settings.FANGKONG_DIVISIONS_CSV)
    with csv_path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_code = {row["code"]: row for row in rows}
    created = updated = 0
    existing = {a.code: a for a in Area.objects.filter(code__in=by_code)}

    def depth_of(row: dict) -> int:
        return LEVEL_DEPTH[DIVISION_KINDS[row["kind"]][0]]

    with transaction.atomic():
        events = []
        ordered = sorted(rows, key=lambda r: (depth_of(r), r["code"]))
        # One level at a time so parents exist (and have ids) before their children: a bulk insert
        # per level, so a fresh load is a handful of statements.
        for depth in sorted({depth_of(r) for r in ordered}):
            fresh: list[Area] = []
            for order, row in enumerate(ordered):
                if depth_of(row) != depth:
                    continue
                level, kind = DIVISION_KINDS[row["kind"]]
                parent = existing.get(row["parent_code"]) if row["parent_code"] in by_code else None
                path = make_path(parent, row["code"])
                area = existing.get(row["code"])
                if area is None:
                    fresh.append(Area(
                        code=row["code"], name=row["name"], level=level, kind=kind, parent=parent, path=path,
                        depth=LEVEL_DEPTH[level], official=True, sort_order=order,
                    ))
                elif (area.name, area.level, area.kind, area.path, area.parent_id) != (
                    row["name"], level, kind, path, parent.pk if parent else None,
                ):
                    before = snapshot(area, ["name", "level", "kind", "path"])
                    if area.name != row["name"]:
                        AreaAlias.objects.get_or_create(area=area, name=area.name, defaults={"note": "旧名称"})
                    area.name, area.level, area.kind, area.parent, area.path = row["name"], level, kind, parent, path
                    area.save()
                    updated += 1
                    events.append(event_build(actor=actor, action="area.load", obj=area, before=before,
                                              after=snapshot(area, ["name", "level", "kind", "path"])))
            for area in Area.objects.bulk_create(fresh):
                existing[area.code] = area
                created += 1
                events.append(event_build(actor=actor, action="area.load", obj=area,
                                          after=snapshot(area, ["code", "name", "level"])))
        events_record_bulk(events)
        aliases = _load_aliases(csv_path.parent / "aliases.csv", existing)
    return {"created": created, "updated": updated, "total": len(rows), "aliases": aliases}


def _load_aliases(path: Path, areas: dict[str, Area]) -> int:
    if not path.is_file():
        return 0
    added = 0
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            area = areas.get(row["code"])
            if area is None:
                continue
            _, made = AreaAlias.objects.get_or_create(area=area, name=row["alias"], defaults={"note": row.get("note", "")})
            added += made
    return added


def _next_code(parent: Area, kind: str) -> str:
    """Allocate the next local code under `parent` from its counter (locked row, never reused)."""
    locked = Area.objects.select_for_update().get(pk=parent.pk)
    if parent.level == Level.STREET:
        # 统计用区划代码 style: 居委会 001–199, 村委会 200–399 after the 9-digit town prefix.
        if kind == Kind.VILLAGE:
            seq = locked.next_village_seq + 1
            if seq > 399:
                raise ServiceError(_("该乡镇的村代码已用完。"), code="codes_exhausted")
            Area.objects.filter(pk=parent.pk).update(next_village_seq=seq)
        else:
            seq = locked.next_child_seq + 1
            if seq > 199:
                raise ServiceError(_("该街道的社区代码已用完。"), code="codes_exhausted")
            Area.objects.filter(pk=parent.pk).update(next_child_seq=seq)
        return parent.code[:9] + f"{seq:03d}"
    seq = locked.next_child_seq + 1
    if seq > 999:
        raise ServiceError(_("下级代码已用完。"), code="codes_exhausted")
    Area.objects.filter(pk=parent.pk).update(next_child_seq=seq)
    return parent.code + f"{seq:03d}"


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("请填写名称。"), code="required", field="name")
    if len(name) > 100:
        raise ServiceError(_("名称太长（最多100字）。"), code="too_long", field="name")
    return name


@transaction.atomic
def area_create(*, actor, parent: Area, name: str, kind: str | None = None, reason: str = "") -> Area:
    """Create a node below the town level (community and lower) under `parent`."""
    authorize(actor, MANAGE, parent.path)
    if parent.is_retired:
        raise ServiceError(_("上级区域已撤销。"), code="parent_retired")
    level = child_level(parent.level)
    if level is None or level in CODED_LEVELS:
        raise ServiceError(_("该层级不能在此新建下级。"), code="bad_level")
    kinds = KINDS_BY_LEVEL[level]
    kind = kind or kinds[0]
    if kind not in kinds:
        raise ServiceError(_("类型不适用于该层级。"), code="bad_kind", field="kind")
    name = _check_name(name)
    if Area.objects.filter(parent=parent, name=name, retired_at__isnull=True).exists():
        raise ServiceError(_("“%(parent)s”下已有同名的“%(name)s”。") % {"parent": parent.name, "name": name}, code="duplicate", field="name")
    code = _next_code(parent, kind)
    area = Area.objects.create(
        code=code, name=name, level=level, kind=kind, parent=parent, path=make_path(parent, code),
        depth=LEVEL_DEPTH[level], official=False,
        sort_order=Area.objects.filter(parent=parent).count(),
    )
    event_record(actor=actor, action="area.create", obj=area, after=snapshot(area, ["code", "name", "level", "kind", "path"]),
                 reason=reason)
    return area


def _editable(actor, area: Area) -> None:
    # Authorise on the node's parent: managing a node is managing its parent's children.
    authorize(actor, MANAGE, area.parent.path if area.parent else None)
    if area.is_coded:
        raise ServiceError(_("官方区划（市、区县、街道乡镇）不能在此修改。"), code="coded_level")
    if area.is_retired:
        raise ServiceError(_("该区域已撤销。"), code="retired")


@transaction.atomic
def area_rename(*, actor, area: Area, name: str, keep_alias: bool = True, reason: str = "") -> Area:
    _editable(actor, area)
    name = _check_name(name)
    if name == area.name:
        return area
    if Area.objects.filter(parent_id=area.parent_id, name=name, retired_at__isnull=True).exclude(pk=area.pk).exists():
        raise ServiceError(_("已有同名的“%(name)s”。") % {"name": name}, code="duplicate", field="name")
    before = snapshot(area, ["name"])
    if keep_alias:
        AreaAlias.objects.get_or_create(area=area, name=area.name, defaults={"note": "旧名称"})
    area.name = name
    area.save(update_fields=["name", "updated_at"])
    event_record(actor=actor, action="area.rename", obj=area, before=before, after=snapshot(area, ["name"]), reason=reason)
    return area


@transaction.atomic
def area_move(*, actor, area: Area, new_parent: Area, reason: str = "") -> Area:
    """Move a node (with its subtree and every scoped row under it) to another parent of the same level."""
    _editable(actor, area)
    authorize(actor, MANAGE, new_parent.path)
    if new_parent.is_retired:
        raise ServiceError(_("目标上级已撤销。"), code="parent_retired")
    if new_parent.level != area.parent.level:
        raise ServiceError(_("只能移动到同一层级的上级下面。"), code="bad_level")
    if new_parent.path.startswith(area.path):
        raise ServiceError(_("不能移动到自己的下级。"), code="cycle")
    if new_parent.pk == area.parent_id:
        return area
    old_path = area.path
    new_path = make_path(new_parent, area.code)
    before = snapshot(area, ["parent_id", "path"])
    _rewrite_paths(Area, "path", old_path, new_path)
    for model, field in _PATH_CARRIERS:
        _rewrite_paths(model, field, old_path, new_path)
    Area.objects.filter(pk=area.pk).update(parent=new_parent, updated_at=timezone.now())
    area.refresh_from_db()
    event_record(actor=actor, action="area.move", obj=area, before=before, after=snapshot(area, ["parent_id", "path"]),
                 reason=reason)
    return area


def _rewrite_paths(model: type, field: str, old_prefix: str, new_prefix: str) -> int:
    lo, hi = path_range(old_prefix)
    manager = getattr(model, "all_objects", None) or model._default_manager
    return manager.filter(**{f"{field}__gte": lo, f"{field}__lt": hi}).update(
        **{field: Concat(Value(new_prefix), Substr(F(field), len(old_prefix) + 1))}
    )


@transaction.atomic
def area_retire(*, actor, area: Area, reason: str) -> Area:
    """Retire a node with no active children. Its code stays taken forever."""
    _editable(actor, area)
    if not (reason or "").strip():
        raise ServiceError(_("撤销区域需要填写理由。"), code="reason_required", field="reason")
    if area.children.filter(retired_at__isnull=True).exists():
        raise ServiceError(_("请先撤销或移走该区域的下级。"), code="has_children")
    if area.assignments.exists():
        raise ServiceError(_("仍有人员分配在该区域，请先调整分配。"), code="has_assignments")
    area.retired_at = timezone.now()
    area.save(update_fields=["retired_at", "updated_at"])
    event_record(actor=actor, action="area.retire", obj=area, after={"retired_at": area.retired_at}, reason=reason)
    return area


@transaction.atomic
def area_alias_add(*, actor, area: Area, name: str, note: str = "") -> AreaAlias:
    authorize(actor, MANAGE, area.path)
    name = _check_name(name)
    if name == area.name:
        raise ServiceError(_("别名与名称相同。"), code="same_as_name", field="name")
    alias, created = AreaAlias.objects.get_or_create(area=area, name=name, defaults={"note": note})
    if created:
        event_record(actor=actor, action="area.alias_add", obj=area, after={"alias": name, "note": note})
    return alias


@transaction.atomic
def area_alias_remove(*, actor, alias: AreaAlias) -> None:
    authorize(actor, MANAGE, alias.area.path)
    event_record(actor=actor, action="area.alias_remove", obj=alias.area, before={"alias": alias.name})
    alias.delete()


# --- Demo city --------------------------------------------------------------------------------

_COMMUNITY_WORDS = (
    "翠屏 西关 东关 龙潭 和平 东街 北新 南秦 江滨 丹江 金凤 莲湖 朝阳 红旗 新华 工农 仙娥 商山 龟山 "
    "凤凰 青龙 白杨 桃园 杏坪 花园 黄沙 柳林 松树 竹林 银杏 石门 清泉 马鞍 鹿城 东岳 文化 团结 向阳"
).split()
_COMPOUND_WORDS = (
    "御湖公馆 桂圆新村 东关木器厂家属院 丹江花园 金都华府 商山名苑 江滨雅居 阳光丽景 龙潭小区 "
    "翠屏嘉园 城市花园 凤凰苑 鹿城世家 学府名邸 银河小区 电力家属院 粮站家属院 水利小区 民生苑 "
    "南秦小区 幸福里 和谐家园 书香门第 锦绣华庭 北新小区 工行家属院 烟草家属院"
).split()


def demo_city_build(
    *,
    seed: int = 1,
    communities_per_street: int = 3,
    grids_per_community: int = 2,
    compounds_per_grid: int = 2,
    buildings_per_compound: int = 3,
    units_per_building: int = 2,
    streets: list[Area] | None = None,
    actor=None,
) -> dict[str, int]:
    """Generate communities, grids, compounds, buildings and units under every street (bulk path).

    Deterministic for a seed; streets that already have communities are left as they are, so it is
    safe to run again.
    """
    import random

    rng = random.Random(seed)
    if streets is None:
        streets = list(Area.objects.active().filter(level=Level.STREET).exclude(kind=Kind.SPECIAL).order_by("code"))
    counts = {lv: 0 for lv in (Level.COMMUNITY, Level.GRID, Level.COMPOUND, Level.BUILDING, Level.UNIT)}
    has_children = set(Area.objects.filter(parent__in=streets).values_list("parent_id", flat=True))
    with transaction.atomic():
        for street in streets:
            if street.pk in has_children:
                continue
            is_town = street.kind in (Kind.TOWN, Kind.TOWNSHIP)
            words = rng.sample(_COMMUNITY_WORDS, communities_per_street)
            new_nodes: list[Area] = []
            n_comm = n_village = 0
            for ci, word in enumerate(words):
                village = is_town and ci > 0
                if village:
                    n_village += 1
                    code = street.code[:9] + f"{199 + n_village:03d}"
                    comm = _node(street, code, f"{word}村", Level.COMMUNITY, Kind.VILLAGE, ci)
                else:
                    n_comm += 1
                    code = street.code[:9] + f"{n_comm:03d}"
                    comm = _node(street, code, f"{word}社区", Level.COMMUNITY, Kind.COMMUNITY, ci)
                comm.next_child_seq = grids_per_community
                new_nodes.append(comm)
                comp_no = 0
                for gi in range(grids_per_community):
                    grid = _node(comm, f"{comm.code}{gi + 1:03d}", f"第{gi + 1}网格", Level.GRID, Kind.GRID, gi)
                    grid.next_child_seq = compounds_per_grid
                    new_nodes.append(grid)
                    for pi in range(compounds_per_grid):
                        comp_no += 1
                        if village:
                            cname, ckind = f"{comp_no}组", Kind.VILLAGE_GROUP
                        else:
                            cname, ckind = rng.choice(_COMPOUND_WORDS), Kind.COMPOUND
                            if any(n.name == cname and n.parent is grid for n in new_nodes):
                                cname = f"{cname}{pi + 1}期"
                        comp = _node(grid, f"{grid.code}{pi + 1:03d}", cname, Level.COMPOUND, ckind, pi)
                        comp.next_child_seq = buildings_per_compound
                        new_nodes.append(comp)
                        for bi in range(buildings_per_compound):
                            bname = f"{bi + 1}号楼" if not village else f"{bi + 1}排"
                            bld = _node(comp, f"{comp.code}{bi + 1:03d}", bname, Level.BUILDING, Kind.BUILDING, bi)
                            bld.next_child_seq = units_per_building
                            new_nodes.append(bld)
                            for ui in range(units_per_building):
                                new_nodes.append(
                                    _node(bld, f"{bld.code}{ui + 1:03d}", f"{ui + 1}单元", Level.UNIT, Kind.UNIT, ui)
                                )
            # Parents must exist before children: bulk_create by depth, fixing parent ids.
            for level in (Level.COMMUNITY, Level.GRID, Level.COMPOUND, Level.BUILDING, Level.UNIT):
                batch = [n for n in new_nodes if n.level == level]
                for n in batch:
                    n.parent_id = n.parent.pk
                Area.objects.bulk_create(batch, batch_size=1000)
                counts[level] += len(batch)
            Area.objects.filter(pk=street.pk).update(next_child_seq=n_comm, next_village_seq=199 + n_village)
        if any(counts.values()):
            event_record(actor=actor, action="area.demo_city", object_type="areas.area",
                         after={k: v for k, v in counts.items()}, reason=f"seed={seed}")
    return {str(k): v for k, v in counts.items()}


def _node(parent: Area, code: str, name: str, level: str, kind: str, order: int) -> Area:
    return Area(
        code=code, name=name, level=level, kind=kind, parent=parent, path=parent.path + code + "/",
        depth=LEVEL_DEPTH[level], official=False, sort_order=order,
    )
