"""Reads of the testing app. Given the actor and scoped, except the few functions marked unscoped
that other apps' services call (contact suggestions for the epidemiology app)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone

from fangkong.areas.models import Area
from fangkong.core.errors import NotFound
from fangkong.core.scoping import assignment_paths, can, get_or_404, path_range, scope
from fangkong.residents.models import CareTag, Person
from fangkong.testing.choices import RecallStatus, RoundStatus
from fangkong.testing.models import (
    Binding,
    CoverageCount,
    Recall,
    Round,
    RoundArea,
    RoundExemption,
    RoundSample,
    Site,
    Table,
    Tube,
)
from fangkong.testing.services import COUNTER_FIELDS, LAB, MANAGE, SAMPLE, VIEW


def _prefixes(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def round_qs(actor, action: str = VIEW) -> QuerySet[Round]:
    """Rounds that cover some of the actor's areas (an HQ round is seen by a grid worker of a
    covered community) or lie inside them."""
    roots = assignment_paths(actor, action)
    if not roots:
        return Round.objects.none()
    q = Q()
    for root in roots:
        lo, hi = path_range(root)
        q |= Q(area_path__gte=lo, area_path__lt=hi) | Q(area_path__in=_prefixes(root))
    covered = RoundArea.objects.filter(round=OuterRef("pk"))
    inner = Q()
    for root in roots:
        lo, hi = path_range(root)
        inner |= Q(area_path__gte=lo, area_path__lt=hi) | Q(area_path__in=_prefixes(root))
    return Round.objects.filter(q).filter(Exists(covered.filter(inner))).order_by("-starts_at", "-id")


def round_get(actor, round_id: int, action: str = VIEW) -> Round:
    try:
        return round_qs(actor, action).select_related("area").get(pk=round_id)
    except (Round.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def round_areas(round_: Round) -> list[RoundArea]:
    return list(RoundArea.objects.filter(round=round_).select_related("area").order_by("area_path"))


def round_open_for_sampler(actor) -> list[Round]:
    return list(round_qs(actor, SAMPLE).filter(status=RoundStatus.OPEN))


def coverage_area(actor, round_: Round, code: str | None, action: str = VIEW) -> Area:
    """The area a coverage page or list is about: `code` when in scope, else the actor's own
    widest area inside the round (or the round's area when the actor sees all of it)."""
    if code:
        area = get_or_404(Area.objects.all(), actor, action, field="path", code=code)
    elif can(actor, action, round_.area_path):
        area = round_.area
    else:
        roots = assignment_paths(actor, action)
        area = Area.objects.filter(path__in=roots).order_by("depth", "path").first()
        if area is None:
            raise NotFound()
    return area


def _counter_rows(round_: Round, path: str):
    """The counters under `path`, with the changes still pending from the ingest folded in first
    (`services.coverage_fold_if_pending`: the counters' own maintenance, not a user's write)."""
    from fangkong.testing.services import coverage_fold_if_pending

    coverage_fold_if_pending(round_)
    lo, hi = path_range(path)
    return CoverageCount.objects.filter(round=round_, area_path__gte=lo, area_path__lt=hi)


def coverage_totals(round_: Round, area: Area) -> dict[str, int]:
    """应检尽检 of one area: a sum over the counters of its subtree (never a scan of persons)."""
    from django.db.models import Sum

    sums = _counter_rows(round_, area.path).aggregate(**{f: Sum(f) for f in COUNTER_FIELDS})
    return _derive({f: int(sums[f] or 0) for f in COUNTER_FIELDS})


def _derive(c: dict[str, int]) -> dict[str, int]:
    c = dict(c)
    c["untested"] = max(0, c["should"] - c["tested"])
    c["rate"] = round(100.0 * c["tested"] / c["should"], 1) if c["should"] else 0.0
    return c


def coverage_children(round_: Round, area: Area) -> list[tuple[Area, dict[str, int]]]:
    """The same figures for each child area (the counters are grouped in Python: one row per leaf)."""
    per_child: dict[str, Counter] = defaultdict(Counter)
    own = Counter()
    for row in _counter_rows(round_, area.path).values_list("area_path", *COUNTER_FIELDS).iterator(chunk_size=5000):
        rest = row[0][len(area.path):]
        code = rest.split("/", 1)[0] if rest else ""
        target = per_child[code] if code else own
        for f, v in zip(COUNTER_FIELDS, row[1:], strict=True):
            target[f] += v
    children = {a.code: a for a in Area.objects.filter(parent=area)}
    out = []
    for code, c in sorted(per_child.items()):
        child = children.get(code)
        if child is not None:
            out.append((child, _derive({f: c[f] for f in COUNTER_FIELDS})))
    return out


def _round_area_q(round_: Round, area: Area, field: str = "area_path") -> Q:
    """Persons inside both `area` and the round's areas."""
    q = Q(pk__in=[])
    for ra in RoundArea.objects.filter(round=round_).values_list("area_path", flat=True):
        inner = ra if ra.startswith(area.path) else area.path if area.path.startswith(ra) else None
        if inner:
            lo, hi = path_range(inner)
            q |= Q(**{f"{field}__gte": lo, f"{field}__lt": hi})
    return q


def untested_qs(round_: Round, area: Area) -> QuerySet[Person]:
    """People of `area` who should be tested in the round and have not been: the list a grid
    worker walks with. An anti-join on the (round, person) unique index; a building is milliseconds."""
    sampled = RoundSample.objects.filter(round=round_, person=OuterRef("pk"))
    exempt = RoundExemption.objects.filter(round=round_, person=OuterRef("pk"))
    return (Person.objects.filter(_round_area_q(round_, area)).filter(~Exists(sampled), ~Exists(exempt))
            .select_related("household", "area").order_by("area_path", "household_id", "id"))


def door_to_door_qs(round_: Round, area: Area) -> QuerySet[Person]:
    """Untested people with the reduced-mobility care tag (行动不便, bedridden): door-to-door sampling."""
    tagged = CareTag.objects.filter(person=OuterRef("pk"), tag="reduced_mobility")
    return untested_qs(round_, area).filter(Exists(tagged))


def recall_qs(actor, round_: Round, area: Area, *, status: str | None = None) -> QuerySet[Recall]:
    lo, hi = path_range(area.path)
    qs = scope(Recall.objects.filter(round=round_, area_path__gte=lo, area_path__lt=hi), actor, VIEW)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("person", "person__household", "tube", "settled_tube").order_by("area_path", "id")


def site_qs(actor, action: str = VIEW) -> QuerySet[Site]:
    return scope(Site.objects.all(), actor, action).select_related("area").prefetch_related("tables")


def table_qs(actor, action: str = SAMPLE) -> QuerySet[Table]:
    return scope(Table.objects.filter(site__active=True), actor, action).select_related("site")


def tube_qs(actor, action: str = LAB) -> QuerySet[Tube]:
    return scope(Tube.objects.all(), actor, action).select_related("round", "table__site")


def tube_get(actor, barcode: str, action: str = SAMPLE) -> Tube:
    return get_or_404(Tube.objects.select_related("table__site"), actor, action, barcode=(barcode or "").upper())


def overdue_tubes(actor, round_: Round, *, now: dt.datetime | None = None, action: str = VIEW) -> QuerySet[Tube]:
    """Tubes without a result beyond the turnaround target (24 h pooled, 6 h single by default)."""
    now = now or timezone.now()
    pooled = now - dt.timedelta(hours=round_.pooled_turnaround_hours)
    single = now - dt.timedelta(hours=round_.single_turnaround_hours)
    qs = Tube.objects.filter(round=round_, result="").filter(
        Q(capacity=1, opened_at__lt=single) | Q(capacity__gt=1, opened_at__lt=pooled))
    return scope(qs, actor, action).select_related("table__site").order_by("opened_at")


def throughput(actor, round_: Round, *, hours: int = 24, now: dt.datetime | None = None) -> list[dict]:
    """Bindings per site and hour over the last `hours` (index on table and time)."""
    now = now or timezone.now()
    tables = list(scope(Table.objects.all(), actor, VIEW).values_list("pk", flat=True)[:5000])
    rows = (Binding.objects.filter(round=round_, table_id__in=tables, sampled_at__gte=now - dt.timedelta(hours=hours))
            .annotate(hour=TruncHour("sampled_at")).values("table__site__name", "hour").annotate(n=Count("id"))
            .order_by("-hour", "table__site__name"))
    return [{"site": r["table__site__name"], "hour": r["hour"], "count": r["n"]} for r in rows]


def person_round_state(person_id: int, round_: Round) -> str | None:
    return RoundSample.objects.filter(round=round_, person_id=person_id).values_list("state", flat=True).first()


# --- unscoped, for other apps' services ------------------------------------------------------------

def _fmt(moment: dt.datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def tube_mates(person_id: int, since: dt.datetime, until: dt.datetime) -> list[tuple[int, str]]:
    """Other people bound to a tube with this person in [since, until] (unscoped; for epi)."""
    mine = list(Binding.objects.filter(person_id=person_id, sampled_at__gte=since, sampled_at__lte=until)
                .values_list("tube_id", "tube__barcode", "sampled_at"))
    out: dict[int, str] = {}
    for tube_id, barcode, at in mine:
        for other in (Binding.objects.filter(tube_id=tube_id).exclude(person_id=person_id)
                      .values_list("person_id", flat=True).distinct()):
            out.setdefault(other, f"同一混管 {barcode}（{_fmt(at)}）")
    return sorted(out.items())


def table_neighbours(person_id: int, since: dt.datetime, until: dt.datetime, minutes: int = 5) -> list[tuple[int, str]]:
    """People sampled at the same table within `minutes` of this person (unscoped; for epi)."""
    mine = list(Binding.objects.filter(person_id=person_id, sampled_at__gte=since, sampled_at__lte=until,
                                       table__isnull=False)
                .values_list("table_id", "table__site__name", "table__name", "sampled_at"))
    window = dt.timedelta(minutes=minutes)
    out: dict[int, str] = {}
    for table_id, site, table, at in mine:
        for other in (Binding.objects.filter(table_id=table_id, sampled_at__gte=at - window,
                                             sampled_at__lte=at + window).exclude(person_id=person_id)
                      .values_list("person_id", flat=True).distinct()):
            out.setdefault(other, f"同一采样台 {site}{table}（{_fmt(at)} 前后{minutes}分钟）")
    return sorted(out.items())


def open_recalls_for_persons(person_ids) -> list[Recall]:
    """Open pool-positive recalls of these persons (unscoped; epi turns them into stay-at-home)."""
    return list(Recall.objects.filter(person_id__in=list(person_ids), status=RecallStatus.OPEN)
                .select_related("tube", "round").order_by("person_id", "id"))


def all_negative_round_days(person_ids, *, since: dt.date) -> list[dt.date]:
    """Dates on which a round finished with every one of these people (but the round's exempt) tested
    and all negative: the fact the risk-area downgrade rules ask for. Unscoped, like the contact
    selectors; the date is the local day the last of them was sampled."""
    from fangkong.testing.choices import PersonState
    from fangkong.testing.models import RoundExemption, RoundSample

    ids = set(person_ids)
    if not ids:
        return []
    start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    days: set[dt.date] = set()
    for round_id in Round.objects.filter(ends_at__gte=start).values_list("id", flat=True):
        exempt: set[int] = set()
        samples: dict[int, tuple[str, dt.datetime]] = {}
        chunked = sorted(ids)
        for i in range(0, len(chunked), 5000):
            part = chunked[i:i + 5000]
            exempt.update(RoundExemption.objects.filter(round_id=round_id, person_id__in=part)
                          .values_list("person_id", flat=True))
            for pid, state, at in RoundSample.objects.filter(round_id=round_id, person_id__in=part).values_list(
                    "person_id", "state", "sampled_at"):
                samples[pid] = (state, at)
        needed = ids - exempt
        if not needed or any(pid not in samples for pid in needed):
            continue
        if all(samples[pid][0] == PersonState.NEGATIVE for pid in needed):
            last = max(samples[pid][1] for pid in needed)
            day = timezone.localtime(last).date()
            if day >= since:
                days.add(day)
    return sorted(days)


__all__ = ["MANAGE", "LAB", "SAMPLE", "VIEW"]
