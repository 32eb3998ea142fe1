"""Writes of the epi app: cases, contacts, suggestions, control statuses (derived and manual, four
eyes), county rule-set overrides and assist-investigation lists. Every write is authorised, atomic and
leaves an audit event."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.models import Event
from fangkong.audit.services import event_build, event_record, snapshot
from fangkong.core.errors import ServiceError
from fangkong.core.scoping import authorize, path_range
from fangkong.epi import bulk, rules
from fangkong.epi import facts as fact_registry
from fangkong.epi.models import (
    Case,
    CaseKind,
    CaseSource,
    Contact,
    ContactCategory,
    ContactSuggestion,
    ControlStatus,
    InvestigationEntry,
    ManualStatusRequest,
    RequestState,
    RulesetOverride,
    StatusOrigin,
    SuggestionSource,
    SuggestionState,
)

MANAGE = "epi.manage"
APPROVE = "epi.approve"
RULESET = "epi.ruleset"
RULESET_APPROVE = "epi.ruleset_approve"


def county_path(path: str) -> str:
    """'/611000000000/611002000000/' — the first two levels (city, county) of a materialized path."""
    parts = [p for p in path.split("/") if p]
    return "/" + "/".join(parts[:2]) + "/" if len(parts) >= 2 else path


# --------------------------------------------------------------------------------------------------
# Rule sets in force (with county overrides)
# --------------------------------------------------------------------------------------------------


class RulesetResolver:
    """The rule set for a fact: the one in force on the fact's date, with its county's approved overrides."""

    def __init__(self):
        self._overrides: dict[tuple[str, str], dict] = {}
        self._labels: dict[str, str] = {}
        for o in RulesetOverride.objects.filter(active=True).select_related("county").order_by("decided_at", "id"):
            self._overrides.setdefault((o.area_path, o.ruleset_id), {})[o.path] = o.value
            self._labels[o.area_path] = o.county.name
        self._cache: dict[tuple[str, str], rules.RuleSet] = {}
        self._sets = rules.load_rulesets()
        self._by_date: dict = {}

    def for_date(self, path: str, on: dt.date) -> rules.RuleSet | None:
        base = self._by_date.get(on, False)
        if base is False:
            base = self._by_date[on] = rules.ruleset_for_date(on, self._sets)
        if base is None:
            return None
        county = county_path(path)
        key = (county, base.id)
        if key not in self._cache:
            values = self._overrides.get(key)
            self._cache[key] = (
                rules.apply_overrides(base, values, source=self._labels.get(county, county)) if values else base
            )
        return self._cache[key]

    def __call__(self, fact: rules.Fact) -> rules.RuleSet | None:
        return self.for_date(fact.area_path, fact.ruleset_date)


# --------------------------------------------------------------------------------------------------
# Control statuses: the recompute
# --------------------------------------------------------------------------------------------------

_DIFF_FIELDS = ("kind", "category", "category_name", "start", "end", "rule_id", "ruleset_id", "ruleset_version",
                "ruleset_name", "explanation", "override_notes", "test_days", "evidence_type", "evidence_id",
                "evidence_label", "area_path")
_EVENT_FIELDS = ("kind", "category", "start", "end", "rule_id", "ruleset_id", "ruleset_version", "evidence_type",
                 "evidence_id")


@dataclass
class RecomputeResult:
    persons: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    not_applicable: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _values(d: rules.DesiredStatus) -> dict:
    return {
        "kind": d.kind, "category": d.category, "category_name": d.category_name, "start": d.start, "end": d.end,
        "rule_id": d.rule_id, "ruleset_id": d.ruleset_id, "ruleset_version": d.ruleset_version,
        "ruleset_name": d.ruleset_short_name, "explanation": d.explanation, "override_notes": list(d.override_notes),
        "test_days": [x.isoformat() for x in d.test_days], "evidence_type": d.evidence_type,
        "evidence_id": d.evidence_id, "evidence_label": d.evidence_label, "area_path": d.area_path,
    }


_READ_FIELDS = ("pk", "person_id", "fact_key", "phase_index", "created_at", *_DIFF_FIELDS)
_EVENT_IDX = tuple(_DIFF_FIELDS.index(f) for f in _EVENT_FIELDS)


_JSON_FIELDS = ("override_notes", "test_days")
_JSON_IDX = tuple(_DIFF_FIELDS.index(f) for f in _JSON_FIELDS)


def _stored(qs) -> dict[tuple, tuple]:
    """(person, fact key, phase) -> (pk, created_at, diff values): plain tuples, no model instances.

    The two JSON columns are read as text (decoding 160,000 small lists was a third of the read); `_same`
    compares them as text first and decodes only when the texts differ."""
    qs = qs.annotate(**{f"{f}_text": Cast(f, TextField()) for f in _JSON_FIELDS})
    fields = [f"{f}_text" if f in _JSON_FIELDS else f for f in _READ_FIELDS]
    return {(r[1], r[2], r[3]): (r[0], r[4], r[5:]) for r in qs.values_list(*fields)}


def _json_text(v) -> str:
    return json.dumps(v, ensure_ascii=False)


def _same(old: tuple, row: tuple) -> bool:
    """`row` carries the JSON values as `_json_text`; `old` as the database's text (PostgreSQL's jsonb text
    equals it; other spellings, e.g. SQLite's escaped unicode, are decoded and compared as values)."""
    if old == row:
        return True
    for i, v in enumerate(row):
        if old[i] == v:
            continue
        if i in _JSON_IDX and old[i] is not None and json.loads(old[i]) == json.loads(v):
            continue
        return False
    return True


def _event_maker(actor, reason: str, at: dt.datetime):
    """Build audit events like `event_build`, without Model.__init__ (tens of thousands per recompute)."""
    from fangkong.audit.services import _jsonable

    proto = event_build(actor=actor, action="-", object_type="epi.controlstatus", reason=reason, at=at)
    common = {"at": at, "object_type": "epi.controlstatus", "reason": proto.reason, "client_ip": proto.client_ip,
              "request_id": proto.request_id, "actor_id": proto.actor_id, "actor_name": proto.actor_name}
    def make(action: str, object_id, object_repr: str, area_path: str, before=None, after=None) -> Event:
        return bulk.instance(Event, action=action, object_id=str(object_id), object_repr=object_repr[:200],
                             area_path=area_path, before=_jsonable(before) if before is not None else None,
                             after=_jsonable(after) if after is not None else None, **common)
    return make


def _apply(desired: list[rules.DesiredStatus], have: dict[tuple, tuple], *, actor, reason: str,
           result: RecomputeResult) -> None:
    """Write the difference between the desired statuses and the stored ones (see `_stored`)."""
    now = timezone.now()
    event = _event_maker(actor, reason, now)
    creates: list[ControlStatus] = []
    updates: list[ControlStatus] = []
    delete_ids: list[int] = []
    events = []
    seen: set[tuple] = set()
    for d in desired:
        key = (d.person_id, d.fact_key, d.phase_index)
        if key in seen:
            continue
        seen.add(key)
        values = _values(d)
        row = tuple(_json_text(values[f]) if f in _JSON_FIELDS else values[f] for f in _DIFF_FIELDS)
        stored = have.get(key)
        if stored is None:
            creates.append(bulk.instance(ControlStatus, id=None, person_id=d.person_id, fact_key=d.fact_key,
                                         phase_index=d.phase_index, origin=StatusOrigin.DERIVED, created_at=now,
                                         updated_at=now, **values))
            continue
        pk, created_at, old = stored
        if _same(old, row):
            result.unchanged += 1
            continue
        updates.append(bulk.instance(ControlStatus, id=pk, person_id=d.person_id, fact_key=d.fact_key,
                                     phase_index=d.phase_index, origin=StatusOrigin.DERIVED, created_at=created_at,
                                     updated_at=now, **values))
        before = {f: old[i] for f, i in zip(_EVENT_FIELDS, _EVENT_IDX, strict=True) if old[i] != row[i]}
        events.append(event("control_status.update", pk, f"{d.person_id} {d.kind}", d.area_path,
                            before=before, after={f: values[f] for f in before}))
    for key, (pk, _created, old) in have.items():
        if key not in seen:
            delete_ids.append(pk)
            events.append(event("control_status.delete", pk, f"{key[0]} {old[0]}", old[-1],
                                before={f: old[i] for f, i in zip(_EVENT_FIELDS, _EVENT_IDX, strict=True)}))
    for chunk in fact_registry.chunks(delete_ids):
        ControlStatus.objects.filter(pk__in=chunk).delete()
    if updates:
        # Rewrite the changed rows in place (same primary keys): one DELETE and one multi-row insert (COPY on
        # PostgreSQL) per chunk, much faster than bulk_update's CASE expressions over 17 columns.
        for chunk in fact_registry.chunks([s.pk for s in updates]):
            ControlStatus.objects.filter(pk__in=chunk).delete()
        bulk.insert(ControlStatus, updates)
    if creates:
        bulk.insert(ControlStatus, creates)
        for s in creates:
            events.append(event("control_status.create", s.pk or "", f"{s.person_id} {s.kind}", s.area_path,
                                after={f: getattr(s, f) for f in _EVENT_FIELDS}))
    bulk.insert(Event, events)
    result.created += len(creates)
    result.updated += len(updates)
    result.deleted += len(delete_ids)


@transaction.atomic
def status_recompute(person_ids: Iterable[int], *, actor, reason: str,
                     resolver: RulesetResolver | None = None) -> RecomputeResult:
    """Bring the derived statuses of these persons in line with their facts and the rule sets in force.

    Manual statuses are never touched. Each created, changed or removed status writes an audit event.
    """
    ids = sorted(set(person_ids))
    result = RecomputeResult(persons=len(ids))
    if not ids:
        return result
    resolver = resolver or RulesetResolver()
    desired, skipped = rules.desired_statuses(fact_registry.facts_for(ids), resolver)
    result.not_applicable = len(skipped)
    have: dict[tuple, tuple] = {}
    for chunk in fact_registry.chunks(ids):
        have.update(_stored(ControlStatus.objects.filter(person_id__in=chunk, origin=StatusOrigin.DERIVED)))
    _apply(desired, have, actor=actor, reason=reason, result=result)
    return result


@transaction.atomic
def status_recompute_area(path: str, *, actor, reason: str, ruleset_id: str | None = None,
                          categories: Iterable[str] | None = None) -> RecomputeResult:
    """Recompute every derived status of everyone under `path` (a county after a rule-set change).

    With `ruleset_id` (and `categories`), only the statuses built by that rule set (for those categories)
    are recomputed: a county override of 第九版's close contacts leaves cases and other regimes alone.
    The rule set of a fact follows its date, never the overrides, so the partition is stable.
    """
    resolver = RulesetResolver()
    cats = set(categories) if categories is not None else None
    facts = fact_registry.facts_in(path)
    if ruleset_id is not None:
        def wanted(f: rules.Fact) -> bool:
            if cats is not None and f.category not in cats:
                return False
            rs = resolver(f)
            return rs is not None and rs.id == ruleset_id

        facts = [f for f in facts if wanted(f)]
    desired, skipped = rules.desired_statuses(facts, resolver)
    lo, hi = path_range(path)
    qs = ControlStatus.objects.filter(area_path__gte=lo, area_path__lt=hi, origin=StatusOrigin.DERIVED)
    if ruleset_id is not None:
        qs = qs.filter(ruleset_id=ruleset_id)
        if cats is not None:
            qs = qs.filter(category__in=sorted(cats))
    have = _stored(qs)
    result = RecomputeResult(persons=len({f.person_id for f in facts} | {k[0] for k in have}),
                             not_applicable=len(skipped))
    _apply(desired, have, actor=actor, reason=reason, result=result)
    return result


# --------------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------------

CASE_FIELDS = ["person_id", "kind", "onset_date", "sampled_date", "isolated_date", "released_date", "home_address",
               "work_address", "source", "source_ref"]


def _person_addresses(person) -> tuple[str, str]:
    home = person.household.address if person.household_id and person.household else ""
    return home or (person.area.name if person.area_id else ""), person.workplace or ""


def _check_case_dates(onset, sampled, isolated, released) -> None:
    if onset is None and sampled is None:
        raise ServiceError(_("请填写发病日期或阳性采样日期。"), code="required", field="sampled_date")
    first = min(d for d in (onset, sampled) if d is not None)
    if released is not None and released < first:
        raise ServiceError(_("解除日期不能早于发病/采样日期。"), code="bad_date", field="released_date")
    today = timezone.localdate()
    for name, d in (("onset_date", onset), ("sampled_date", sampled), ("isolated_date", isolated)):
        if d is not None and d > today:
            raise ServiceError(_("日期不能晚于今天。"), code="future_date", field=name)


@transaction.atomic
def case_register(*, actor, person, kind: str = CaseKind.ASYMPTOMATIC, onset_date=None, sampled_date=None,
                  isolated_date=None, home_address: str = "", work_address: str = "", investigation: str = "",
                  source: str = CaseSource.MANUAL, source_ref: str | None = None, authorize_actor: bool = True,
                  reason: str = "") -> Case:
    if authorize_actor:
        authorize(actor, MANAGE, person.area_path)
    if kind not in CaseKind.values:
        raise ServiceError(_("病例类型无效。"), code="bad_kind", field="kind")
    if kind == CaseKind.CONFIRMED and onset_date is None and sampled_date is None:
        raise ServiceError(_("请填写发病日期。"), code="required", field="onset_date")
    _check_case_dates(onset_date, sampled_date, isolated_date, None)
    home, work = _person_addresses(person)
    case = Case.objects.create(
        person=person, kind=kind, onset_date=onset_date, sampled_date=sampled_date, isolated_date=isolated_date,
        home_address=home_address or home, work_address=work_address or work, investigation=investigation,
        source=source, source_ref=source_ref or None, area_path=person.area_path,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    event_record(actor=actor, action="case.register", obj=case, after=snapshot(case, CASE_FIELDS), reason=reason)
    status_recompute([person.pk], actor=actor, reason=f"登记病例 {case.pk}")
    return case


def case_open_from_positive_test(*, actor, person, sampled_at: dt.datetime, source: str, source_ref: str) -> Case:
    """Called by the testing app when a single tube is positive. Idempotent per `source_ref`."""
    if not source_ref:
        raise ServiceError(_("缺少来源编号。"), code="required", field="source_ref")
    existing = Case.objects.filter(source_ref=source_ref).first()
    if existing is not None:
        return existing
    sampled = timezone.localtime(sampled_at).date() if timezone.is_aware(sampled_at) else sampled_at.date()
    try:
        with transaction.atomic():
            case = case_register(
                actor=actor, person=person, kind=CaseKind.ASYMPTOMATIC, sampled_date=sampled,
                isolated_date=timezone.localdate(), source=CaseSource.POSITIVE_TEST, source_ref=source_ref,
                authorize_actor=False, reason=f"单管阳性（{source}）",
            )
            suggestions_generate(actor=actor, case=case, authorize_actor=False)
    except IntegrityError:
        return Case.objects.get(source_ref=source_ref)
    return case


@transaction.atomic
def case_update(*, actor, case: Case, reason: str = "", **fields) -> Case:
    authorize(actor, MANAGE, case.area_path)
    allowed = {"kind", "onset_date", "sampled_date", "isolated_date", "released_date", "home_address",
               "work_address", "investigation"}
    unknown = set(fields) - allowed
    if unknown:
        raise ServiceError(_("不能修改：%(fields)s") % {"fields": ", ".join(sorted(unknown))}, code="bad_field")
    before = snapshot(case, CASE_FIELDS + ["investigation"])
    for k, v in fields.items():
        setattr(case, k, v)
    _check_case_dates(case.onset_date, case.sampled_date, case.isolated_date, case.released_date)
    case.save()
    event_record(actor=actor, action="case.update", obj=case, before=before,
                 after=snapshot(case, CASE_FIELDS + ["investigation"]), reason=reason)
    status_recompute([case.person_id], actor=actor, reason=f"病例 {case.pk} 信息变更")
    return case


@transaction.atomic
def investigation_add(*, actor, case: Case, place: str, started_at: dt.datetime, ended_at: dt.datetime | None = None,
                      note: str = "") -> InvestigationEntry:
    authorize(actor, MANAGE, case.area_path)
    place = (place or "").strip()
    if not place:
        raise ServiceError(_("请填写地点。"), code="required", field="place")
    if ended_at is not None and ended_at < started_at:
        raise ServiceError(_("结束时间不能早于开始时间。"), code="bad_time", field="ended_at")
    entry = InvestigationEntry.objects.create(case=case, place=place, started_at=started_at, ended_at=ended_at,
                                              note=note, area_path=case.area_path, created_by=actor)
    event_record(actor=actor, action="case.investigation_add", obj=entry, object_repr=f"病例 {case.pk} · {place}",
                 after=snapshot(entry, ["case_id", "place", "started_at", "ended_at", "note"]))
    return entry


# --------------------------------------------------------------------------------------------------
# Contacts and suggestions
# --------------------------------------------------------------------------------------------------


def _ruleset_for_contact(case: Case, contact_date: dt.date) -> rules.RuleSet | None:
    return RulesetResolver().for_date(case.area_path, contact_date)


@transaction.atomic
def contact_register(*, actor, case: Case, person, category: str, contact_date: dt.date, situation: str = "",
                     via: Contact | None = None, note: str = "") -> Contact:
    """An epidemiologist's confirmation that `person` is a close (or secondary) contact."""
    authorize(actor, MANAGE, case.area_path)
    if category not in ContactCategory.values:
        raise ServiceError(_("接触者类别无效。"), code="bad_category", field="category")
    if person.pk == case.person_id:
        raise ServiceError(_("病例本人不能登记为自己的接触者。"), code="self_contact", field="person")
    if contact_date is None:
        raise ServiceError(_("请填写末次接触日期。"), code="required", field="contact_date")
    if contact_date > timezone.localdate():
        raise ServiceError(_("接触日期不能晚于今天。"), code="future_date", field="contact_date")
    rs = _ruleset_for_contact(case, contact_date)
    if rs is not None and category not in rs.contact.categories:
        why = rs.contact.not_identified_text or f"{rs.short_name}不判定此类接触者"
        raise ServiceError(f"{rs.short_name}：{why}", code="category_not_identified", field="category")
    if situation:
        known = {s.code for s in rs.contact.situations} if rs is not None else set()
        if known and situation not in known:
            raise ServiceError(_("判定情形无效。"), code="bad_situation", field="situation")
    if category == ContactCategory.SECONDARY:
        if via is None or via.case_id != case.pk or via.category != ContactCategory.CLOSE:
            raise ServiceError(_("密接的密接须指明经由本病例的哪一位密接。"), code="via_required", field="via")
        if via.person_id == person.pk:
            raise ServiceError(_("不能登记为自己的密接。"), code="self_contact", field="person")
    else:
        via = None
    if Contact.objects.filter(case=case, person=person, category=category).exists():
        raise ServiceError(_("此人已登记为本病例的同类接触者。"), code="duplicate_contact", field="person")
    contact = Contact.objects.create(case=case, via=via, person=person, category=category, contact_date=contact_date,
                                     situation=situation, note=note, area_path=person.area_path, confirmed_by=actor)
    event_record(actor=actor, action="contact.register", obj=contact,
                 after=snapshot(contact, ["case_id", "via_id", "person_id", "category", "contact_date", "situation"]))
    ContactSuggestion.objects.filter(case=case, person=person, state=SuggestionState.PENDING).update(
        state=SuggestionState.CONFIRMED, contact=contact, decided_by=actor, decided_at=timezone.now())
    status_recompute([person.pk], actor=actor, reason=f"登记接触者 {contact.pk}")
    return contact


def _testing_candidates(person_id: int, since: dt.datetime, until: dt.datetime) -> list[tuple[int, str, str]]:
    if not apps.is_installed("fangkong.testing"):
        return []
    from fangkong.testing import selectors as testing_selectors  # noqa: PLC0415  (optional app)

    out: list[tuple[int, str, str]] = []
    for pid, detail in testing_selectors.tube_mates(person_id, since, until):
        out.append((pid, SuggestionSource.TUBE_MATE, detail))
    for pid, detail in testing_selectors.table_neighbours(person_id, since, until, minutes=5):
        out.append((pid, SuggestionSource.TABLE_NEIGHBOUR, detail))
    return out


@transaction.atomic
def suggestions_generate(*, actor, case: Case, authorize_actor: bool = True) -> int:
    """Propose candidates (never contacts): household members, same-unit neighbours on the same floor and
    the floors above and below, tube mates and table neighbours. Returns how many are new."""
    from fangkong.residents.models import Person

    if authorize_actor:
        authorize(actor, MANAGE, case.area_path)
    person = case.person
    cands: list[tuple[int, str, str]] = []
    if person.household_id:
        for pid in Person.objects.filter(household_id=person.household_id).exclude(pk=person.pk).values_list(
                "pk", flat=True):
            cands.append((pid, SuggestionSource.HOUSEHOLD, "同住一户"))
        hh = person.household
        if hh.floor is not None:
            rows = Person.objects.filter(household__area_id=hh.area_id,
                                         household__floor__in=[hh.floor - 1, hh.floor, hh.floor + 1]).exclude(
                household_id=hh.pk).values_list("pk", "household__floor", "household__room")
            for pid, floor, room in rows:
                rel = "同层" if floor == hh.floor else ("楼上" if floor > hh.floor else "楼下")
                cands.append((pid, SuggestionSource.NEIGHBOUR, f"同单元{rel}（{room}室）"))
    anchor = case.anchor_date or timezone.localdate()
    rs = RulesetResolver().for_date(case.area_path, anchor)
    lookback = (rs.contact.lookback_days if rs is not None else None) or 4
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(anchor - dt.timedelta(days=lookback), dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(case.isolated_date or timezone.localdate(), dt.time.max, tzinfo=tz)
    cands.extend(_testing_candidates(person.pk, since, until))
    taken = set(Contact.objects.filter(case=case).values_list("person_id", flat=True)) | {person.pk}
    paths = dict(Person.objects.filter(pk__in={c[0] for c in cands}).values_list("pk", "area_path"))
    rows = [ContactSuggestion(case=case, person_id=pid, source=src, detail=detail[:300], area_path=paths[pid])
            for pid, src, detail in cands if pid not in taken and pid in paths]
    before = ContactSuggestion.objects.filter(case=case).count()
    ContactSuggestion.objects.bulk_create(rows, ignore_conflicts=True)
    created = ContactSuggestion.objects.filter(case=case).count() - before
    event_record(actor=actor, action="case.suggestions_generate", obj=case, after={"new": created})
    return created


@transaction.atomic
def suggestion_confirm(*, actor, suggestion: ContactSuggestion, category: str, contact_date: dt.date,
                       situation: str = "", via: Contact | None = None) -> Contact:
    if suggestion.state != SuggestionState.PENDING:
        raise ServiceError(_("该建议已处理。"), code="already_decided")
    return contact_register(actor=actor, case=suggestion.case, person=suggestion.person, category=category,
                            contact_date=contact_date, situation=situation, via=via or suggestion.via,
                            note=f"由系统建议（{suggestion.get_source_display()}）确认")


@transaction.atomic
def suggestion_dismiss(*, actor, suggestion: ContactSuggestion, reason: str = "") -> ContactSuggestion:
    authorize(actor, MANAGE, suggestion.case.area_path)
    if suggestion.state != SuggestionState.PENDING:
        raise ServiceError(_("该建议已处理。"), code="already_decided")
    suggestion.state = SuggestionState.DISMISSED
    suggestion.decided_by = actor
    suggestion.decided_at = timezone.now()
    suggestion.save(update_fields=["state", "decided_by", "decided_at"])
    event_record(actor=actor, action="contact_suggestion.dismiss", obj=suggestion,
                 object_repr=f"病例 {suggestion.case_id} 建议 {suggestion.person_id}", reason=reason)
    return suggestion


# --------------------------------------------------------------------------------------------------
# Manual statuses: four eyes
# --------------------------------------------------------------------------------------------------


@transaction.atomic
def manual_request_create(*, actor, person, kind: str, start: dt.date | None, end: dt.date | None,
                          reason: str) -> ManualStatusRequest:
    authorize(actor, MANAGE, person.area_path)
    reason = (reason or "").strip()
    if kind not in rules.PHASE_KINDS:
        raise ServiceError(_("管控方式无效。"), code="bad_kind", field="kind")
    if start is None:
        raise ServiceError(_("请填写开始日期。"), code="required", field="start")
    if end is None:
        raise ServiceError(_("人工管控必须有结束日期。"), code="end_required", field="end")
    if end < start:
        raise ServiceError(_("结束日期不能早于开始日期。"), code="bad_date", field="end")
    if len(reason) < 4:
        raise ServiceError(_("请写明理由（至少4个字）。"), code="reason_required", field="reason")
    req = ManualStatusRequest.objects.create(person=person, kind=kind, start=start, end=end, reason=reason,
                                             requested_by=actor, area_path=person.area_path)
    event_record(actor=actor, action="manual_status.request", obj=req, object_repr=f"{person.name} {kind}",
                 after=snapshot(req, ["person_id", "kind", "start", "end"]), reason=reason)
    return req


@transaction.atomic
def manual_request_approve(*, actor, request: ManualStatusRequest, note: str = "") -> ControlStatus:
    authorize(actor, APPROVE, request.area_path)
    request = ManualStatusRequest.objects.select_for_update().get(pk=request.pk)
    if request.requested_by_id == actor.pk:
        raise ServiceError(_("不能审批自己提交的申请：须由另一位流调/疾控人员审批。"), code="self_approval")
    if request.state != RequestState.PENDING:
        raise ServiceError(_("该申请已处理。"), code="already_decided")
    request.state = RequestState.APPROVED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    name = rules.PHASE_KINDS[request.kind]
    status = ControlStatus.objects.create(
        person_id=request.person_id, kind=request.kind, category="manual", category_name="人工管控",
        start=request.start, end=request.end, explanation=f"人工管控：{request.reason}",
        evidence_type="epi.manual_request", evidence_id=str(request.pk),
        evidence_label=f"人工管控申请{request.pk}（{request.requested_by}申请，{actor}批准）",
        origin=StatusOrigin.MANUAL, request=request, approved_by=actor, area_path=request.area_path,
    )
    event_record(actor=actor, action="manual_status.approve", obj=request, object_repr=f"{request.person_id} {name}",
                 after={"state": "approved", "status_id": status.pk}, reason=note)
    event_record(actor=actor, action="control_status.create", obj=status, object_repr=f"{status.person_id} {name}",
                 after=snapshot(status, _EVENT_FIELDS + ("origin", "request_id", "approved_by_id")),
                 reason=request.reason)
    return status


@transaction.atomic
def manual_request_reject(*, actor, request: ManualStatusRequest, note: str) -> ManualStatusRequest:
    authorize(actor, APPROVE, request.area_path)
    if request.requested_by_id == actor.pk:
        raise ServiceError(_("不能审批自己提交的申请：须由另一位流调/疾控人员审批。"), code="self_approval")
    if request.state != RequestState.PENDING:
        raise ServiceError(_("该申请已处理。"), code="already_decided")
    if not (note or "").strip():
        raise ServiceError(_("请写明驳回理由。"), code="reason_required", field="note")
    request.state = RequestState.REJECTED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    event_record(actor=actor, action="manual_status.reject", obj=request, after={"state": "rejected"}, reason=note)
    return request


# --------------------------------------------------------------------------------------------------
# County overrides of rule-set values (four eyes) -> recompute the county
# --------------------------------------------------------------------------------------------------


@transaction.atomic
def override_propose(*, actor, county, ruleset_id: str, path: str, value, reason: str) -> RulesetOverride:
    authorize(actor, RULESET, county.path)
    if county.level != "county":
        raise ServiceError(_("方案覆盖以区县为单位。"), code="bad_area", field="county")
    if not (reason or "").strip():
        raise ServiceError(_("请写明理由。"), code="reason_required", field="reason")
    try:
        rs = rules.ruleset_get(ruleset_id)
        rules.apply_overrides(rs, {path: value}, source=county.name)
    except rules.UnknownRuleSet:
        raise ServiceError(_("未知的防控方案。"), code="bad_ruleset", field="ruleset_id") from None
    except (rules.RuleSetError, ValueError) as exc:
        raise ServiceError(_("覆盖无效：%(error)s") % {"error": exc}, code="bad_override", field="path") from None
    o = RulesetOverride.objects.create(county=county, area_path=county.path, ruleset_id=ruleset_id, path=path,
                                       value=value, reason=reason.strip(), created_by=actor)
    event_record(actor=actor, action="ruleset_override.propose", obj=o, object_repr=f"{county.name} {path}",
                 after={"ruleset_id": ruleset_id, "path": path, "value": value}, reason=reason)
    return o


@transaction.atomic
def override_approve(*, actor, override: RulesetOverride) -> RecomputeResult:
    authorize(actor, RULESET_APPROVE, override.area_path)
    if override.created_by_id == actor.pk:
        raise ServiceError(_("不能审批自己提出的方案覆盖：须由另一位人员审批。"), code="self_approval")
    if override.state != RequestState.PENDING:
        raise ServiceError(_("该覆盖已处理。"), code="already_decided")
    others = RulesetOverride.objects.filter(area_path=override.area_path, ruleset_id=override.ruleset_id,
                                            active=True)
    combined = {o.path: o.value for o in others if o.path != override.path}
    combined[override.path] = override.value
    try:
        rules.apply_overrides(rules.ruleset_get(override.ruleset_id), combined, source=override.county.name)
    except (rules.RuleSetError, ValueError) as exc:
        raise ServiceError(_("与已生效的覆盖合并后无效：%(error)s") % {"error": exc}, code="bad_override") from None
    others.filter(path=override.path).update(active=False)
    override.state = RequestState.APPROVED
    override.approved_by = actor
    override.decided_at = timezone.now()
    override.active = True
    override.save(update_fields=["state", "approved_by", "decided_at", "active"])
    event_record(actor=actor, action="ruleset_override.approve", obj=override,
                 object_repr=f"{override.county.name} {override.path}", after={"active": True})
    return _recompute_for_override(override, actor=actor,
                                   reason=f"方案覆盖 {override.pk}（{override.path}）生效，重新计算")


@transaction.atomic
def override_revoke(*, actor, override: RulesetOverride, reason: str) -> RecomputeResult:
    authorize(actor, RULESET_APPROVE, override.area_path)
    if not override.active:
        raise ServiceError(_("该覆盖未生效。"), code="not_active")
    override.active = False
    override.save(update_fields=["active"])
    event_record(actor=actor, action="ruleset_override.revoke", obj=override, after={"active": False}, reason=reason)
    return _recompute_for_override(override, actor=actor, reason=f"方案覆盖 {override.pk} 撤销，重新计算")


def _recompute_for_override(override: RulesetOverride, *, actor, reason: str) -> RecomputeResult:
    """Only the statuses the overridden value can change: that rule set, that category (when the path
    names one); values no status depends on (look-back, area levels, downgrades) recompute nothing."""
    cats = rules.override_categories(rules.ruleset_get(override.ruleset_id), override.path)
    if cats is not None and not cats:
        return RecomputeResult()
    return status_recompute_area(override.area_path, actor=actor, reason=reason, ruleset_id=override.ruleset_id,
                                 categories=cats)


# --------------------------------------------------------------------------------------------------
# Assist-investigation (协查) lists
# --------------------------------------------------------------------------------------------------

ASSIST = "epi.assist"
ASSIST_OUTCOME = "epi.assist_outcome"
ASSIST_FIELDS = {
    "name": ["姓名", "名字", "人员姓名", "name"],
    "phone": ["手机号", "电话", "联系电话", "手机", "手机号码", "联系方式", "phone"],
    "id_number": ["身份证号", "身份证号码", "证件号码", "证件号", "公民身份号码", "id_number"],
    "address": ["地址", "住址", "现住址", "居住地址", "现居住地址", "address"],
    "extra": ["备注", "说明", "协查原因", "其他", "note"],
}
MAX_ASSIST_ROWS = 50000


def _grid_assignment(paths: set[str], within: str) -> dict[str, tuple[int | None, int | None]]:
    """For each person area path: (grid area id, grid worker user id) — the most specific grid worker."""
    from fangkong.accounts.models import RoleAssignment
    from fangkong.areas.models import Area

    codes = {c for p in paths for c in p.split("/") if c}
    grids = {}
    for chunk in fact_registry.chunks(sorted(codes), 2000):
        grids.update(dict(Area.objects.filter(code__in=chunk, level="grid").values_list("code", "pk")))
    lo, hi = path_range(within)
    workers = sorted(
        RoleAssignment.objects.filter(role="grid_worker", area__path__gte=lo, area__path__lt=hi,
                                      user__is_active=True).values_list("area__path", "user_id"),
        key=lambda t: (-len(t[0]), t[1]))
    out = {}
    for p in paths:
        grid = next((grids[c] for c in p.split("/") if c in grids), None)
        worker = next((uid for apath, uid in workers if p.startswith(apath)), None)
        out[p] = (grid, worker)
    return out


@transaction.atomic
def assist_list_upload(*, actor, area, title: str, reason: str, deadline: dt.datetime, file, filename: str):
    """Read an uploaded list (xlsx/csv), match every row, flag duplicates, assign to grid workers."""
    from fangkong.core.excel import read_table
    from fangkong.epi import matching
    from fangkong.epi.models import AssistItem, AssistList, AssistOutcome

    authorize(actor, ASSIST, area.path)
    title, reason = (title or "").strip(), (reason or "").strip()
    if not title:
        raise ServiceError(_("请填写名单名称。"), code="required", field="title")
    if not reason:
        raise ServiceError(_("请填写协查原因。"), code="required", field="reason")
    if deadline is None:
        raise ServiceError(_("请填写反馈时限。"), code="required", field="deadline")
    table = read_table(file, filename=filename, fields=ASSIST_FIELDS)
    if not ({"name", "phone", "id_number"} & set(table.columns)):
        table.close()
        raise ServiceError(_("名单中找不到“姓名”“手机号”或“身份证号”列。"), code="missing_columns", field="file")
    rows: list[matching.RowIn] = []
    extras: list[str] = []
    for r in table.rows():
        v = r.values
        rows.append(matching.normalize_row(matching.RowIn(
            row_number=r.number, name=v.get("name", "")[:100], phone=v.get("phone", "")[:60],
            id_number=v.get("id_number", "")[:60], address=v.get("address", "")[:300])))
        extras.append(v.get("extra", "")[:500])
        if len(rows) > MAX_ASSIST_ROWS:
            raise ServiceError(_("名单超过%(n)s行，请拆分后上传。") % {"n": MAX_ASSIST_ROWS}, code="too_many_rows", field="file")
    if not rows:
        raise ServiceError(_("名单中没有数据行。"), code="empty", field="file")
    results = matching.match_rows(rows, within=area.path)
    lst = AssistList.objects.create(title=title, reason=reason, deadline=deadline, area=area, area_path=area.path,
                                    filename=filename[:200], rows_total=len(rows),
                                    rows_matched=sum(1 for m in results if m.person_id), uploaded_by=actor)
    from fangkong.residents.models import Person

    pids = {m.person_id for m in results if m.person_id}
    paths: dict[int, str] = {}
    for chunk in fact_registry.chunks(sorted(pids)):
        paths.update(dict(Person.objects.filter(pk__in=chunk).values_list("pk", "area_path")))
    assign = _grid_assignment(set(paths.values()), area.path)
    items = []
    first_by_key: dict[str, int] = {}
    first_by_person: dict[int, int] = {}
    dup_of: dict[int, int] = {}
    for idx, (row, m) in enumerate(zip(rows, results, strict=True)):
        key = matching.dedupe_key(row)
        if m.person_id and m.person_id in first_by_person:
            dup_of[idx] = first_by_person[m.person_id]
        elif key and key in first_by_key:
            dup_of[idx] = first_by_key[key]
        if m.person_id:
            first_by_person.setdefault(m.person_id, idx)
        if key:
            first_by_key.setdefault(key, idx)
        path = paths.get(m.person_id, area.path) if m.person_id else area.path
        grid, worker = assign.get(path, (None, None)) if m.person_id else (None, None)
        dup = idx in dup_of
        items.append(AssistItem(
            list=lst, row_number=row.row_number, name=row.name, phone=row.phone, id_number=row.id_number,
            address=row.address, extra=extras[idx], person_id=m.person_id, method=m.method,
            confidence=m.confidence, candidates=m.candidates, grid_id=grid, assigned_to_id=worker, area_path=path,
            outcome=AssistOutcome.DUPLICATE if dup else "",
            outcome_note=(f"与第{rows[dup_of[idx]].row_number}行重复" if dup else m.note)[:300],
            outcome_at=timezone.now() if dup else None,
        ))
    AssistItem.objects.bulk_create(items, batch_size=2000)
    by_index = {i: it for i, it in enumerate(items)}
    dups = []
    for idx, first in dup_of.items():
        by_index[idx].duplicate_of_id = by_index[first].pk
        dups.append(by_index[idx])
    if dups:
        AssistItem.objects.bulk_update(dups, ["duplicate_of"], batch_size=2000)
    event_record(actor=actor, action="assist_list.upload", obj=lst,
                 after={"rows": len(rows), "matched": lst.rows_matched, "duplicates": len(dup_of),
                        "filename": filename}, reason=reason)
    return lst


@transaction.atomic
def assist_item_outcome(*, actor, item, outcome: str, note: str = ""):
    from fangkong.epi.models import AssistOutcome

    authorize(actor, ASSIST_OUTCOME, item.area_path)
    if outcome not in AssistOutcome.values:
        raise ServiceError(_("请选择处置结果。"), code="bad_outcome", field="outcome")
    if item.person_id is None and outcome == AssistOutcome.CONTROLLED:
        raise ServiceError(_("未匹配到居民的条目不能标记为“已落实管控”，请先指定居民。"), code="unmatched",
                           field="outcome")
    before = {"outcome": item.outcome, "outcome_note": item.outcome_note}
    item.outcome, item.outcome_note = outcome, (note or "").strip()[:300]
    item.outcome_by, item.outcome_at = actor, timezone.now()
    item.save(update_fields=["outcome", "outcome_note", "outcome_by", "outcome_at"])
    event_record(actor=actor, action="assist_item.outcome", obj=item, object_repr=f"协查 {item.list_id} 第{item.row_number}行",
                 before=before, after={"outcome": outcome, "outcome_note": item.outcome_note})
    return item


@transaction.atomic
def assist_item_resolve(*, actor, item, person):
    """A person picks the resident of a not-found / ambiguous row; the item moves to that grid."""
    from fangkong.epi.models import MatchMethod

    authorize(actor, ASSIST, item.list.area_path)
    lo, hi = path_range(item.list.area_path)
    if not (lo <= person.area_path < hi):
        raise ServiceError(_("该居民不在名单下发区域内。"), code="out_of_area", field="person")
    grid, worker = _grid_assignment({person.area_path}, item.list.area_path)[person.area_path]
    before = {"person_id": item.person_id, "method": item.method}
    item.person, item.method, item.confidence = person, MatchMethod.MANUAL, 1.0
    item.grid_id, item.assigned_to_id, item.area_path = grid, worker, person.area_path
    item.save(update_fields=["person", "method", "confidence", "grid", "assigned_to", "area_path"])
    item.list.rows_matched = item.list.items.exclude(person=None).count()
    item.list.save(update_fields=["rows_matched"])
    event_record(actor=actor, action="assist_item.resolve", obj=item, before=before,
                 after={"person_id": person.pk, "method": "manual"})
    return item
