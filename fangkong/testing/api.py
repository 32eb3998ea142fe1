"""The testing API: rounds, the sampling terminals' bindings, lab results, coverage and lists.

Thin: schema in, the same services and selectors as the pages, schema out."""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from ninja import Field, Router, Schema, Status

from fangkong.areas.models import Area
from fangkong.audit.services import access_record
from fangkong.core.errors import ServiceError
from fangkong.core.masking import mask_name
from fangkong.core.scoping import get_or_404, require_any
from fangkong.residents.idnumbers import mask_id_number
from fangkong.testing import selectors, services
from fangkong.testing.choices import Mode

PREFIX = "/testing"
router = Router(tags=["testing"])


class RoundAreaIn(Schema):
    area: str = Field(..., description="区域代码")
    mode: str = Field(Mode.POOL, description="single | household | pool")
    capacity: int | None = Field(None, description="每管人数：1/5/10/20（缺省按方式：单管 1，其余 10）")


class RoundIn(Schema):
    name: str
    area: str = Field(..., description="发起区域代码（指挥部：全市；区县）")
    starts_at: dt.datetime
    ends_at: dt.datetime
    areas: list[RoundAreaIn]
    infant_age_years: int = 3


class RoundOut(Schema):
    id: int
    name: str
    area: str
    status: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    areas: list[dict]


def round_out(r) -> dict:
    return {"id": r.pk, "name": r.name, "area": r.area.code, "status": r.status, "starts_at": r.starts_at,
            "ends_at": r.ends_at, "areas": [{"area": ra.area.code, "mode": ra.mode, "capacity": ra.capacity}
                                             for ra in selectors.round_areas(r)]}


@router.post("/rounds", response={201: RoundOut}, summary="开启一轮区域核酸筛查")
def round_create(request, payload: RoundIn):
    require_any(request.user, services.MANAGE)
    area = get_or_404(Area.objects.all(), request.user, services.MANAGE, field="path", code=payload.area)
    specs = []
    for a in payload.areas:
        target = get_or_404(Area.objects.all(), request.user, services.MANAGE, field="path", code=a.area)
        from fangkong.testing.rules import default_capacity

        specs.append(services.AreaSpec(target, a.mode, a.capacity or default_capacity(a.mode)))
    r = services.round_create(actor=request.user, name=payload.name, area=area, starts_at=payload.starts_at,
                              ends_at=payload.ends_at, areas=specs, infant_age_years=payload.infant_age_years)
    return Status(201, round_out(r))


@router.get("/rounds", response=list[RoundOut], summary="我可查看的轮次")
def round_list(request):
    require_any(request.user, services.VIEW)
    return [round_out(r) for r in selectors.round_qs(request.user).select_related("area")[:100]]


class BindingIn(Schema):
    client_id: str = Field(..., description="终端生成的唯一编号（重传不会重复入库）")
    round: int
    tube: str = Field(..., description="管码")
    capacity: int = Field(..., description="1/5/10/20")
    table: int = Field(..., description="采样台 id")
    id_type: str = Field("citizen_id", description="证件类型")
    id_number: str
    sampled_at: str = Field(..., description="采样时间（ISO 8601；离线补传保留原时间）")


class BindingsIn(Schema):
    items: list[dict] = Field(..., description="每项字段见 BindingIn", max_length=1000)


class BindingResult(Schema):
    client_id: str
    status: str = Field(..., description="accepted | duplicate | rejected")
    reason: str = ""
    message: str | None = None
    flags: list[str] | None = Field(None, description="repeat（本轮已在其他试管采过）、walk_in（临时登记）")


class BindingsOut(Schema):
    results: list[BindingResult]


@router.post("/bindings", response=BindingsOut, summary="采样绑定（批量、幂等）",
             description="每项：client_id, round, tube, capacity, table, id_type, id_number, sampled_at。"
                         "逐项答复 accepted / duplicate / rejected（附原因）。应答前已提交。")
def bindings(request, payload: BindingsIn):
    require_any(request.user, services.SAMPLE)
    return {"results": services.bindings_ingest(actor=request.user, items=payload.items)}


class TubeOut(Schema):
    barcode: str
    capacity: int
    status: str
    count: int
    result: str


@router.post("/tubes/{barcode}/close", response=TubeOut, summary="封管")
def tube_close(request, barcode: str):
    require_any(request.user, services.SAMPLE)
    t = services.tube_close(actor=request.user, barcode=barcode)
    return {"barcode": t.barcode, "capacity": t.capacity, "status": t.status, "count": t.count, "result": t.result}


class BoxIn(Schema):
    box: str
    tubes: list[str]


@router.post("/boxes", summary="装箱并交转运")
def box_pack(request, payload: BoxIn):
    require_any(request.user, services.SAMPLE)
    box = services.box_pack(actor=request.user, barcode=payload.box, tubes=payload.tubes)
    return {"box": box.barcode, "status": box.status}


@router.post("/boxes/{barcode}/receive", summary="实验室接收转运箱")
def box_receive(request, barcode: str):
    require_any(request.user, services.LAB)
    box = services.box_receive(actor=request.user, barcode=barcode)
    return {"box": box.barcode, "status": box.status}


class ResultItem(Schema):
    tube: str
    result: str = Field(..., description="negative | positive | invalid")


class ResultsIn(Schema):
    items: list[dict] = Field(..., description="每项：tube, result", max_length=20000)


class ResultOut(Schema):
    tube: str
    status: str
    reason: str = ""
    message: str | None = None


@router.post("/results", response={200: dict}, summary="检测结果（按管，幂等）")
def results(request, payload: ResultsIn):
    require_any(request.user, services.LAB)
    return {"results": services.results_ingest(actor=request.user, items=payload.items)}


class CoverageOut(Schema):
    round: int
    area: str
    area_name: str
    should: int
    tested: int
    untested: int
    exempt: int
    pending: int
    pool_positive: int
    positive: int
    negative: int
    invalid: int
    sampled: int
    rate: float
    children: list[dict]


@router.get("/rounds/{round_id}/coverage", response=CoverageOut, summary="应检尽检：一个区域的覆盖情况")
def coverage(request, round_id: int, area: str | None = None, children: bool = False):
    r = selectors.round_get(request.user, round_id)
    a = selectors.coverage_area(request.user, r, area)
    out = {"round": r.pk, "area": a.code, "area_name": a.name, **selectors.coverage_totals(r, a), "children": []}
    if children:
        out["children"] = [{"area": c.code, "name": c.name, **f} for c, f in selectors.coverage_children(r, a)]
    return out


def _page(qs, page: int, size: int):
    paginator = Paginator(qs, max(1, min(size, 500)))
    if page < 1 or page > max(1, paginator.num_pages):
        return paginator, []
    return paginator, list(paginator.page(page).object_list)


@router.get("/rounds/{round_id}/untested", summary="未检人员名单（脱敏）")
def untested(request, round_id: int, area: str | None = None, door_to_door: bool = False, page: int = 1,
             size: int = 100):
    r = selectors.round_get(request.user, round_id)
    a = selectors.coverage_area(request.user, r, area)
    qs = selectors.door_to_door_qs(r, a) if door_to_door else selectors.untested_qs(r, a)
    paginator, rows = _page(qs, page, size)
    access_record(actor=request.user, kind="search", object_type="testing.untested", object_id=r.pk,
                  object_repr=f"{r.name} {a.name}", area_path=a.path, detail={"page": page, "count": len(rows)})
    return {"count": paginator.count, "page": page, "results": [
        {"person": p.pk, "name": mask_name(p.name), "id_number": mask_id_number(p.id_number),
         "area": p.area.name, "address": p.household.address if p.household_id else "", "area_path": p.area_path}
        for p in rows]}


@router.get("/rounds/{round_id}/recalls", summary="混管阳性召回名单")
def recalls(request, round_id: int, area: str | None = None, status: str | None = None, page: int = 1,
            size: int = 100):
    r = selectors.round_get(request.user, round_id)
    a = selectors.coverage_area(request.user, r, area)
    if status and status not in ("open", "settled"):
        raise ServiceError("status 只能是 open 或 settled。", code="bad_status", field="status")
    paginator, rows = _page(selectors.recall_qs(request.user, r, a, status=status), page, size)
    access_record(actor=request.user, kind="search", object_type="testing.recall", object_id=r.pk,
                  object_repr=f"{r.name} {a.name}", area_path=a.path, detail={"page": page, "count": len(rows)})
    return {"count": paginator.count, "page": page, "results": [
        {"id": x.pk, "person": x.person_id, "name": mask_name(x.person.name),
         "id_number": mask_id_number(x.person.id_number), "tube": x.tube.barcode, "status": x.status,
         "stay_at_home": x.stay_at_home, "outcome": x.outcome, "created_at": x.created_at,
         "address": x.person.household.address if x.person.household_id else ""} for x in rows]}
