"""The isolation JSON API (/api/v1/isolation/): sites with capacity, admissions and transfers, daily checks,
home follow-ups, tests, today's work lists, the staff's calls, needs, and the four-eyes release.

Thin: the same selectors (scoping: `selectors.episode_qs` / `site_qs`) and services as the pages; out of
scope answers 404. Recordings sent by devices carry a `client_id`: a retry with the same id changes nothing
and answers with the record as stored the first time (`"replayed": true`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext
from ninja import Field, Router, Schema, Status

from fangkong.areas.models import Area
from fangkong.audit.services import access_record
from fangkong.core.errors import NotFound, ServiceError
from fangkong.core.scoping import has_any, require_any, scope
from fangkong.isolation import selectors, services
from fangkong.isolation.models import OPEN_STATES, EpisodeState, Room

PREFIX = "/isolation"
router = Router(tags=["isolation"])


# -- schemas -----------------------------------------------------------------------------------------


class SiteOut(Schema):
    id: int
    name: str
    area: str
    address: str
    phone: str
    active: bool
    rooms: int
    occupied: int
    persons: int
    free: int


def site_out(cap: dict) -> dict:
    s = cap["site"]
    return {
        "id": s.pk,
        "name": s.name,
        "area": s.area_path,
        "address": s.address,
        "phone": s.phone,
        "active": s.active,
        "rooms": cap["rooms"],
        "occupied": cap["occupied"],
        "persons": cap["persons"],
        "free": cap["free"],
    }


class TransferOut(Schema):
    pickup_place: str
    pickup_at: dt.datetime
    vehicle: str
    escort: str
    arrived_at: dt.datetime | None
    flagged_at: dt.datetime | None


class EpisodeOut(Schema):
    id: int
    person_id: int
    person_name: str
    mode: str
    state: str
    site_id: int | None
    room: str | None
    ruleset_id: str
    category: str
    rule_id: str
    isolation_start: dt.date
    phase_start: dt.date
    phase_end: dt.date | None
    test_dates: list[str]
    caller: str | None
    release_proposed_by: str | None
    released_on: dt.date | None
    handover_text: str
    transfer: TransferOut | None


def episode_out(ep) -> dict:
    tr = getattr(ep, "transfer", None) if ep.mode == "centralized" else None
    return {
        "id": ep.pk,
        "person_id": ep.person_id,
        "person_name": ep.person.name,
        "mode": ep.mode,
        "state": ep.state,
        "site_id": ep.site_id,
        "room": ep.room.number if ep.room_id else None,
        "ruleset_id": ep.ruleset_id,
        "category": ep.category,
        "rule_id": ep.rule_id,
        "isolation_start": ep.isolation_start,
        "phase_start": ep.phase_start,
        "phase_end": ep.phase_end,
        "test_dates": ep.test_dates,
        "caller": ep.caller.username if ep.caller_id else None,
        "release_proposed_by": ep.release_proposed_by.username if ep.release_proposed_by_id else None,
        "released_on": ep.released_on,
        "handover_text": ep.handover_text,
        "transfer": None
        if tr is None
        else {
            "pickup_place": tr.pickup_place,
            "pickup_at": tr.pickup_at,
            "vehicle": tr.vehicle,
            "escort": tr.escort,
            "arrived_at": tr.arrived_at,
            "flagged_at": tr.flagged_at,
        },
    }


class TaskOut(Schema):
    id: int
    episode_id: int
    person_name: str
    room: str | None
    kind: str
    due_date: dt.date
    slot: str
    test_day: int | None
    state: str
    outcome: str
    temperature: float | None
    symptoms: str
    result: str
    sampled_on: dt.date | None
    replayed: bool = False


def task_out(t) -> dict:
    """A task in full: the work-list row plus what was recorded on it."""
    return {
        **_brief(t),
        "outcome": getattr(t, "outcome", ""),
        "temperature": float(t.temperature) if getattr(t, "temperature", None) is not None else None,
        "symptoms": getattr(t, "symptoms", ""),
        "result": getattr(t, "result", ""),
        "sampled_on": getattr(t, "sampled_on", None),
        "replayed": getattr(t, "replayed", False),
    }


def _brief(t) -> dict:
    """A work-list row (the selector loads only the columns a list shows)."""
    ep = t.episode
    return {
        "id": t.pk,
        "episode_id": t.episode_id,
        "person_name": ep.person.name,
        "room": ep.room.number if ep.room_id else None,
        "kind": t.kind,
        "due_date": t.due_date,
        "slot": t.slot,
        "test_day": t.test_day,
        "state": t.state,
    }


def _ep_brief(e) -> dict:
    return {
        "id": e.pk,
        "person_name": e.person.name,
        "state": e.state,
        "phase_end": e.phase_end,
        "room": e.room.number if e.room_id else None,
    }


def worklist_out(wl: dict) -> dict:
    out = {
        k: [_brief(t) for t in wl[k]]
        for k in ("follow_ups_due", "tests_due", "follow_ups_missed", "tests_overdue")
    }
    out.update(
        {
            k: [_ep_brief(e) for e in wl.get(k, [])]
            for k in ("releases_due", "ending_today", "release_proposed", "in_transfer")
        }
    )
    out["counts"] = wl["counts"]
    out["done"] = wl["done"]
    if "capacity" in wl:
        out["capacity"] = site_out(wl["capacity"])
    return out


class TransferIn(Schema):
    pickup_place: str
    pickup_at: dt.datetime
    vehicle: str
    escort: str


class AdmitIn(Schema):
    person_id: int
    mode: str = Field(..., description="centralized | home")
    site_id: int | None = None
    room_id: int | None = None
    control_status_id: int | None = None
    ruleset_id: str = ""
    category: str = ""
    last_exposure: dt.date | None = None
    start: dt.date | None = None
    transfer: TransferIn | None = None
    guardians: list[dict] = Field(
        default_factory=list, description='[{"username": "…", "team_role": "网格员"}]'
    )


class ArriveIn(Schema):
    at: dt.datetime | None = None


class NeedItem(Schema):
    kind: str = Field(..., description="medicine | phone_credit | anxiety | other | supplies | medical")
    text: str = ""


class CheckIn(Schema):
    client_id: str | None = Field(None, description="终端生成的唯一编号（重传不会重复登记）")
    temperature: Decimal
    symptoms: str = ""
    note: str = ""
    needs: list[NeedItem] = Field(default_factory=list)


class FollowUpIn(Schema):
    client_id: str | None = None
    outcome: str = Field(..., description="seen_well | seen_unwell | not_reached | not_done")
    temperature: Decimal | None = None
    symptoms: str = ""
    note: str = ""
    needs: list[NeedItem] = Field(default_factory=list)


class TestResultIn(Schema):
    client_id: str | None = None
    result: str = Field(..., description="negative | positive")
    sampled_on: dt.date | None = None
    note: str = ""


class NeedIn(Schema):
    client_id: str | None = None
    kind: str
    text: str = ""


class NeedDoneIn(Schema):
    note: str = ""


class NeedOut(Schema):
    id: int
    episode_id: int
    person_name: str
    kind: str
    text: str
    done: bool
    done_note: str
    raised_at: dt.datetime
    call_id: int | None
    task_id: int | None
    replayed: bool = False


def need_out(n) -> dict:
    return {
        "id": n.pk,
        "episode_id": n.episode_id,
        "person_name": n.episode.person.name,
        "kind": n.kind,
        "text": n.text,
        "done": n.done,
        "done_note": n.done_note,
        "raised_at": n.raised_at,
        "call_id": n.call_id,
        "task_id": n.task_id,
        "replayed": getattr(n, "replayed", False),
    }


class CallIn(Schema):
    client_id: str | None = None
    episode_id: int
    slot: str = Field(..., description="am（上午）| pm（下午/晚间）")
    reached: bool
    at: dt.datetime | None = None
    note: str = ""
    needs: list[NeedItem] = Field(default_factory=list, description="medicine, phone_credit, anxiety, other")


class CallOut(Schema):
    id: int
    episode_id: int
    caller: str
    called_at: dt.datetime
    date: dt.date
    slot: str
    reached: bool
    note: str
    needs: list[dict]
    replayed: bool = False


def call_out(c) -> dict:
    return {
        "id": c.pk,
        "episode_id": c.episode_id,
        "caller": c.caller.username,
        "called_at": c.called_at,
        "date": c.date,
        "slot": c.slot,
        "reached": c.reached,
        "note": c.note,
        "needs": [{"id": n.pk, "kind": n.kind, "text": n.text} for n in c.needs.all()],
        "replayed": getattr(c, "replayed", False),
    }


class ReleaseOut(Schema):
    id: int
    state: str
    reasons: list[str]
    proposed_by: str | None
    released_by: str | None
    released_on: dt.date | None
    handover_text: str


def release_out(ep) -> dict:
    return {
        "id": ep.pk,
        "state": ep.state,
        "reasons": ep.release_reasons,
        "proposed_by": ep.release_proposed_by.username if ep.release_proposed_by_id else None,
        "released_by": ep.released_by.username if ep.released_by_id else None,
        "released_on": ep.released_on,
        "handover_text": ep.handover_text,
    }


def _any_iso(actor) -> None:
    """Lists: 403 for users with no isolation role at all."""
    if not (
        has_any(actor, selectors.VIEW)
        or has_any(actor, selectors.SITE_WORK)
        or has_any(actor, selectors.FOLLOW_UP)
    ):
        require_any(actor, selectors.VIEW)


def _needs(items) -> list[tuple[str, str]]:
    return [(n.kind, n.text) for n in items]


# -- sites and capacity ------------------------------------------------------------------------------


@router.get("/sites", response=list[SiteOut], summary="隔离点及容量、入住（本人可见范围）")
def isolation_sites(request):
    if not has_any(request.user, selectors.SITE_WORK):
        require_any(request.user, selectors.VIEW)
    sites = list(selectors.site_qs(request.user).filter(active=True)[:500])
    return [site_out(c) for c in selectors.site_capacity(sites)]


@router.get("/sites/{site_id}", response=SiteOut, summary="一个隔离点的容量与入住")
def isolation_site(request, site_id: int):
    site = selectors.site_get(request.user, site_id)
    return site_out(selectors.site_capacity([site])[0])


@router.get("/sites/{site_id}/worklist", response=dict, summary="隔离点今日工作清单")
def isolation_site_worklist(
    request, site_id: int, date: dt.date | None = None, limit: int = selectors.LIST_LIMIT
):
    site = selectors.site_get(request.user, site_id)
    return worklist_out(selectors.worklist_site(request.user, site, date, limit=max(1, min(limit, 500))))


@router.get("/areas/{code}/worklist", response=dict, summary="区域（网格、社区……）居家隔离今日工作清单")
def isolation_area_worklist(
    request, code: str, date: dt.date | None = None, limit: int = selectors.LIST_LIMIT
):
    require_any(request.user, selectors.VIEW)
    area = scope(Area.objects.all(), request.user, selectors.VIEW, field="path").filter(code=code).first()
    if area is None:
        raise NotFound()
    return worklist_out(selectors.worklist_area(request.user, area.path, date, limit=max(1, min(limit, 500))))


# -- episodes: admission, transfer -------------------------------------------------------------------


@router.get("/episodes", response=list[EpisodeOut], summary="隔离人员（默认在隔离中）")
def isolation_episodes(
    request,
    state: str = "open",
    mode: str = "",
    site_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
):
    _any_iso(request.user)
    qs = selectors.episode_qs(request.user).select_related("transfer", "release_proposed_by")
    if state == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif state in EpisodeState.values:
        qs = qs.filter(state=state)
    if mode:
        qs = qs.filter(mode=mode)
    if site_id is not None:
        qs = qs.filter(site_id=site_id)
    return [episode_out(e) for e in qs[offset : offset + min(limit, 500)]]


@router.get("/episodes/{episode_id}", response=EpisodeOut, summary="一人的隔离（读取留痕）")
def isolation_episode(request, episode_id: int):
    ep = selectors.episode_get(request.user, episode_id)
    access_record(actor=request.user, obj=ep.person, area_path=ep.area_path)
    return episode_out(ep)


@router.get("/episodes/{episode_id}/tasks", response=list[TaskOut], summary="一人的随访与检测任务")
def isolation_episode_tasks(request, episode_id: int):
    ep = selectors.episode_get(request.user, episode_id)
    return [
        task_out(t)
        for t in ep.tasks.select_related("episode__person", "episode__room").order_by(
            "due_date", "kind", "slot"
        )
    ]


@router.post("/episodes", response={201: EpisodeOut}, summary="登记隔离（集中隔离可附点对点转运）")
def isolation_admit(request, payload: AdmitIn):
    from fangkong.accounts.models import User
    from fangkong.epi.models import ControlStatus
    from fangkong.residents.models import Person

    require_any(request.user, selectors.MANAGE)
    person = (
        scope(Person.objects.select_related("household"), request.user, selectors.MANAGE)
        .filter(pk=payload.person_id)
        .first()
    )
    if person is None:
        raise NotFound()
    site = room = None
    if payload.site_id is not None:
        site = selectors.site_qs(request.user).filter(pk=payload.site_id).first()
        if site is None:
            raise ServiceError(gettext("找不到该隔离点。"), code="site_not_found", field="site_id")
        if payload.room_id is not None:
            room = Room.objects.filter(site=site, pk=payload.room_id).first()
            if room is None:
                raise ServiceError(
                    gettext("房间不属于该隔离点或不可用。"), code="room_invalid", field="room_id"
                )
    status = None
    if payload.control_status_id is not None:
        status = ControlStatus.objects.filter(pk=payload.control_status_id, person=person).first()
        if status is None:
            raise ServiceError(
                gettext("管控状态不属于该人员。"), code="status_mismatch", field="control_status_id"
            )
    transfer = None
    if payload.transfer is not None:
        t = payload.transfer
        transfer = services.TransferIn(t.pickup_place, t.pickup_at, t.vehicle, t.escort)
    guardians = []
    for g in payload.guardians:
        user = User.objects.filter(username=str(g.get("username", "")), is_active=True).first()
        if user is None:
            raise ServiceError(
                gettext("找不到用户：%(u)s") % {"u": g.get("username", "")},
                code="user_not_found",
                field="guardians",
            )
        guardians.append((user, str(g.get("team_role", "")) or "志愿者"))
    ep = services.episode_admit(
        actor=request.user,
        person=person,
        mode=payload.mode,
        site=site,
        room=room,
        control_status=status,
        ruleset_id=payload.ruleset_id,
        category=payload.category,
        last_exposure=payload.last_exposure,
        start=payload.start,
        transfer=transfer,
        guardians=guardians,
    )
    return Status(201, episode_out(selectors.episode_get(request.user, ep.pk)))


@router.post("/episodes/{episode_id}/arrive", response=EpisodeOut, summary="转运到达（接收入住）")
def isolation_arrive(request, episode_id: int, payload: ArriveIn):
    ep = selectors.episode_get(request.user, episode_id)
    services.transfer_arrive(actor=request.user, episode=ep, at=payload.at)
    return episode_out(selectors.episode_get(request.user, ep.pk))


# -- today's tasks, checks, follow-ups, tests --------------------------------------------------------


@router.get("/tasks/today", response=list[TaskOut], summary="我今天的任务（包保对象、所在隔离点）")
def isolation_my_tasks(request, site_id: int | None = None, date: dt.date | None = None, state: str = ""):
    if not (has_any(request.user, selectors.SITE_WORK) or has_any(request.user, selectors.FOLLOW_UP)):
        require_any(request.user, selectors.SITE_WORK)
    qs = selectors.my_tasks(request.user, date, site_id=site_id)
    if state:
        qs = qs.filter(state=state)
    return [task_out(t) for t in qs[:1000]]


@router.post("/tasks/{task_id}/check", response=TaskOut, summary="隔离点每日测温与症状（按 client_id 幂等）")
def isolation_check(request, task_id: int, payload: CheckIn):
    task = selectors.task_get(request.user, task_id)
    if task.episode.mode != "centralized":
        raise ServiceError(gettext("居家隔离请登记随访结果。"), code="wrong_mode")
    t = services.check_record(
        actor=request.user,
        task=task,
        temperature=payload.temperature,
        symptoms=payload.symptoms,
        note=payload.note,
        needs=_needs(payload.needs),
        client_id=payload.client_id,
    )
    return task_out(t)


@router.post(
    "/tasks/{task_id}/follow-up", response=TaskOut, summary="居家隔离随访：结果与体温（按 client_id 幂等）"
)
def isolation_follow_up(request, task_id: int, payload: FollowUpIn):
    task = selectors.task_get(request.user, task_id)
    t = services.follow_up_record(
        actor=request.user,
        task=task,
        outcome=payload.outcome,
        temperature=payload.temperature,
        symptoms=payload.symptoms,
        note=payload.note,
        needs=_needs(payload.needs),
        client_id=payload.client_id,
    )
    return task_out(t)


@router.post("/tasks/{task_id}/test-result", response=TaskOut, summary="核酸检测结果（按 client_id 幂等）")
def isolation_test_result(request, task_id: int, payload: TestResultIn):
    task = selectors.task_get(request.user, task_id)
    t = services.test_record(
        actor=request.user,
        task=task,
        result=payload.result,
        sampled_on=payload.sampled_on,
        note=payload.note,
        client_id=payload.client_id,
    )
    return task_out(t)


# -- release (four eyes) -----------------------------------------------------------------------------


@router.post(
    "/episodes/{episode_id}/release/propose", response=ReleaseOut, summary="申请解除隔离（须期满且检测齐全）"
)
def isolation_release_propose(request, episode_id: int):
    ep = selectors.episode_get(request.user, episode_id)
    return release_out(services.release_propose(actor=request.user, episode=ep))


@router.post(
    "/episodes/{episode_id}/release/approve", response=ReleaseOut, summary="审批解除（须申请人以外的另一人）"
)
def isolation_release_approve(request, episode_id: int):
    ep = selectors.episode_get(request.user, episode_id)
    return release_out(services.release_approve(actor=request.user, episode=ep))


# -- needs -------------------------------------------------------------------------------------------


@router.get("/needs", response=list[NeedOut], summary="诉求（默认未办结）")
def isolation_needs(request, done: bool = False, limit: int = 200, offset: int = 0):
    _any_iso(request.user)
    qs = selectors.need_qs(request.user).filter(done=done)
    return [need_out(n) for n in qs[offset : offset + min(limit, 500)]]


@router.post(
    "/episodes/{episode_id}/needs",
    response={200: NeedOut, 201: NeedOut},
    summary="提出诉求（按 client_id 幂等）",
)
def isolation_need_raise(request, episode_id: int, payload: NeedIn):
    ep = selectors.episode_get(request.user, episode_id)
    n = services.need_raise(
        actor=request.user, episode=ep, kind=payload.kind, text=payload.text, client_id=payload.client_id
    )
    return Status(200 if n.replayed else 201, need_out(n))


@router.post("/needs/{need_id}/done", response=NeedOut, summary="诉求办结")
def isolation_need_done(request, need_id: int, payload: NeedDoneIn):
    need = selectors.need_qs(request.user).filter(pk=need_id).first()
    if need is None:
        raise NotFound()
    return need_out(services.need_done(actor=request.user, need=need, note=payload.note))


# -- calls -------------------------------------------------------------------------------------------


@router.get("/sites/{site_id}/calls", response=dict, summary="我的电话随访名单：今日上午、下午已打/未打")
def isolation_call_sheet(request, site_id: int, date: dt.date | None = None):
    site = selectors.site_get(request.user, site_id)
    sheet = selectors.call_sheet(request.user, site, date)

    def c(call):
        return None if call is None else {"id": call.pk, "called_at": call.called_at, "reached": call.reached}

    return {
        "date": date or selectors.today(),
        "counts": selectors.call_counts(sheet),
        "rows": [
            {
                "episode_id": r["episode"].pk,
                "person_name": r["episode"].person.name,
                "phone": r["episode"].person.phone,
                "room": r["episode"].room.number if r["episode"].room_id else None,
                "am": c(r["am"]),
                "pm": c(r["pm"]),
                "am_count": r["am_count"],
                "pm_count": r["pm_count"],
            }
            for r in sheet
        ],
    }


@router.get("/sites/{site_id}/calls/missing", response=list[dict], summary="今日未打的电话（按工作人员）")
def isolation_calls_missing(request, site_id: int, date: dt.date | None = None):
    site = selectors.site_get(request.user, site_id)
    return [
        {
            "caller": r["caller"].username if r["caller"] else None,
            "assigned": r["assigned"],
            "missing": r["missing"],
            "people": [
                {
                    "episode_id": x["episode"].pk,
                    "person_name": x["episode"].person.name,
                    "room": x["episode"].room.number if x["episode"].room_id else None,
                    "slots": x["missing"],
                }
                for x in r["rows"]
            ],
        }
        for r in selectors.calls_missing(request.user, site, date)
    ]


@router.post("/calls", response={200: CallOut, 201: CallOut}, summary="登记一次电话随访（按 client_id 幂等）")
def isolation_call_record(request, payload: CallIn):
    ep = selectors.episode_get(request.user, payload.episode_id)
    at = payload.at
    if at is not None and timezone.is_naive(at):
        at = timezone.make_aware(at)
    call = services.call_record(
        actor=request.user,
        episode=ep,
        slot=payload.slot,
        reached=payload.reached,
        needs=_needs(payload.needs),
        note=payload.note,
        at=at,
        client_id=payload.client_id,
    )
    return Status(200 if call.replayed else 201, call_out(call))
