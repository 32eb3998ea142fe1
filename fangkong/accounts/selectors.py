"""Reads of accounts, scoped: a user is visible when one of their assignments lies in the actor's area."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from fangkong.accounts.models import ApiToken, RoleAssignment, User
from fangkong.core.errors import NotFound
from fangkong.core.scoping import actor_assignments, scope

VIEW = "accounts.view"


def assignment_qs(actor, action: str = VIEW) -> QuerySet[RoleAssignment]:
    return scope(RoleAssignment.objects.select_related("area", "user"), actor, action, field="area__path")


def user_list(actor, *, q: str = "", role: str = "", area_path: str = "") -> QuerySet[User]:
    assignments = assignment_qs(actor)
    if role:
        assignments = assignments.filter(role=role)
    if area_path:
        assignments = assignments.filter(area__path__startswith=area_path)
    users = User.objects.filter(pk__in=assignments.values("user_id"))
    if q:
        from django.db.models import Q

        users = users.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    return users.prefetch_related(
        Prefetch("assignments", queryset=RoleAssignment.objects.select_related("area").order_by("area__path"))
    ).order_by("username")


def user_get(actor, user_id: int) -> User:
    try:
        return user_list(actor).get(pk=user_id)
    except (User.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def me(actor) -> dict:
    return {
        "username": actor.username,
        "display_name": actor.display_name,
        "assignments": [
            {"role": a.role, "role_label": str(a.get_role_display()), "area": a.area.code, "area_name": a.area.name}
            for a in actor_assignments(actor)
        ],
    }


def token_list(actor, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")
