"""The epi JSON API: cases, contacts, suggestions, statuses with reasons, four-eyes requests, the
unsupported-status report, 协查 lists and outcomes. Same services as the pages."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from fangkong.core.errors import NotFound, ServiceError
from fangkong.core.scoping import require_any, scope
from fangkong.epi import selectors, services
from fangkong.epi.models import Contact, ContactSuggestion

PREFIX = "/epi"
router = Router(tags=["epi"])


class CaseIn(Schema):
    person_id: int
    kind: str = "asymptomatic"
    onset_date: dt.date | None = None
    sampled_date: dt.date | None = None
    isolated_date: dt.date | None = None
    home_address: str = ""
    work_address: str = ""
    investigation: str = ""


class CaseOut(Schema):
    id: int
    person_id: int
    person_name: str
    kind: str
    onset_date: dt.date | None
    sampled_date: dt.date | None
    isolated_date: dt.date | None
    released_date: dt.date | None
    home_address: str
    work_address: str
    investigation: str
    source: str


def case_out(c) -> dict:
    return {"id": c.pk, "person_id": c.person_id, "person_name": c.person.name, "kind": c.kind,
            "onset_date": c.onset_date, "sampled_date": c.sampled_date, "isolated_date": c.isolated_date,
            "released_date": c.released_date, "home_address": c.home_address, "work_address": c.work_address,
            "investigation": c.investigation, "source": c.source}


class ContactIn(Schema):
    person_id: int
    category: str
    contact_date: dt.date
    situation: str = ""
    via_id: int | None = None
    note: str = ""


class ContactOut(Schema):
    id: int
    case_id: int
    person_id: int
    category: str
    contact_date: dt.date
    via_id: int | None
    situation: str


def contact_out(c) -> dict:
    return {"id": c.pk, "case_id": c.case_id, "person_id": c.person_id, "category": c.category,
            "contact_date": c.contact_date, "via_id": c.via_id, "situation": c.situation}


class SuggestionOut(Schema):
    id: int
    person_id: int
    person_name: str
    source: str
    detail: str
    state: str


class DecideSuggestionIn(Schema):
    decision: str  # confirm | dismiss
    category: str = "close_contact"
    contact_date: dt.date | None = None
    situation: str = ""
    reason: str = ""


class StatusOut(Schema):
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
    override_notes: list[str]
    approved_by: str
    test_days: list[str]


class RequestIn(Schema):
    person_id: int
    kind: str
    start: dt.date
    end: dt.date | None = None
    reason: str = ""


class RequestOut(Schema):
    id: int
    person_id: int
    kind: str
    start: dt.date
    end: dt.date
    reason: str
    state: str
    requested_by: str
    decided_by: str | None


def request_out(r) -> dict:
    return {"id": r.pk, "person_id": r.person_id, "kind": r.kind, "start": r.start, "end": r.end, "reason": r.reason,
            "state": r.state, "requested_by": str(r.requested_by),
            "decided_by": str(r.decided_by) if r.decided_by_id else None}


class DecisionIn(Schema):
    note: str = ""


class UnsupportedOut(Schema):
    id: int
    person_id: int
    kind: str
    origin: str


class AssistListOut(Schema):
    id: int
    title: str
    reason: str
    deadline: dt.datetime
    rows_total: int
    rows_matched: int


class AssistItemOut(Schema):
    id: int
    row_number: int
    name: str
    person_id: int | None
    method: str
    confidence: float
    candidates: list[int]
    duplicate_of_id: int | None
    grid_id: int | None
    assigned_to: str | None
    outcome: str
    outcome_note: str


def item_out(it) -> dict:
    return {"id": it.pk, "row_number": it.row_number, "name": it.name, "person_id": it.person_id,
            "method": it.method, "confidence": it.confidence, "candidates": it.candidates,
            "duplicate_of_id": it.duplicate_of_id, "grid_id": it.grid_id,
            "assigned_to": str(it.assigned_to) if it.assigned_to_id else None, "outcome": it.outcome,
            "outcome_note": it.outcome_note}


class OutcomeIn(Schema):
    outcome: str
    note: str = ""


def _person(actor, person_id: int, action: str):
    from fangkong.residents.models import Person

    p = scope(Person.objects.select_related("household", "area"), actor, action).filter(pk=person_id).first()
    if p is None:
        raise NotFound()
    return p


@router.get("/cases", response=list[CaseOut], summary="病例（流调人员、指挥部）")
def epi_cases(request, limit: int = 100, offset: int = 0):
    require_any(request.user, selectors.VIEW)
    return [case_out(c) for c in selectors.case_qs(request.user)[offset:offset + min(limit, 500)]]


@router.post("/cases", response={201: CaseOut}, summary="登记病例")
def epi_case_create(request, payload: CaseIn):
    require_any(request.user, services.MANAGE)
    data = payload.dict()
    person = _person(request.user, data.pop("person_id"), services.MANAGE)
    return Status(201, case_out(services.case_register(actor=request.user, person=person, **data)))


@router.get("/cases/{case_id}", response=CaseOut, summary="一个病例（含流调记录）")
def epi_case_detail(request, case_id: int):
    return case_out(selectors.case_get(request.user, case_id))


@router.post("/cases/{case_id}/contacts", response={201: ContactOut}, summary="登记接触者（须人工确认）")
def epi_contact_create(request, case_id: int, payload: ContactIn):
    case = selectors.case_get(request.user, case_id)
    from fangkong.residents.models import Person

    person = Person.objects.filter(pk=payload.person_id).first()
    if person is None:
        raise ServiceError(_("找不到该居民。"), code="person_not_found", field="person_id")
    via = Contact.objects.filter(pk=payload.via_id, case=case).first() if payload.via_id else None
    c = services.contact_register(actor=request.user, case=case, person=person, category=payload.category,
                                  contact_date=payload.contact_date, situation=payload.situation, via=via,
                                  note=payload.note)
    return Status(201, contact_out(c))


@router.get("/cases/{case_id}/suggestions", response=list[SuggestionOut], summary="接触者建议（候选人）")
def epi_suggestions(request, case_id: int):
    case = selectors.case_get(request.user, case_id)
    return [{"id": s.pk, "person_id": s.person_id, "person_name": s.person.name, "source": s.source,
             "detail": s.detail, "state": s.state} for s in selectors.suggestion_qs(request.user, case)]


@router.post("/suggestions/{suggestion_id}/decide", response=dict, summary="确认或排除一条建议")
def epi_suggestion_decide(request, suggestion_id: int, payload: DecideSuggestionIn):
    s = ContactSuggestion.objects.select_related("case", "person").filter(pk=suggestion_id).first()
    if s is None:
        raise NotFound()
    selectors.case_get(request.user, s.case_id)
    if payload.decision == "confirm":
        c = services.suggestion_confirm(actor=request.user, suggestion=s, category=payload.category,
                                        contact_date=payload.contact_date, situation=payload.situation)
        return {"state": "confirmed", "contact_id": c.pk}
    if payload.decision == "dismiss":
        services.suggestion_dismiss(actor=request.user, suggestion=s, reason=payload.reason)
        return {"state": "dismissed"}
    raise ServiceError(_("decision 须为 confirm 或 dismiss。"), code="bad_decision", field="decision")


@router.get("/cases/{case_id}/chain", response=list[dict], summary="传播链（病例→密接→密接的密接）")
def epi_chain(request, case_id: int):
    case = selectors.case_get(request.user, case_id)

    def node(n):
        return {**contact_out(n.contact), "person_name": n.contact.person.name,
                "children": [node(m) for m in n.children]}

    return [node(n) for n in selectors.chain(request.user, case)]


@router.get("/persons/{person_id}/statuses", response=list[StatusOut], summary="一个人的管控状态及原因")
def epi_person_statuses(request, person_id: int):
    p = selectors.status_person_get(request.user, person_id)
    return [ln.__dict__ for ln in selectors.person_status_summary(request.user, p)]


@router.post("/manual-requests", response={201: RequestOut}, summary="申请人工管控（须另一人审批）")
def epi_request_create(request, payload: RequestIn):
    require_any(request.user, services.MANAGE)
    p = _person(request.user, payload.person_id, services.MANAGE)
    r = services.manual_request_create(actor=request.user, person=p, kind=payload.kind, start=payload.start,
                                       end=payload.end, reason=payload.reason)
    return Status(201, request_out(r))


@router.get("/manual-requests", response=list[RequestOut], summary="待审批的人工管控申请")
def epi_requests_pending(request):
    require_any(request.user, services.APPROVE)
    return [request_out(r) for r in selectors.request_qs(request.user, services.APPROVE).filter(state="pending")[:500]]


@router.post("/manual-requests/{request_id}/approve", response=dict, summary="批准（不能批准本人的申请）")
def epi_request_approve(request, request_id: int, payload: DecisionIn):
    r = selectors.request_get(request.user, request_id)
    s = services.manual_request_approve(actor=request.user, request=r, note=payload.note)
    return {"state": "approved", "status_id": s.pk}


@router.post("/manual-requests/{request_id}/reject", response=dict, summary="驳回")
def epi_request_reject(request, request_id: int, payload: DecisionIn):
    r = selectors.request_get(request.user, request_id)
    services.manual_request_reject(actor=request.user, request=r, note=payload.note)
    return {"state": "rejected"}


@router.get("/reports/unsupported-statuses", response=list[UnsupportedOut], summary="无依据状态（须始终为空）")
def epi_unsupported(request):
    require_any(request.user, selectors.STATUS_VIEW)
    return [{"id": s.pk, "person_id": s.person_id, "kind": s.kind, "origin": s.origin}
            for s in selectors.unsupported_statuses(request.user)[:500]]


@router.get("/assist-lists", response=list[AssistListOut], summary="协查名单")
def epi_assist_lists(request):
    require_any(request.user, services.ASSIST)
    return [{"id": x.pk, "title": x.title, "reason": x.reason, "deadline": x.deadline, "rows_total": x.rows_total,
             "rows_matched": x.rows_matched} for x in selectors.assist_list_qs(request.user)[:200]]


@router.get("/assist-lists/{list_id}/items", response=list[AssistItemOut], summary="协查名单条目")
def epi_assist_list_items(request, list_id: int, limit: int = 500, offset: int = 0):
    lst = selectors.assist_list_get(request.user, list_id)
    return [item_out(it) for it in selectors.assist_items(request.user, lst)[offset:offset + min(limit, 2000)]]


@router.get("/assist-items/mine", response=list[AssistItemOut], summary="本网格的协查任务")
def epi_assist_mine(request):
    require_any(request.user, services.ASSIST_OUTCOME)
    return [item_out(it) for it in selectors.my_assist_items(request.user)[:500]]


@router.post("/assist-items/{item_id}/outcome", response=AssistItemOut, summary="记录协查处置结果")
def epi_assist_outcome(request, item_id: int, payload: OutcomeIn):
    item = selectors.assist_item_get(request.user, item_id)
    return item_out(services.assist_item_outcome(actor=request.user, item=item, outcome=payload.outcome,
                                                 note=payload.note))
