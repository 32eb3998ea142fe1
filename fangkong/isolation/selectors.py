"""Reads of the isolation app, given the actor, scoped.

THE membership helper is here: `episode_qs(actor)` ORs the area scope (isolation.view on the
person's area or the site's area) with the memberships — isolation staff see the episodes of the
sites they are members of (SiteStaff, and only where their isolation_staff assignment covers the site),
guardians the people they guard (GuardianMember). Every other selector builds on it or on `site_qs`.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from fangkong.core.errors import NotFound
from fangkong.core.scoping import can, has_any, path_range, scope_q
from fangkong.isolation.models import (
    OPEN_STATES,
    Episode,
    Escalation,
    Need,
    OccupancySnapshot,
    Room,
    Site,
    SiteStaff,
    Task,
    TaskKind,
    TaskState,
)

VIEW = "isolation.view"
MANAGE = "isolation.manage"
SITE_WORK = "isolation.site_work"
FOLLOW_UP = "isolation.follow_up"
RELEASE = "isolation.release"


def today() -> dt.date:
    return timezone.localdate()


def member_site_ids(actor) -> list[int]:
    """Sites the actor is a member of, where an isolation_staff assignment covers the site."""
    if not has_any(actor, SITE_WORK):
        return []
    cached = getattr(actor, "_fk_iso_sites", None)
    if cached is None:
        cached = [sid for sid, path in SiteStaff.objects.filter(user_id=actor.pk).values_list("site_id",
                                                                                               "site__area_path")
                  if can(actor, SITE_WORK, path)]
        actor._fk_iso_sites = cached
    return cached


def _area_q(actor, action: str) -> Q | None:
    a = scope_q(actor, action, field="area_path")
    s = scope_q(actor, action, field="site_path")
    if a is None:
        return None
    return a | s


def episode_q(actor) -> Q | None:
    """The one combination of area scope and memberships (None: nothing visible)."""
    parts = []
    area = _area_q(actor, VIEW)
    if area is not None:
        parts.append(area)
    sites = member_site_ids(actor)
    if sites:
        parts.append(Q(site_id__in=sites))
    if has_any(actor, FOLLOW_UP):
        from fangkong.isolation.models import GuardianMember

        parts.append(Q(pk__in=GuardianMember.objects.filter(user_id=actor.pk).values("episode_id")))
    if not parts:
        return None
    q = parts[0]
    for p in parts[1:]:
        q |= p
    return q


def episode_qs(actor) -> QuerySet[Episode]:
    q = episode_q(actor)
    qs = Episode.objects.select_related("person", "site", "room", "caller")
    return qs.none() if q is None else qs.filter(q)


def episode_get(actor, episode_id) -> Episode:
    try:
        return episode_qs(actor).get(pk=episode_id)
    except (Episode.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def can_work(actor, episode: Episode) -> bool:
    """May the actor record follow-ups, tests, needs and transfers of this episode?"""
    if can(actor, MANAGE, episode.area_path) or (episode.site_path and can(actor, MANAGE, episode.site_path)):
        return True
    if episode.site_id and episode.site_id in member_site_ids(actor):
        return True
    if has_any(actor, FOLLOW_UP) and episode.guardians.filter(user_id=actor.pk).exists():
        return True
    return False


def can_release(actor, episode: Episode) -> bool:
    return can(actor, RELEASE, episode.area_path) or bool(episode.site_path and can(actor, RELEASE, episode.site_path))


def site_qs(actor) -> QuerySet[Site]:
    q = scope_q(actor, VIEW)
    ids = member_site_ids(actor)
    if ids:
        q = Q(pk__in=ids) if q is None else q | Q(pk__in=ids)
    return Site.objects.none() if q is None else Site.objects.filter(q)


def site_get(actor, site_id) -> Site:
    try:
        return site_qs(actor).select_related("area").get(pk=site_id)
    except (Site.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def site_capacity(sites) -> list[dict]:
    """Rooms, occupied rooms and persons per site (one query each for rooms and occupants)."""
    ids = [s.pk for s in sites]
    rooms = dict(Room.objects.filter(site_id__in=ids, active=True).order_by().values("site_id")
                 .annotate(n=Count("id")).values_list("site_id", "n"))
    occ = {r["site_id"]: r for r in Episode.objects.filter(site_id__in=ids, state__in=OPEN_STATES).order_by()
           .values("site_id").annotate(persons=Count("id"), rooms=Count("room_id", distinct=True))}
    out = []
    for s in sites:
        total = rooms.get(s.pk, 0)
        o = occ.get(s.pk, {"persons": 0, "rooms": 0})
        out.append({"site": s, "rooms": total, "occupied": o["rooms"], "persons": o["persons"],
                    "free": max(0, total - o["rooms"])})
    return out


def occupancy_history(sites, days: int = 30) -> list[dict]:
    since = today() - dt.timedelta(days=days)
    from django.db.models import Sum

    rows = OccupancySnapshot.objects.filter(site__in=sites, date__gte=since).values("date").annotate(
        rooms=Sum("rooms"), occupied=Sum("occupied_rooms"), persons=Sum("persons")).order_by("date")
    return [{"date": r["date"].isoformat(), "rooms": r["rooms"], "occupied": r["occupied"], "persons": r["persons"]}
            for r in rows]


# -- today's work lists ------------------------------------------------------------------------------


LIST_LIMIT = 200  # per list in the API's work lists; the counts stay exact
PAGE_LIST_LIMIT = 50  # per list on a work-list page (the page shows the exact counts and links to the rest)
_TASK_FIELDS = ("id", "episode_id", "kind", "due_date", "slot", "test_day", "state", "episode__id",
                "episode__person_id", "episode__person__name", "episode__person__phone", "episode__room_id",
                "episode__room__number")


def _tasks(qs: QuerySet[Task], day: dt.date, limit: int = LIST_LIMIT) -> dict:
    """Today's open tasks, yesterday's missed follow-ups and tests overdue up to 3 days, each list capped at
    LIST_LIMIT rows (the counts are exact). Three narrow index range reads, never the whole history."""
    base = qs.select_related("episode__person", "episode__room").only(*_TASK_FIELDS)
    counts = {(k, st): n for k, st, n in qs.filter(due_date=day).values_list("kind", "state").annotate(
        n=Count("id")).values_list("kind", "state", "n").order_by()}
    open_today = base.filter(due_date=day, state=TaskState.OPEN).order_by("slot", "episode_id")
    follow_ups = list(open_today.filter(kind=TaskKind.FOLLOW_UP)[:limit])
    tests = list(open_today.filter(kind=TaskKind.TEST)[:limit])
    # day lists (IN, not a range) so that the (due_date, area_path) index also narrows on the area
    missed_days = [day - dt.timedelta(days=1), day]
    overdue_days = [day - dt.timedelta(days=k) for k in (3, 2, 1)]
    missed_qs = qs.filter(kind=TaskKind.FOLLOW_UP, state=TaskState.MISSED, due_date__in=missed_days)
    overdue_qs = qs.filter(kind=TaskKind.TEST, state=TaskState.OPEN, due_date__in=overdue_days)
    missed = list(base.filter(kind=TaskKind.FOLLOW_UP, state=TaskState.MISSED, due_date__in=missed_days)
                  .order_by("due_date", "slot", "episode_id")[:limit])
    overdue = list(base.filter(kind=TaskKind.TEST, state=TaskState.OPEN, due_date__in=overdue_days)
                   .order_by("due_date", "episode_id")[:limit])
    n_missed = len(missed) if len(missed) < limit else missed_qs.count()
    n_overdue = len(overdue) if len(overdue) < limit else overdue_qs.count()
    return {
        "follow_ups_due": follow_ups,
        "tests_due": tests,
        "follow_ups_missed": missed, "tests_overdue": overdue,
        "done": sum(n for (k, st), n in counts.items() if st == TaskState.DONE),
        "counts": {"follow_ups_due": counts.get((TaskKind.FOLLOW_UP, TaskState.OPEN), 0),
                   "tests_due": counts.get((TaskKind.TEST, TaskState.OPEN), 0),
                   "follow_ups_missed": n_missed, "tests_overdue": n_overdue},
    }


def _episode_lists(qs: QuerySet[Episode], day: dt.date, limit: int = LIST_LIMIT) -> dict:
    """Releases due, statuses ending today, releases proposed, transfers: one aggregate for the four counts, then
    a list query only for the lists that are not empty."""
    open_qs = qs.filter(state__in=OPEN_STATES).select_related("person", "room").only(
        "id", "state", "phase_end", "person__id", "person__name", "room__id", "room__number").order_by("phase_end", "id")
    n = qs.filter(state__in=OPEN_STATES).order_by().aggregate(
        due=Count("id", filter=Q(phase_end__lte=day)), today=Count("id", filter=Q(phase_end=day)),
        proposed=Count("id", filter=Q(state="release_proposed")), transfer=Count("id", filter=Q(state="transfer")))
    return {
        "releases_due": list(open_qs.filter(phase_end__lte=day)[:limit]) if n["due"] else [],
        "releases_due_count": n["due"],
        "ending_today": list(open_qs.filter(phase_end=day)[:limit]) if n["today"] else [],
        "ending_today_count": n["today"],
        "release_proposed": list(open_qs.filter(state="release_proposed")[:limit]) if n["proposed"] else [],
        "in_transfer": list(open_qs.filter(state="transfer").select_related("transfer").only(
            "id", "state", "phase_end", "person__id", "person__name", "room__id", "room__number", "transfer__vehicle",
            "transfer__flagged_at")[:limit]) if n["transfer"] else [],
    }


def worklist_site(actor, site: Site, day: dt.date | None = None, limit: int = LIST_LIMIT) -> dict:
    """A site's work list for today (the actor must see the site: site_get first)."""
    day = day or today()
    out = _tasks(Task.objects.filter(site_id=site.pk), day, limit)
    out.update(_episode_lists(Episode.objects.filter(site_id=site.pk), day, limit))
    out["capacity"] = site_capacity([site])[0]
    return out


def worklist_area(actor, path: str, day: dt.date | None = None, limit: int = LIST_LIMIT) -> dict:
    """An area's (grid, community …) work list for today: home isolations of people living there."""
    if not can(actor, VIEW, path):
        raise NotFound()
    day = day or today()
    lo, hi = path_range(path)
    out = _tasks(Task.objects.filter(area_path__gte=lo, area_path__lt=hi, site__isnull=True), day, limit)
    out.update(_episode_lists(Episode.objects.filter(area_path__gte=lo, area_path__lt=hi, mode="home"), day, limit))
    return out


def worklist_guardian(actor, day: dt.date | None = None) -> dict:
    day = day or today()
    ids = list(Episode.objects.filter(guardians__user_id=actor.pk, state__in=OPEN_STATES).values_list("id", flat=True))
    out = _tasks(Task.objects.filter(episode_id__in=ids), day)
    return out


def call_list(actor, site: Site, day: dt.date | None = None) -> list[Task]:
    """The actor's call list at a site: today's follow-ups of the people assigned to the actor."""
    day = day or today()
    return list(Task.objects.filter(site_id=site.pk, due_date=day, kind=TaskKind.FOLLOW_UP,
                                    episode__caller_id=actor.pk).select_related("episode__person", "episode__room")
                .order_by("slot", "episode__room__number", "id"))


def escalation_qs(actor) -> QuerySet[Escalation]:
    q = _area_q(actor, VIEW)
    ids = member_site_ids(actor)
    if ids:
        q = Q(episode__site_id__in=ids) if q is None else q | Q(episode__site_id__in=ids)
    return Escalation.objects.none() if q is None else Escalation.objects.filter(q).select_related(
        "episode__person", "task")


def need_qs(actor) -> QuerySet[Need]:
    q = episode_q(actor)
    if q is None:
        return Need.objects.none()
    return Need.objects.filter(episode__in=Episode.objects.filter(q).values("id")).select_related("episode__person")


def task_get(actor, task_id) -> Task:
    try:
        task = Task.objects.select_related("episode__person", "episode").get(pk=task_id)
    except (Task.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if not episode_qs(actor).filter(pk=task.episode_id).exists():
        raise NotFound()
    return task


# -- calls (one CallLog row per call) ----------------------------------------------------------------


def call_sheet(actor, site: Site, day: dt.date | None = None, caller_id: int | None = None) -> list[dict]:
    """The call list of a staff member at a site (the actor by default): the open episodes assigned to them,
    each with today's calls per slot (the last call of the slot, and how many). The actor must see the site."""
    from fangkong.isolation.models import CallLog

    day = day or today()
    caller_id = caller_id or actor.pk
    eps = list(Episode.objects.filter(site_id=site.pk, caller_id=caller_id, state__in=OPEN_STATES)
               .select_related("person", "room").only("id", "state", "person__id", "person__name", "person__phone",
                                                      "room__id", "room__number", "site_id", "caller_id")
               .order_by("room__number", "id"))
    calls: dict[tuple[int, str], list] = {}
    for c in CallLog.objects.filter(episode_id__in=[e.pk for e in eps], date=day).order_by("called_at", "id"):
        calls.setdefault((c.episode_id, c.slot), []).append(c)
    out = []
    for e in eps:
        row = {"episode": e}
        for slot in ("am", "pm"):
            lst = calls.get((e.pk, slot), [])
            row[slot] = lst[-1] if lst else None
            row[slot + "_count"] = len(lst)
        out.append(row)
    return out


def call_counts(sheet: list[dict]) -> dict:
    return {slot: {"done": sum(1 for r in sheet if r[slot]), "not_done": sum(1 for r in sheet if not r[slot])}
            for slot in ("am", "pm")}


def calls_missing(actor, site: Site, day: dt.date | None = None, slots: tuple[str, ...] = ("am", "pm")) -> list[dict]:
    """The calls not made at a site on `day`, per staff member: for each caller, the people assigned to them
    with no call logged in a slot (people without a caller are listed under caller None)."""
    from fangkong.accounts.models import User
    from fangkong.isolation.models import CallLog

    day = day or today()
    eps = list(Episode.objects.filter(site_id=site.pk, state__in=OPEN_STATES).select_related("person", "room")
               .only("id", "caller_id", "person__id", "person__name", "person__phone", "room__id", "room__number")
               .order_by("room__number", "id"))
    made = set(CallLog.objects.filter(site_id=site.pk, date=day).values_list("episode_id", "slot").distinct())
    by_caller: dict[int | None, list] = {}
    for e in eps:
        missing = [s for s in slots if (e.pk, s) not in made]
        if missing:
            by_caller.setdefault(e.caller_id, []).append({"episode": e, "missing": missing})
    users = {u.pk: u for u in User.objects.filter(pk__in=[k for k in by_caller if k])}
    assigned = dict(Episode.objects.filter(site_id=site.pk, state__in=OPEN_STATES).order_by().values("caller_id")
                    .annotate(n=Count("id")).values_list("caller_id", "n"))
    out = [{"caller": users.get(k), "caller_id": k, "assigned": assigned.get(k, 0), "rows": rows,
            "missing": {s: sum(1 for r in rows if s in r["missing"]) for s in slots}}
           for k, rows in by_caller.items()]
    out.sort(key=lambda r: (r["caller"] is None, -(sum(r["missing"].values())), r["caller_id"] or 0))
    return out


def my_tasks(actor, day: dt.date | None = None, site_id: int | None = None) -> QuerySet[Task]:
    """Today's tasks of the people the actor works for by membership: the people they guard and the people
    at the sites they are staff of (optionally one site)."""
    from fangkong.isolation.models import GuardianMember

    day = day or today()
    q = None
    sites = member_site_ids(actor)
    if site_id is not None:
        sites = [s for s in sites if s == site_id]
    if sites:
        q = Q(site_id__in=sites)
    if has_any(actor, FOLLOW_UP):
        g = Q(episode_id__in=GuardianMember.objects.filter(user_id=actor.pk, episode__state__in=OPEN_STATES)
              .values("episode_id"))
        if site_id is None:
            q = g if q is None else q | g
    if q is None:
        return Task.objects.none()
    return (Task.objects.filter(q, due_date=day).select_related("episode__person", "episode__room")
            .order_by("kind", "slot", "episode_id"))


def call_get(actor, call_id):
    from fangkong.isolation.models import CallLog

    call = CallLog.objects.filter(pk=call_id).first()
    if call is None or not episode_qs(actor).filter(pk=call.episode_id).exists():
        raise NotFound()
    return call
