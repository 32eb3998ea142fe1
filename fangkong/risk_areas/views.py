"""Pages of risk areas and notices. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.areas.models import Area
from fangkong.audit.services import access_record
from fangkong.core.errors import NotFound, ServiceError
from fangkong.core.pagination import paginate
from fangkong.core.scoping import can, require_any, scope
from fangkong.epi import rules
from fangkong.risk_areas import documents, forms, selectors, services
from fangkong.risk_areas.choices import ChangeKind, MemberKind, NoticeStatus, RiskAreaStatus
from fangkong.risk_areas.mapdata import map_payload
from fangkong.risk_areas.models import RiskArea

VIEW, MANAGE, PUBLISH, APPROVE = selectors.VIEW, services.MANAGE, services.PUBLISH, services.APPROVE


def _level_name(ra: RiskArea, level: str | None = None) -> str:
    level = ra.level if level is None else level
    if not level:
        return ""
    try:
        return rules.level_name(selectors.ruleset_of(ra), level)
    except ValueError:
        return level


def _area_by_code(actor, code: str) -> Area:
    try:
        return scope(Area.objects.all(), actor, MANAGE, field="path").get(code=(code or "").strip())
    except Area.DoesNotExist:
        raise ServiceError(_("找不到该区域，或它不在您的辖区内。"), code="area", field="area_code") from None


def _member_spec(actor, data) -> dict:
    return {"kind": data["kind"], "area": _area_by_code(actor, data["area_code"]), "floor": data.get("floor"),
            "room": data.get("room") or "", "boundary_text": data.get("boundary_text") or "",
            "outline": data.get("outline") or None, "excluded": list(data.get("excluded") or [])}


def _excluded_qs(actor):
    return selectors.risk_area_qs(actor, MANAGE)


@login_required
def index(request):
    require_any(request.user, VIEW)
    services.notices_apply_due()
    status = request.GET.get("status", RiskAreaStatus.ACTIVE)
    qs = selectors.risk_area_qs(request.user)
    if status in RiskAreaStatus.values:
        qs = qs.filter(status=status)
    page = paginate(request, qs.order_by("county__code", "area_path", "id"))
    names = selectors.display_names(list(page.object_list))
    rows = [(ra, names[ra.pk], _level_name(ra, ra.level or ra.proposed_level)) for ra in page.object_list]
    return render(request, "risk_areas/risk_area_list.html", {
        "page_obj": page, "rows": rows, "status": status, "statuses": RiskAreaStatus.choices,
        "can_manage": can_any(request.user, MANAGE),
    })


def can_any(actor, action: str) -> bool:
    from fangkong.core.scoping import has_any

    return has_any(actor, action)


@login_required
def create(request):
    require_any(request.user, MANAGE)
    initial = {}
    ruleset_id = selectors.default_ruleset_id(request.user, today=timezone.localdate())
    if ruleset_id:
        levels = rules.level_choices(rules.ruleset_get(ruleset_id))
        initial = {"ruleset_id": ruleset_id, "level": levels[0][0] if levels else None}
    form = forms.RiskAreaCreateForm(request.POST or None, excluded_qs=_excluded_qs(request.user), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ra = services.risk_area_create(
                actor=request.user, level=data["level"], members=[_member_spec(request.user, data)],
                name=data["name"], measures=data["measures"], ruleset_id=data["ruleset_id"])
        except NotFound:
            form.add_error("area_code", _("找不到该区域，或它不在您的辖区内。"))
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已新建拟划定的风险区域。"))
            return redirect("risk_areas:detail", pk=ra.pk)
    return render(request, "risk_areas/form.html", {"form": form, "title": _("新建风险区域"), "outline": True})


@login_required
def detail(request, pk):
    ra = selectors.risk_area_get(request.user, pk)
    members = list(ra.members.select_related("area").prefetch_related("excluded"))
    excluded_names = selectors.display_names([ex for m in members for ex in m.excluded.all()])
    today = timezone.localdate()
    decision = selectors.risk_area_downgrade_decision(ra, today=today)
    persons = households = None
    care = []
    care_counts = {}
    if can(request.user, "residents.view", ra.area_path) or can_any(request.user, "residents.view"):
        persons_qs = scope(selectors.persons_in_risk_area(ra), request.user, "residents.view")
        persons = paginate(request, persons_qs.select_related("household").order_by("area_path", "household_id",
                                                                                       "id"), per_page=50)
        households = scope(selectors.households_in_risk_area(ra), request.user, "residents.view").count()
        care = list(selectors.care_ledger(request.user, ra)[:200])
        care_counts = selectors.care_counts(request.user, ra)
        access_record(actor=request.user, obj=ra, object_repr=selectors.risk_area_display_name(ra),
                      detail={"page": "risk_area_people", "persons_page": persons.number})
    can_manage = can(request.user, MANAGE, ra.area_path)
    return render(request, "risk_areas/risk_area_detail.html", {
        "ra": ra, "name": selectors.risk_area_display_name(ra), "excluded_names": excluded_names, "default_name": selectors.risk_area_default_name(
            ra, members), "members": members, "level_name": _level_name(ra, ra.level or ra.proposed_level),
        "events": [(e, _level_name(ra, e.from_level), _level_name(ra, e.to_level))
                   for e in ra.events.select_related("notice", "notice__issuer", "actor")],
        "decision": decision, "decision_to": _level_name(ra, decision.to_level or "") if decision else "",
        "persons": persons, "households": households, "care": care, "care_counts": care_counts,
        "care_labels": dict(__import__("fangkong.residents.choices", fromlist=["CareTagKind"]).CareTagKind.choices),
        "can_manage": can_manage,
        "member_form": forms.MemberForm(excluded_qs=_excluded_qs(request.user)) if can_manage else None,
        "can_designate": can_manage and ra.status != RiskAreaStatus.ACTIVE,
        "ruleset": selectors.ruleset_of(ra),
    })


@login_required
def edit(request, pk):
    ra = selectors.risk_area_get(request.user, pk)
    if not can(request.user, MANAGE, ra.area_path):
        raise NotFound()
    form = forms.RiskAreaEditForm(request.POST or None, initial={"name": ra.name, "measures": ra.measures,
                                                                  "notes": ra.notes})
    if request.method == "POST" and form.is_valid():
        services.risk_area_update(actor=request.user, risk_area=ra, **form.cleaned_data)
        messages.success(request, _("已保存。"))
        return redirect("risk_areas:detail", pk=ra.pk)
    return render(request, "risk_areas/form.html", {"form": form, "title": _("修改风险区域"), "ra": ra,
                                                    "boundaries": _boundaries(ra)})


@login_required
@require_POST
def member_add(request, pk):
    ra = selectors.risk_area_get(request.user, pk)
    if not can(request.user, MANAGE, ra.area_path):
        raise NotFound()
    form = forms.MemberForm(request.POST, excluded_qs=_excluded_qs(request.user))
    if form.is_valid():
        try:
            services.risk_area_member_add(actor=request.user, risk_area=ra,
                                          member=_member_spec(request.user, form.cleaned_data))
            messages.success(request, _("已添加。"))
        except ServiceError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("请填写区域代码。"))
    return redirect("risk_areas:detail", pk=ra.pk)


def _boundaries(ra: RiskArea) -> list:
    """The written-boundary members of an area, for the links to their outline pages."""
    return list(ra.members.filter(kind=MemberKind.BOUNDARY).order_by("order", "id"))


@login_required
def member_outline(request, pk, member_pk):
    """Draw (or redraw, or clear) the outline of a written-boundary member."""
    ra = selectors.risk_area_get(request.user, pk)
    if not can(request.user, MANAGE, ra.area_path):
        raise NotFound()
    member = ra.members.filter(pk=member_pk, kind=MemberKind.BOUNDARY).first()
    if member is None:
        raise NotFound()
    form = forms.OutlineForm(request.POST or None, initial={"outline": member.outline})
    if request.method == "POST" and form.is_valid():
        try:
            services.risk_area_member_outline_set(actor=request.user, risk_area=ra, member=member,
                                                  outline=form.cleaned_data["outline"] or None)
        except ServiceError as exc:
            form.add_error("outline", exc.message)
        else:
            messages.success(request, _("已保存轮廓。"))
            return redirect("risk_areas:detail", pk=ra.pk)
    return render(request, "risk_areas/form.html", {
        "form": form, "ra": ra, "outline": True, "title": _("绘制轮廓"),
        "help": _("“%(text)s”：在地图上依次点击边界的拐点，或在下面粘贴坐标。") % {"text": member.boundary_text}})


@login_required
def designate(request, pk):
    ra = selectors.risk_area_get(request.user, pk)
    if not can(request.user, MANAGE, ra.area_path):
        raise NotFound()
    form = forms.DesignateForm(request.POST or None, initial={"effective_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.risk_area_designate(actor=request.user, risk_area=ra, effective_at=form.effective_at(),
                                         note=form.cleaned_data["note"])
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已划定。"))
            return redirect("risk_areas:detail", pk=ra.pk)
    return render(request, "risk_areas/form.html", {
        "form": form, "ra": ra, "title": _("直接划定（不发通告）"), "boundaries": _boundaries(ra),
        "help": _("划定通常随通告发布：在“调整”页面勾选拟划定的区域。此处用于平台上线前已划定的区域。")})


@login_required
def downgrades(request):
    """The downgrade engine for HQ: every active area with its decision; eligible ones first."""
    require_any(request.user, VIEW)
    services.notices_apply_due()
    today = timezone.localdate()
    rows = []
    for c in selectors.downgrade_candidates(request.user, today=today):
        d = c.decision
        to = (d.to_level or "") if d else ""
        token = f"{c.risk_area.pk}:{ChangeKind.DOWNGRADE if to else ChangeKind.LIFT}:{to}"
        rows.append({"c": c, "level_name": _level_name(c.risk_area), "to_name": _level_name(c.risk_area, to)
                     if to else _("解除"), "token": token, "lift": f"{c.risk_area.pk}:{ChangeKind.LIFT}:"})
    proposed = [(ra, selectors.risk_area_display_name(ra), _level_name(ra, ra.proposed_level),
                 f"{ra.pk}:{ChangeKind.DESIGNATE}:{ra.proposed_level}")
                for ra in selectors.risk_area_qs(request.user).filter(status=RiskAreaStatus.PROPOSED)]
    return render(request, "risk_areas/downgrades.html", {
        "rows": rows, "proposed": proposed, "today": today, "can_manage": can_any(request.user, MANAGE)})


def _parse_changes(actor, tokens: list[str]) -> list[dict]:
    out = []
    for token in tokens:
        try:
            pk, kind, to = token.split(":")
            ra = selectors.risk_area_get(actor, int(pk), MANAGE)
        except (ValueError, NotFound):
            raise ServiceError(_("调整项无效或不在您的辖区内。"), code="bad_change") from None
        if kind not in ChangeKind.values:
            raise ServiceError(_("调整项无效。"), code="bad_change")
        out.append({"risk_area": ra, "kind": kind, "to_level": to})
    return out


@login_required
def notice_new(request):
    require_any(request.user, MANAGE)
    tokens = request.POST.getlist("change") if request.method == "POST" else request.GET.getlist("change")
    issuers = selectors.issuer_qs(request.user)
    form = forms.NoticeCreateForm(request.POST if request.POST.get("confirm") else None, issuers=issuers,
                                  changes=tokens, initial={"effective_date": timezone.localdate(), "change": tokens})
    try:
        changes = _parse_changes(request.user, tokens)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("risk_areas:downgrades")
    if not changes:
        messages.error(request, _("请先勾选要调整的区域。"))
        return redirect("risk_areas:downgrades")
    if form.is_bound and form.is_valid():
        try:
            notice = services.notice_create(actor=request.user, issuer=form.cleaned_data["issuer"],
                                            effective_at=form.effective_at(), changes=changes)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已拟定通告草稿。"))
            return redirect("risk_areas:notice_detail", pk=notice.pk)
    preview = [(c["risk_area"], selectors.risk_area_display_name(c["risk_area"]), ChangeKind(c["kind"]).label,
                _level_name(c["risk_area"], c["to_level"]) if c["to_level"] else "") for c in changes]
    return render(request, "risk_areas/notice_new.html", {"form": form, "preview": preview, "tokens": tokens,
                                                          "no_issuer": not issuers.exists()})


@login_required
def notice_list(request):
    require_any(request.user, VIEW)
    page = paginate(request, selectors.notice_qs(request.user).order_by("-created_at", "-id"))
    return render(request, "risk_areas/notice_list.html", {
        "page_obj": page, "can_issuer": can_any(request.user, APPROVE)})


@login_required
def notice_detail(request, pk):
    notice = selectors.notice_get(request.user, pk)
    changes = list(notice.changes.select_related("risk_area", "risk_area__county", "risk_area__area")
                   .prefetch_related("risk_area__members__area"))
    groups = []
    seen = set()
    notice_rs = rules.ruleset_get(notice.ruleset_id)
    for c in changes:
        key = documents.group_key(c)
        if key in seen:
            continue
        seen.add(key)
        groups.append({"key": "|".join(key), "heading": documents.group_heading(notice_rs, c), "measures": c.measures,
                       "has_measures": bool(c.to_level)})
    try:
        body = documents.notice_html(notice)
    except ValueError as exc:
        body, _err = "", exc
    is_draft = notice.status == NoticeStatus.DRAFT
    return render(request, "risk_areas/notice_detail.html", {
        "notice": notice, "body": body, "groups": groups,
        "can_edit": is_draft and selectors.issuer_related(request.user, MANAGE, notice.area_path),
        "can_submit": is_draft and can(request.user, PUBLISH, notice.area_path),
        "can_approve": services.may_approve(request.user, notice),
        "can_reject": notice.status == NoticeStatus.PENDING_APPROVAL and can(request.user, APPROVE, notice.area_path),
        "edit_form": forms.NoticeEditForm(initial={
            "effective_date": timezone.localtime(notice.effective_at).date(),
            "effective_hour": timezone.localtime(notice.effective_at).hour, "basis": notice.basis}),
        "reject_form": forms.RejectForm(),
    })


@login_required
@require_POST
def notice_edit(request, pk):
    notice = selectors.notice_get(request.user, pk)
    if not selectors.issuer_related(request.user, MANAGE, notice.area_path):
        raise NotFound()
    form = forms.NoticeEditForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请检查生效时间和依据。"))
        return redirect("risk_areas:notice_detail", pk=notice.pk)
    group_measures = {}
    for key, value in request.POST.items():
        if key.startswith("measures:"):
            parts = key.split(":", 1)[1].split("|")
            if len(parts) == 3:
                group_measures[tuple(parts)] = value
    try:
        services.notice_update(actor=request.user, notice=notice, effective_at=form.effective_at(),
                               basis=form.cleaned_data["basis"], group_measures=group_measures)
        messages.success(request, _("已保存。"))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("risk_areas:notice_detail", pk=notice.pk)


def _notice_action(request, pk, action, done):
    notice = selectors.notice_get(request.user, pk)
    try:
        action(notice)
        messages.success(request, done)
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("risk_areas:notice_detail", pk=notice.pk)


@login_required
@require_POST
def notice_submit(request, pk):
    return _notice_action(request, pk, lambda n: services.notice_submit(actor=request.user, notice=n),
                          _("已提交审批，须由另一位指挥部人员审批。"))


@login_required
@require_POST
def notice_approve(request, pk):
    return _notice_action(request, pk, lambda n: services.notice_approve(actor=request.user, notice=n),
                          _("已审批并发布。"))


@login_required
@require_POST
def notice_reject(request, pk):
    return _notice_action(request, pk, lambda n: services.notice_reject(
        actor=request.user, notice=n, reason=request.POST.get("reason", "")), _("已退回。"))


def notice_file_parts(notice, kind: str) -> tuple[bytes, str, str]:
    if kind == "pdf":
        body, ctype = documents.notice_pdf(notice), "application/pdf"
    else:
        body = documents.notice_docx(notice)
        ctype = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    return body, ctype, documents.notice_filename(notice, kind)


def file_response(parts: tuple[bytes, str, str]) -> HttpResponse:
    from urllib.parse import quote

    body, ctype, filename = parts
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def notice_file(notice, kind: str) -> HttpResponse:
    return file_response(notice_file_parts(notice, kind))


@login_required
def notice_download(request, pk, kind):
    notice = selectors.notice_get(request.user, pk)
    if kind not in ("pdf", "docx"):
        raise NotFound()
    return notice_file(notice, kind)


@login_required
def issuer_create(request):
    require_any(request.user, APPROVE)
    form = forms.IssuerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            area = scope(Area.objects.all(), request.user, APPROVE, field="path").get(code=data["area_code"].strip())
            services.issuer_create(actor=request.user, name=data["name"], area=area, title=data["title"],
                                   next_number=data["next_number"])
        except Area.DoesNotExist:
            form.add_error("area_code", _("找不到该区域，或它不在您的辖区内。"))
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已新建发布机关。"))
            return redirect("risk_areas:notice_list")
    return render(request, "risk_areas/form.html", {"form": form, "title": _("新建发布机关")})


@login_required
def area_map(request):
    require_any(request.user, VIEW)
    areas = list(selectors.risk_area_qs(request.user).filter(status=RiskAreaStatus.ACTIVE).select_related("county"))
    return render(request, "risk_areas/map.html", {
        "map_data": map_payload(areas, geo_url=static("risk_areas/geo/shangluo_demo.json")),
    })
