from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from fangkong.accounts.roles import ROLE_DESCRIPTIONS
from fangkong.areas.choices import Level
from fangkong.areas.selectors import area_counts
from fangkong.core.nav import items_for
from fangkong.core.scoping import actor_assignments


@login_required
def home(request):
    """The landing page for a user's roles: where they work and the modules they can open."""
    assignments = actor_assignments(request.user)
    cards = []
    for assignment in assignments:
        cards.append({
            "assignment": assignment,
            "description": ROLE_DESCRIPTIONS.get(assignment.role, ""),
            "counts": [(Level(lv).label, n) for lv, n in area_counts(assignment.area).items()],
        })
    return render(request, "core/home.html", {
        "cards": cards,
        "modules": items_for(request.user),
    })


@require_GET
def healthz(request):
    """Liveness for the load balancer: the process answers and the database is reachable."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
