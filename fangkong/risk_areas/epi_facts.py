"""The risk-areas app's fact provider for the epi app's status engine: living in a risk area while it is
in force is a fact ("people living in an area get the derived control status automatically, with the
area as evidence").

Each period an area spends at one level (from its designation, upgrade or downgrade to the next change)
is one fact per resident: category `in_high_risk_area` / `in_medium_risk_area` (第八版: `in_sealed_area` /
`in_controlled_area`; levels without a category, 低风险区/防范区, give none), open-ended while the period
lasts, ended (`end_override`) on the day the area was downgraded or lifted. Lifted areas keep their
facts so that the ended statuses stay in the person's history.

Registered in RiskAreasConfig.ready when the epi app is installed; `statuses_changed_to_epi` is what the
services call after designating, downgrading, upgrading or lifting an area.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from fangkong.core.scoping import path_range
from fangkong.risk_areas import selectors
from fangkong.risk_areas.choices import EventKind, RiskAreaStatus
from fangkong.risk_areas.models import RiskArea, RiskAreaEvent

PROVIDER = "risk_areas.residence"
EVIDENCE_TYPE = "risk_areas.riskarea"


@dataclass(frozen=True)
class Period:
    level: str
    start: dt.date
    end: dt.date | None  # None: still in force


def _day(when: dt.datetime) -> dt.date:
    return timezone.localtime(when).date()


def _end_day(when: dt.datetime) -> dt.date:
    """The last day of a period that ended at `when` (a change at midnight ends the day before)."""
    local = timezone.localtime(when)
    return local.date() - dt.timedelta(days=1) if local.time() == dt.time.min else local.date()


def periods(events: list[RiskAreaEvent]) -> list[Period]:
    """The level periods of one area from its timeline (events ordered by effective time)."""
    out: list[Period] = []
    level, since = "", None
    for e in events:
        if e.kind not in (EventKind.DESIGNATED, EventKind.UPGRADED, EventKind.DOWNGRADED, EventKind.LIFTED):
            continue
        if level and since is not None:
            out.append(Period(level, _day(since), max(_end_day(e.effective_at), _day(since))))
        if e.kind == EventKind.LIFTED:
            level, since = "", None
        else:
            level, since = e.to_level, e.effective_at
    if level and since is not None:
        out.append(Period(level, _day(since), None))
    return out


def _areas(ids: set[int] | None = None) -> list[tuple[RiskArea, list[Period]]]:
    qs = RiskArea.objects.filter(status__in=[RiskAreaStatus.ACTIVE, RiskAreaStatus.LIFTED])
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    areas = list(qs.prefetch_related(*selectors._PREFETCH))  # noqa: SLF001
    events: dict[int, list[RiskAreaEvent]] = {}
    for e in RiskAreaEvent.objects.filter(risk_area__in=[a.pk for a in areas]).order_by("effective_at", "id"):
        events.setdefault(e.risk_area_id, []).append(e)
    return [(a, periods(events.get(a.pk, []))) for a in areas]


def _clip(ps: list[Period], from_day: dt.date | None) -> list[Period]:
    """The periods from `from_day` on (a resident of a "rest of X" area whose excluded area was lifted
    counts from the lift day)."""
    if from_day is None:
        return ps
    return [Period(p.level, max(p.start, from_day), p.end) for p in ps if p.end is None or p.end >= from_day]


def _facts(person_id: int, area_path: str, ra: RiskArea, name: str, ps: list[Period]) -> list:
    from fangkong.epi.rules import RESIDENCE_CATEGORIES, Fact, format_date, level_name, ruleset_get

    try:
        rs = ruleset_get(ra.ruleset_id)
    except LookupError:
        rs = None
    out = []
    for p in ps:
        category = RESIDENCE_CATEGORIES.get(p.level)
        if category is None:
            continue
        level = level_name(rs, p.level) if rs is not None else p.level
        out.append(Fact(
            person_id=person_id, provider=PROVIDER, category=category, evidence_type=EVIDENCE_TYPE,
            evidence_id=str(ra.pk), evidence_label=f"居住在{level}“{name}”（{format_date(p.start)}起）"[:300],
            area_path=area_path, ruleset_date=p.start, last_exposure=p.start, isolation_start=p.start,
            end_override=p.end, period=p.start.isoformat(),
        ))
    return out


def facts_for(person_ids: list[int]) -> list:
    if not person_ids:
        return []
    memberships = selectors.risk_area_memberships_from(person_ids, include_lifted=True)
    if not memberships:
        return []
    area_ids = {ra.pk for rows in memberships.values() for ra, _from in rows}
    by_pk = {ra.pk: (ra, ps) for ra, ps in _areas(area_ids)}
    names = selectors.display_names([ra for ra, _ in by_pk.values()])
    from fangkong.residents.models import Person

    paths = dict(Person.objects.filter(pk__in=list(memberships)).values_list("pk", "area_path"))
    out = []
    for pid, rows in memberships.items():
        for ra, from_day in rows:
            ra, ps = by_pk[ra.pk]
            out.extend(_facts(pid, paths[pid], ra, names.get(ra.pk, str(ra)), _clip(ps, from_day)))
    return out


def facts_in(path: str) -> list:
    """Facts of everyone living (under `path`) in a current or past risk area."""
    lo, hi = path_range(path)
    areas = _areas()
    names = selectors.display_names([ra for ra, _ in areas])
    out = []
    for ra, ps in areas:
        if not ps:
            continue
        persons = selectors.persons_in_risk_area(ra).filter(area_path__gte=lo, area_path__lt=hi)
        from_days = selectors.persons_in_risk_area_from(ra, persons)
        for pid, area_path in persons.values_list("pk", "area_path"):
            out.extend(_facts(pid, area_path, ra, names.get(ra.pk, str(ra)), _clip(ps, from_days.get(pid))))
    return out


def register() -> None:
    from fangkong.epi.facts import FactProvider, register_provider

    register_provider(FactProvider(PROVIDER, facts_for=facts_for, facts_in=facts_in))


def statuses_changed_to_epi(*, actor, risk_areas: list[RiskArea], reason: str) -> None:
    """After the transaction commits, recompute the control statuses of everyone living in these areas
    (designated, upgraded, downgraded, lifted or enlarged)."""
    if not risk_areas or not apps.is_installed("fangkong.epi"):
        return
    ids: set[int] = set()
    for ra in risk_areas:
        ids.update(selectors.persons_in_risk_area(ra).values_list("pk", flat=True))
    if not ids:
        return
    from fangkong.epi.services import status_recompute  # type: ignore[import-not-found]

    person_ids = sorted(ids)
    transaction.on_commit(lambda: status_recompute(person_ids, actor=actor, reason=reason))
