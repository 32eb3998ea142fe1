"""Reads of the jurisdiction tree, always scoped to the actor."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from fangkong.areas.choices import LEVEL_ORDER
from fangkong.areas.models import Area, AreaAlias
from fangkong.core.scoping import assignment_paths, get_or_404, path_range, scope

VIEW = "areas.view"


def area_qs(actor, action: str = VIEW) -> QuerySet[Area]:
    return scope(Area.objects.all(), actor, action, field="path")


def area_get(actor, code: str, action: str = VIEW) -> Area:
    """One node by code; missing and out-of-scope raise the same NotFound."""
    return get_or_404(Area.objects.select_related("parent"), actor, action, field="path", code=code)


def area_roots(actor, action: str = VIEW) -> list[Area]:
    """The top nodes of the actor's visible forest (their assignments, nested ones collapsed)."""
    paths = assignment_paths(actor, action)
    return list(Area.objects.filter(path__in=paths).select_related("parent").order_by("path"))


def area_children(actor, area: Area, *, include_retired: bool = False) -> QuerySet[Area]:
    qs = area_qs(actor).filter(parent=area).select_related("parent")
    if not include_retired:
        qs = qs.filter(retired_at__isnull=True)
    return qs.order_by("sort_order", "code")


def area_ancestors(actor, area: Area) -> list[Area]:
    """Ancestors the actor may see (for breadcrumbs), top first."""
    codes = area.ancestor_codes[:-1]
    visible = {a.code: a for a in area_qs(actor).filter(code__in=codes)}
    return [visible[c] for c in codes if c in visible]


def area_counts(area: Area) -> dict[str, int]:
    """Active descendants per level below `area` (one range scan of the area table)."""
    lo, hi = path_range(area.path)
    rows = (
        Area.objects.filter(path__gt=lo, path__lt=hi, retired_at__isnull=True)
        .values("level")
        .annotate(n=Count("id"))
    )
    found = {r["level"]: r["n"] for r in rows}
    return {lv: found[lv] for lv in LEVEL_ORDER if lv in found}


def child_counts(children: list[Area]) -> dict[int, int]:
    """Active child counts for a list of nodes (one grouped query)."""
    rows = (
        Area.objects.filter(parent__in=children, retired_at__isnull=True)
        .values("parent_id")
        .annotate(n=Count("id"))
    )
    return {r["parent_id"]: r["n"] for r in rows}


def area_search(actor, term: str, *, limit: int = 20) -> list[Area]:
    """Nodes whose name or alias contains `term`, inside the actor's scope."""
    term = (term or "").strip()
    if not term:
        return []
    alias_ids = AreaAlias.objects.filter(name__contains=term).values("area_id")
    return list(area_qs(actor).filter(Q(name__contains=term) | Q(pk__in=alias_ids)).active().order_by("path")[:limit])


def area_assignments(actor, area: Area):
    """People assigned to this node (only for actors who may view accounts here)."""
    from fangkong.accounts.models import RoleAssignment
    from fangkong.core.scoping import can

    if not can(actor, "accounts.view", area.path):
        return RoleAssignment.objects.none()
    return RoleAssignment.objects.filter(area=area).select_related("user").order_by("role", "user__username")


def area_resolve_name(name: str, *, within: Area | None = None) -> list[Area]:
    """Nodes called `name` or aliased so (for notices and imports). Not scoped: callers scope."""
    qs = Area.objects.active().filter(Q(name=name) | Q(aliases__name=name)).distinct()
    if within is not None:
        lo, hi = path_range(within.path)
        qs = qs.filter(path__gte=lo, path__lt=hi)
    return list(qs.order_by("path"))
