"""Who may see what: the one scoping helper every selector uses. Deny by default.

A user holds role assignments (role × area). An action ("residents.view") is granted by some roles
(`fangkong.accounts.roles`). The user may exercise the action inside the subtree of every assignment
whose role grants it. Scoped rows carry the materialized path of their area (`area_path`), so the
subtree filter is one indexed range condition per assignment, never a join up the tree.

Out of scope must look exactly like missing: `get_or_404` raises the same `NotFound` for both.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from fangkong.accounts.roles import roles_for
from fangkong.core.errors import NotFound, PermissionDenied

if TYPE_CHECKING:
    from fangkong.accounts.models import User


def path_range(path: str) -> tuple[str, str]:
    """The half-open range [lo, hi) of every path in the subtree of `path` (itself included)."""
    if not (path.startswith("/") and path.endswith("/")):
        raise ValueError(f"not a materialized path: {path!r}")
    return path, path[:-1] + "0"


def path_in(path: str, root: str) -> bool:
    return path.startswith(root)


def _collapse(paths: Iterable[str]) -> list[str]:
    """Drop paths that lie inside another path of the list."""
    result: list[str] = []
    for path in sorted(set(paths)):
        if not result or not path.startswith(result[-1]):
            result.append(path)
    return result


def assignment_paths(actor: User | Any, action: str) -> list[str]:
    """The roots of the subtrees where `actor` may do `action` (empty for anonymous/no role)."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return []
    roles = roles_for(action)
    return _collapse(a.area_path for a in actor_assignments(actor) if a.role in roles)


def actor_assignments(actor: User) -> list[Any]:
    """The actor's live assignments, loaded once per user object (i.e. once per request)."""
    cached = getattr(actor, "_fk_assignments", None)
    if cached is None:
        from fangkong.accounts.models import RoleAssignment

        cached = list(
            RoleAssignment.objects.filter(user_id=actor.pk, area__retired_at__isnull=True)
            .select_related("area")
            .order_by("area__path", "role")
        )
        actor._fk_assignments = cached
    return cached


def forget_assignments(actor: User) -> None:
    if hasattr(actor, "_fk_assignments"):
        del actor._fk_assignments


def has_any(actor: User | Any, action: str) -> bool:
    """Does the actor hold `action` anywhere? (Used to show or hide a module.)"""
    return bool(assignment_paths(actor, action))


def scope_q(actor: User | Any, action: str, *, field: str = "area_path") -> Q | None:
    paths = assignment_paths(actor, action)
    if not paths:
        return None
    q = Q()
    for path in paths:
        lo, hi = path_range(path)
        q |= Q(**{f"{field}__gte": lo, f"{field}__lt": hi})
    return q


def scope(queryset: QuerySet, actor: User | Any, action: str, *, field: str = "area_path") -> QuerySet:
    """Restrict `queryset` to the rows whose `field` path lies in the actor's subtrees for `action`."""
    q = scope_q(actor, action, field=field)
    if q is None:
        return queryset.none()
    return queryset.filter(q)


def can(actor: User | Any, action: str, path: str | None) -> bool:
    if not path:
        return False
    return any(path.startswith(root) for root in assignment_paths(actor, action))


def authorize(actor: User | Any, action: str, path: str | None) -> None:
    """Before every write: raise NotFound unless `path` lies inside the actor's scope for `action`.

    NotFound (not 403) so that a write aimed at a record outside the subtree cannot tell the
    actor whether that record exists.
    """
    if not can(actor, action, path):
        raise NotFound()


def require_any(actor: User | Any, action: str) -> None:
    """For pages and endpoints that are not about one record (lists, forms): 403 without any grant."""
    if not has_any(actor, action):
        raise PermissionDenied("您没有此功能的权限。", code="forbidden")


def get_or_404(queryset: QuerySet, actor: User | Any, action: str, *, field: str = "area_path", **lookup):
    """Fetch one row inside the actor's scope; missing and out-of-scope raise the same NotFound."""
    try:
        return scope(queryset, actor, action, field=field).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    except queryset.model.MultipleObjectsReturned:
        raise NotFound() from None
