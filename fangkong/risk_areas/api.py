from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone
from ninja import Router, Schema

from fangkong.core.scoping import require_any
from fangkong.epi import rules
from fangkong.risk_areas import selectors

PREFIX = "/risk-areas"
router = Router(tags=["risk_areas"])


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
            "ruleset_id": ra.ruleset_id}


@router.get("/", response=list[RiskAreaOut], summary="风险区域（生效中，可按状态筛选）")
def risk_area_list(request, status: str = "active"):
    require_any(request.user, selectors.VIEW)
    qs = selectors.risk_area_qs(request.user).prefetch_related("members__area")
    if status != "all":
        qs = qs.filter(status=status)
    return [_out(ra) for ra in qs.order_by("county__code", "area_path", "id")[:1000]]


@router.get("/notices", response=list[NoticeOut], summary="通告")
def notice_list(request):
    require_any(request.user, selectors.VIEW)
    return [{"id": n.pk, "title": n.title, "issuer": n.issuer.name, "number": n.number, "status": n.status,
             "effective_at": n.effective_at, "published_on": n.published_on}
            for n in selectors.notice_qs(request.user).order_by("-created_at")[:200]]


@router.get("/{pk}", response=RiskAreaOut, summary="一个风险区域")
def risk_area_get(request, pk: int):
    return _out(selectors.risk_area_get(request.user, pk))


@router.get("/{pk}/downgrade", response=DecisionOut, summary="降级研判（依据防控方案）")
def risk_area_downgrade(request, pk: int, today: date | None = None):
    ra = selectors.risk_area_get(request.user, pk)
    d = selectors.risk_area_downgrade_decision(ra, today=today or timezone.localdate())
    if d is None:
        return {"eligible": False, "from_level": ra.level, "to_level": None, "eligible_from": None,
                "earliest_possible": None, "rule_id": "", "reasons": ["该区域当前未生效"]}
    return {"eligible": d.eligible, "from_level": d.from_level, "to_level": d.to_level,
            "eligible_from": d.eligible_from, "earliest_possible": d.earliest_possible, "rule_id": d.rule_id,
            "reasons": d.reasons}
