import os
import tempfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fangkong.core.testing.matrix import Case
from fangkong.residents.models import Campaign, Household, ImportJob, Person

VIEW_X = {"hq": 200, "street_admin": 200, "worker_x": 200, "epi": 200}
EDIT_X = {"hq": 200, "street_admin": 200, "worker_x": 200}
LIST = {"hq": 200, "street_admin": 200, "worker_x": 200, "worker_y": 200, "epi": 200, "sampler": 403, "norole": 403}
IMPORTERS = {"hq": 200, "street_admin": 200}


def hh(w, unit=None):
    unit = unit or w.unit_x
    return Household.objects.get_or_create(area=unit, room="301", house_number="",
                                           defaults={"area_path": unit.path, "floor": 3, "address": "测试301室"})[0]


def person(w):
    h = hh(w)
    return Person.objects.get_or_create(
        id_type="citizen_id", id_number="11010519491231002X",
        defaults={"household": h, "area": h.area, "area_path": h.area_path, "name": "张三", "name_initials": "zs",
                  "id_tail": "31002X", "sex": "F"})[0]


def person_y(w):
    h = hh(w, w.unit_y)
    return Person.objects.get_or_create(
        id_type="citizen_id", id_number="611002199001011235",
        defaults={"household": h, "area": h.area, "area_path": h.area_path, "name": "李四", "name_initials": "ls",
                  "id_tail": "011235", "sex": "M"})[0]


def job(w, **kw):
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    return ImportJob.objects.create(area=w.x, area_path=w.x.path, filename="t.csv", file_path=path, dry_run=True,
                                    status="done", created=1, error_file=path, **kw)


def campaign(w):
    return Campaign.objects.get_or_create(name="敲门", area=w.x, defaults={"area_path": w.x.path,
                                                                       "opened_at": timezone.now()})[0]


def upload(w):
    return {"area_code": w.x.code, "file": SimpleUploadedFile("t.csv", "姓名,身份证号\n张三,11010519491231002X\n".encode())}


CASES = [
    Case("residents:index", lambda w: "/residents/", LIST),
    Case("residents:care_ledger", lambda w: "/residents/care/", LIST),
    Case("residents:export", lambda w: "/residents/export/", LIST),
    Case("residents:person_detail", lambda w: f"/residents/persons/{person(w).pk}/", VIEW_X, default=404),
    Case("residents:person_reveal", lambda w: f"/residents/persons/{person(w).pk}/reveal/", VIEW_X, default=404,
         method="POST"),
    Case("residents:person_edit", lambda w: f"/residents/persons/{person(w).pk}/edit/", EDIT_X, default=404),
    Case("residents:person_create", lambda w: f"/residents/persons/new/?household={hh(w).pk}",
         {**EDIT_X, "worker_y": 404, "epi": 403, "sampler": 403, "norole": 403}),
    Case("residents:person_move", lambda w: "/residents/persons/move/",
         {"hq": 302, "street_admin": 302, "worker_x": 302}, default=404, method="POST",
         data=lambda w: {"household": hh(w).pk, "id_type": "citizen_id", "id_number": person_y(w).id_number}),
    Case("residents:household_detail", lambda w: f"/residents/households/{hh(w).pk}/", VIEW_X, default=404),
    Case("residents:household_create", lambda w: f"/residents/areas/{w.unit_x.code}/households/new/", EDIT_X,
         default=404),
    Case("residents:building", lambda w: f"/residents/buildings/{w.building_x.code}/",
         {**VIEW_X, "sampler": 403}, default=404),
    Case("residents:import", lambda w: "/residents/import/", IMPORTERS, default=403),
    Case("residents:import_template", lambda w: "/residents/import/template/", IMPORTERS, default=403),
    Case("residents:import_job", lambda w: f"/residents/import/{job(w).pk}/", IMPORTERS, default=404),
    Case("residents:import_confirm", lambda w: f"/residents/import/{job(w).pk}/confirm/",
         {"hq": 302, "street_admin": 302}, default=404, method="POST"),
    Case("residents:import_errors", lambda w: f"/residents/import/{job(w).pk}/errors/", IMPORTERS, default=404),
    Case("residents:campaigns", lambda w: "/residents/campaigns/",
         {"hq": 200, "street_admin": 200, "worker_x": 200, "worker_y": 200}, default=403),
    Case("residents:campaign", lambda w: f"/residents/campaigns/{campaign(w).pk}/", EDIT_X, default=404),
    Case("residents:visit", lambda w: f"/residents/campaigns/{campaign(w).pk}/households/{hh(w).pk}/", EDIT_X,
         default=404),
    # API
    Case("api:person_list", lambda w: "/api/v1/residents/persons", {**LIST}, api=True),
    Case("api:person_detail", lambda w: f"/api/v1/residents/persons/{person(w).pk}", VIEW_X, default=404, api=True),
    Case("api:person_create", lambda w: "/api/v1/residents/persons", {"hq": 201, "street_admin": 201, "worker_x": 201},
         default=404, api=True, method="POST", json=True,
         data=lambda w: {"household_id": hh(w).pk, "name": "王五", "id_number": "611002199001011253"}),
    Case("api:person_update", lambda w: f"/api/v1/residents/persons/{person(w).pk}", EDIT_X, default=404, api=True,
         method="PATCH", json=True, data=lambda w: {"workplace": "商洛学院"}),
    Case("api:household_list", lambda w: "/api/v1/residents/households", {**LIST}, api=True),
    Case("api:household_detail", lambda w: f"/api/v1/residents/households/{hh(w).pk}", VIEW_X, default=404, api=True),
    Case("api:household_create", lambda w: "/api/v1/residents/households",
         {"hq": 201, "street_admin": 201, "worker_x": 201}, default=404, api=True, method="POST", json=True,
         data=lambda w: {"area_code": w.unit_x.code, "room": "502"}),
    Case("api:import_create", lambda w: "/api/v1/residents/imports", {"hq": 201, "street_admin": 201}, default=403,
         api=True, method="POST", data=upload),
    Case("api:import_status", lambda w: f"/api/v1/residents/imports/{job(w).pk}", {"hq": 200, "street_admin": 200},
         default=404, api=True),
]
