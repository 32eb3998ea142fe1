from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from fangkong.core.errors import ServiceError
from fangkong.core.scoping import require_any
from fangkong.epi import rules
from fangkong.risk_areas import selectors, services

PREFIX = "/risk-areas"
router = Router(tags=["risk_areas"])


class MemberOut(Schema):
    id: int
    kind: str
    area_code: str
    floor: int | None
    room: str
    boundary_text: str
    outline: dict | None  # GeoJSON Polygon
    excluded: list[int]


class MemberIn(Schema):
    kind: str = "node"  # node | floor | room | boundary | rest
    area_code: str
    floor: int | None = None
    room: str = ""
    boundary_text: str = ""
    outline: Any = Field(None, description='GeoJSON Polygon/Feature, [[lng, lat], ...] or "lng,lat" lines')
    excluded: list[int] = Field(default_factory=list, description="kind rest: ids of the risk areas left out")


class RiskAreaIn(Schema):
    level: str
    members: list[MemberIn]
    ruleset_id: str | None = None
    name: str = ""
    measures: str = ""
    notes: str = ""


class DesignateIn(Schema):
    effective_at: datetime
    level: str | None = None
    note: str = ""


class OutlineIn(Schema):
    outline: Any = Field(None, description="GeoJSON Polygon/Feature or \"lng,lat\" lines; null clears it")


class RiskAreaOut(Schema):
    id: int
    name: str
    county: str
    status: str
    level: str
    level_name: str
    measures: str
    designated_at: datetime | None
    level_since: datetime | None
    ruleset_id: str
    members: list[MemberOut]


class DecisionOut(Schema):
    eligible: bool
    from_level: str
    to_level: str | None
    eligible_from: date | None
    earliest_possible: date | None
    rule_id: str
    reasons: list[str]


class NoticeOut(Schema):
    id: int
    title: str
    issuer: str
    number: int | None
    status: str
    effective_at: datetime
    published_on: date | None


def _out(ra) -> dict:
    level = ra.level or ra.proposed_level
    return {"id": ra.pk, "name": selectors.risk_area_display_name(ra), "county": ra.county.name if ra.county else "",
            "status": ra.status, "level": level,
            "level_name": rules.level_name(selectors.ruleset_of(ra), level) if level else "",
            "measures": ra.measures, "designated_at": ra.designated_at, "level_since": ra.level_since,
            "ruleset_id": ra.ruleset_id,
            "members": [{"id": m.pk, "kind": m.kind, "area_code": m.area.code if m.area else "", "floor": m.floor,
                         "room": m.room, "boundary_text": m.boundary_text, "outline": m.outline,
                         "excluded": [ex.pk for ex in m.excluded.all()]}
                        for m in ra.members.all()]}


def _member_spec(actor, m: MemberIn) -> dict:
    from fangkong.areas.models import Area
    from fangkong.core.scoping import scope

    area = scope(Area.objects.all(), actor, services.MANAGE, field="path").filter(code=m.area_code.strip()).first()
    if area is None:
        raise ServiceError(_("找不到该区域，或它不在您的辖区内。"), code="area", field="area_code")
    return {"kind": m.kind, "area": area, "floor": m.floor, "room": m.room, "boundary_text": m.boundary_text,
            "outline": m.outline,
            "excluded": [selectors.risk_area_get(actor, pk, services.MANAGE) for pk in m.excluded]}


def _fresh(actor, pk: int):
    return selectors.risk_area_qs(actor).prefetch_related("members__area", "members__excluded").get(pk=pk)


@router.get("/", response=list[RiskAreaOut], summary="风险区域（生效中，可按状态筛选）")
def risk_area_list(request, status: str = "active"):
    require_any(request.user, selectors.VIEW)
    qs = selectors.risk_area_qs(request.user).prefetch_related("members__area", "members__excluded")
    if status != "all":
        qs = qs.filter(status=status)
    return [_out(ra) for ra in qs.order_by("county__code", "area_path", "id")[:1000]]


@router.get("/notices", response=list[NoticeOut], summary="通告")
def notice_list(request):
    require_any(request.user, selectors.VIEW)
    return [{"id": n.pk, "title": n.title, "issuer": n.issuer.name, "number": n.number, "status": n.status,
             "effective_at": n.effective_at, "published_on": n.published_on}
            for n in selectors.notice_qs(request.user).order_by("-created_at")[:200]]


@router.post("/", response={201: RiskAreaOut}, summary="新建拟划定的风险区域（组成可含文字边界的 GeoJSON 轮廓、“其他区域”）")
def risk_area_create(request, payload: RiskAreaIn):
    require_any(request.user, services.MANAGE)
    ra = services.risk_area_create(
        actor=request.user, level=payload.level, members=[_member_spec(request.user, m) for m in payload.members],
        name=payload.name, measures=payload.measures or None, ruleset_id=payload.ruleset_id, notes=payload.notes)
    return Status(201, _out(_fresh(request.user, ra.pk)))


@router.get("/{pk}", response=RiskAreaOut, summary="一个风险区域")
def risk_area_get(request, pk: int):
    return _out(_fresh(request.user, selectors.risk_area_get(request.user, pk).pk))


@router.post("/{pk}/designate", response=RiskAreaOut, summary="直接划定（不发通告）")
def risk_area_designate(request, pk: int, payload: DesignateIn):
    ra = selectors.risk_area_get(request.user, pk, services.MANAGE)
    services.risk_area_designate(actor=request.user, risk_area=ra, effective_at=payload.effective_at,
                                 level=payload.level, note=payload.note)
    return _out(_fresh(request.user, ra.pk))


@router.post("/{pk}/members", response={201: RiskAreaOut}, summary="增加组成部分")
def risk_area_member_add(request, pk: int, payload: MemberIn):
    ra = selectors.risk_area_get(request.user, pk, services.MANAGE)
    services.risk_area_member_add(actor=request.user, risk_area=ra, member=_member_spec(request.user, payload))
    return Status(201, _out(_fresh(request.user, ra.pk)))


@router.put("/{pk}/members/{member_pk}/outline", response=RiskAreaOut, summary="绘制文字边界的轮廓（GeoJSON）")
def risk_area_member_outline(request, pk: int, member_pk: int, payload: OutlineIn):
    from fangkong.core.errors import NotFound

    ra = selectors.risk_area_get(request.user, pk, services.MANAGE)
    member = ra.members.filter(pk=member_pk).first()
    if member is None:
        raise NotFound()
    services.risk_area_member_outline_set(actor=request.user, risk_area=ra, member=member, outline=payload.outline)
    return _out(_fresh(request.user, ra.pk))


@router.get("/{pk}/downgrade", response=DecisionOut, summary="降级研判（依据防控方案）")
def risk_area_downgrade(request, pk: int, today: date | None = None):
    ra = selectors.risk_area_get(request.user, pk)
    d = selectors.risk_area_downgrade_decision(ra, today=today or timezone.localdate())
    if d is None:
        return {"eligible": False, "from_level": ra.level, "to_level": None, "eligible_from": None,
                "earliest_possible": None, "rule_id": "", "reasons": [_("该区域当前未生效")]}
    return {"eligible": d.eligible, "from_level": d.from_level, "to_level": d.to_level,
            "eligible_from": d.eligible_from, "earliest_possible": d.earliest_possible, "rule_id": d.rule_id,
            "reasons": d.reasons}
