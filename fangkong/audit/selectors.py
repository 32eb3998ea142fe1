from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from fangkong.audit.models import Access, Event
from fangkong.core.scoping import path_range, scope

VIEW = "audit.view"


def _filter(qs: QuerySet, *, area_path: str = "", actor_name: str = "", action: str = "",
            since: dt.date | None = None, until: dt.date | None = None, object_id: str = "") -> QuerySet:
    if area_path:
        lo, hi = path_range(area_path)
        qs = qs.filter(area_path__gte=lo, area_path__lt=hi)
    if actor_name:
        qs = qs.filter(actor_name=actor_name)
    if action:
        qs = qs.filter(**({"action__startswith": action} if hasattr(qs.model, "action") else {"kind": action}))
    if since:
        qs = qs.filter(at__date__gte=since)
    if until:
        qs = qs.filter(at__date__lte=until)
    if object_id:
        qs = qs.filter(object_id=object_id)
    return qs


def event_list(actor, **filters) -> QuerySet[Event]:
    return _filter(scope(Event.objects.all(), actor, VIEW), **filters).order_by("-at", "-id")


def access_list(actor, **filters) -> QuerySet[Access]:
    return _filter(scope(Access.objects.all(), actor, VIEW), **filters).order_by("-at", "-id")
