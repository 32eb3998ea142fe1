"""Pages of the isolation app. Thin: parse, call a selector or service, render."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.areas.models import Area
from fangkong.audit.services import access_record
from fangkong.core.errors import NotFound, ServiceError
from fangkong.core.pagination import paginate
from fangkong.core.scoping import assignment_paths, can, has_any, require_any, scope
from fangkong.isolation import selectors, services
from fangkong.isolation.models import (
    OPEN_STATES,
    Episode,
    EpisodeState,
    Escalation,
    Need,
    NeedKind,
    Outcome,
    Room,
    Site,
    TaskKind,
)


def _date(value, default=None):
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


@login_required
def index(request):
    """Today's work list of an area (?area=code; default the actor's own area) and the sites' capacity."""
    require_any(request.user, selectors.VIEW)
    day = _date(request.GET.get("date"), selectors.today())
    code = request.GET.get("area", "")
    area = None
    if code:
        area = scope(Area.objects.all(), request.user, selectors.VIEW, field="path").filter(code=code).first()
        if area is None:
            raise NotFound()
    if area is None:
        paths = assignment_paths(request.user, selectors.VIEW)
        area = Area.objects.filter(path=paths[0]).first()
    wl = selectors.worklist_area(request.user, area.path, day, limit=selectors.PAGE_LIST_LIMIT)
    sites = list(selectors.site_qs(request.user).filter(active=True))
    return render(request, "isolation/index.html", {
        "area": area, "day": day, "wl": wl, "capacity": selectors.site_capacity(sites),
        "escalations": selectors.escalation_qs(request.user).filter(resolved=False).count(),
        "can_manage": has_any(request.user, selectors.MANAGE)})


@login_required
def capacity(request):
    require_any(request.user, selectors.VIEW)
    sites = list(selectors.site_qs(request.user).filter(active=True).select_related("area"))
    rows = selectors.site_capacity(sites)
    counties: dict[str, dict] = {}
    for r in rows:
        parts = [p for p in r["site"].area_path.split("/") if p]
        key = "/" + "/".join(parts[:2]) + "/"
        c = counties.setdefault(key, {"rooms": 0, "occupied": 0, "persons": 0, "free": 0})
        for k in c:
            c[k] += r[k]
    names = dict(Area.objects.filter(path__in=list(counties)).values_list("path", "name"))
    return render(request, "isolation/capacity.html", {
        "rows": rows, "counties": [{"name": names.get(k, k), **v} for k, v in counties.items()],
        "history": selectors.occupancy_history(sites, days=60)})


# -- sites -------------------------------------------------------------------------------------------


@login_required
def site_new(request):
    require_any(request.user, selectors.MANAGE)
    areas = scope(Area.objects.filter(level__in=["county", "street", "community"], retired_at__isnull=True),
                  request.user, selectors.MANAGE, field="path").order_by("path")[:500]
    error = None
    if request.method == "POST":
        try:
            area = areas.model.objects.filter(code=request.POST.get("area", "")).first()
            if area is None:
                raise ServiceError(_("请选择所在街道/乡镇。"), field="area")
            site = services.site_create(
                actor=request.user, area=area, name=request.POST.get("name", ""),
                address=request.POST.get("address", ""), phone=request.POST.get("phone", ""),
                party_branch=request.POST.get("party_branch", ""),
                party_secretary=request.POST.get("party_secretary", ""),
                groups=[g for g in request.POST.get("groups", "").replace("，", ",").replace("、", ",").split(",")
                        if g.strip()] or None,
                rooms=services.parse_rooms(request.POST.get("rooms", "")))
        except ServiceError as exc:
            error = exc.message
        else:
            messages.success(request, _("已创建隔离点。"))
            return redirect("isolation:site_detail", site_id=site.pk)
    return render(request, "isolation/site_new.html", {"areas": areas, "error": error, "post": request.POST})


@login_required
def site_detail(request, site_id):
    site = selectors.site_get(request.user, site_id)
    day = _date(request.GET.get("date"), selectors.today())
    wl = selectors.worklist_site(request.user, site, day, limit=selectors.PAGE_LIST_LIMIT)
    episodes = paginate(request, site.episodes.filter(state__in=OPEN_STATES).select_related(
        "person", "room", "caller").only("id", "site_id", "state", "phase_end", "person__id", "person__name", "room__id",
                                         "room__number", "caller__id", "caller__display_name")
        .order_by("room__number", "id"), per_page=50)
    from fangkong.isolation.rules import callers_needed

    return render(request, "isolation/site_detail.html", {
        "callers_needed": callers_needed(wl["capacity"]["persons"]),
        "callers": site.staff.filter(group__name__startswith="信息联络").count(),
        "site": site, "day": day, "wl": wl, "episodes": episodes,
        "groups": site.groups.prefetch_related("members__user"), "rooms": site.rooms.all(),
        "history": selectors.occupancy_history([site], days=60),
        "can_manage": can(request.user, selectors.MANAGE, site.area_path),
        "is_member": site.pk in selectors.member_site_ids(request.user)})


@login_required
@require_POST
def site_staff_add(request, site_id):
    from fangkong.accounts.models import User

    site = selectors.site_get(request.user, site_id)
    try:
        user = User.objects.filter(username=request.POST.get("username", "").strip()).first()
        if user is None:
            raise ServiceError(_("找不到该用户名。"))
        group = site.groups.filter(pk=request.POST.get("group") or 0).first()
        services.staff_add(actor=request.user, site=site, user=user, group=group,
                           is_leader=bool(request.POST.get("is_leader")))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已添加工作人员。"))
    return redirect("isolation:site_detail", site_id=site.pk)


@login_required
@require_POST
def site_rooms_add(request, site_id):
    site = selectors.site_get(request.user, site_id)
    try:
        n = services.rooms_add(actor=request.user, site=site, numbers=services.parse_rooms(request.POST.get("rooms", "")))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已添加 %(n)s 间房间。") % {"n": n})
    return redirect("isolation:site_detail", site_id=site.pk)


@login_required
def site_work(request):
    """Isolation staff: their site(s)."""
    require_any(request.user, selectors.SITE_WORK)
    sites = list(Site.objects.filter(pk__in=selectors.member_site_ids(request.user)))
    if len(sites) == 1:
        return redirect("isolation:site_detail", site_id=sites[0].pk)
    return render(request, "isolation/site_work.html", {"sites": sites})


@login_required
def call_list(request, site_id):
    """The staff member's call list (phone-sized): the people assigned to them, today's morning and evening
    calls done or not, and a form per person to log a call (reached or not, needs raised)."""
    from fangkong.isolation.models import CallSlot

    site = selectors.site_get(request.user, site_id)
    day = _date(request.GET.get("date"), selectors.today())
    if request.method == "POST":
        p = request.POST
        ep = selectors.episode_qs(request.user).filter(pk=p.get("episode") or 0, site_id=site.pk).first()
        if ep is None:
            raise NotFound()
        needs = [(k, p.get("need_text", "").strip() if k == "other" else "")
                 for k in services.CALL_NEED_KINDS if p.get(f"need_{k}")]
        if p.get("need_text", "").strip() and not p.get("need_other"):
            needs.append(("other", p.get("need_text", "").strip()))
        try:
            services.call_record(actor=request.user, episode=ep, slot=p.get("slot", ""),
                                 reached=p.get("reached") == "1", needs=needs, note=p.get("note", ""),
                                 client_id=p.get("client_id") or None)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已登记电话随访：%(name)s。") % {"name": ep.person.name})
        return redirect("isolation:call_list", site_id=site.pk)
    sheet = selectors.call_sheet(request.user, site, day)
    now_slot = "am" if timezone.localtime().hour < 14 else "pm"
    return render(request, "isolation/call_list.html", {
        "site": site, "day": day, "rows": sheet, "counts": selectors.call_counts(sheet), "slots": CallSlot.choices,
        "now_slot": now_slot, "need_kinds": [(k, NeedKind(k).label) for k in services.CALL_NEED_KINDS],
        "can_see_missing": can(request.user, selectors.VIEW, site.area_path)
        or site.pk in selectors.member_site_ids(request.user)})


@login_required
def calls_missing(request, site_id):
    """The calls not made today at a site, per staff member."""
    site = selectors.site_get(request.user, site_id)
    day = _date(request.GET.get("date"), selectors.today())
    return render(request, "isolation/calls_missing.html", {
        "site": site, "day": day, "groups": selectors.calls_missing(request.user, site, day)})


# -- episodes ----------------------------------------------------------------------------------------


@login_required
def episodes(request):
    if not (has_any(request.user, selectors.VIEW) or has_any(request.user, selectors.SITE_WORK)):
        require_any(request.user, selectors.VIEW)
    qs = selectors.episode_qs(request.user)
    state = request.GET.get("state", "open")
    if state == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif state in EpisodeState.values:
        qs = qs.filter(state=state)
    mode = request.GET.get("mode", "")
    if mode:
        qs = qs.filter(mode=mode)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(person__name__contains=q)
    return render(request, "isolation/episode_list.html", {"page_obj": paginate(request, qs), "state": state,
                                                          "mode": mode, "q": q, "states": EpisodeState.choices})


@login_required
def episode_detail(request, episode_id):
    ep = selectors.episode_get(request.user, episode_id)
    access_record(actor=request.user, obj=ep.person, area_path=ep.area_path)
    plan = services.episode_plan(ep)
    decision = services.release_check(ep) if ep.state == EpisodeState.ACTIVE else None
    return render(request, "isolation/episode_detail.html", {
        "ep": ep, "plan": plan, "decision": decision,
        "tasks": ep.tasks.order_by("due_date", "kind", "slot"), "needs": ep.needs.all(),
        "guardians": ep.guardians.select_related("user"), "transfer": getattr(ep, "transfer", None),
        "escalations": ep.escalations.all(), "can_work": selectors.can_work(request.user, ep),
        "calls": ep.calls.select_related("caller")[:50],
        "can_release": selectors.can_release(request.user, ep), "outcomes": Outcome.choices,
        "can_manage": can(request.user, selectors.MANAGE, ep.area_path),
        "team_roles": services.guardian_template_for(ep.area_path)[1] if ep.mode == "home" else [],
        "need_kinds": NeedKind.choices, "today": selectors.today(),
        "rooms": Room.objects.filter(site_id=ep.site_id, active=True) if ep.site_id else []})


def _person_in_scope(user, person_id):
    from fangkong.residents.models import Person

    person = scope(Person.objects.select_related("household"), user, selectors.MANAGE).filter(pk=person_id).first()
    if person is None:
        raise NotFound()
    return person


@login_required
def admit(request):
    """Admit a person (from the person page of a contact: ?person=ID)."""
    from fangkong.epi.models import ControlStatus

    require_any(request.user, selectors.MANAGE)
    person = _person_in_scope(request.user, request.GET.get("person") or request.POST.get("person") or 0) \
        if (request.GET.get("person") or request.POST.get("person")) else None
    statuses = list(ControlStatus.objects.filter(person=person).order_by("start")) if person else []
    sites = list(selectors.site_qs(request.user).filter(active=True))
    template, roles = services.guardian_template_for(person.area_path) if person else ("五包一", [])
    error = None
    if request.method == "POST" and person is not None:
        from fangkong.accounts.models import User

        p = request.POST
        try:
            mode = p.get("mode", "")
            site = next((s for s in sites if str(s.pk) == p.get("site")), None)
            status = next((s for s in statuses if str(s.pk) == p.get("status")), None)
            transfer = None
            if mode == "centralized" and p.get("pickup_place"):
                try:
                    at = timezone.make_aware(dt.datetime.fromisoformat(p.get("pickup_at", "")))
                except ValueError:
                    raise ServiceError(_("接人时间格式不对。"), field="pickup_at") from None
                transfer = services.TransferIn(p.get("pickup_place", ""), at, p.get("vehicle", ""), p.get("escort", ""))
            guardians = []
            for i, role in enumerate(roles):
                name = p.get(f"guardian_{i}", "").strip()
                if name:
                    user = User.objects.filter(username=name).first()
                    if user is None:
                        raise ServiceError(_("找不到用户：%(u)s") % {"u": name})
                    guardians.append((user, role))
            ep = services.episode_admit(
                actor=request.user, person=person, mode=mode, site=site, control_status=status,
                ruleset_id=p.get("ruleset_id", "") if status is None else "",
                category=p.get("category", "") if status is None else "",
                last_exposure=_date(p.get("last_exposure")), start=_date(p.get("start")), transfer=transfer,
                guardians=guardians)
        except ServiceError as exc:
            error = exc.message
        else:
            messages.success(request, _("已登记隔离，并已生成今日任务。"))
            return redirect("isolation:episode_detail", episode_id=ep.pk)
    from fangkong.epi.rules import CATEGORY_CODES, load_rulesets

    return render(request, "isolation/admit.html", {
        "person": person, "statuses": statuses, "sites": sites, "template": template, "roles": roles,
        "error": error, "post": request.POST, "rulesets": load_rulesets(), "categories": CATEGORY_CODES,
        "today": selectors.today()})


def _back(request, ep):
    nxt = request.POST.get("next", "")
    if nxt.startswith("/isolation/"):
        return redirect(nxt)
    return redirect("isolation:episode_detail", episode_id=ep.pk)


@login_required
@require_POST
def task_record(request, task_id):
    task = selectors.task_get(request.user, task_id)
    ep = task.episode
    p = request.POST
    try:
        if task.kind == TaskKind.TEST:
            services.test_record(actor=request.user, task=task, result=p.get("result", ""),
                                 sampled_on=_date(p.get("sampled_on")), note=p.get("note", ""))
        else:
            temp = None
            if p.get("temperature", "").strip():
                try:
                    temp = Decimal(p["temperature"].strip())
                except InvalidOperation:
                    raise ServiceError(_("体温应为数字，如 36.5。"), field="temperature") from None
            needs = [(p.get("need_kind", "other"), p.get("need_text", ""))] if p.get("need_text", "").strip() else []
            services.follow_up_record(actor=request.user, task=task, outcome=p.get("outcome", ""), temperature=temp,
                                      symptoms=p.get("symptoms", ""), note=p.get("note", ""), needs=needs)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已登记。"))
    return _back(request, ep)


@login_required
@require_POST
def episode_action(request, episode_id, action):
    ep = selectors.episode_get(request.user, episode_id)
    try:
        if action == "arrive":
            services.transfer_arrive(actor=request.user, episode=ep)
        elif action == "propose":
            services.release_propose(actor=request.user, episode=ep)
        elif action == "approve":
            services.release_approve(actor=request.user, episode=ep)
        elif action == "withdraw":
            services.release_withdraw(actor=request.user, episode=ep, reason=request.POST.get("reason", ""))
        elif action == "room":
            room = Room.objects.filter(site_id=ep.site_id, pk=request.POST.get("room") or 0).first()
            if room is None:
                raise ServiceError(_("请选择房间。"))
            services.room_change(actor=request.user, episode=ep, room=room)
        elif action == "guardian":
            from fangkong.accounts.models import User

            user = User.objects.filter(username=request.POST.get("username", "").strip(), is_active=True).first()
            if user is None:
                raise ServiceError(_("找不到该用户名。"))
            services.guardian_set(actor=request.user, episode=ep, user=user,
                                  team_role=request.POST.get("team_role", "").strip() or _("志愿者"))
        elif action == "need":
            services.need_raise(actor=request.user, episode=ep, kind=request.POST.get("kind", ""),
                                text=request.POST.get("text", ""))
        else:
            raise NotFound()
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已完成。"))
    return _back(request, ep)


@login_required
@require_POST
def need_done(request, need_id):
    need = selectors.need_qs(request.user).filter(pk=need_id).first()
    if need is None:
        raise NotFound()
    try:
        services.need_done(actor=request.user, need=need, note=request.POST.get("note", ""))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return _back(request, need.episode)


@login_required
def guardian_templates(request):
    """The guardian-team template (五包一 / 四包一 / 六包一) of each area."""
    from fangkong.isolation.models import GuardianTemplate

    require_any(request.user, selectors.MANAGE)
    error = None
    if request.method == "POST":
        area = scope(Area.objects.filter(retired_at__isnull=True), request.user, selectors.MANAGE,
                     field="path").filter(code=request.POST.get("area", "")).first()
        try:
            if area is None:
                raise ServiceError(_("请选择区域。"))
            roles = request.POST.get("roles", "").replace("，", ",").replace("、", ",").split(",")
            services.guardian_template_set(actor=request.user, area=area, name=request.POST.get("name", ""),
                                           roles=roles)
        except ServiceError as exc:
            error = exc.message
        else:
            messages.success(request, _("已保存包保小组模板。"))
            return redirect("isolation:guardian_templates")
    templates = scope(GuardianTemplate.objects.select_related("area"), request.user, selectors.MANAGE)
    areas = scope(Area.objects.filter(level__in=["county", "street", "community"], retired_at__isnull=True),
                  request.user, selectors.MANAGE, field="path").order_by("path")[:500]
    return render(request, "isolation/guardian_templates.html", {"templates": templates, "areas": areas,
                                                                 "error": error})


# -- escalations, guardians --------------------------------------------------------------------------


@login_required
def escalations(request):
    if not has_any(request.user, selectors.SITE_WORK):
        require_any(request.user, selectors.VIEW)
    qs = selectors.escalation_qs(request.user)
    show = request.GET.get("show", "open")
    if show == "open":
        qs = qs.filter(resolved=False)
    return render(request, "isolation/escalations.html", {"page_obj": paginate(request, qs), "show": show})


@login_required
@require_POST
def escalation_resolve(request, escalation_id):
    esc = selectors.escalation_qs(request.user).filter(pk=escalation_id).first()
    if esc is None:
        raise NotFound()
    try:
        services.escalation_resolve(actor=request.user, escalation=esc, note=request.POST.get("note", ""))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("isolation:escalations")


@login_required
def my(request):
    """The guardian's phone page: today's follow-ups of the people one guards, with big buttons."""
    require_any(request.user, selectors.FOLLOW_UP)
    day = selectors.today()
    wl = selectors.worklist_guardian(request.user, day)
    needs = Need.objects.filter(episode__guardians__user=request.user, done=False).select_related("episode__person")
    return render(request, "isolation/my.html", {"day": day, "wl": wl, "outcomes": Outcome.choices,
                                                 "need_kinds": NeedKind.choices, "needs": needs})


__all__ = ["Episode", "Escalation"]
