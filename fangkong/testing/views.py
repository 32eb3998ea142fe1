"""Pages of the testing app. Thin: parse, call a selector or service, render."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.areas.models import Area
from fangkong.audit.services import access_record
from fangkong.core.errors import NotFound, ServiceError
from fangkong.core.excel import TableError, XlsxStreamWriter, read_table
from fangkong.core.masking import mask_name, mask_phone
from fangkong.core.pagination import paginate
from fangkong.core.scoping import can, get_or_404, has_any, require_any
from fangkong.residents.idnumbers import IdType, mask_id_number
from fangkong.testing import rules, selectors, services
from fangkong.testing.forms import ResultsUploadForm, RoundForm, SiteForm, TubeStartForm
from fangkong.testing.models import Tube


@login_required
def index(request):
    require_any(request.user, services.VIEW)
    page = paginate(request, selectors.round_qs(request.user).select_related("area"))
    return render(request, "testing/round_list.html", {
        "page_obj": page, "can_manage": has_any(request.user, services.MANAGE)})


def _parse_areas(actor, text: str) -> list[services.AreaSpec]:
    specs = []
    for n, line in enumerate((text or "").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        code, mode = parts[0], parts[1] if len(parts) > 1 else "pool"
        try:
            capacity = int(parts[2]) if len(parts) > 2 else rules.default_capacity(mode)
        except ValueError:
            raise ServiceError(_("第 %(n)d 行：每管人数应为数字。") % {"n": n}, field="areas") from None
        try:
            area = get_or_404(Area.objects.all(), actor, services.MANAGE, field="path", code=code)
        except NotFound:
            raise ServiceError(_("第 %(n)d 行：区域代码 %(code)s 不存在或不在您的辖区。") % {"n": n, "code": code},
                               field="areas") from None
        specs.append(services.AreaSpec(area, mode, capacity))
    return specs


@login_required
def round_create(request):
    require_any(request.user, services.MANAGE)
    form = RoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            area = get_or_404(Area.objects.all(), request.user, services.MANAGE, field="path", code=d["area"].strip())
        except NotFound:
            form.add_error("area", _("区域代码不存在或不在您的辖区。"))
        else:
            try:
                r = services.round_create(actor=request.user, name=d["name"], area=area, starts_at=d["starts_at"],
                                          ends_at=d["ends_at"], areas=_parse_areas(request.user, d["areas"]),
                                          infant_age_years=d["infant_age_years"])
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("已开启“%(name)s”。") % {"name": r.name})
                return redirect("testing:round_detail", round_id=r.pk)
    return render(request, "testing/round_form.html", {"form": form})


def _round_and_area(request, round_id):
    r = selectors.round_get(request.user, round_id)
    area = selectors.coverage_area(request.user, r, request.GET.get("area"))
    return r, area


@login_required
def round_detail(request, round_id):
    r, area = _round_and_area(request, round_id)
    children = selectors.coverage_children(r, area)
    chart = {"names": [c.name for c, _f in children], "tested": [f["tested"] for _c, f in children],
             "untested": [f["untested"] for _c, f in children]}
    return render(request, "testing/round_detail.html", {
        "round": r, "area": area, "totals": selectors.coverage_totals(r, area), "children": children,
        "chart": chart, "round_areas": selectors.round_areas(r),
        "overdue": selectors.overdue_tubes(request.user, r)[:50],
        "throughput": selectors.throughput(request.user, r)[:48],
        "can_manage": can(request.user, services.MANAGE, r.area_path),
    })


@login_required
def untested(request, round_id):
    r, area = _round_and_area(request, round_id)
    door = request.GET.get("door") == "1"
    qs = selectors.door_to_door_qs(r, area) if door else selectors.untested_qs(r, area)
    page = paginate(request, qs)
    access_record(actor=request.user, kind="search", object_type="testing.untested", object_id=r.pk,
                  object_repr=f"{r.name} {area.name}", area_path=area.path, detail={"door": door})
    return render(request, "testing/untested_list.html", {"round": r, "area": area, "page_obj": page, "door": door})


@login_required
def recalls(request, round_id):
    r, area = _round_and_area(request, round_id)
    status = request.GET.get("status") if request.GET.get("status") in ("open", "settled") else None
    page = paginate(request, selectors.recall_qs(request.user, r, area, status=status))
    access_record(actor=request.user, kind="search", object_type="testing.recall", object_id=r.pk,
                  object_repr=f"{r.name} {area.name}", area_path=area.path)
    return render(request, "testing/recall_list.html", {"round": r, "area": area, "page_obj": page, "status": status})


def _xlsx(request, filename: str, build) -> FileResponse:
    writer = XlsxStreamWriter()
    build(writer)
    path = writer.close()
    fh = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    import os

    os.unlink(path)  # the open handle keeps the data until the response is sent
    return FileResponse(fh, as_attachment=True, filename=filename,
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@login_required
def export_report(request, round_id):
    r, area = _round_and_area(request, round_id)
    access_record(actor=request.user, kind="export", object_type="testing.round", object_id=r.pk,
                  object_repr=f"{r.name} {area.name}", area_path=area.path, detail={"export": "report"})
    cols = ["should", "tested", "untested", "exempt", "pending", "negative", "pool_positive", "positive", "invalid"]
    labels = [_("应检"), _("已检"), _("未检"), _("免检"), _("待出结果"), _("阴性"), _("混管可疑阳性"), _("阳性"), _("需重采")]

    def build(w):
        w.add_sheet(_("覆盖情况"), [_("区域"), _("代码"), *labels, _("检测率%")])
        totals = selectors.coverage_totals(r, area)
        w.write_row([area.name, area.code, *[totals[c] for c in cols], totals["rate"]])
        for child, figures in selectors.coverage_children(r, area):
            w.write_row([child.name, child.code, *[figures[c] for c in cols], figures["rate"]])
        w.add_sheet(_("超时未出结果的试管"), [_("管码"), _("容量"), _("人数"), _("采样点"), _("开管时间")])
        for t in selectors.overdue_tubes(request.user, r).iterator():
            w.write_row([t.barcode, t.capacity, t.count, t.table.site.name if t.table_id else "", t.opened_at])

    return _xlsx(request, f"round-{r.pk}-{area.code}-report.xlsx", build)


@login_required
def export_untested(request, round_id):
    r, area = _round_and_area(request, round_id)
    access_record(actor=request.user, kind="export", object_type="testing.untested", object_id=r.pk,
                  object_repr=f"{r.name} {area.name}", area_path=area.path, detail={"export": "untested"})

    def build(w):
        w.add_sheet(_("未检人员"), [_("区域"), _("地址"), _("姓名"), _("证件号码"), _("联系电话")])
        for p in selectors.untested_qs(r, area).iterator(chunk_size=2000):
            w.write_row([p.area.name, p.household.address if p.household_id else "", mask_name(p.name),
                         mask_id_number(p.id_number), mask_phone(p.phone)])

    return _xlsx(request, f"round-{r.pk}-{area.code}-untested.xlsx", build)


@login_required
def export_recalls(request, round_id):
    r, area = _round_and_area(request, round_id)
    access_record(actor=request.user, kind="export", object_type="testing.recall", object_id=r.pk,
                  object_repr=f"{r.name} {area.name}", area_path=area.path, detail={"export": "recalls"})

    def build(w):
        w.add_sheet(_("召回名单"), [_("地址"), _("姓名"), _("证件号码"), _("联系电话"), _("混管管码"), _("状态"),
                                 _("居家等待"), _("单采结果"), _("召回时间")])
        for x in selectors.recall_qs(request.user, r, area).iterator(chunk_size=2000):
            p = x.person
            w.write_row([p.household.address if p.household_id else "", mask_name(p.name),
                         mask_id_number(p.id_number), mask_phone(p.phone), x.tube.barcode, x.get_status_display(),
                         x.stay_at_home, x.get_outcome_display() if x.outcome else "", x.created_at])

    return _xlsx(request, f"round-{r.pk}-{area.code}-recalls.xlsx", build)


@login_required
def sites(request):
    if not (has_any(request.user, services.VIEW) or has_any(request.user, services.SAMPLE)):
        require_any(request.user, services.VIEW)
    action = services.VIEW if has_any(request.user, services.VIEW) else services.SAMPLE
    page = paginate(request, selectors.site_qs(request.user, action))
    return render(request, "testing/site_list.html", {"page_obj": page,
                                                      "can_manage": has_any(request.user, services.MANAGE)})


@login_required
def site_create(request):
    require_any(request.user, services.MANAGE)
    form = SiteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        try:
            area = get_or_404(Area.objects.all(), request.user, services.MANAGE, field="path", code=d.pop("area").strip())
        except NotFound:
            form.add_error("area", _("区域代码不存在或不在您的辖区。"))
        else:
            try:
                site = services.site_create(actor=request.user, area=area, **d)
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("已新建采样点“%(name)s”。") % {"name": site.name})
                return redirect("testing:sites")
    return render(request, "testing/site_form.html", {"form": form})


# --- the phone-sized sampling page ------------------------------------------------------------------

@login_required
def sample(request):
    require_any(request.user, services.SAMPLE)
    rounds = selectors.round_open_for_sampler(request.user)
    tables = list(selectors.table_qs(request.user))
    form = TubeStartForm(request.GET or None, rounds=rounds, tables=tables)
    if request.GET and form.is_valid():
        d = form.cleaned_data
        tube = d["tube"].strip().upper()
        if not rules.barcode_ok(tube):
            form.add_error("tube", _("管码格式错误。"))
        else:
            return redirect(reverse("testing:sample_tube") + f"?round={d['round']}&table={d['table']}"
                            f"&tube={tube}&capacity={d['capacity']}")
    return render(request, "testing/sample_start.html", {"form": form, "rounds": rounds, "tables": tables})


def _tube_context(request, source):
    try:
        round_id, table_id, capacity = int(source.get("round")), int(source.get("table")), int(source.get("capacity"))
    except (TypeError, ValueError):
        raise NotFound() from None
    r = selectors.round_get(request.user, round_id, services.SAMPLE)
    try:
        table = selectors.table_qs(request.user).get(pk=table_id)
    except Exception:
        raise NotFound() from None
    barcode = (source.get("tube") or "").strip().upper()
    if not rules.barcode_ok(barcode):
        raise NotFound()
    tube = Tube.objects.filter(barcode=barcode).first()
    if tube is not None and not can(request.user, services.SAMPLE, tube.area_path):
        raise NotFound()
    return r, table, barcode, capacity, tube


@login_required
def sample_tube(request):
    require_any(request.user, services.SAMPLE)
    source = request.POST if request.method == "POST" else request.GET
    r, table, barcode, capacity, tube = _tube_context(request, source)
    query = f"?round={r.pk}&table={table.pk}&tube={barcode}&capacity={capacity}"
    if request.method == "POST":
        item = {"client_id": request.POST.get("client_id") or uuid.uuid4().hex, "round": r.pk, "tube": barcode,
                "capacity": capacity, "table": table.pk, "id_type": request.POST.get("id_type") or IdType.CITIZEN_ID.value,
                "id_number": request.POST.get("id_number", ""), "sampled_at": timezone.now()}
        res = services.bindings_ingest(actor=request.user, items=[item])[0]
        if res["status"] == "accepted":
            flags = res.get("flags") or []
            note = "".join([_("（本轮已采过，已标记）") if "repeat" in flags else "",
                            _("（未在台账中，已临时登记）") if "walk_in" in flags else ""])
            messages.success(request, _("已绑定。") + note)
        elif res["status"] == "duplicate":
            messages.info(request, _("该条已提交过。"))
        else:
            messages.error(request, res.get("message") or res["reason"])
        return redirect(reverse("testing:sample_tube") + query)
    return render(request, "testing/sample_tube.html", {
        "round": r, "table": table, "barcode": barcode, "capacity": capacity, "tube": tube,
        "count": tube.count if tube else 0, "client_id": uuid.uuid4().hex, "id_types": IdType.choices(),
        "closed": bool(tube and tube.status == "closed"),
    })


@login_required
@require_POST
def sample_close(request):
    require_any(request.user, services.SAMPLE)
    barcode = request.POST.get("tube", "")
    try:
        tube = services.tube_close(actor=request.user, barcode=barcode)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("testing:sample")
    messages.success(request, _("试管 %(tube)s 已封管（%(n)d 人）。") % {"tube": tube.barcode, "n": tube.count})
    return redirect("testing:sample")


# --- lab results --------------------------------------------------------------------------------------

RESULT_FIELDS = {"tube": ["管码", "试管编号", "条码", "样本编号", "tube", "barcode"],
                 "result": ["检测结果", "结果", "result"]}


@login_required
def results_upload(request):
    require_any(request.user, services.LAB)
    form = ResultsUploadForm(request.POST or None, request.FILES or None)
    summary = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            with read_table(upload, filename=upload.name, fields=RESULT_FIELDS, required={"tube", "result"}) as table:
                items = [{"tube": row.values.get("tube", ""), "result": row.values.get("result", ""),
                          "_row": row.number} for row in table.rows()]
        except TableError as exc:
            form.add_error("file", str(exc.message))
        else:
            out = services.results_ingest(actor=request.user, items=items)
            summary = {"accepted": sum(o["status"] == "accepted" for o in out),
                       "duplicate": sum(o["status"] == "duplicate" for o in out),
                       "rejected": [(items[i]["_row"], o["tube"], o.get("message", "")) for i, o in enumerate(out)
                                    if o["status"] == "rejected"]}
    return render(request, "testing/results_upload.html", {"form": form, "summary": summary,
                                                           "summary_json": json.dumps(bool(summary))})


__all__ = ["dt"]
