from __future__ import annotations

from ninja import Router, Schema

from fangkong.areas import selectors

PREFIX = "/areas"
router = Router(tags=["areas"])


class AliasOut(Schema):
    name: str
    note: str


class AreaOut(Schema):
    code: str
    name: str
    level: str
    level_label: str
    kind: str
    parent: str | None
    path: str
    official: bool
    retired: bool
    aliases: list[str]
    children_count: int


def area_out(area, *, children_count: int = 0, aliases: list[str] | None = None) -> dict:
    return {
        "code": area.code, "name": area.name, "level": area.level, "level_label": str(area.get_level_display()),
        "kind": area.kind, "parent": area.parent.code if area.parent_id and area.parent else None,
        "path": area.path, "official": area.official, "retired": area.is_retired,
        "aliases": aliases if aliases is not None else [a.name for a in area.aliases.all()],
        "children_count": children_count,
    }


@router.get("/", response=list[AreaOut], summary="我可查看的顶层区域")
def roots(request):
    nodes = selectors.area_roots(request.user)
    counts = selectors.child_counts(nodes)
    return [area_out(a, children_count=counts.get(a.pk, 0)) for a in nodes]


@router.get("/{code}", response=AreaOut, summary="一个区域")
def area_detail(request, code: str):
    area = selectors.area_get(request.user, code)
    return area_out(area, children_count=selectors.child_counts([area]).get(area.pk, 0))


@router.get("/{code}/children", response=list[AreaOut], summary="区域的下级")
def area_children(request, code: str, include_retired: bool = False):
    area = selectors.area_get(request.user, code)
    kids = list(selectors.area_children(request.user, area, include_retired=include_retired).prefetch_related("aliases"))
    counts = selectors.child_counts(kids)
    return [area_out(a, children_count=counts.get(a.pk, 0), aliases=[x.name for x in a.aliases.all()]) for a in kids]
