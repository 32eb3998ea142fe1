"""Reads of the epi app, always scoped to the actor.

Grid workers and other `epi.status_view` holders see statuses and contact records of people in their
area, never the case investigation (`epi.view`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from fangkong.audit.services import access_record
from fangkong.core.scoping import get_or_404, scope
from fangkong.epi import rules
from fangkong.epi.models import (
    AssistItem,
    AssistList,
    Case,
    Contact,
    ContactSuggestion,
    ControlStatus,
    ManualStatusRequest,
    RequestState,
    RulesetOverride,
    StatusOrigin,
)

VIEW = "epi.view"
STATUS_VIEW = "epi.status_view"
ASSIST = "epi.assist"
ASSIST_OUTCOME = "epi.assist_outcome"


def case_qs(actor) -> QuerySet[Case]:
    return scope(Case.objects.select_related("person"), actor, VIEW)


def case_get(actor, case_id: int) -> Case:
    case = get_or_404(Case.objects.select_related("person", "person__household"), actor, VIEW, pk=case_id)
    access_record(actor=actor, obj=case, object_repr=f"病例 {case.pk}")
    return case


def contact_qs(actor) -> QuerySet[Contact]:
    return scope(Contact.objects.select_related("person"), actor, STATUS_VIEW)


def suggestion_qs(actor, case: Case) -> QuerySet[ContactSuggestion]:
    return scope(case.suggestions.select_related("person"), actor, VIEW)


def status_qs(actor) -> QuerySet[ControlStatus]:
    return scope(ControlStatus.objects.select_related("person", "approved_by"), actor, STATUS_VIEW)


def status_person_get(actor, person_id: int):
    from fangkong.residents.models import Person

    person = get_or_404(Person.objects.select_related("household", "area"), actor, STATUS_VIEW, pk=person_id)
    access_record(actor=actor, obj=person, detail={"view": "epi.person_statuses"})
    return person


@dataclass
class StatusLine:
    """One status of a person, said in plain Chinese: why, since when, until when."""

    id: int
    kind: str
    kind_name: str
    start: dt.date
    end: dt.date | None
    current: bool
    why: str
    sentence: str
    rule_id: str
    ruleset: str
    origin: str
    evidence_type: str
    evidence_id: str
    evidence_label: str
    explanation: str
    override_notes: list[str] = field(default_factory=list)
    approved_by: str = ""
    test_days: list[str] = field(default_factory=list)


AREA_UNTIL = "直至所在风险区降级或解除"


def _line(s: ControlStatus, today: dt.date) -> StatusLine:
    kind_name = rules.PHASE_KINDS.get(s.kind, s.kind)
    why = s.evidence_label
    if s.origin == StatusOrigin.MANUAL:
        why = f"人工决定（{s.explanation.removeprefix('人工管控：')}；经{s.approved_by}批准）"
    current = s.start <= today and (s.end is None or today <= s.end)
    return StatusLine(
        id=s.pk, kind=s.kind, kind_name=kind_name, start=s.start, end=s.end, current=current, why=why,
        sentence=rules.status_sentence(kind_name=kind_name, start=s.start, end=s.end, why=why, today=today,
                                       until=AREA_UNTIL if s.category in rules.RESIDENCE_CATEGORIES.values() else ""),
        rule_id=s.rule_id, ruleset=f"{s.ruleset_name}（第{s.ruleset_version}版数据）" if s.ruleset_id else "",
        origin=s.origin, evidence_type=s.evidence_type, evidence_id=s.evidence_id, evidence_label=s.evidence_label,
        explanation=s.explanation, override_notes=list(s.override_notes or []),
        approved_by=str(s.approved_by) if s.approved_by_id else "", test_days=list(s.test_days or []),
    )


def person_status_summary(actor, person, *, today: dt.date | None = None) -> list[StatusLine]:
    """The statuses of `person` the actor may see (empty when out of scope), current ones first."""
    today = today or timezone.localdate()
    qs = status_qs(actor).filter(person_id=person.pk)
    lines = [_line(s, today) for s in qs]
    return sorted(lines, key=lambda ln: (not ln.current, ln.start, ln.id))


def unsupported_statuses(actor) -> QuerySet[ControlStatus]:
    """Statuses with neither evidence nor approval. The report must always be empty."""
    no_evidence = Q(evidence_type="") | Q(evidence_id="") | Q(rule_id="")
    derived_bad = Q(origin=StatusOrigin.DERIVED) & no_evidence
    manual_bad = Q(origin=StatusOrigin.MANUAL) & (Q(request__isnull=True) | Q(approved_by__isnull=True)
                                                  | Q(end__isnull=True) | ~Q(request__state=RequestState.APPROVED)
                                                  | Q(request__requested_by=F("approved_by")))
    other = ~Q(origin__in=[StatusOrigin.DERIVED, StatusOrigin.MANUAL])
    return scope(ControlStatus.objects.filter(derived_bad | manual_bad | other), actor, STATUS_VIEW)


def request_qs(actor, action: str = "epi.manage") -> QuerySet[ManualStatusRequest]:
    return scope(ManualStatusRequest.objects.select_related("person", "requested_by", "decided_by"), actor, action)


def request_get(actor, request_id: int, action: str = "epi.approve") -> ManualStatusRequest:
    return get_or_404(ManualStatusRequest.objects.select_related("person", "requested_by"), actor, action,
                      pk=request_id)


def override_qs(actor) -> QuerySet[RulesetOverride]:
    return scope(RulesetOverride.objects.select_related("county", "created_by", "approved_by"), actor, "epi.ruleset")


# -- transmission chain ------------------------------------------------------------------------------


@dataclass
class ChainNode:
    contact: Contact
    children: list[ChainNode] = field(default_factory=list)


def chain(actor, case: Case) -> list[ChainNode]:
    """Case -> close contacts -> their secondary contacts (the actor must see the case: epi.view)."""
    contacts = list(case.contacts.select_related("person").order_by("contact_date", "id"))
    nodes = {c.pk: ChainNode(c) for c in contacts}
    roots: list[ChainNode] = []
    for c in contacts:
        if c.via_id and c.via_id in nodes:
            nodes[c.via_id].children.append(nodes[c.pk])
        else:
            roots.append(nodes[c.pk])
    return roots


def chain_rows(roots: list[ChainNode], case: Case) -> list[list]:
    rows = [["病例", case.pk, case.person.name, "", case.get_kind_display(), case.sampled_date or case.onset_date, ""]]

    def walk(node: ChainNode, level: int) -> None:
        c = node.contact
        rows.append([c.get_category_display(), c.pk, c.person.name, "　" * level + "└", c.get_category_display(),
                     c.contact_date, c.via.person.name if c.via_id else case.person.name])
        for ch in node.children:
            walk(ch, level + 1)

    for r in roots:
        walk(r, 1)
    return rows


# -- assist lists ---------------------------------------------------------------------------------


def assist_list_qs(actor) -> QuerySet[AssistList]:
    return scope(AssistList.objects.select_related("area", "uploaded_by"), actor, ASSIST)


def assist_list_get(actor, list_id: int) -> AssistList:
    return get_or_404(AssistList.objects.select_related("area", "uploaded_by"), actor, ASSIST, pk=list_id)


def assist_items(actor, lst: AssistList) -> QuerySet[AssistItem]:
    return scope(lst.items.select_related("person", "grid", "assigned_to"), actor, ASSIST)


def my_assist_items(actor) -> QuerySet[AssistItem]:
    """Items of households in the actor's grid(s), for recording outcomes."""
    return scope(AssistItem.objects.select_related("list", "person", "grid").exclude(person=None), actor,
                 ASSIST_OUTCOME).order_by("outcome", "list__deadline", "list_id", "row_number")


def assist_item_get(actor, item_id: int, action: str = ASSIST_OUTCOME) -> AssistItem:
    return get_or_404(AssistItem.objects.select_related("list", "person"), actor, action, pk=item_id)


def assist_grid_stats(lst: AssistList, *, now: dt.datetime | None = None) -> list[dict]:
    """Per grid: total, done, open, overdue (open after the deadline)."""
    now = now or timezone.now()
    overdue = lst.deadline < now
    rows = (lst.items.values("grid_id", "grid__name")
            .annotate(total=Count("id"), done=Count("id", filter=~Q(outcome="")))
            .order_by("grid__name"))
    out = []
    for r in rows:
        open_ = r["total"] - r["done"]
        out.append({"grid_id": r["grid_id"], "grid": r["grid__name"] or "（未匹配/无网格）", "total": r["total"],
                    "done": r["done"], "open": open_, "overdue": open_ if overdue else 0})
    return out


def assist_return_file(actor, lst: AssistList) -> str:
    """The list's return file (xlsx) for the level above; every export is logged."""
    from fangkong.core.excel import XlsxStreamWriter

    access_record(actor=actor, kind="export", obj=lst, detail={"export": "assist_return"})
    w = XlsxStreamWriter()
    w.add_sheet("协查反馈", ["行号", "姓名", "电话", "证件号", "地址", "匹配方式", "置信度", "网格",
                         "处置结果", "处置说明", "处置时间"])
    for it in lst.items.select_related("grid").order_by("row_number").iterator(chunk_size=2000):
        w.write_row([it.row_number, it.name, it.phone, it.id_number, it.address, it.get_method_display(),
                     round(it.confidence, 2), it.grid.name if it.grid_id else "",
                     it.get_outcome_display() if it.outcome else "未反馈", it.outcome_note, it.outcome_at])
    return w.close()


def last_case_date_for_persons(person_ids, *, since: dt.date) -> dt.date | None:
    """The date of the last new infection among these people on or after `since` (sampling date, or
    onset when there is no sampling date): the fact the risk-area downgrade rules ask for. Unscoped."""
    from django.db.models.functions import Coalesce

    ids = sorted(set(person_ids))
    last: dt.date | None = None
    for i in range(0, len(ids), 5000):
        found = (Case.objects.filter(person_id__in=ids[i:i + 5000])
                 .annotate(day=Coalesce("sampled_date", "onset_date"))
                 .filter(day__gte=since).order_by("-day").values_list("day", flat=True).first())
        if found and (last is None or found > last):
            last = found
    return last
