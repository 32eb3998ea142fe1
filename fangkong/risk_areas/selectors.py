"""Reads of risk areas and notices: names, people in an area, memberships, the downgrade engine.

Selectors that answer a user are given the actor and scope; the unscoped helpers (used by services,
the public page and other apps' engines) say so.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from fangkong.areas.choices import Kind, Level
from fangkong.areas.models import Area
from fangkong.core.errors import NotFound
from fangkong.core.scoping import assignment_paths, get_or_404, path_range, scope, scope_q
from fangkong.epi import rules
from fangkong.residents.models import CareTag, Household, Person
from fangkong.risk_areas import facts
from fangkong.risk_areas.choices import MemberKind, NoticeStatus, RiskAreaStatus
from fangkong.risk_areas.models import Issuer, Notice, NoticeChange, RiskArea, RiskAreaMember

VIEW = "risk_areas.view"
MANAGE = "risk_areas.manage"


# --------------------------------------------------------------------------------------------------
# Scoped lists and lookups
# --------------------------------------------------------------------------------------------------


def risk_area_qs(actor, action: str = VIEW) -> QuerySet[RiskArea]:
    return scope(RiskArea.objects.select_related("county", "area"), actor, action)


def risk_area_get(actor, pk: int, action: str = VIEW) -> RiskArea:
    return get_or_404(RiskArea.objects.select_related("county", "area"), actor, action, pk=pk)


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def issuer_related_q(actor, action: str) -> Q | None:
    """Issuers (and their notices) above or inside the actor's subtrees: a city HQ's notice concerns
    every street admin of the city; a county issuer's notices concern the city HQ."""
    paths = assignment_paths(actor, action)
    if not paths:
        return None
    above = {a for p in paths for a in _ancestor_paths(p)}
    return scope_q(actor, action) | Q(area_path__in=above)


def issuer_related(actor, action: str, path: str) -> bool:
    return any(root.startswith(path) or path.startswith(root) for root in assignment_paths(actor, action))


def notice_qs(actor, action: str = VIEW) -> QuerySet[Notice]:
    qs = Notice.objects.select_related("issuer", "requested_by", "approved_by")
    q = issuer_related_q(actor, action)
    return qs.filter(q) if q is not None else qs.none()


def notice_get(actor, pk: int, action: str = VIEW) -> Notice:
    try:
        return notice_qs(actor, action).get(pk=pk)
    except Notice.DoesNotExist:
        raise NotFound() from None


def issuer_qs(actor, action: str = MANAGE) -> QuerySet[Issuer]:
    q = issuer_related_q(actor, action)
    return Issuer.objects.filter(q).select_related("area") if q is not None else Issuer.objects.none()


# --------------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------------


def _chain(area: Area, by_code: dict[str, Area]) -> dict[str, Area]:
    """The ancestors of `area` (itself included) keyed by level."""
    out: dict[str, Area] = {}
    for code in area.ancestor_codes:
        node = by_code.get(code)
        if node is not None:
            out[node.level] = node
    return out


def _load_chains(areas: list[Area]) -> dict[str, Area]:
    codes = {c for a in areas for c in a.ancestor_codes}
    return {a.code: a for a in Area.objects.filter(code__in=codes)}


def county_of(area: Area, by_code: dict[str, Area] | None = None) -> Area | None:
    by_code = by_code if by_code is not None else _load_chains([area])
    return _chain(area, by_code).get(Level.COUNTY)


def _member_parts(member: RiskAreaMember, by_code: dict[str, Area]) -> tuple[str, str]:
    """(prefix, leaf) of a member's name: members sharing a prefix are written "甲2号楼、6号楼"."""
    if member.kind == MemberKind.BOUNDARY:
        return "", member.boundary_text.strip()
    area = member.area
    assert area is not None
    if member.kind == MemberKind.REST:
        return "", _rest_name(member, area, by_code)
    chain = _chain(area, by_code)
    street = chain.get(Level.STREET)
    community = chain.get(Level.COMMUNITY)
    compound = chain.get(Level.COMPOUND)
    building = chain.get(Level.BUILDING)
    s = street.name if street else ""
    if area.level in (Level.CITY, Level.COUNTY):
        prefix, leaf = "", "" if area.level == Level.COUNTY else area.name
    elif area.level == Level.STREET:
        prefix, leaf = "", area.name
    elif area.level == Level.COMMUNITY:
        prefix, leaf = s, area.name
    elif area.level == Level.GRID:
        prefix, leaf = s + (community.name if community else ""), area.name
    elif area.level == Level.COMPOUND and area.kind == Kind.VILLAGE_GROUP:
        prefix, leaf = s + (community.name if community else ""), area.name
    elif area.level == Level.COMPOUND:
        prefix, leaf = "", area.name
    elif area.level == Level.BUILDING:
        prefix, leaf = (compound.name if compound else ""), area.name
    else:  # unit
        prefix, leaf = (compound.name if compound else "") + (building.name if building else ""), area.name
    if member.kind in (MemberKind.FLOOR, MemberKind.ROOM):
        prefix, leaf = prefix + leaf, ""
        if member.floor is not None:
            leaf += f"{member.floor}层"
        if member.kind == MemberKind.ROOM and member.room:
            leaf += member.room + ("室" if member.room.isdigit() else "")
    return prefix, leaf


def excluded_level_names(member: RiskAreaMember) -> list[str]:
    """The level names of the areas a "rest" member leaves out, highest first ("高风险区"). The level each
    was proposed at, so that a published notice keeps its words after the excluded area is lifted."""
    found: dict[str, int] = {}
    for ex in member.excluded.all():
        level = ex.proposed_level or ex.level
        try:
            rs = ruleset_of(ex)
            rank = list(rs.levels).index(level)
            found.setdefault(rules.level_name(rs, level), rank)
        except (LookupError, ValueError):
            continue
    return [name for name, _rank in sorted(found.items(), key=lambda kv: kv[1])]


def _rest_name(member: RiskAreaMember, area: Area, by_code: dict[str, Area]) -> str:
    """As the notices write the rest of a node: a county "除高风险区以外区域" (the notice puts the county
    first: "山阳县除高风险区以外区域"), a street "城关街道其他区域", a community or smaller
    "城关街道翠屏社区除高风险区外的其他区域"."""
    levels = "、".join(excluded_level_names(member)) or "风险区"
    if area.level == Level.COUNTY:
        return f"除{levels}以外区域"
    if area.level == Level.STREET:
        return f"{area.name}其他区域"
    node = RiskAreaMember(kind=MemberKind.NODE, area=area, area_path=area.path)
    prefix, leaf = _member_parts(node, by_code)
    return f"{prefix}{leaf}除{levels}外的其他区域"


_GROUP_NO = re.compile(r"^(\d+)组$")


def _join_leaves(leaves: list[str]) -> str:
    """"4组、5组、6组" → "4、5、6组" (as the notices write village groups)."""
    numbers = [_GROUP_NO.match(x) for x in leaves]
    if len(leaves) > 1 and all(numbers):
        return "、".join(m[1] for m in numbers if m) + "组"
    return "、".join(x for x in leaves if x)


def risk_area_default_name(risk_area: RiskArea, members: list[RiskAreaMember] | None = None,
                           by_code: dict[str, Area] | None = None) -> str:
    """A name built from the members: "城关街道翠屏社区", "东关木器厂2号楼、6号楼", "桂圆新村12A楼"."""
    members = members if members is not None else list(
        risk_area.members.select_related("area").prefetch_related("excluded"))
    if by_code is None:
        by_code = _load_chains([m.area for m in members if m.area is not None])
    groups: dict[str, list[str]] = {}
    for member in members:
        prefix, leaf = _member_parts(member, by_code)
        groups.setdefault(prefix, []).append(leaf)
    return "、".join(prefix + _join_leaves(leaves) for prefix, leaves in groups.items())


def risk_area_display_name(risk_area: RiskArea) -> str:
    return risk_area.name or risk_area_default_name(risk_area)


def display_names(areas: list[RiskArea]) -> dict[int, str]:
    """Display names of many areas with two queries (members, then every ancestor at once)."""
    unnamed = [ra for ra in areas if not ra.name]
    members: dict[int, list[RiskAreaMember]] = defaultdict(list)
    for m in (RiskAreaMember.objects.filter(risk_area__in=unnamed).select_related("area")
              .prefetch_related("excluded").order_by("order", "id")):
        members[m.risk_area_id].append(m)
    by_code = _load_chains([m.area for ms in members.values() for m in ms if m.area is not None])
    out = {ra.pk: ra.name for ra in areas if ra.name}
    for ra in unnamed:
        out[ra.pk] = risk_area_default_name(ra, members.get(ra.pk, []), by_code)
    return out


# --------------------------------------------------------------------------------------------------
# People in an area
# --------------------------------------------------------------------------------------------------


def _range(field: str, path: str) -> Q:
    lo, hi = path_range(path)
    return Q(**{f"{field}__gte": lo, f"{field}__lt": hi})


def _members_q(members: list[RiskAreaMember], *, household: bool = False, depth: int = 0) -> Q | None:
    """Persons (or households) living in these members; None when no member covers people.

    A "rest of X" member covers X minus everyone in its excluded areas that are not lifted (proposed
    or in force); an excluded area's own "rest" members are not followed (depth 1)."""
    pre = "" if household else "household__"
    q: Q | None = None
    for m in members:
        if m.kind == MemberKind.BOUNDARY or not m.area_path:
            continue
        if m.kind == MemberKind.REST:
            if depth:
                continue
            part = _range("area_path", m.area_path)
            for ex in m.excluded.all():
                if ex.status == RiskAreaStatus.LIFTED:
                    continue
                ex_q = _members_q(list(ex.members.all()), household=household, depth=depth + 1)
                if ex_q is not None:
                    model = Household if household else Person
                    part &= ~Q(pk__in=model.objects.filter(ex_q).values("pk"))
        elif m.kind == MemberKind.NODE:
            part = _range("area_path", m.area_path)
        else:
            part = _range(f"{pre}area_path", m.area_path)
            if m.floor is not None:
                part &= Q(**{f"{pre}floor": m.floor})
            if m.kind == MemberKind.ROOM:
                part &= Q(**{f"{pre}room": m.room})
        q = part if q is None else q | part
    return q


def _members(risk_area: RiskArea) -> list[RiskAreaMember]:
    """The members, with what a "rest" member leaves out; prefetched members are used when there is none."""
    cached = getattr(risk_area, "_prefetched_objects_cache", {}).get("members")
    if cached is not None and not any(m.kind == MemberKind.REST for m in cached):
        return list(cached)
    return list(risk_area.members.prefetch_related("excluded__members"))


def persons_in_risk_area(risk_area: RiskArea) -> QuerySet[Person]:
    """Everyone living in the area (unscoped: callers scope for display). Boundary members cover no
    one automatically: a written boundary names no household."""
    q = _members_q(_members(risk_area))
    return Person.objects.filter(q) if q is not None else Person.objects.none()


def households_in_risk_area(risk_area: RiskArea) -> QuerySet[Household]:
    q = _members_q(_members(risk_area), household=True)
    return Household.objects.filter(q) if q is not None else Household.objects.none()


def care_ledger(actor, risk_area: RiskArea) -> QuerySet[CareTag]:
    """Care tags (独居老人, 慢病 …) of the people of the area that the actor may see."""
    persons = scope(persons_in_risk_area(risk_area), actor, "residents.view")
    return (CareTag.objects.filter(person__in=persons.values("pk"))
            .select_related("person", "person__household").order_by("tag", "person__area_path", "person_id"))


def care_counts(actor, risk_area: RiskArea) -> dict[str, int]:
    return dict(care_ledger(actor, risk_area).order_by().values_list("tag").annotate(n=Count("id")))


def _person_matches(member: RiskAreaMember, area_path: str, hh_path: str | None, floor, room: str,
                    depth: int = 0) -> bool:
    if member.kind == MemberKind.BOUNDARY or not member.area_path:
        return False
    if member.kind == MemberKind.REST:
        if depth or not area_path.startswith(member.area_path):
            return False
        return not any(ex.status != RiskAreaStatus.LIFTED and _in_area(ex, area_path, hh_path, floor, room, 1)
                       for ex in member.excluded.all())
    if member.kind == MemberKind.NODE:
        return area_path.startswith(member.area_path)
    if hh_path is None or not hh_path.startswith(member.area_path):
        return False
    if member.floor is not None and floor != member.floor:
        return False
    return member.kind != MemberKind.ROOM or room == member.room


def _in_area(ra: RiskArea, area_path: str, hh_path: str | None, floor, room: str, depth: int = 0) -> bool:
    return any(_person_matches(m, area_path, hh_path, floor, room, depth) for m in ra.members.all())


def _rest_from(ra: RiskArea, area_path: str, hh_path: str | None, floor, room: str) -> date | None:
    """The day from which a person counts in `ra` when only a "rest of X" member takes them in and they
    lived in an excluded area that has since been lifted (the lift day); None: from the start."""
    best: date | None = None
    for m in ra.members.all():
        if m.kind != MemberKind.REST:
            if _person_matches(m, area_path, hh_path, floor, room):
                return None
            continue
        if not _person_matches(m, area_path, hh_path, floor, room):
            continue
        days = [local_date(ex.lifted_at) for ex in m.excluded.all()
                if ex.status == RiskAreaStatus.LIFTED and ex.lifted_at
                and _in_area(ex, area_path, hh_path, floor, room, 1)]
        if not days:
            return None
        day = max(days)
        best = day if best is None else min(best, day)
    return best


_PREFETCH = ("members", "members__excluded", "members__excluded__members")


def risk_area_memberships_for_persons(person_ids: list[int], *, include_lifted: bool = False,
                                      ) -> dict[int, list[tuple[RiskArea, str, datetime]]]:
    """Which current (active) risk areas each person lives in: {person_id: [(area, level, since)]}.

    Unscoped (a fact for the control-status engine). Persons in no area are left out. With
    `include_lifted`, lifted areas too (level "", since = lifted time): their ended statuses stay.
    """
    return {pid: [(ra, level, since) for ra, level, since, _from in rows]
            for pid, rows in _memberships(person_ids, include_lifted=include_lifted).items()}


def risk_area_memberships_from(person_ids: list[int], *, include_lifted: bool = False,
                               ) -> dict[int, list[tuple[RiskArea, date | None]]]:
    """{person_id: [(area, counts_from)]}: counts_from is the day a person joined a "rest of X" area when
    the excluded area they lived in was lifted (None: from the start of the area)."""
    return {pid: [(ra, frm) for ra, _level, _since, frm in rows]
            for pid, rows in _memberships(person_ids, include_lifted=include_lifted).items()}


def _memberships(person_ids: list[int], *, include_lifted: bool) -> dict[int, list[tuple]]:
    if not person_ids:
        return {}
    statuses = [RiskAreaStatus.ACTIVE, RiskAreaStatus.LIFTED] if include_lifted else [RiskAreaStatus.ACTIVE]
    areas = list(RiskArea.objects.filter(status__in=statuses).prefetch_related(*_PREFETCH))
    if not areas:
        return {}
    rows = Person.objects.filter(pk__in=person_ids).values_list(
        "pk", "area_path", "household__area_path", "household__floor", "household__room")
    out: dict[int, list[tuple]] = defaultdict(list)
    for pid, path, hh_path, floor, room in rows:
        for ra in areas:
            if _in_area(ra, path, hh_path, floor, room or ""):
                out[pid].append((ra, ra.level, ra.level_since or ra.designated_at,
                                 _rest_from(ra, path, hh_path, floor, room or "")))
    return dict(out)


def persons_in_risk_area_from(risk_area: RiskArea, persons: QuerySet[Person]) -> dict[int, date | None]:
    """For people of a "rest of X" area: {person_id: the day they count from} (see `_rest_from`)."""
    if not any(m.kind == MemberKind.REST for m in risk_area.members.all()):
        return {}
    out = {}
    for pid, path, hh_path, floor, room in persons.values_list(
            "pk", "area_path", "household__area_path", "household__floor", "household__room"):
        out[pid] = _rest_from(risk_area, path, hh_path, floor, room or "")
    return out


# --------------------------------------------------------------------------------------------------
# The downgrade engine
# --------------------------------------------------------------------------------------------------


def local_date(dt: datetime) -> date:
    return timezone.localtime(dt).date()


def ruleset_of(risk_area: RiskArea) -> rules.RuleSet:
    return rules.ruleset_get(risk_area.ruleset_id)


def default_ruleset_id(user, *, today: date) -> str | None:
    """The rule set a new area starts with: the one in force today if it has risk levels, else the one of
    the newest area in force in the user's scope (a replayed scenario), else the newest with levels."""
    with_levels = [rs for rs in rules.load_rulesets() if rules.level_choices(rs)]
    rs = rules.ruleset_for_date(today)
    if rs is not None and rs in with_levels:
        return rs.id
    known = {r.id for r in with_levels}
    newest = (scope(RiskArea.objects.filter(status=RiskAreaStatus.ACTIVE), user, "risk_areas.view")
              .order_by("-designated_at", "-id").values_list("ruleset_id", flat=True).first())
    if newest in known:
        return newest
    return max(with_levels, key=lambda r: r.effective_from).id if with_levels else None


def risk_area_downgrade_decision(risk_area: RiskArea, *, today: date) -> rules.DowngradeDecision | None:
    """May this active area move down, under its rule set, and since when? None if not active."""
    if risk_area.status != RiskAreaStatus.ACTIVE or not risk_area.level or risk_area.designated_at is None:
        return None
    ruleset = ruleset_of(risk_area)
    since = local_date(risk_area.designated_at)
    person_ids = list(persons_in_risk_area(risk_area).values_list("pk", flat=True))
    last_case = facts.last_case_date(person_ids, since=since)
    if last_case is not None and last_case > today:
        last_case = today
    rounds = facts.negative_round_days(person_ids, since=since)
    was_from = risk_area.downgraded_from or None
    downgraded_at = local_date(risk_area.downgraded_at) if risk_area.downgraded_at and was_from else None
    rule = rules._pick_downgrade(ruleset, risk_area.level, was_from)  # noqa: SLF001 (same rule choice)
    if rule is not None and rule.count_from == "downgrade" and downgraded_at is None:
        was_from = None  # designated at this level directly: the generic rule applies
    return rules.downgrade_decision(
        ruleset, level=risk_area.level, designated_at=risk_area.designated_at, last_case_at=last_case,
        negative_round_days=rounds, was_downgraded_from=was_from, downgraded_at=downgraded_at, today=today,
    )


@dataclass(frozen=True)
class Candidate:
    risk_area: RiskArea
    name: str
    decision: rules.DowngradeDecision | None
    pending: bool  # already in a notice that is not yet applied


def downgrade_candidates(actor, *, today: date, only_eligible: bool = False) -> list[Candidate]:
    """Every active area the actor may see, with its downgrade decision (eligible ones first)."""
    areas = list(risk_area_qs(actor).filter(status=RiskAreaStatus.ACTIVE).prefetch_related("members"))
    pending_ids = set(
        NoticeChange.objects.filter(risk_area__in=areas)
        .filter(Q(notice__status__in=[NoticeStatus.DRAFT, NoticeStatus.PENDING_APPROVAL])
                | Q(notice__status=NoticeStatus.PUBLISHED, notice__applied_at__isnull=True))
        .values_list("risk_area_id", flat=True)
    )
    out = []
    names = display_names(areas)
    for ra in areas:
        decision = risk_area_downgrade_decision(ra, today=today)
        if only_eligible and not (decision and decision.eligible):
            continue
        out.append(Candidate(ra, names[ra.pk], decision, ra.pk in pending_ids))
    out.sort(key=lambda c: (not (c.decision and c.decision.eligible), c.risk_area.area_path, c.risk_area.pk))
    return out


def projected_level(risk_area: RiskArea) -> str:
    """The level after every published change not yet applied (what the next notice changes from)."""
    change = (NoticeChange.objects.filter(risk_area=risk_area, notice__status=NoticeStatus.PUBLISHED,
                                          notice__applied_at__isnull=True)
              .order_by("-notice__effective_at", "-id").first())
    return change.to_level if change is not None else risk_area.level


# --------------------------------------------------------------------------------------------------
# Public (no personal data, unscoped by design)
# --------------------------------------------------------------------------------------------------


def public_current_areas() -> list[dict]:
    """Current risk areas by county: [{county, areas: [{name, level, level_name, measures, since}]}]."""
    areas = list(RiskArea.objects.filter(status=RiskAreaStatus.ACTIVE).select_related("county")
                 .order_by("county__code", "level", "area_path", "id"))
    names = display_names(areas)
    by_county: dict[str, dict] = {}
    for ra in areas:
        rs = ruleset_of(ra)
        county = ra.county.name if ra.county else ""
        entry = by_county.setdefault(county, {"county": county, "areas": []})
        levels = list(rs.levels)
        entry["areas"].append({
            "id": ra.pk, "name": names[ra.pk], "level": ra.level,
            "level_rank": levels.index(ra.level) if ra.level in levels else 99,
            "level_name": rules.level_name(rs, ra.level), "measures": ra.measures,
            "since": ra.level_since,
        })
    for entry in by_county.values():
        entry["areas"].sort(key=lambda a: (a["level_rank"], a["name"]))
    return list(by_county.values())


def public_notices() -> QuerySet[Notice]:
    return Notice.objects.filter(status=NoticeStatus.PUBLISHED).select_related("issuer").order_by(
        "-published_on", "-effective_at", "-number")


def public_notice_get(pk: int) -> Notice:
    try:
        return public_notices().get(pk=pk)
    except Notice.DoesNotExist:
        raise NotFound() from None
