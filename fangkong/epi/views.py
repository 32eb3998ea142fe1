"""Pages of the epi app. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.core.errors import NotFound, ServiceError
from fangkong.core.pagination import paginate
from fangkong.core.scoping import can, require_any, scope
from fangkong.epi import forms, rules, selectors, services
from fangkong.epi.models import AssistOutcome, Contact, ContactSuggestion, RequestState, RulesetOverride


def person_by_document(actor, id_number: str, action: str):
    from fangkong.residents.idnumbers import IdNumberError, clean_id_text, normalize_citizen_id
    from fangkong.residents.models import Person

    raw = clean_id_text(id_number)
    try:
        value = normalize_citizen_id(raw)
    except IdNumberError:
        value = raw
    person = scope(Person.objects.select_related("household", "area"), actor, action).filter(
        id_number=value).first()
    if person is None:
        raise ServiceError(_("辖区内找不到该证件号码的居民。"), code="person_not_found", field="id_number")
    return person


def _form_error(form, exc: ServiceError):
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


# -- cases -------------------------------------------------------------------------------------------


@login_required
def index(request):
    require_any(request.user, selectors.VIEW)
    qs = selectors.case_qs(request.user)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(person__name__contains=q)
    return render(request, "epi/case_list.html", {
        "page_obj": paginate(request, qs), "q": q, "can_manage": can_any(request.user, services.MANAGE)})


def can_any(user, action):
    from fangkong.core.scoping import has_any

    return has_any(user, action)


@login_required
def case_new(request):
    require_any(request.user, services.MANAGE)
    form = forms.CaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            person = person_by_document(request.user, data.pop("id_number"), services.MANAGE)
            case = services.case_register(actor=request.user, person=person, **data)
        except ServiceError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("已登记病例，并已按防控方案生成管控状态。"))
            return redirect("epi:case_detail", case_id=case.pk)
    return render(request, "epi/form.html", {"form": form, "title": _("登记病例"), "back": "epi:index"})


@login_required
def case_detail(request, case_id):
    case = selectors.case_get(request.user, case_id)
    can_manage = can(request.user, services.MANAGE, case.area_path)
    return render(request, "epi/case_detail.html", {
        "case": case, "entries": case.entries.all(), "roots": selectors.chain(request.user, case),
        "contacts": case.contacts.select_related("person", "via__person"),
        "suggestions": selectors.suggestion_qs(request.user, case).filter(state="pending"),
        "can_manage": can_manage, "entry_form": forms.EntryForm(),
        "statuses": selectors.person_status_summary(request.user, case.person),
    })


@login_required
def case_edit(request, case_id):
    """Kind, dates (release included) and addresses of a case, through `case_update` (which recomputes)."""
    case = selectors.case_get(request.user, case_id)
    if not can(request.user, services.MANAGE, case.area_path):
        raise NotFound()
    initial = {f: getattr(case, f) for f in forms.CaseEditForm.base_fields if f != "reason"}
    form = forms.CaseEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        changed = {k: v for k, v in data.items() if v != initial.get(k) and not (v in ("", None) and not initial.get(k))}
        try:
            if changed:
                services.case_update(actor=request.user, case=case, reason=reason, **changed)
        except ServiceError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("已保存病例信息，管控状态已重新计算。") if changed else _("没有修改。"))
            return redirect("epi:case_detail", case_id=case.pk)
    return render(request, "epi/form.html", {"form": form, "case": case,
                                             "title": _("修改病例 #%(n)s") % {"n": case.pk}})


@login_required
@require_POST
def case_entry(request, case_id):
    case = selectors.case_get(request.user, case_id)
    form = forms.EntryForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写地点和开始时间。"))
    else:
        try:
            services.investigation_add(actor=request.user, case=case, **form.cleaned_data)
            messages.success(request, _("已添加流调轨迹。"))
        except ServiceError as exc:
            messages.error(request, exc.message)
    return redirect("epi:case_detail", case_id=case.pk)


@login_required
def contact_new(request, case_id):
    case = selectors.case_get(request.user, case_id)
    if not can(request.user, services.MANAGE, case.area_path):
        raise NotFound()
    form = forms.ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            from fangkong.residents.idnumbers import IdNumberError, clean_id_text, normalize_citizen_id
            from fangkong.residents.selectors import person_find_by_document

            raw = clean_id_text(data.pop("id_number"))
            try:
                raw = normalize_citizen_id(raw)
            except IdNumberError:
                pass
            person = person_find_by_document("citizen_id", raw) or person_find_by_document("passport", raw)
            if person is None:
                raise ServiceError(_("台账中找不到该证件号码的居民，请先登记或发协查。"), field="id_number")
            via_id = data.pop("via")
            via = Contact.objects.filter(pk=via_id, case=case).first() if via_id else None
            services.contact_register(actor=request.user, case=case, person=person, via=via, **data)
        except ServiceError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("已登记接触者。"))
            return redirect("epi:case_detail", case_id=case.pk)
    return render(request, "epi/form.html", {"form": form, "title": _("登记接触者"), "case": case})


@login_required
@require_POST
def suggest(request, case_id):
    case = selectors.case_get(request.user, case_id)
    try:
        n = services.suggestions_generate(actor=request.user, case=case)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("新增 %(n)d 条待研判的建议（建议不会自动成为接触者）。") % {"n": n})
    return redirect("epi:case_detail", case_id=case.pk)


@login_required
@require_POST
def suggestion_decide(request, suggestion_id):
    sugg = ContactSuggestion.objects.select_related("case", "person").filter(pk=suggestion_id).first()
    if sugg is None:
        raise NotFound()
    selectors.case_get(request.user, sugg.case_id)
    if not can(request.user, services.MANAGE, sugg.case.area_path):
        raise NotFound()
    form = forms.ConfirmForm(request.POST)
    try:
        if not form.is_valid():
            raise ServiceError(_("请选择确认或排除。"))
        d = form.cleaned_data
        if d["decision"] == "confirm":
            services.suggestion_confirm(actor=request.user, suggestion=sugg, category=d["category"] or "close_contact",
                                        contact_date=d["contact_date"], situation=d["situation"])
            messages.success(request, _("已确认为接触者。"))
        else:
            services.suggestion_dismiss(actor=request.user, suggestion=sugg, reason=d["reason"])
            messages.success(request, _("已排除。"))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("epi:case_detail", case_id=sugg.case_id)


@login_required
def chain(request, case_id):
    case = selectors.case_get(request.user, case_id)
    return render(request, "epi/chain.html", {"case": case, "roots": selectors.chain(request.user, case)})


@login_required
def chain_export(request, case_id):
    from fangkong.audit.services import access_record
    from fangkong.core.excel import XlsxStreamWriter

    case = selectors.case_get(request.user, case_id)
    access_record(actor=request.user, kind="export", obj=case, detail={"export": "chain"})
    w = XlsxStreamWriter()
    w.add_sheet("传播链", ["类别", "编号", "姓名", "层级", "说明", "日期", "经由"])
    w.write_rows(selectors.chain_rows(selectors.chain(request.user, case), case))
    path = w.close()
    return FileResponse(open(path, "rb"), as_attachment=True, filename=f"传播链-病例{case.pk}.xlsx")  # noqa: SIM115


# -- statuses -------------------------------------------------------------------------------------


@login_required
def statuses(request):
    require_any(request.user, selectors.STATUS_VIEW)
    today = timezone.localdate()
    qs = selectors.status_qs(request.user).order_by("-start", "id")
    if request.GET.get("current", "1") == "1":
        qs = qs.filter(start__lte=today).exclude(end__lt=today)
    kind = request.GET.get("kind", "")
    if kind in rules.PHASE_KINDS:
        qs = qs.filter(kind=kind)
    return render(request, "epi/status_list.html", {
        "page_obj": paginate(request, qs), "kinds": rules.PHASE_KINDS, "kind": kind,
        "current": request.GET.get("current", "1")})


@login_required
def person(request, person_id):
    p = selectors.status_person_get(request.user, person_id)
    return render(request, "epi/person.html", {
        "person": p, "status_lines": selectors.person_status_summary(request.user, p),
        "contacts": selectors.contact_qs(request.user).filter(person=p),
        "cases": selectors.case_qs(request.user).filter(person=p),
        "requests": selectors.request_qs(request.user, selectors.STATUS_VIEW).filter(person=p),
        "can_request": can(request.user, services.MANAGE, p.area_path),
    })


@login_required
def request_new(request, person_id):
    p = selectors.status_person_get(request.user, person_id)
    if not can(request.user, services.MANAGE, p.area_path):
        raise NotFound()
    form = forms.ManualRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.manual_request_create(actor=request.user, person=p, **form.cleaned_data)
        except ServiceError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("已提交申请，须另一位流调/疾控人员审批后生效。"))
            return redirect("epi:person", person_id=p.pk)
    return render(request, "epi/form.html", {"form": form, "title": _("申请人工管控：%(n)s") % {"n": p.name}})


@login_required
def requests_list(request):
    require_any(request.user, services.APPROVE)
    qs = selectors.request_qs(request.user, services.APPROVE)
    state = request.GET.get("state", RequestState.PENDING)
    if state in RequestState.values:
        qs = qs.filter(state=state)
    return render(request, "epi/request_list.html", {"page_obj": paginate(request, qs), "state": state,
                                                     "states": RequestState.choices})


@login_required
@require_POST
def request_decide(request, request_id):
    req = selectors.request_get(request.user, request_id)
    form = forms.DecideForm(request.POST)
    try:
        if not form.is_valid():
            raise ServiceError(_("请选择批准或驳回。"))
        if form.cleaned_data["decision"] == "approve":
            services.manual_request_approve(actor=request.user, request=req, note=form.cleaned_data["note"])
            messages.success(request, _("已批准，管控状态已生效。"))
        else:
            services.manual_request_reject(actor=request.user, request=req, note=form.cleaned_data["note"])
            messages.success(request, _("已驳回。"))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("epi:requests")


@login_required
def unsupported(request):
    require_any(request.user, selectors.STATUS_VIEW)
    return render(request, "epi/unsupported.html", {"rows": selectors.unsupported_statuses(request.user)[:500]})


# -- rule sets and overrides --------------------------------------------------------------------


@login_required
def rulesets(request):
    require_any(request.user, selectors.STATUS_VIEW)
    today = timezone.localdate()
    sets = rules.load_rulesets()
    return render(request, "epi/rulesets.html", {
        "rulesets": [(rs, rules.effective_until(rs, sets)) for rs in sets],
        "today_set": rules.ruleset_for_date(today),
        "phase_kinds": rules.PHASE_KINDS,
        "overrides": selectors.override_qs(request.user)[:200],
        "can_propose": can_any(request.user, services.RULESET),
    })


@login_required
def override_new(request):
    require_any(request.user, services.RULESET)
    form = forms.OverrideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        from fangkong.areas.models import Area

        d = dict(form.cleaned_data)
        try:
            county = Area.objects.filter(code=d.pop("county").strip()).first()
            if county is None or not can(request.user, services.RULESET, county.path):
                raise ServiceError(_("找不到该区县，或它不在您的辖区内。"), field="county")
            services.override_propose(actor=request.user, county=county, **d)
        except ServiceError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("已提出，须另一位人员审批后生效。"))
            return redirect("epi:rulesets")
    return render(request, "epi/form.html", {"form": form, "title": _("提出方案覆盖")})


@login_required
@require_POST
def override_decide(request, override_id):
    o = scope(RulesetOverride.objects.select_related("county"), request.user, services.RULESET_APPROVE).filter(
        pk=override_id).first()
    if o is None:
        raise NotFound()
    try:
        if request.POST.get("decision") == "revoke":
            services.override_revoke(actor=request.user, override=o, reason=request.POST.get("note", ""))
        else:
            r = services.override_approve(actor=request.user, override=o)
            messages.success(request, _("已生效；重新计算：新增%(c)d、变更%(u)d、删除%(d)d。") % {
                "c": r.created, "u": r.updated, "d": r.deleted})
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("epi:rulesets")


# -- assist lists -----------------------------------------------------------------------------------


@login_required
def assist_index(request):
    require_any(request.user, services.ASSIST)
    return render(request, "epi/assist_list.html", {"page_obj": paginate(request, selectors.assist_list_qs(request.user))})


@login_required
def assist_upload(request):
    require_any(request.user, services.ASSIST)
    form = forms.AssistUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        from fangkong.areas.models import Area

        d = dict(form.cleaned_data)
        area = Area.objects.filter(code=d.pop("area").strip()).first()
        try:
            if area is None or not can(request.user, services.ASSIST, area.path):
                raise ServiceError(_("找不到该区域，或它不在您的辖区内。"), field="area")
            f = d.pop("file")
            lst = services.assist_list_upload(actor=request.user, area=area, file=f, filename=f.name, **d)
        except ServiceError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("已导入 %(n)d 行，匹配 %(m)d 行。") % {"n": lst.rows_total, "m": lst.rows_matched})
            return redirect("epi:assist_detail", list_id=lst.pk)
    return render(request, "epi/form.html", {"form": form, "title": _("上传协查名单"), "multipart": True})


@login_required
def assist_detail(request, list_id):
    lst = selectors.assist_list_get(request.user, list_id)
    items = selectors.assist_items(request.user, lst)
    f = request.GET.get("f", "")
    if f == "unmatched":
        items = items.filter(person=None)
    elif f == "open":
        items = items.filter(outcome="")
    return render(request, "epi/assist_detail.html", {
        "lst": lst, "page_obj": paginate(request, items), "stats": selectors.assist_grid_stats(lst), "f": f,
        "overdue": lst.deadline < timezone.now(), "outcomes": AssistOutcome.choices})


@login_required
def assist_return(request, list_id):
    lst = selectors.assist_list_get(request.user, list_id)
    path = selectors.assist_return_file(request.user, lst)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=f"协查反馈-{lst.pk}.xlsx")  # noqa: SIM115


@login_required
def assist_mine(request):
    require_any(request.user, services.ASSIST_OUTCOME)
    qs = selectors.my_assist_items(request.user)
    if request.GET.get("open", "1") == "1":
        qs = qs.filter(outcome="")
    return render(request, "epi/assist_mine.html", {"page_obj": paginate(request, qs), "outcomes": AssistOutcome.choices,
                                                    "now": timezone.now()})


@login_required
@require_POST
def assist_outcome(request, item_id):
    item = selectors.assist_item_get(request.user, item_id)
    form = forms.OutcomeForm(request.POST)
    try:
        if not form.is_valid():
            raise ServiceError(_("请选择处置结果。"))
        services.assist_item_outcome(actor=request.user, item=item, **form.cleaned_data)
        messages.success(request, _("已记录。"))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect(request.POST.get("next") if request.POST.get("next", "").startswith("/epi/") else "epi:assist_mine")


@login_required
@require_POST
def assist_resolve(request, item_id):
    item = selectors.assist_item_get(request.user, item_id, action=services.ASSIST)
    form = forms.ResolveForm(request.POST)
    try:
        if not form.is_valid():
            raise ServiceError(_("请选择居民。"))
        from fangkong.residents.models import Person

        person = scope(Person.objects, request.user, services.ASSIST).filter(pk=form.cleaned_data["person_id"]).first()
        if person is None:
            raise ServiceError(_("找不到该居民。"))
        services.assist_item_resolve(actor=request.user, item=item, person=person)
        messages.success(request, _("已指定居民并分派给网格员。"))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("epi:assist_detail", list_id=item.list_id)
