from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from fangkong.areas.selectors import area_get
from fangkong.audit import selectors
from fangkong.audit.models import AccessKind
from fangkong.core.errors import NotFound
from fangkong.core.pagination import paginate
from fangkong.core.scoping import require_any


def _filters(request) -> tuple[dict, dict, str]:
    g = request.GET
    filters: dict = {}
    error = ""
    if g.get("area"):
        try:
            filters["area_path"] = area_get(request.user, g["area"].strip(), action=selectors.VIEW).path
        except NotFound:
            error = _("找不到该区域，或它不在您的辖区内。")
            filters["area_path"] = "/-/"
    for key in ("actor_name", "action", "object_id"):
        if g.get(key):
            filters[key] = g[key].strip()
    for key in ("since", "until"):
        if g.get(key):
            try:
                filters[key] = dt.date.fromisoformat(g[key])
            except ValueError:
                error = _("日期格式应为 YYYY-MM-DD。")
    return filters, {k: g.get(k, "") for k in ("area", "actor_name", "action", "object_id", "since", "until")}, error


@login_required
def events(request):
    require_any(request.user, selectors.VIEW)
    filters, values, error = _filters(request)
    page = paginate(request, selectors.event_list(request.user, **filters))
    return render(request, "audit/event_list.html", {"page_obj": page, "values": values, "error": error, "tab": "events"})


@login_required
def access(request):
    require_any(request.user, selectors.VIEW)
    filters, values, error = _filters(request)
    page = paginate(request, selectors.access_list(request.user, **filters))
    return render(request, "audit/access_list.html", {
        "page_obj": page, "values": values, "error": error, "tab": "access", "kinds": AccessKind.choices,
    })
