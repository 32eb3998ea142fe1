"""Writes of the isolation app. Every write is authorised, atomic and leaves an audit event; the
daily job (tasks, missed follow-ups, late transfers, occupancy) is a bulk path and idempotent.

The plan of an episode always comes from `fangkong.epi.rules.control_plan` (rule set id/version and
category stored on the episode); release uses `fangkong.epi.rules.release_decision`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from fangkong.audit.services import event_build, event_record, events_record_bulk
from fangkong.core.errors import NotFound, ServiceError
from fangkong.core.scoping import authorize, can
from fangkong.epi import rules as epi_rules
from fangkong.isolation import rules, selectors
from fangkong.isolation.models import (
    DEFAULT_GROUPS,
    DEFAULT_TEAM_ROLES,
    OPEN_STATES,
    Episode,
    EpisodeState,
    Escalation,
    GuardianMember,
    GuardianTemplate,
    Mode,
    Need,
    OccupancySnapshot,
    Outcome,
    Room,
    Site,
    SiteGroup,
    SiteStaff,
    Slot,
    Task,
    TaskKind,
    TaskState,
    TestResult,
    Transfer,
)

MANAGE = selectors.MANAGE
RELEASE = selectors.RELEASE


def _now() -> dt.datetime:
    return timezone.now()


# -- sites -------------------------------------------------------------------------------------------


@transaction.atomic
def site_create(*, actor, area, name: str, address: str = "", phone: str = "", party_branch: str = "",
                party_secretary: str = "", groups: list[str] | None = None, rooms: list[str] | None = None) -> Site:
    authorize(actor, MANAGE, area.path)
    name = (name or "").strip()
    if not name:
        raise ServiceError(gettext("请填写隔离点名称。"), code="name_required", field="name")
    site = Site.objects.create(name=name, area=area, area_path=area.path, address=address, phone=phone,
                               party_branch=party_branch, party_secretary=party_secretary)
    for i, g in enumerate(groups if groups is not None else DEFAULT_GROUPS):
        if g.strip():
            SiteGroup.objects.get_or_create(site=site, name=g.strip(), defaults={"order": i})
    if rooms:
        _rooms_add(site, rooms)
    event_record(actor=actor, action="isolation_site.create", obj=site,
                 after={"name": name, "area": area.code, "rooms": len(rooms or [])})
    return site


def _rooms_add(site: Site, numbers: list[str]) -> int:
    have = set(site.rooms.values_list("number", flat=True))
    new = []
    for n in numbers:
        n = str(n).strip()
        if n and n not in have:
            have.add(n)
            floor = int(n[:-2]) if n.isdigit() and len(n) >= 3 else None
            new.append(Room(site=site, number=n, floor=floor))
    Room.objects.bulk_create(new)
    return len(new)


def parse_rooms(text: str) -> list[str]:
    """'101-110, 201-210, 301' → room numbers (ServiceError on nonsense)."""
    out: list[str] = []
    for part in text.replace("，", ",").replace("、", ",").replace("\n", ",").split(","):
        part = part.strip().replace("—", "-").replace("～", "-").replace("~", "-")
        if not part:
            continue
        if "-" in part:
            a, _, b = part.partition("-")
            if not (a.strip().isdigit() and b.strip().isdigit()) or int(b) < int(a) or int(b) - int(a) > 2000:
                raise ServiceError(gettext("房间号范围“%(part)s”无法识别（例：101-120）。") % {"part": part}, code="rooms_invalid", field="rooms")
            out.extend(str(i) for i in range(int(a), int(b) + 1))
        else:
            out.append(part)
    return out


@transaction.atomic
def rooms_add(*, actor, site: Site, numbers: list[str]) -> int:
    authorize(actor, MANAGE, site.area_path)
    n = _rooms_add(site, numbers)
    event_record(actor=actor, action="isolation_site.rooms_add", obj=site, after={"added": n})
    return n


@transaction.atomic
def group_add(*, actor, site: Site, name: str) -> SiteGroup:
    authorize(actor, MANAGE, site.area_path)
    name = name.strip()
    if not name:
        raise ServiceError(gettext("请填写工作组名称。"), code="name_required", field="name")
    group, _ = SiteGroup.objects.get_or_create(site=site, name=name, defaults={"order": site.groups.count()})
    event_record(actor=actor, action="isolation_site.group_add", obj=site, after={"group": name})
    return group


@transaction.atomic
def staff_add(*, actor, site: Site, user, group: SiteGroup | None = None, is_leader: bool = False,
              phone: str = "") -> SiteStaff:
    authorize(actor, MANAGE, site.area_path)
    if group is not None and group.site_id != site.pk:
        raise ServiceError(gettext("工作组不属于该隔离点。"), code="group_mismatch", field="group")
    member, _ = SiteStaff.objects.update_or_create(site=site, user=user, defaults={
        "group": group, "is_leader": is_leader, "phone": phone})
    event_record(actor=actor, action="isolation_site.staff_add", obj=site,
                 after={"user": user.username, "group": group.name if group else "", "leader": is_leader})
    return member


@transaction.atomic
def guardian_template_set(*, actor, area, name: str, roles: list[str]) -> GuardianTemplate:
    authorize(actor, MANAGE, area.path)
    roles = [r.strip() for r in roles if r.strip()]
    if not roles:
        raise ServiceError(gettext("请至少填写一个成员角色。"), code="roles_required", field="roles")
    if len(set(roles)) != len(roles):
        raise ServiceError(gettext("成员角色不能重复。"), code="roles_duplicate", field="roles")
    tpl, _ = GuardianTemplate.objects.update_or_create(area=area, defaults={
        "area_path": area.path, "name": name or f"{len(roles)}包一", "roles": roles})
    event_record(actor=actor, action="guardian_template.set", obj=tpl, object_repr=f"{area.name} {tpl.name}",
                 after={"roles": roles})
    return tpl


def guardian_template_for(path: str) -> tuple[str, list[str]]:
    """The nearest template on the way up from `path` (default 五包一)."""
    parts = [p for p in path.split("/") if p]
    ancestors = ["/" + "/".join(parts[:i]) + "/" for i in range(len(parts), 0, -1)]
    found = {t.area_path: t for t in GuardianTemplate.objects.filter(area_path__in=ancestors)}
    for a in ancestors:
        if a in found:
            return found[a].name, list(found[a].roles)
    return "五包一", list(DEFAULT_TEAM_ROLES)


# -- the plan ----------------------------------------------------------------------------------------


def ruleset_for(ruleset_id: str, path: str) -> epi_rules.RuleSet:
    """The rule set with its county's approved overrides (the same as the epi status engine uses)."""
    from fangkong.epi.models import RulesetOverride
    from fangkong.epi.services import county_path

    base = epi_rules.ruleset_get(ruleset_id)
    county = county_path(path)
    values = {o.path: o.value for o in RulesetOverride.objects.filter(
        active=True, area_path=county, ruleset_id=ruleset_id).order_by("decided_at", "id")}
    if not values:
        return base
    from fangkong.areas.models import Area

    label = Area.objects.filter(path=county).values_list("name", flat=True).first() or county
    return epi_rules.apply_overrides(base, values, source=label)


def episode_plan(episode: Episode) -> epi_rules.ControlPlan:
    rs = ruleset_for(episode.ruleset_id, episode.area_path)
    return epi_rules.control_plan(rs, episode.category, last_exposure=episode.last_exposure,
                                  isolation_start=episode.isolation_start, arrival=episode.isolation_start)


def _phase_cache(episode: Episode, plan: epi_rules.ControlPlan) -> None:
    try:
        ph = rules.isolation_phase(plan, episode.mode)
    except ValueError as exc:
        raise ServiceError(str(exc), code="not_applicable") from None
    episode.phase_index = ph.index
    episode.phase_kind = ph.kind
    episode.rule_id = ph.rule_id
    episode.phase_start = ph.start
    episode.phase_end = ph.end
    episode.test_dates = [t.date.isoformat() for t in ph.tests]
    episode.ruleset_version = plan.ruleset_version
    episode.ruleset_name = plan.ruleset_short_name
    episode.category_name = plan.category_name


# -- admission ---------------------------------------------------------------------------------------


@dataclass
class TransferIn:
    pickup_place: str
    pickup_at: dt.datetime
    vehicle: str
    escort: str


def _basis(person, control_status, contact, ruleset_id, category, last_exposure):
    """(ruleset_id, category, last_exposure, contact) from the evidence, else from the arguments."""
    from fangkong.epi.models import Contact

    if control_status is not None:
        if control_status.person_id != person.pk:
            raise ServiceError(gettext("管控状态不属于该人员。"), code="status_mismatch")
        ruleset_id = control_status.ruleset_id or ruleset_id
        category = control_status.category or category
        if contact is None and control_status.evidence_type == "epi.contact":
            contact = Contact.objects.filter(pk=control_status.evidence_id).first()
        if last_exposure is None and contact is None and control_status.phase_index == 0:
            last_exposure = control_status.start
    if contact is not None:
        if contact.person_id != person.pk:
            raise ServiceError(gettext("接触者记录不属于该人员。"), code="contact_mismatch")
        category = category or contact.category
        last_exposure = last_exposure or contact.contact_date
    if last_exposure is None:
        raise ServiceError(gettext("请填写末次暴露（或离开风险区）日期。"), code="last_exposure_required", field="last_exposure")
    if not ruleset_id:
        rs = epi_rules.ruleset_for_date(last_exposure)
        if rs is None:
            raise ServiceError(gettext("该日期没有适用的防控方案。"), code="no_ruleset", field="last_exposure")
        ruleset_id = rs.id
    if not category:
        raise ServiceError(gettext("请选择人员类别。"), code="category_required", field="category")
    return ruleset_id, category, last_exposure, contact


def _pick_room(site: Site, person, room: Room | None) -> Room:
    """One person or one household per room; refuse when the site is full."""
    occupied = {r: hh for r, hh in Episode.objects.filter(site=site, state__in=OPEN_STATES, room__isnull=False)
                .values_list("room_id", "household_id_at_admission")}
    hh = person.household_id
    if room is not None:
        if room.site_id != site.pk or not room.active:
            raise ServiceError(gettext("房间不属于该隔离点或不可用。"), code="room_invalid", field="room")
        if room.pk in occupied and (hh is None or occupied[room.pk] != hh):
            raise ServiceError(gettext("%(room)s房间已有其他人员入住（一人一间或一户一间）。") % {"room": room.number}, code="room_taken",
                               field="room")
        return room
    if hh is not None:
        for rid, other in occupied.items():
            if other == hh:
                return Room.objects.get(pk=rid)
    free = Room.objects.filter(site=site, active=True).exclude(pk__in=list(occupied)).order_by("number").first()
    if free is None:
        total = Room.objects.filter(site=site, active=True).count()
        raise ServiceError(gettext("%(site)s已满（共%(total)s间，已全部入住），请选择其他隔离点。") % {"site": site.name, "total": total}, code="site_full",
                           field="site")
    return free


def _pick_caller(site: Site):
    """The staff member with the fewest people (信息联络组 first): one per about 15 people."""
    staff = list(SiteStaff.objects.filter(site=site).select_related("group"))
    if not staff:
        return None
    liaison = [s for s in staff if s.group and s.group.name.startswith("信息联络")] or staff
    loads = dict(Episode.objects.filter(site=site, state__in=OPEN_STATES, caller__isnull=False)
                 .values("caller_id").annotate(n=Count("id")).values_list("caller_id", "n"))
    best = min(liaison, key=lambda s: (loads.get(s.user_id, 0), s.pk))
    return best.user


@transaction.atomic
def episode_admit(*, actor, person, mode: str, site: Site | None = None, room: Room | None = None,
                  control_status=None, contact=None, ruleset_id: str = "", category: str = "",
                  last_exposure: dt.date | None = None, start: dt.date | None = None,
                  transfer: TransferIn | None = None, guardians: list[tuple] | None = None) -> Episode:
    """Start an isolation of `person` (centralized at `site`, or at home with a guardian team)."""
    authorize(actor, MANAGE, person.area_path)
    if mode not in Mode.values:
        raise ServiceError(gettext("隔离方式无效。"), code="mode_invalid", field="mode")
    if mode == Mode.CENTRALIZED and site is None:
        raise ServiceError(gettext("集中隔离须选择隔离点。"), code="site_required", field="site")
    if mode == Mode.HOME:
        site = room = None
    start = start or selectors.today()
    ruleset_id, category, last_exposure, contact = _basis(person, control_status, contact, ruleset_id, category,
                                                          last_exposure)
    if Episode.objects.filter(person=person, state__in=OPEN_STATES).exists():
        raise ServiceError(gettext("%(name)s已在隔离中，不能重复登记。") % {"name": person.name}, code="already_open")
    ep = Episode(person=person, mode=mode, site=site, ruleset_id=ruleset_id, category=category,
                 last_exposure=last_exposure, isolation_start=start, control_status=control_status, contact=contact,
                 area_path=person.area_path, site_path=site.area_path if site else "", admitted_by=actor,
                 household_id_at_admission=person.household_id,
                 state=EpisodeState.TRANSFER if (mode == Mode.CENTRALIZED and transfer) else EpisodeState.ACTIVE)
    try:
        plan = episode_plan(ep)
    except epi_rules.UnknownRuleSet:
        raise ServiceError(gettext("防控方案不存在。"), code="no_ruleset") from None
    except (epi_rules.RuleNotApplicable, ValueError) as exc:
        raise ServiceError(str(exc), code="not_applicable") from None
    _phase_cache(ep, plan)
    if ep.phase_end is not None and start > ep.phase_end:
        raise ServiceError(gettext("按%(ruleset)s，该人员的隔离期已于%(date)s届满，无需再隔离。") % {"ruleset": plan.ruleset_short_name, "date": date_format(ep.phase_end, "DATE_FORMAT")},
                           code="period_over")
    if site is not None:
        Site.objects.select_for_update().filter(pk=site.pk).first()  # serialise admissions per site
        if not site.active:
            raise ServiceError(gettext("%(site)s已停用。") % {"site": site.name}, code="site_inactive", field="site")
        ep.room = _pick_room(site, person, room)
        ep.caller = _pick_caller(site)
    ep.save()
    if transfer is not None and site is not None:
        if not (transfer.pickup_place and transfer.vehicle and transfer.escort):
            raise ServiceError(gettext("请完整填写转运信息（接人地点、时间、车辆、随车人员）。"), code="transfer_incomplete")
        Transfer.objects.create(episode=ep, pickup_place=transfer.pickup_place, pickup_at=transfer.pickup_at,
                                vehicle=transfer.vehicle, escort=transfer.escort)
    if mode == Mode.HOME:
        _, roles = guardian_template_for(person.area_path)
        for user, team_role in guardians or []:
            if user is not None:
                GuardianMember.objects.create(episode=ep, user=user, team_role=team_role)
    _tasks_create_for(ep, start)
    event_record(actor=actor, action="isolation.admit", obj=ep, object_repr=f"{person.name} {ep.get_mode_display()}",
                 after={"mode": mode, "site": site.name if site else "", "room": ep.room.number if ep.room else "",
                        "ruleset": ruleset_id, "category": category, "rule": ep.rule_id,
                        "phase": [ep.phase_start, ep.phase_end], "tests": ep.test_dates})
    return ep


def _tasks_create_for(ep: Episode, day: dt.date) -> None:
    """Today's tasks at admission, plus the plan's test days already past (to record earlier samples)."""
    rows = [Task(episode=ep, kind=k, due_date=day, slot=s, test_day=td, area_path=ep.area_path, site_id=ep.site_id,
                 site_path=ep.site_path)
            for k, s, td in rules.tasks_for_day(ep.phase_start, ep.phase_end, ep.test_dates, day)]
    for iso in ep.test_dates:
        d = dt.date.fromisoformat(iso)
        if d < day:
            rows.append(Task(episode=ep, kind=TaskKind.TEST, due_date=d, slot=Slot.DAY,
                             test_day=(d - ep.phase_start).days + 1, area_path=ep.area_path, site_id=ep.site_id,
                             site_path=ep.site_path))
    Task.objects.bulk_create(rows, ignore_conflicts=True)


@transaction.atomic
def guardian_set(*, actor, episode: Episode, user, team_role: str) -> GuardianMember:
    authorize(actor, MANAGE, episode.area_path)
    if episode.mode != Mode.HOME:
        raise ServiceError(gettext("只有居家隔离设包保小组。"), code="not_home")
    member, _ = GuardianMember.objects.update_or_create(episode=episode, team_role=team_role, defaults={"user": user})
    event_record(actor=actor, action="isolation.guardian_set", obj=episode,
                 after={"role": team_role, "user": user.username})
    return member


def _authorize_work(actor, episode: Episode) -> None:
    if not selectors.can_work(actor, episode):
        raise NotFound()


@transaction.atomic
def transfer_arrive(*, actor, episode: Episode, at: dt.datetime | None = None) -> Episode:
    _authorize_work(actor, episode)
    tr = getattr(episode, "transfer", None)
    if tr is None or episode.state != EpisodeState.TRANSFER:
        raise ServiceError(gettext("该人员不在转运中。"), code="not_in_transfer")
    tr.arrived_at = at or _now()
    tr.received_by = actor
    tr.save(update_fields=["arrived_at", "received_by"])
    episode.state = EpisodeState.ACTIVE
    episode.save(update_fields=["state"])
    Escalation.objects.filter(episode=episode, task__isnull=True, resolved=False).update(
        resolved=True, resolved_by=actor, resolved_note="已到达")
    event_record(actor=actor, action="isolation.transfer_arrive", obj=episode, after={"arrived_at": tr.arrived_at})
    return episode


@transaction.atomic
def room_change(*, actor, episode: Episode, room: Room) -> Episode:
    _authorize_work(actor, episode)
    if episode.site_id is None or not episode.is_open:
        raise ServiceError(gettext("该人员不在集中隔离中。"), code="not_centralized")
    Site.objects.select_for_update().filter(pk=episode.site_id).first()
    others = Episode.objects.filter(room=room, state__in=OPEN_STATES).exclude(pk=episode.pk)
    if room.site_id != episode.site_id or not room.active:
        raise ServiceError(gettext("房间不属于该隔离点或不可用。"), code="room_invalid", field="room")
    hh = episode.household_id_at_admission
    if others.exists() and (hh is None or others.exclude(household_id_at_admission=hh).exists()):
        raise ServiceError(gettext("%(room)s房间已有其他人员入住（一人一间或一户一间）。") % {"room": room.number}, code="room_taken", field="room")
    before = episode.room.number if episode.room else ""
    episode.room = room
    episode.save(update_fields=["room"])
    event_record(actor=actor, action="isolation.room_change", obj=episode, before={"room": before},
                 after={"room": room.number})
    return episode


# -- daily work --------------------------------------------------------------------------------------


def _client_id(client_id) -> str | None:
    cid = str(client_id or "").strip()
    if len(cid) > 64:
        raise ServiceError(gettext("client_id 不能超过 64 个字符。"), code="bad_client_id", field="client_id")
    return cid or None


def _replay_task(task: Task, client_id: str | None) -> Task | None:
    """The task as recorded before when this is a retry of the same recording (same client id), else None.
    A client id already used for another task is refused."""
    if client_id is None:
        return None
    if task.client_id == client_id:
        task.replayed = True
        return task
    if Task.objects.filter(client_id=client_id).exclude(pk=task.pk).exists():
        raise ServiceError(gettext("该 client_id 已用于另一条记录。"), code="client_id_reused", field="client_id")
    return None


@transaction.atomic
def follow_up_record(*, actor, task: Task, outcome: str, temperature=None, symptoms: str = "", note: str = "",
                     needs: list[tuple[str, str]] | None = None, client_id: str | None = None) -> Task:
    """Record a follow-up (home) or a daily check (site). With a `client_id` (devices), a retry of the same
    recording returns the task as recorded and changes nothing (`task.replayed` is True)."""
    episode = task.episode
    _authorize_work(actor, episode)
    client_id = _client_id(client_id)
    task.client_id = Task.objects.select_for_update().filter(pk=task.pk).values_list("client_id", flat=True).first()
    replay = _replay_task(task, client_id)
    if replay is not None:
        return replay
    if task.kind != TaskKind.FOLLOW_UP:
        raise ServiceError(gettext("这不是随访任务。"), code="wrong_kind")
    if outcome not in Outcome.values:
        raise ServiceError(gettext("请选择随访结果。"), code="outcome_required", field="outcome")
    if outcome in (Outcome.SEEN_WELL, Outcome.SEEN_UNWELL) and temperature is None:
        raise ServiceError(gettext("已见面的随访须填写体温。"), code="temperature_required", field="temperature")
    if temperature is not None and not (34 <= float(temperature) <= 43):
        raise ServiceError(gettext("体温应在34–43℃之间。"), code="temperature_invalid", field="temperature")
    if task.due_date > selectors.today():
        raise ServiceError(gettext("不能提前登记以后的随访。"), code="future_task")
    task.outcome = outcome
    task.temperature = temperature
    task.symptoms = symptoms
    task.note = note
    task.state = TaskState.DONE if outcome != Outcome.NOT_DONE else task.state
    task.done_by = actor
    task.done_at = _now()
    task.client_id = client_id or task.client_id
    task.save()
    for kind, text in needs or []:
        if text.strip():
            need_raise(actor=actor, episode=episode, kind=kind, text=text, task=task)
    if outcome in (Outcome.NOT_REACHED, Outcome.SEEN_UNWELL):
        reason = "随访联系不上" if outcome == Outcome.NOT_REACHED else f"随访发现身体不适（{temperature}℃ {symptoms}）"
        Escalation.objects.get_or_create(task=task, defaults={
            "episode": episode, "reason": reason, "area_path": episode.area_path, "site_path": episode.site_path})
    event_record(actor=actor, action="isolation.follow_up", obj=episode,
                 after={"task": task.pk, "outcome": outcome, "temperature": temperature, "symptoms": symptoms})
    task.replayed = False
    return task


FEVER = 37.3


def check_record(*, actor, task: Task, temperature, symptoms: str = "", note: str = "",
                 needs: list[tuple[str, str]] | None = None, client_id: str | None = None) -> Task:
    """A site's daily check (temperature and symptoms, morning or evening): a fever (≥ 37.3℃) or any
    symptom records the person as unwell (and escalates), else well."""
    if temperature is None:
        raise ServiceError(gettext("请填写体温。"), code="temperature_required", field="temperature")
    unwell = float(temperature) >= FEVER or bool(symptoms.strip())
    return follow_up_record(actor=actor, task=task, outcome=Outcome.SEEN_UNWELL if unwell else Outcome.SEEN_WELL,
                            temperature=temperature, symptoms=symptoms.strip(), note=note, needs=needs,
                            client_id=client_id)


@transaction.atomic
def test_record(*, actor, task: Task, result: str, sampled_on: dt.date | None = None, note: str = "",
                client_id: str | None = None) -> Task:
    episode = task.episode
    _authorize_work(actor, episode)
    client_id = _client_id(client_id)
    task.client_id = Task.objects.select_for_update().filter(pk=task.pk).values_list("client_id", flat=True).first()
    replay = _replay_task(task, client_id)
    if replay is not None:
        return replay
    if task.kind != TaskKind.TEST:
        raise ServiceError(gettext("这不是核酸检测任务。"), code="wrong_kind")
    if result not in TestResult.values:
        raise ServiceError(gettext("请选择检测结果（阴性/阳性）。"), code="result_required", field="result")
    task.result = result
    task.sampled_on = sampled_on or task.due_date
    task.state = TaskState.DONE
    task.note = note
    task.done_by = actor
    task.done_at = _now()
    task.client_id = client_id or task.client_id
    task.save()
    if result == TestResult.POSITIVE:
        Escalation.objects.get_or_create(task=task, defaults={
            "episode": episode, "reason": f"{task.sampled_on:%m月%d日}核酸检测阳性，须立即转运处置",
            "area_path": episode.area_path, "site_path": episode.site_path})
    event_record(actor=actor, action="isolation.test_result", obj=episode,
                 after={"task": task.pk, "day": task.test_day, "result": result, "sampled_on": task.sampled_on})
    task.replayed = False
    return task


@transaction.atomic
def need_raise(*, actor, episode: Episode, kind: str, text: str, task: Task | None = None, call=None,
               client_id: str | None = None) -> Need:
    """Raise a need; with a `client_id`, a retry returns the need raised the first time (`need.replayed`)."""
    _authorize_work(actor, episode)
    from fangkong.isolation.models import NeedKind

    client_id = _client_id(client_id)
    if client_id is not None:
        before = Need.objects.filter(client_id=client_id).first()
        if before is not None:
            if before.episode_id != episode.pk:
                raise ServiceError(gettext("该 client_id 已用于另一条记录。"), code="client_id_reused", field="client_id")
            before.replayed = True
            return before
    if kind not in NeedKind.values:
        raise ServiceError(gettext("请选择诉求类型。"), code="kind_required", field="kind")
    text = text.strip()[:300] or NeedKind(kind).label
    need = Need.objects.create(episode=episode, task=task, call=call, kind=kind, text=str(text), raised_by=actor,
                               area_path=episode.area_path, site_path=episode.site_path, client_id=client_id)
    event_record(actor=actor, action="isolation.need_raise", obj=need, object_repr=f"{episode.person.name} {kind}",
                 after={"kind": kind, "text": need.text})
    need.replayed = False
    return need


CALL_NEED_KINDS = ("medicine", "phone_credit", "anxiety", "other")


@transaction.atomic
def call_record(*, actor, episode: Episode, slot: str, reached: bool, needs: list[tuple[str, str]] | None = None,
                note: str = "", at: dt.datetime | None = None, client_id: str | None = None):
    """Log one morning or evening call to a person (who called, whom, when, slot, reached or not) with the
    needs it raised (medicine, phone credit, anxiety, other + text). With a `client_id`, a retry returns the
    call logged the first time and changes nothing (`call.replayed`)."""
    from fangkong.isolation.models import CallLog, CallSlot

    _authorize_work(actor, episode)
    client_id = _client_id(client_id)
    Episode.objects.select_for_update().filter(pk=episode.pk).first()  # serialise retries of one person's calls
    if client_id is not None:
        before = CallLog.objects.filter(client_id=client_id).first()
        if before is not None:
            if before.episode_id != episode.pk:
                raise ServiceError(gettext("该 client_id 已用于另一条记录。"), code="client_id_reused", field="client_id")
            before.replayed = True
            return before
    if slot not in CallSlot.values:
        raise ServiceError(gettext("请选择上午或下午（晚间）。"), code="slot_required", field="slot")
    if not episode.is_open:
        raise ServiceError(gettext("该人员已不在隔离中。"), code="not_open")
    at = at or _now()
    day = timezone.localtime(at).date()
    if day > selectors.today():
        raise ServiceError(gettext("不能登记以后的电话随访。"), code="future_call")
    call = CallLog.objects.create(episode=episode, site_id=episode.site_id, caller=actor, called_at=at, date=day,
                                  slot=slot, reached=bool(reached), note=note.strip()[:300], client_id=client_id,
                                  area_path=episode.area_path, site_path=episode.site_path)
    for kind, text in needs or []:
        if kind not in CALL_NEED_KINDS and kind not in ("supplies", "medical"):
            raise ServiceError(gettext("请选择诉求类型。"), code="kind_required", field="needs")
        need_raise(actor=actor, episode=episode, kind=kind, text=text or "", call=call)
    event_record(actor=actor, action="isolation.call", obj=episode,
                 after={"call": call.pk, "slot": slot, "reached": bool(reached),
                        "needs": [k for k, _t in needs or []]})
    call.replayed = False
    return call


@transaction.atomic
def need_done(*, actor, need: Need, note: str = "") -> Need:
    _authorize_work(actor, need.episode)
    if need.done:
        return need
    need.done, need.done_note, need.done_by, need.done_at = True, note, actor, _now()
    need.save()
    event_record(actor=actor, action="isolation.need_done", obj=need, after={"note": note})
    return need


@transaction.atomic
def escalation_resolve(*, actor, escalation: Escalation, note: str) -> Escalation:
    ep = escalation.episode
    if not (can(actor, MANAGE, ep.area_path) or selectors.can_work(actor, ep)):
        raise NotFound()
    if not note.strip():
        raise ServiceError(gettext("请填写处理情况。"), code="note_required", field="note")
    escalation.resolved, escalation.resolved_by, escalation.resolved_note = True, actor, note.strip()
    escalation.save()
    event_record(actor=actor, action="isolation.escalation_resolve", obj=escalation, after={"note": note})
    return escalation


# -- the daily job (bulk, idempotent) ----------------------------------------------------------------


_TASK_INSERT = (
    "INSERT INTO {table} (episode_id, kind, due_date, slot, test_day, state, area_path, site_id, site_path, outcome, "
    "symptoms, result, note) VALUES {values} ON CONFLICT (episode_id, kind, due_date, slot) DO NOTHING"
)
_TASK_ROW = "(%s, %s, %s, %s, %s, 'open', %s, %s, %s, '', '', '', '')"


def _insert_tasks(connection, params: list[tuple]) -> None:
    """Multi-row INSERTs (as many rows per statement as the database's parameter limit allows)."""
    per = min(1000, (connection.features.max_query_params or 8000) // 8)
    table = connection.ops.quote_name(Task._meta.db_table)
    with connection.cursor() as cur:
        for i in range(0, len(params), per):
            part = params[i:i + per]
            cur.execute(_TASK_INSERT.format(table=table, values=", ".join([_TASK_ROW] * len(part))),
                        [v for row in part for v in row])


def tasks_generate(*, day: dt.date, chunk: int = 5000) -> dict:
    """The day's follow-up and test tasks of every open episode of the city.

    One streaming read of the open episodes (the cached phase: start, end, test dates), then per chunk of
    `chunk` episodes one read of the tasks that already exist that day and one multi-row INSERT … ON CONFLICT
    DO NOTHING on (episode, kind, due_date, slot): idempotent, and a second run inserts nothing.
    """
    from django.db import connection

    qs = (Episode.objects.filter(state__in=OPEN_STATES, phase_start__lte=day)
          .filter(Q(phase_end__isnull=True) | Q(phase_end__gte=day))
          .values_list("id", "phase_start", "phase_end", "test_dates", "area_path", "site_id", "site_path")
          .order_by())
    episodes = inserted = 0

    def flush(batch):
        nonlocal inserted
        ids = [b[0] for b in batch]
        have = set(Task.objects.filter(due_date=day, episode_id__gte=min(ids), episode_id__lte=max(ids))
                   .values_list("episode_id", "kind", "slot").order_by())
        params = []
        for eid, ps, pe, tdates, path, sid, spath in batch:
            for kind, slot, td in rules.tasks_for_day(ps, pe, tdates, day):
                if (eid, kind, slot) not in have:
                    params.append((eid, kind, day, slot, td, path, sid, spath))
        if params:
            with transaction.atomic():
                _insert_tasks(connection, params)
        inserted += len(params)

    batch = []
    for row in qs.iterator(chunk_size=chunk):
        batch.append(row)
        if len(batch) >= chunk:
            batch.sort()
            flush(batch)
            episodes += len(batch)
            batch = []
    if batch:
        batch.sort()
        flush(batch)
        episodes += len(batch)
    return {"episodes": episodes, "tasks": inserted}


def followups_escalate(*, now: dt.datetime | None = None) -> int:
    """Follow-ups not done by their slot's deadline become missed; each gets an escalation to the community."""
    now = now or _now()
    local = timezone.localtime(now)
    cut_day = local.date()
    q = Q(due_date__lt=cut_day - dt.timedelta(days=0))
    for slot in (Slot.AM, Slot.PM):
        if local >= rules.slot_deadline(cut_day, slot):
            q |= Q(due_date=cut_day, slot=slot)
    created = 0
    with transaction.atomic():
        ids = list(Task.objects.filter(q, kind=TaskKind.FOLLOW_UP, state=TaskState.OPEN,
                                       due_date__gte=cut_day - dt.timedelta(days=7)).values_list(
            "id", "episode_id", "area_path", "site_path", "due_date", "slot"))
        if not ids:
            return 0
        Task.objects.filter(id__in=[i[0] for i in ids]).update(state=TaskState.MISSED)
        slot_name = dict(Slot.choices)
        esc = [Escalation(task_id=tid, episode_id=eid, area_path=path, site_path=spath,
                          reason=f"{d:%m月%d日}{slot_name[s]}随访逾期未做")
               for tid, eid, path, spath, d, s in ids]
        Escalation.objects.bulk_create(esc, batch_size=2000, ignore_conflicts=True)
        created = len(esc)
        events_record_bulk([event_build(actor=None, action="isolation.follow_ups_missed", object_type="isolation.task",
                                        object_repr=f"{created}条随访逾期", after={"count": created})])
    return created


def transfers_flag(*, now: dt.datetime | None = None, hours: int = rules.TRANSFER_GRACE_HOURS) -> int:
    """Transfers not arrived `hours` after pick-up are flagged, with an escalation to the site and community."""
    now = now or _now()
    with transaction.atomic():
        late = list(Transfer.objects.filter(arrived_at__isnull=True, flagged_at__isnull=True,
                                            pickup_at__lt=now - dt.timedelta(hours=hours),
                                            episode__state=EpisodeState.TRANSFER)
                    .select_related("episode__person"))
        for tr in late:
            tr.flagged_at = now
            tr.save(update_fields=["flagged_at"])
            ep = tr.episode
            Escalation.objects.create(episode=ep, area_path=ep.area_path, site_path=ep.site_path,
                                      reason=f"转运超过{hours}小时未到达（{tr.vehicle}，接人时间"
                                             f"{timezone.localtime(tr.pickup_at):%m月%d日%H:%M}）")
            event_record(actor=None, action="isolation.transfer_flag", obj=ep, after={"hours": hours})
    return len(late)


def occupancy_snapshot(*, day: dt.date) -> int:
    sites = list(Site.objects.filter(active=True))
    caps = selectors.site_capacity(sites)
    rows = [OccupancySnapshot(site=c["site"], date=day, rooms=c["rooms"], occupied_rooms=c["occupied"],
                              persons=c["persons"], area_path=c["site"].area_path) for c in caps]
    with transaction.atomic():
        OccupancySnapshot.objects.filter(date=day, site__in=sites).delete()
        OccupancySnapshot.objects.bulk_create(rows)
    return len(rows)


def daily_run(*, day: dt.date | None = None, now: dt.datetime | None = None) -> dict:
    day = day or selectors.today()
    out = tasks_generate(day=day)
    out["missed"] = followups_escalate(now=now)
    out["transfers_flagged"] = transfers_flag(now=now)
    out["sites_snapshot"] = occupancy_snapshot(day=day)
    return out


# -- release (four eyes) -----------------------------------------------------------------------------


def release_check(episode: Episode, *, today: dt.date | None = None) -> epi_rules.Decision:
    """The epi rule's decision for this episode today, from the recorded test results."""
    today = today or selectors.today()
    plan = episode_plan(episode)
    tests = [(t.sampled_on or t.due_date, t.result) for t in episode.tasks.filter(kind=TaskKind.TEST)
             .exclude(result="")]
    return epi_rules.release_decision(plan, episode.phase_index, today=today, tests=tests)


def _refuse(decision: epi_rules.Decision) -> ServiceError:
    return ServiceError(gettext("不能解除：%(reasons)s（依据规则 %(rule)s）") % {"reasons": "；".join(decision.reasons),
                                                                             "rule": decision.rule_id},
                        code="release_refused", reasons=decision.reasons, rule_id=decision.rule_id)


@transaction.atomic
def release_propose(*, actor, episode: Episode, today: dt.date | None = None) -> Episode:
    _authorize_work(actor, episode)
    episode = Episode.objects.select_for_update().get(pk=episode.pk)
    if episode.state != EpisodeState.ACTIVE:
        raise ServiceError(gettext("只有隔离中的人员可以申请解除。"), code="not_active")
    decision = release_check(episode, today=today)
    if not decision.allowed:
        raise _refuse(decision)
    episode.state = EpisodeState.RELEASE_PROPOSED
    episode.release_proposed_by = actor
    episode.release_proposed_at = _now()
    episode.release_reasons = decision.reasons + [f"依据规则 {decision.rule_id}"]
    episode.save()
    event_record(actor=actor, action="isolation.release_propose", obj=episode, after={"reasons": decision.reasons,
                                                                                     "rule": decision.rule_id})
    return episode


def _community(path: str):
    from fangkong.areas.models import Area

    parts = [p for p in path.split("/") if p]
    ancestors = ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]
    return Area.objects.filter(path__in=ancestors, level="community").first()


@transaction.atomic
def release_approve(*, actor, episode: Episode, today: dt.date | None = None) -> Episode:
    """A second user with isolation.release approves; the person is handed to the next phase's community."""
    from fangkong.epi.models import ControlStatus

    if not selectors.can_release(actor, episode):
        raise NotFound()
    episode = Episode.objects.select_for_update().select_related("person").get(pk=episode.pk)
    if episode.state != EpisodeState.RELEASE_PROPOSED:
        raise ServiceError(gettext("该人员没有待审批的解除申请。"), code="not_proposed")
    if episode.release_proposed_by_id == actor.pk:
        raise ServiceError(gettext("解除须由申请人以外的另一人审批。"), code="four_eyes")
    today = today or selectors.today()
    decision = release_check(episode, today=today)
    if not decision.allowed:
        raise _refuse(decision)
    plan = episode_plan(episode)
    episode.state = EpisodeState.RELEASED
    episode.released_by = actor
    episode.released_on = today
    episode.release_reasons = decision.reasons + [f"依据规则 {decision.rule_id}"]
    if episode.phase_index + 1 < len(plan.phases):
        nxt = plan.phases[episode.phase_index + 1]
        community = _community(episode.area_path)
        status = ControlStatus.objects.filter(person_id=episode.person_id, kind=nxt.kind,
                                              start=nxt.start).first()
        episode.handover_area = community
        episode.handover_text = (f"移交{community.name if community else '居住地社区'}落实{nxt.kind_name}："
                                 f"{nxt.explanation}（依据规则 {nxt.rule_id}）"
                                 + ("；管控状态已生成" if status else "；请流调人员核对管控状态"))
    episode.save()
    episode.tasks.filter(state=TaskState.OPEN, due_date__gt=today).delete()
    event_record(actor=actor, action="isolation.release", obj=episode,
                 after={"released_on": today, "rule": decision.rule_id, "reasons": decision.reasons,
                        "handover": episode.handover_text})
    return episode


@transaction.atomic
def release_withdraw(*, actor, episode: Episode, reason: str) -> Episode:
    if not (selectors.can_release(actor, episode) or selectors.can_work(actor, episode)):
        raise NotFound()
    if episode.state != EpisodeState.RELEASE_PROPOSED:
        raise ServiceError(gettext("该人员没有待审批的解除申请。"), code="not_proposed")
    episode.state = EpisodeState.ACTIVE
    episode.release_proposed_by = None
    episode.release_proposed_at = None
    episode.save()
    event_record(actor=actor, action="isolation.release_withdraw", obj=episode, reason=reason)
    return episode
