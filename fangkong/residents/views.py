"""Pages of the residents ledger. Thin: parse, call a selector or service, render."""

from __future__ import annotations

import os

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.areas.choices import Level
from fangkong.areas.models import Area
from fangkong.areas.selectors import area_get
from fangkong.audit.models import AccessKind
from fangkong.audit.services import access_record
from fangkong.core.errors import NotFound, ServiceError
from fangkong.core.pagination import paginate
from fangkong.core.scoping import can, get_or_404, require_any
from fangkong.residents import forms, jobs, selectors, services
from fangkong.residents.choices import CareTagKind
from fangkong.residents.importers import template_path
from fangkong.residents.models import Household, ImportStatus, Person

VIEW, EDIT, IMPORT, EXPORT = "residents.view", "residents.edit", "residents.import", "residents.export"


def _area_param(request, action=VIEW):
    code = (request.GET.get("area") or "").strip()
    if not code:
        return None
    try:
        return area_get(request.user, code, action=action)
    except NotFound:
        return None


@login_required
def index(request):
    require_any(request.user, VIEW)
    q = request.GET.get("q", "").strip()
    tag = request.GET.get("tag", "")
    area = _area_param(request)
    qs = selectors.person_search(request.user, q, area=area, tag=tag if tag in CareTagKind.values else "")
    page = paginate(request, qs)
    if q:
        access_record(actor=request.user, kind=AccessKind.SEARCH, object_type="residents.person",
                      detail={"q": q[:50], "area": area.code if area else ""})
    return render(request, "residents/person_list.html", {
        "page_obj": page, "q": q, "tag": tag, "area": area, "tags": CareTagKind.choices,
        "can_export": bool(require_ok(request.user, EXPORT)), "can_import": require_ok(request.user, IMPORT),
        "can_edit": require_ok(request.user, EDIT),
    })


def require_ok(user, action) -> bool:
    from fangkong.core.scoping import has_any

    return has_any(user, action)


@login_required
def person_detail(request, person_id):
    person = selectors.person_get(request.user, person_id)
    access_record(actor=request.user, kind=AccessKind.READ, obj=person)
    return render(request, "residents/person_detail.html", _person_context(request, person, revealed=False))


def _person_context(request, person, *, revealed):
    return {
        "person": person, "revealed": revealed,
        "can_reveal": can(request.user, "residents.view_full", person.area_path),
        "can_edit": can(request.user, EDIT, person.area_path),
        "tags": [t.get_tag_display() for t in person.care_tags.all()],
        "moves": person.moves.select_related("actor")[:50],
        "status_lines": _status_lines(request.user, person),
    }


def _status_lines(actor, person):
    """Control statuses with their reasons (the epi app), when installed and visible to the actor."""
    from django.apps import apps

    if not apps.is_installed("fangkong.epi"):
        return None
    from fangkong.epi.selectors import person_status_summary

    return person_status_summary(actor, person)


@login_required
@require_POST
def person_reveal(request, person_id):
    person = selectors.person_get(request.user, person_id, action="residents.view_full")
    access_record(actor=request.user, kind=AccessKind.REVEAL, obj=person, detail={"fields": ["id_number", "phone"]})
    return render(request, "residents/person_detail.html", _person_context(request, person, revealed=True))


def _household_from_param(request):
    hid = request.GET.get("household") or request.POST.get("household")
    if not hid:
        return None
    return selectors.household_get(request.user, hid, action=EDIT)


@login_required
def person_create(request):
    require_any(request.user, EDIT)
    household = _household_from_param(request)
    if household is None:
        raise NotFound()
    form = forms.PersonForm(request.POST or None)
    duplicate = None
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_register(actor=request.user, area=household.area, household=household,
                                              **form.cleaned_data)
        except services.DuplicatePerson as exc:
            duplicate = exc.existing
            form.add_error("id_number", exc.message)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已登记 %(name)s。") % {"name": person.name})
            return redirect("residents:household_detail", household_id=household.pk)
    dup_address = ""
    if duplicate is not None and can(request.user, VIEW, duplicate.area_path) and duplicate.household_id:
        dup_address = duplicate.household.address
    return render(request, "residents/person_form.html", {
        "form": form, "household": household, "duplicate": duplicate, "dup_address": dup_address,
        "title": _("在 %(address)s 登记居民") % {"address": household.address},
    })


@login_required
@require_POST
def person_move(request):
    """迁入本户: the person found by document (possibly registered elsewhere) moves into this household."""
    household = _household_from_param(request)
    if household is None:
        raise NotFound()
    try:
        id_type, id_number = services.clean_document(request.POST.get("id_type", ""), request.POST.get("id_number", ""))
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("residents:household_detail", household_id=household.pk)
    person = selectors.person_find_by_document(id_type, id_number)
    if person is None:
        raise NotFound()
    try:
        services.person_move(actor=request.user, person=person, household=household,
                             reason=request.POST.get("reason", "") or "迁入本户")
        messages.success(request, _("%(name)s 已迁入本户，原住址已记入迁移记录。") % {"name": person.name})
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("residents:household_detail", household_id=household.pk)


@login_required
def person_edit(request, person_id):
    person = selectors.person_get(request.user, person_id, action=EDIT)
    initial = {f: getattr(person, f) for f in services.EDITABLE}
    initial["care_tags"] = list(person.care_tags.values_list("tag", flat=True))
    form = forms.PersonEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(actor=request.user, person=person, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已保存。"))
            return redirect("residents:person_detail", person_id=person.pk)
    return render(request, "residents/person_form.html", {"form": form, "person": person,
                                                          "title": _("修改 %(name)s") % {"name": person.name}})


@login_required
def household_detail(request, household_id):
    household = selectors.household_get(request.user, household_id)
    members = selectors.household_members(household)
    return render(request, "residents/household_detail.html", {
        "household": household, "members": members, "history": selectors.household_history(household),
        "can_edit": can(request.user, EDIT, household.area_path),
    })


@login_required
def household_create(request, code):
    area = area_get(request.user, code, action=EDIT)
    form = forms.HouseholdForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            household = services.household_create(actor=request.user, area=area, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("residents:household_detail", household_id=household.pk)
    return render(request, "residents/simple_form.html", {"form": form, "title": _("在 %(n)s 新建住户") % {"n": area.name},
                                                          "back": request.GET.get("next", "/residents/")})


@login_required
def building(request, code):
    area = area_get(request.user, code)
    if area.level != Level.BUILDING:
        raise NotFound()
    require_any(request.user, VIEW)
    grid = selectors.building_grid(request.user, area)
    return render(request, "residents/building.html", {"building": area, "grid": grid,
                                                       "can_edit": can(request.user, EDIT, area.path),
                                                       "tag_labels": dict(CareTagKind.choices)})


@login_required
def care_ledger(request):
    require_any(request.user, VIEW)
    tag = request.GET.get("tag") or CareTagKind.LIVES_ALONE_ELDERLY
    if tag not in CareTagKind.values:
        tag = CareTagKind.LIVES_ALONE_ELDERLY
    area = _area_param(request)
    page = paginate(request, selectors.care_ledger(request.user, tag, area))
    return render(request, "residents/care_ledger.html", {"page_obj": page, "tag": tag, "tags": CareTagKind.choices,
                                                          "area": area})


@login_required
def export(request):
    require_any(request.user, EXPORT)
    area = _area_param(request, action=EXPORT)
    qs = selectors.person_search(request.user, request.GET.get("q", ""), area=area,
                                 tag=request.GET.get("tag", "") if request.GET.get("tag") in CareTagKind.values else "")
    from fangkong.core.scoping import scope

    qs = scope(qs, request.user, EXPORT)
    path, _n = jobs.persons_export(actor=request.user, queryset=qs, area=area)
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    response = FileResponse(open(path, "rb"), as_attachment=True, filename=f"居民台账-{stamp}.xlsx")  # noqa: SIM115
    os.unlink(path)  # the open handle keeps the data until the response is sent
    return response


@login_required
def import_page(request):
    require_any(request.user, IMPORT)
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            area = area_get(request.user, form.cleaned_data["area"].strip(), action=IMPORT)
            upload = form.cleaned_data["file"]
            job = jobs.import_job_create(actor=request.user, area=area, upload=upload, filename=upload.name)
        except NotFound:
            form.add_error("area", _("找不到该区域，或它不在您的导入权限范围内。"))
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            jobs.import_job_start(job)
            return redirect("residents:import_job", job_id=job.pk)
    return render(request, "residents/import.html", {"form": form, "jobs": selectors.import_jobs(request.user)[:20]})


@login_required
def import_template(request):
    require_any(request.user, IMPORT)
    path = template_path()
    response = FileResponse(open(path, "rb"), as_attachment=True, filename="常住人口信息汇总表-模板.xlsx")  # noqa: SIM115
    os.unlink(path)
    return response


@login_required
def import_job(request, job_id):
    job = selectors.import_job_get(request.user, job_id)
    template = "residents/_import_progress.html" if request.headers.get("HX-Request") else "residents/import_job.html"
    return render(request, template, {"job": job, "running": job.status in (ImportStatus.PENDING, ImportStatus.RUNNING)})


@login_required
@require_POST
def import_confirm(request, job_id):
    job = selectors.import_job_get(request.user, job_id)
    try:
        new = jobs.import_job_confirm(actor=request.user, job=job)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("residents:import_job", job_id=job.pk)
    jobs.import_job_start(new)
    return redirect("residents:import_job", job_id=new.pk)


@login_required
def import_errors(request, job_id):
    job = selectors.import_job_get(request.user, job_id)
    if not job.error_file or not os.path.exists(job.error_file):
        raise NotFound()
    access_record(actor=request.user, kind=AccessKind.EXPORT, obj=job, detail={"errors": job.errors})
    base = os.path.splitext(job.filename)[0]
    return FileResponse(open(job.error_file, "rb"), as_attachment=True, filename=f"{base}-错误行.xlsx")  # noqa: SIM115


@login_required
def campaigns(request):
    require_any(request.user, "residents.visit")
    form = forms.CampaignForm(request.POST or None)
    if request.method == "POST":
        require_any(request.user, "residents.campaign")
        if form.is_valid():
            try:
                area = area_get(request.user, form.cleaned_data["area"].strip(), action="residents.campaign")
                c = services.campaign_open(actor=request.user, area=area, name=form.cleaned_data["name"])
            except NotFound:
                form.add_error("area", _("找不到该区域，或它不在您的辖区内。"))
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("residents:campaign", campaign_id=c.pk)
    return render(request, "residents/campaigns.html", {
        "campaigns": selectors.campaigns(request.user)[:50], "form": form,
        "can_open": require_ok(request.user, "residents.campaign")})


@login_required
def campaign(request, campaign_id):
    c = selectors.campaign_get(request.user, campaign_id)
    progress = selectors.campaign_progress(request.user, c)
    page = paginate(request, progress["pending"])
    return render(request, "residents/campaign.html", {"campaign": c, "progress": progress, "page_obj": page})


@login_required
def visit(request, campaign_id, household_id):
    c = selectors.campaign_get(request.user, campaign_id)
    household = get_or_404(Household.objects.select_related("area"), request.user, "residents.visit", pk=household_id)
    form = forms.VisitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_record(actor=request.user, campaign=c, household=household, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已记录 %(a)s。") % {"a": household.address})
            if form.cleaned_data["outcome"] == "new_people" and can(request.user, EDIT, household.area_path):
                return redirect(f"/residents/persons/new/?household={household.pk}")
            return redirect("residents:campaign", campaign_id=c.pk)
    members = list(Person.objects.filter(household=household).order_by("id"))
    return render(request, "residents/visit.html", {"campaign": c, "household": household, "form": form,
                                                    "members": members})


__all__ = ["Area"]
