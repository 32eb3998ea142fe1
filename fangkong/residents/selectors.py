"""Reads of the residents ledger, always scoped to the actor."""

from __future__ import annotations

import re
from collections import defaultdict

from django.db.models import Q, QuerySet

from fangkong.areas.choices import Level
from fangkong.areas.models import Area
from fangkong.core.scoping import get_or_404, path_range, scope
from fangkong.residents.models import Campaign, CareTag, Household, ImportJob, Person, PersonMove, Visit

VIEW = "residents.view"


def person_qs(actor, action: str = VIEW) -> QuerySet[Person]:
    return scope(Person.objects.all(), actor, action)


def person_get(actor, person_id: int, action: str = VIEW) -> Person:
    return get_or_404(Person.objects.select_related("household", "area"), actor, action, pk=person_id)


def household_qs(actor, action: str = VIEW) -> QuerySet[Household]:
    return scope(Household.objects.all(), actor, action)


def household_get(actor, household_id: int, action: str = VIEW) -> Household:
    return get_or_404(Household.objects.select_related("area"), actor, action, pk=household_id)


def person_find_by_document(id_type: str, id_number: str) -> Person | None:
    """Platform-wide lookup by a normalised document, for services (sampling, matching). Not for
    display: callers decide what the actor may learn about the result."""
    return Person.objects.filter(id_type=id_type, id_number=id_number).first()


def in_area(qs: QuerySet, area: Area | None) -> QuerySet:
    if area is None:
        return qs
    lo, hi = path_range(area.path)
    return qs.filter(area_path__gte=lo, area_path__lt=hi)


_LATIN = re.compile(r"^[a-zA-Z]{1,30}$")
_DIGITS = re.compile(r"^[0-9]{4,18}[0-9Xx]?$")


def person_search(actor, q: str, *, area: Area | None = None, tag: str = "") -> QuerySet[Person]:
    """By name (prefix), pinyin initials (张三 → zs), the last 4–6 characters of an ID, a phone, an address
    prefix. Every branch is an indexed condition combined with the actor's scope."""
    qs = in_area(person_qs(actor), area).select_related("household")
    if tag:
        qs = qs.filter(care_tags__tag=tag)
    q = "".join((q or "").split())
    if not q:
        return qs.order_by("area_path", "household_id", "id")
    if _LATIN.match(q):
        # the (name_initials, area_path) index gives this order: the first page is read without sorting every match
        return qs.filter(name_initials=q.lower()).order_by("area_path", "id")
    if _DIGITS.match(q):
        qu = q.upper()
        if len(q) == 11 and q.startswith("1"):
            return qs.filter(phone=q).order_by("id")
        if len(q) >= 15:
            return qs.filter(id_number=qu).order_by("id")
        if len(q) == 6:
            return qs.filter(id_tail=qu).order_by("id")
        return qs.filter(Q(phone=q) | Q(id_tail__endswith=qu)).order_by("id")
    if any(ch.isdigit() for ch in q) or len(q) >= 5 or any(k in q for k in ("小区", "社区", "村", "楼", "单元", "组")):
        # an address: prefix range on the indexed address of the household
        return qs.filter(household__address__gte=q, household__address__lt=q + "\uffff").order_by("household_id", "id")
    return qs.filter(name__gte=q, name__lt=q + "\uffff").order_by("name", "id")


def household_members(household: Household) -> list[Person]:
    return list(household.members.prefetch_related("care_tags").order_by("id"))


def household_history(household: Household) -> list[PersonMove]:
    return list(PersonMove.objects.filter(Q(from_household=household) | Q(to_household=household))
                .select_related("person", "actor")[:100])


def building_grid(actor, building: Area) -> dict:
    """floors × rooms of a building (all its units): each room with its household, members and tags."""
    lo, hi = path_range(building.path)
    # by the building's own nodes (an equality on area_id): with the actor's scope also a range on area_path,
    # SQLite could pick the scope's range (the whole city for hq) and walk every household of it
    nodes = list(Area.objects.filter(path__gte=lo, path__lt=hi).values_list("id", flat=True))
    hhs = list(household_qs(actor).filter(area_id__in=nodes)
               .values("id", "area_id", "floor", "room", "house_number", "vacant"))
    ids = [h["id"] for h in hhs]
    members: dict[int, list[dict]] = defaultdict(list)
    tags: dict[int, list[str]] = defaultdict(list)
    if ids:
        people = list(Person.objects.filter(household_id__in=ids).order_by("id").values("id", "household_id", "name", "birth_date",
                                                                          "relationship", "sex"))
        for p in people:
            members[p["household_id"]].append(p)
        for pid, tag in CareTag.objects.filter(person_id__in=[p["id"] for p in people]).values_list("person_id", "tag"):
            tags[pid].append(tag)
    units = list(Area.objects.filter(parent=building, retired_at__isnull=True).order_by("sort_order", "code"))
    by_unit: dict[int, dict] = {u.pk: {"unit": u, "floors": defaultdict(list)} for u in units}
    loose = {"unit": building, "floors": defaultdict(list)}
    for h in hhs:
        for m in members.get(h["id"], []):
            m["tags"] = tags.get(m["id"], [])
        h["members"] = members.get(h["id"], [])
        target = by_unit.get(h["area_id"], loose)
        target["floors"][h["floor"] or 0].append(h)
    out = []
    for block in [*by_unit.values(), loose]:
        if not block["floors"] and block is loose:
            continue
        floors = sorted(block["floors"].items(), key=lambda kv: -kv[0])
        out.append({"unit": block["unit"], "floors": [(f, sorted(rooms, key=lambda h: h["room"])) for f, rooms in floors]})
    return {"units": out, "households": len(hhs), "persons": sum(len(v) for v in members.values())}


def city_counts(actor, area: Area) -> dict:
    """Persons, households and care tags in an area (scoped), from the maintained counters (`counters.py`):
    a sum over the area's counter rows plus the pending deltas, never a scan of the ledger."""
    from django.db.models import Sum

    from fangkong.residents import counters
    from fangkong.residents.models import AreaCount, AreaCountDelta

    if counters.pending() > counters.FOLD_WHEN_PENDING:
        counters.fold()
    totals: dict[str, int] = defaultdict(int)
    for model, col in ((AreaCount, "n"), (AreaCountDelta, "delta")):
        for kind, n in (in_area(scope(model.objects.all(), actor, VIEW), area).values("kind")
                        .annotate(s=Sum(col)).values_list("kind", "s")):
            totals[kind] += n or 0
    return {"persons": totals.pop("persons", 0), "households": totals.pop("households", 0),
            "care_tags": {k[4:]: n for k, n in sorted(totals.items()) if k.startswith("tag:") and n}}


def care_ledger(actor, tag: str, area: Area | None = None) -> QuerySet[CareTag]:
    qs = scope(CareTag.objects.filter(tag=tag), actor, VIEW)
    return in_area(qs, area).select_related("person", "person__household").order_by("area_path", "person_id")


def import_job_get(actor, job_id: int) -> ImportJob:
    return get_or_404(ImportJob.objects.select_related("area", "actor"), actor, "residents.import", pk=job_id)


def import_jobs(actor) -> QuerySet[ImportJob]:
    return scope(ImportJob.objects.select_related("area"), actor, "residents.import")


def campaigns(actor) -> QuerySet[Campaign]:
    return scope(Campaign.objects.select_related("area"), actor, "residents.visit")


def campaign_get(actor, campaign_id: int) -> Campaign:
    return get_or_404(Campaign.objects.select_related("area"), actor, "residents.visit", pk=campaign_id)


def campaign_progress(actor, campaign: Campaign) -> dict:
    """Completion per building and the households not yet visited (a household counts as done when its latest
    visit is not 'nobody home')."""
    lo, hi = path_range(campaign.area_path)
    hhs = household_qs(actor, "residents.visit").filter(area_path__gte=lo, area_path__lt=hi)
    latest: dict[int, str] = {}
    for hid, outcome in (Visit.objects.filter(campaign=campaign).order_by("household_id", "at", "id")
                         .values_list("household_id", "outcome")):
        latest[hid] = outcome
    done = {hid for hid, o in latest.items() if o != "nobody_home"}
    per_building: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    pending = []
    for h in hhs.values("id", "area_path", "address"):
        parts = h["area_path"].strip("/").split("/")
        key = "/" + "/".join(parts[:7]) + "/" if len(parts) >= 7 else h["area_path"]
        per_building[key][1] += 1
        if h["id"] in done:
            per_building[key][0] += 1
        else:
            pending.append({**h, "outcome": latest.get(h["id"], "")})
    names = {a.path: a.name for a in Area.objects.filter(path__in=list(per_building))}
    rows = [{"path": p, "name": names.get(p, p), "done": d, "total": t} for p, (d, t) in sorted(per_building.items())]
    total = sum(r["total"] for r in rows)
    return {"buildings": rows, "pending": pending, "done": len(done), "total": total}


def level_buildings(area: Area) -> bool:
    return area.level == Level.BUILDING
