"""The residents ledger API: persons, households, import jobs. Scoped like the pages."""

from __future__ import annotations

import datetime as dt

from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from fangkong.areas.selectors import area_get
from fangkong.core.masking import mask_id_number, mask_phone
from fangkong.core.pagination import paginate
from fangkong.core.scoping import can, require_any
from fangkong.residents import jobs, selectors, services

PREFIX = "/residents"
router = Router(tags=["residents"])


class PersonOut(Schema):
    id: int
    name: str
    id_type: str
    id_number: str
    sex: str
    birth_date: dt.date | None
    phone: str
    residence_type: str
    relationship: str
    workplace: str
    household_id: int | None
    area_code: str
    care_tags: list[str]
    needs_review: bool


def person_out(p, actor, *, full: bool = False) -> dict:
    full = full and can(actor, "residents.view_full", p.area_path)
    return {"id": p.pk, "name": p.name, "id_type": p.id_type,
            "id_number": p.id_number if full else mask_id_number(p.id_number), "sex": p.sex,
            "birth_date": p.birth_date, "phone": p.phone if full else mask_phone(p.phone),
            "residence_type": p.residence_type, "relationship": p.relationship, "workplace": p.workplace,
            "household_id": p.household_id, "area_code": p.area.code if p.area_id else "",
            "care_tags": [t.tag for t in p.care_tags.all()], "needs_review": p.needs_review}


class PersonIn(Schema):
    household_id: int
    name: str
    id_type: str = "citizen_id"
    id_number: str
    sex: str | None = None
    birth_date: dt.date | None = None
    phone: str = ""
    residence_type: str = "resident"
    relationship: str = ""
    workplace: str = ""
    notes: str = ""
    care_tags: list[str] = []


class PersonPatch(Schema):
    name: str | None = None
    sex: str | None = None
    birth_date: dt.date | None = None
    phone: str | None = None
    residence_type: str | None = None
    relationship: str | None = None
    workplace: str | None = None
    notes: str | None = None
    care_tags: list[str] | None = None


class HouseholdOut(Schema):
    id: int
    area_code: str
    address: str
    floor: int | None
    room: str
    house_number: str
    vacant: bool
    members: int


class HouseholdIn(Schema):
    area_code: str
    room: str = ""
    house_number: str = ""
    notes: str = ""


class JobOut(Schema):
    id: int
    status: str
    dry_run: bool
    filename: str
    area_code: str
    total: int
    processed: int
    created: int
    updated: int
    unchanged: int
    errors: int
    has_error_file: bool


def household_out(h) -> dict:
    return {"id": h.pk, "area_code": h.area.code, "address": h.address, "floor": h.floor, "room": h.room,
            "house_number": h.house_number, "vacant": h.vacant, "members": h.members.count()}


def job_out(j) -> dict:
    return {"id": j.pk, "status": j.status, "dry_run": j.dry_run, "filename": j.filename, "area_code": j.area.code,
            "total": j.total, "processed": j.processed, "created": j.created, "updated": j.updated,
            "unchanged": j.unchanged, "errors": j.errors, "has_error_file": bool(j.error_file)}


@router.get("/persons", response=list[PersonOut], summary="查找居民（脱敏）")
def person_list(request, q: str = "", area: str = "", tag: str = "", page: int = 1):
    require_any(request.user, selectors.VIEW)
    a = area_get(request.user, area) if area else None
    qs = selectors.person_search(request.user, q, area=a, tag=tag).select_related("area").prefetch_related("care_tags")
    return [person_out(p, request.user) for p in paginate(request, qs).object_list]


@router.get("/persons/{person_id}", response=PersonOut, summary="一名居民（full=true 显示完整信息并记录）")
def person_detail(request, person_id: int, full: bool = False):
    from fangkong.audit.services import access_record

    p = selectors.person_get(request.user, person_id)
    revealed = full and can(request.user, "residents.view_full", p.area_path)
    access_record(actor=request.user, kind="reveal" if revealed else "read", obj=p)
    return person_out(p, request.user, full=revealed)


@router.post("/persons", response={201: PersonOut}, summary="登记居民")
def person_create(request, payload: PersonIn):
    household = selectors.household_get(request.user, payload.household_id, action="residents.edit")
    data = payload.dict()
    data.pop("household_id")
    p = services.person_register(actor=request.user, area=household.area, household=household, **data)
    return Status(201, person_out(p, request.user))


@router.patch("/persons/{person_id}", response=PersonOut, summary="修改居民")
def person_update(request, person_id: int, payload: PersonPatch):
    p = selectors.person_get(request.user, person_id, action="residents.edit")
    changes = {k: v for k, v in payload.dict().items() if v is not None}
    p = services.person_update(actor=request.user, person=p, **changes)
    return person_out(p, request.user)


@router.get("/households", response=list[HouseholdOut], summary="住户列表")
def household_list(request, area: str = "", page: int = 1):
    require_any(request.user, selectors.VIEW)
    a = area_get(request.user, area) if area else None
    qs = selectors.in_area(selectors.household_qs(request.user), a).select_related("area").order_by("area_path", "id")
    return [household_out(h) for h in paginate(request, qs).object_list]


@router.get("/households/{household_id}", response=HouseholdOut, summary="一户")
def household_detail(request, household_id: int):
    return household_out(selectors.household_get(request.user, household_id))


@router.post("/households", response={201: HouseholdOut}, summary="新建住户")
def household_create(request, payload: HouseholdIn):
    area = area_get(request.user, payload.area_code, action="residents.edit")
    h = services.household_create(actor=request.user, area=area, room=payload.room,
                                  house_number=payload.house_number, notes=payload.notes)
    return Status(201, household_out(h))


@router.post("/imports", response={201: JobOut}, summary="上传台账并预检（dry_run=false 直接导入）")
def import_create(request, area_code: Form[str], file: File[UploadedFile], dry_run: Form[bool] = True):
    require_any(request.user, "residents.import")
    area = area_get(request.user, area_code, action="residents.import")
    job = jobs.import_job_create(actor=request.user, area=area, upload=file, filename=file.name, dry_run=dry_run)
    jobs.import_job_start(job)
    return Status(201, job_out(job))


@router.get("/imports/{job_id}", response=JobOut, summary="导入任务状态")
def import_status(request, job_id: int):
    return job_out(selectors.import_job_get(request.user, job_id))
