"""The only writes of the risk-areas app: areas, members, designation, notices, approval, application.

Every service authorises (`authorize` on the path), runs in one transaction and records an audit event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.areas.choices import Level
from fangkong.areas.models import Area
from fangkong.audit.services import event_record, snapshot
from fangkong.core.errors import ServiceError
from fangkong.core.scoping import authorize, can
from fangkong.epi import rules
from fangkong.risk_areas import epi_facts, selectors
from fangkong.risk_areas import rules as area_rules
from fangkong.risk_areas.choices import (
    CHANGE_EVENT,
    ChangeKind,
    EventKind,
    MemberKind,
    NoticeStatus,
    RiskAreaStatus,
)
from fangkong.risk_areas.models import Issuer, Notice, NoticeChange, RiskArea, RiskAreaEvent, RiskAreaMember

MANAGE = "risk_areas.manage"
PUBLISH = "risk_areas.publish"
APPROVE = "risk_areas.approve"
PUBLIC_CACHE_VERSION_KEY = "risk_areas:public_version"

AREA_FIELDS = ("name", "status", "level", "proposed_level", "measures", "designated_at", "level_since",
               "downgraded_from", "downgraded_at", "lifted_at", "ruleset_id", "area_path")


def public_cache_bump() -> None:
    """Invalidate the cached public pages (they key on this version)."""
    try:
        cache.incr(PUBLIC_CACHE_VERSION_KEY)
    except ValueError:
        cache.set(PUBLIC_CACHE_VERSION_KEY, 2, None)


def _ruleset(ruleset_id: str | None, on: dt.date) -> rules.RuleSet:
    if ruleset_id:
        try:
            return rules.ruleset_get(ruleset_id)
        except (LookupError, ValueError):
            raise ServiceError(_("未知的防控方案：%(ruleset)s") % {"ruleset": ruleset_id}, code="bad_ruleset", field="ruleset_id") from None
    rs = rules.ruleset_for_date(on)
    if rs is None:
        raise ServiceError(_("%(date)s没有适用的防控方案。") % {"date": on}, code="no_ruleset")
    return rs


def _check_level(rs: rules.RuleSet, level: str, field: str = "level") -> None:
    if level not in rs.levels:
        names = "、".join(name for _c, name in rules.level_choices(rs))
        raise ServiceError(_("%(ruleset)s的风险等级只有：%(levels)s。") % {"ruleset": rs.short_name, "levels": names}, code="bad_level", field=field)


def _hour_check(when: dt.datetime, field: str = "effective_at") -> dt.datetime:
    if timezone.is_naive(when):
        raise ServiceError(_("生效时间缺少时区。"), code="naive_datetime", field=field)
    return when


def _common_ancestor(areas: list[Area]) -> Area:
    paths = [a.path for a in areas]
    prefix = paths[0]
    for p in paths[1:]:
        while not p.startswith(prefix):
            prefix = prefix[: prefix[:-1].rfind("/") + 1]
    if prefix == "/":
        raise ServiceError(_("风险区域的各部分必须在同一个市内。"), code="no_common_area")
    return Area.objects.get(path=prefix)


def _outline(value: Any) -> dict | None:
    try:
        return area_rules.outline_parse(value)
    except area_rules.OutlineError as exc:
        raise ServiceError(str(exc), code="bad_outline", field="outline") from None


def _excluded_areas(spec: Mapping[str, Any], area: Area, *, own: RiskArea | None = None) -> list[RiskArea]:
    """The risk areas a "rest of X" member leaves out: inside X, not lifted, not "rest" areas themselves."""
    excluded = list(spec.get("excluded") or [])
    if not excluded:
        raise ServiceError(_("“其他区域”须选定要除外的风险区域（例如该街道的高风险区）。"), code="rest_excluded",
                           field="excluded")
    for ex in excluded:
        if not isinstance(ex, RiskArea):
            raise ServiceError(_("除外的风险区域无效。"), code="rest_excluded", field="excluded")
        ex_name = selectors.risk_area_display_name(ex)
        if own is not None and ex.pk == own.pk:
            raise ServiceError(_("风险区域不能除外它自己。"), code="rest_excluded", field="excluded")
        if not ex.area_path.startswith(area.path):
            raise ServiceError(_("“%(name)s”不在“%(area)s”内，不能除外。") % {"name": ex_name, "area": area.name},
                               code="rest_excluded", field="excluded")
        if ex.status == RiskAreaStatus.LIFTED:
            raise ServiceError(_("“%(name)s”已解除，不能除外。") % {"name": ex_name}, code="rest_excluded",
                               field="excluded")
        if ex.members.filter(kind=MemberKind.REST).exists():
            raise ServiceError(_("“%(name)s”本身是“其他区域”，不能再被除外。") % {"name": ex_name},
                               code="rest_excluded", field="excluded")
    return excluded


def _member_from(spec: Mapping[str, Any], order: int, *, own: RiskArea | None = None) -> RiskAreaMember:
    kind = spec.get("kind") or MemberKind.NODE
    if kind not in MemberKind.values:
        raise ServiceError(_("未知的组成类型：%(kind)s") % {"kind": kind}, code="bad_member", field="members")
    area = spec.get("area")
    if not isinstance(area, Area):
        raise ServiceError(_("每个组成部分都要选定所在区域（楼栋、单元、小区、自然组或社区）。"), code="member_area",
                           field="members")
    if area.is_retired:
        raise ServiceError(_("“%(name)s”已撤销。") % {"name": area.name}, code="retired", field="members")
    too_large = (Level.CITY,) if kind == MemberKind.REST else (Level.CITY, Level.COUNTY)
    if kind != MemberKind.BOUNDARY and area.level in too_large:
        raise ServiceError(_("风险区域不能整县或整市划定，请选到街道、社区、小区、楼栋或单元。"), code="too_large",
                           field="members")
    floor = spec.get("floor")
    room = (spec.get("room") or "").strip()
    boundary = (spec.get("boundary_text") or "").strip()
    outline = _outline(spec.get("outline"))
    if kind == MemberKind.FLOOR and floor is None:
        raise ServiceError(_("请填写楼层。"), code="member_floor", field="members")
    if kind == MemberKind.FLOOR and area.level not in (Level.BUILDING, Level.UNIT):
        raise ServiceError(_("楼层须在楼栋或单元下。"), code="member_floor", field="members")
    if kind == MemberKind.ROOM and (not room or area.level not in (Level.BUILDING, Level.UNIT)):
        raise ServiceError(_("房间须填写房号，且在楼栋或单元下。"), code="member_room", field="members")
    if kind == MemberKind.BOUNDARY and not boundary:
        raise ServiceError(_("请填写四至边界（东至…西至…）。"), code="member_boundary", field="boundary_text")
    if outline is not None and kind != MemberKind.BOUNDARY:
        raise ServiceError(_("只有“文字边界”可以绘制轮廓；请把类型选为文字边界，或清除轮廓。"), code="bad_outline",
                           field="outline")
    excluded = _excluded_areas(spec, area, own=own) if kind == MemberKind.REST else []
    member = RiskAreaMember(kind=kind, area=area, area_path=area.path,
                            floor=floor if kind in (MemberKind.FLOOR, MemberKind.ROOM) else None,
                            room=room if kind == MemberKind.ROOM else "",
                            boundary_text=boundary if kind == MemberKind.BOUNDARY else "",
                            outline=outline, order=order)
    member.pending_excluded = excluded  # saved with the member (many-to-many)
    return member


def _save_members(risk_area: RiskArea, members: list[RiskAreaMember]) -> None:
    for m in members:
        m.risk_area = risk_area
        m.save()
        if getattr(m, "pending_excluded", None):
            m.excluded.set(m.pending_excluded)


def _member_repr(m: RiskAreaMember) -> dict:
    return {"kind": m.kind, "area": m.area.code if m.area else "", "floor": m.floor, "room": m.room,
            "boundary_text": m.boundary_text, "outline": m.outline,
            "excluded": [ex.pk for ex in getattr(m, "pending_excluded", [])]}


# --------------------------------------------------------------------------------------------------
# Risk areas
# --------------------------------------------------------------------------------------------------


def risk_area_create(
    *,
    actor,
    level: str,
    members: Iterable[Mapping[str, Any]],
    name: str = "",
    measures: str | None = None,
    ruleset_id: str | None = None,
    on: dt.date | None = None,
    notes: str = "",
) -> RiskArea:
    """A proposed risk area (拟划定): members and a level; designated by a notice or `risk_area_designate`."""
    on = on or timezone.localdate()
    rs = _ruleset(ruleset_id, on)
    _check_level(rs, level)
    built = [_member_from(spec, i) for i, spec in enumerate(members)]
    if not built:
        raise ServiceError(_("请至少添加一个组成部分。"), code="no_members", field="members")
    area = _common_ancestor([m.area for m in built if m.area is not None])
    authorize(actor, MANAGE, area.path)
    measures = (measures or "").strip() or rules.measures_text(rs, level)
    county = selectors.county_of(area)
    with transaction.atomic():
        ra = RiskArea.objects.create(
            name=name.strip(), area=area, area_path=area.path, county=county, ruleset_id=rs.id,
            status=RiskAreaStatus.PROPOSED, proposed_level=level, measures=measures, notes=notes,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        _save_members(ra, built)
        RiskAreaEvent.objects.create(risk_area=ra, kind=EventKind.PROPOSED, to_level=level,
                                     effective_at=timezone.now(), actor=_user(actor))
        event_record(actor=actor, action="risk_area.create", obj=ra, after={
            **snapshot(ra, AREA_FIELDS), "members": [_member_repr(m) for m in built]})
    return ra


def _authorize_related(actor, action: str, path: str) -> None:
    from fangkong.core.errors import NotFound

    if not selectors.issuer_related(actor, action, path):
        raise NotFound()


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def risk_area_designate(*, actor, risk_area: RiskArea, effective_at: dt.datetime, level: str | None = None,
                        note: str = "") -> RiskArea:
    """Designate a proposed area directly, without a notice (areas designated before the platform, or an
    emergency announced separately). Numbered notices go through `notice_create` … `notice_approve`."""
    authorize(actor, MANAGE, risk_area.area_path)
    _hour_check(effective_at)
    with transaction.atomic():
        ra = RiskArea.objects.select_for_update().get(pk=risk_area.pk)
        if ra.status == RiskAreaStatus.ACTIVE:
            raise ServiceError(_("该区域已划定。"), code="already_active")
        level = level or ra.proposed_level
        _check_level(selectors.ruleset_of(ra), level)
        before = snapshot(ra, AREA_FIELDS)
        _apply(ra, kind=ChangeKind.DESIGNATE, to_level=level, effective_at=effective_at, measures=ra.measures,
               notice=None, actor=actor, note=note or "直接划定（无通告）")
        event_record(actor=actor, action="risk_area.designate", obj=ra, before=before,
                     after=snapshot(ra, AREA_FIELDS), reason=note)
    public_cache_bump()
    return ra


def risk_area_update(*, actor, risk_area: RiskArea, name: str, measures: str, notes: str = "") -> RiskArea:
    """Edit the notice name (empty = built from the members), the measures text and notes."""
    authorize(actor, MANAGE, risk_area.area_path)
    with transaction.atomic():
        ra = RiskArea.objects.select_for_update().get(pk=risk_area.pk)
        before = snapshot(ra, ("name", "measures", "notes"))
        ra.name, ra.measures, ra.notes = name.strip(), measures.strip(), notes
        ra.save(update_fields=["name", "measures", "notes", "updated_at"])
        event_record(actor=actor, action="risk_area.update", obj=ra, before=before,
                     after=snapshot(ra, ("name", "measures", "notes")))
    public_cache_bump()
    return ra


def risk_area_member_add(*, actor, risk_area: RiskArea, member: Mapping[str, Any]) -> RiskAreaMember:
    authorize(actor, MANAGE, risk_area.area_path)
    m = _member_from(member, risk_area.members.count(), own=risk_area)
    widened = None
    if not m.area_path.startswith(risk_area.area_path):
        # a mix of parts: the area widens to the common ancestor, within the same county and the actor's scope
        widened = _common_ancestor([risk_area.area, m.area])
        county = selectors.county_of(widened)
        if county is None or county.pk != risk_area.county_id:
            raise ServiceError(_("新的组成部分须与该风险区域在同一区县。"), code="outside", field="members")
        authorize(actor, MANAGE, widened.path)
    if risk_area.excluded_by.exists() and m.kind == MemberKind.REST:
        raise ServiceError(_("该区域已被其他“其他区域”除外，不能再加入“其他区域”组成。"), code="rest_excluded",
                           field="excluded")
    with transaction.atomic():
        if widened is not None:
            risk_area.area, risk_area.area_path = widened, widened.path
            risk_area.save(update_fields=["area", "area_path", "updated_at"])
        _save_members(risk_area, [m])
        event_record(actor=actor, action="risk_area.member_add", obj=risk_area, after=_member_repr(m))
        if risk_area.status != RiskAreaStatus.PROPOSED:
            epi_facts.statuses_changed_to_epi(
                actor=actor, risk_areas=[risk_area],
                reason=f"风险区域“{selectors.risk_area_display_name(risk_area)}”增加组成部分")
    public_cache_bump()
    return m


def risk_area_member_outline_set(*, actor, risk_area: RiskArea, member: RiskAreaMember, outline: Any
                                 ) -> RiskAreaMember:
    """Draw (or redraw, or clear) the outline of a written-boundary member: GeoJSON or "lng,lat" lines."""
    authorize(actor, MANAGE, risk_area.area_path)
    if member.risk_area_id != risk_area.pk:
        from fangkong.core.errors import NotFound

        raise NotFound()
    if member.kind != MemberKind.BOUNDARY:
        raise ServiceError(_("只有“文字边界”可以绘制轮廓。"), code="bad_outline", field="outline")
    cleaned = _outline(outline)
    with transaction.atomic():
        m = RiskAreaMember.objects.select_for_update().get(pk=member.pk)
        before = {"outline": m.outline}
        m.outline = cleaned
        m.save(update_fields=["outline"])
        event_record(actor=actor, action="risk_area.outline_set", obj=risk_area, before=before,
                     after={"member": m.pk, "outline": cleaned})
    public_cache_bump()
    return m


def _apply(ra: RiskArea, *, kind: str, to_level: str, effective_at: dt.datetime, measures: str, notice, actor,
           note: str = "") -> None:
    from_level = ra.level
    if kind == ChangeKind.DESIGNATE:
        ra.status, ra.level, ra.designated_at, ra.level_since = RiskAreaStatus.ACTIVE, to_level, effective_at, \
            effective_at
        ra.downgraded_from, ra.downgraded_at, ra.lifted_at = "", None, None
    elif kind == ChangeKind.LIFT:
        ra.status, ra.level, ra.lifted_at, ra.level_since = RiskAreaStatus.LIFTED, "", effective_at, effective_at
    else:
        ra.level, ra.level_since = to_level, effective_at
        if kind == ChangeKind.DOWNGRADE:
            ra.downgraded_from, ra.downgraded_at = from_level, effective_at
        else:  # upgrade: the clock restarts as a new designation at the higher level
            ra.downgraded_from, ra.downgraded_at, ra.designated_at = "", None, effective_at
    if measures:
        ra.measures = measures
    ra.save()
    RiskAreaEvent.objects.create(risk_area=ra, kind=CHANGE_EVENT[kind], from_level=from_level, to_level=to_level,
                                 effective_at=effective_at, notice=notice, actor=_user(actor), note=note)
    # The residents' control statuses follow the area (epi app), recomputed once this commits.
    epi_facts.statuses_changed_to_epi(
        actor=actor, risk_areas=[ra],
        reason=f"风险区域“{selectors.risk_area_display_name(ra)}”{ChangeKind(kind).label}"
               + (f"（{notice}）" if notice is not None else ""))


# --------------------------------------------------------------------------------------------------
# Issuers and notices
# --------------------------------------------------------------------------------------------------


def issuer_create(*, actor, name: str, area: Area, title: str = "关于调整风险等级的通告",
                  next_number: int = 1) -> Issuer:
    authorize(actor, APPROVE, area.path)
    name = name.strip()
    if not name:
        raise ServiceError(_("请填写发布机关。"), code="required", field="name")
    if next_number < 1:
        raise ServiceError(_("编号从1开始。"), code="bad_number", field="next_number")
    if Issuer.objects.filter(name=name).exists():
        raise ServiceError(_("已有同名的发布机关。"), code="duplicate", field="name")
    with transaction.atomic():
        issuer = Issuer.objects.create(name=name, area=area, area_path=area.path, title=title,
                                       next_number=next_number)
        event_record(actor=actor, action="issuer.create", obj=issuer,
                     after=snapshot(issuer, ("name", "title", "next_number", "area_path")))
    return issuer


def _change_spec(ra: RiskArea, kind: str, to_level: str, notice_rs: rules.RuleSet) -> tuple[str, str]:
    """(from_level, to_level) of a change, checked against the area's projected level."""
    area_rs = selectors.ruleset_of(ra)
    levels = list(area_rs.levels)
    current = selectors.projected_level(ra)
    name = selectors.risk_area_display_name(ra)
    if kind == ChangeKind.DESIGNATE:
        if ra.status == RiskAreaStatus.ACTIVE:
            raise ServiceError(_("“%(name)s”已划定，不能再次划定。") % {"name": name}, code="already_active")
        to_level = to_level or ra.proposed_level
        _check_level(area_rs, to_level, "to_level")
        return "", to_level
    if ra.status != RiskAreaStatus.ACTIVE or not current:
        raise ServiceError(_("“%(name)s”目前不是风险区。") % {"name": name}, code="not_active")
    if kind == ChangeKind.LIFT:
        return current, ""
    if kind not in (ChangeKind.DOWNGRADE, ChangeKind.UPGRADE):
        raise ServiceError(_("未知的调整类型：%(kind)s") % {"kind": kind}, code="bad_kind")
    _check_level(area_rs, to_level, "to_level")
    lower = levels.index(to_level) > levels.index(current)
    if (kind == ChangeKind.DOWNGRADE) != lower or to_level == current:
        message = (_("“%(name)s”为%(current)s，不能降级为%(to)s。") if kind == ChangeKind.DOWNGRADE
                   else _("“%(name)s”为%(current)s，不能升级为%(to)s。"))
        raise ServiceError(message % {"name": name, "current": rules.level_name(area_rs, current),
                                      "to": rules.level_name(area_rs, to_level)},
                           code="bad_direction", field="to_level")
    return current, to_level


def notice_create(
    *,
    actor,
    issuer: Issuer,
    effective_at: dt.datetime,
    changes: Iterable[Mapping[str, Any]],
    ruleset_id: str | None = None,
    title: str | None = None,
    basis: str | None = None,
    preamble: str = "",
) -> Notice:
    """A draft notice (an adjustment proposal): changes = [{risk_area, kind, to_level?, measures?}].

    Anyone who manages risk areas under (or above) the issuer's area may propose; HQ submits and a
    second HQ user approves."""
    _authorize_related(actor, MANAGE, issuer.area_path)
    _hour_check(effective_at)
    changes = list(changes)
    if not changes:
        raise ServiceError(_("通告至少要有一项调整。"), code="no_changes", field="changes")
    on = timezone.localtime(effective_at).date()
    if not ruleset_id and rules.ruleset_for_date(on) is None:
        ruleset_id = changes[0]["risk_area"].ruleset_id  # after the last regime: the areas' own rule set
    rs = _ruleset(ruleset_id, on)
    seen: set[int] = set()
    with transaction.atomic():
        notice = Notice.objects.create(
            issuer=issuer, area_path=issuer.area_path, title=title or issuer.title, ruleset_id=rs.id,
            basis=basis or rs.basis_text, preamble=preamble, effective_at=effective_at,
            created_by=_user(actor),
        )
        rows = []
        for i, spec in enumerate(changes):
            ra = spec["risk_area"]
            authorize(actor, MANAGE, ra.area_path)
            if ra.pk in seen:
                raise ServiceError(_("“%(name)s”在通告中出现了两次。") % {
                    "name": selectors.risk_area_display_name(ra)}, code="duplicate")
            seen.add(ra.pk)
            kind = spec.get("kind") or ChangeKind.DOWNGRADE
            frm, to = _change_spec(ra, kind, spec.get("to_level") or "", rs)
            change = NoticeChange(notice=notice, risk_area=ra, kind=kind, from_level=frm, to_level=to, order=i)
            from fangkong.risk_areas.documents import default_measures

            measures = (spec.get("measures") or "").strip()
            change.measures = measures or (default_measures(rs, change) if to else "")
            rows.append(change)
        NoticeChange.objects.bulk_create(rows)
        event_record(actor=actor, action="notice.create", obj=notice, after={
            **snapshot(notice, ("issuer_id", "title", "basis", "effective_at", "ruleset_id")),
            "changes": [[c.risk_area_id, c.kind, c.from_level, c.to_level, c.measures] for c in rows]})
    return notice


def notice_update(*, actor, notice: Notice, effective_at: dt.datetime, basis: str,
                  group_measures: Mapping[tuple[str, str, str], str] | None = None) -> Notice:
    """Edit a draft: effective time, basis, and the measures sentence of each group."""
    _authorize_related(actor, MANAGE, notice.area_path)
    _hour_check(effective_at)
    with transaction.atomic():
        n = Notice.objects.select_for_update().get(pk=notice.pk)
        if n.status != NoticeStatus.DRAFT:
            raise ServiceError(_("只有草稿可以修改。"), code="not_draft")
        before = snapshot(n, ("effective_at", "basis"))
        n.effective_at, n.basis = effective_at, basis.strip() or n.basis
        n.save(update_fields=["effective_at", "basis"])
        for (kind, frm, to), text in (group_measures or {}).items():
            n.changes.filter(kind=kind, from_level=frm, to_level=to).update(measures=text.strip())
        event_record(actor=actor, action="notice.update", obj=n, before=before,
                     after={**snapshot(n, ("effective_at", "basis")),
                            "group_measures": {"/".join(k): v for k, v in (group_measures or {}).items()}})
    return n


def notice_submit(*, actor, notice: Notice) -> Notice:
    """Ask for approval (the requester); a second HQ user approves."""
    authorize(actor, PUBLISH, notice.area_path)
    with transaction.atomic():
        n = Notice.objects.select_for_update().get(pk=notice.pk)
        if n.status != NoticeStatus.DRAFT:
            raise ServiceError(_("该通告不是草稿。"), code="not_draft")
        n.status, n.requested_by, n.requested_at = NoticeStatus.PENDING_APPROVAL, actor, timezone.now()
        n.save(update_fields=["status", "requested_by", "requested_at"])
        event_record(actor=actor, action="notice.submit", obj=n, after={"status": n.status})
    return n


def notice_reject(*, actor, notice: Notice, reason: str) -> Notice:
    authorize(actor, APPROVE, notice.area_path)
    if not reason.strip():
        raise ServiceError(_("请填写退回原因。"), code="required", field="reason")
    with transaction.atomic():
        n = Notice.objects.select_for_update().get(pk=notice.pk)
        if n.status != NoticeStatus.PENDING_APPROVAL:
            raise ServiceError(_("该通告不在待审批状态。"), code="not_pending")
        n.status = NoticeStatus.DRAFT
        n.save(update_fields=["status"])
        event_record(actor=actor, action="notice.reject", obj=n, after={"status": n.status}, reason=reason)
    return n


def notice_approve(*, actor, notice: Notice, now: dt.datetime | None = None) -> Notice:
    """The second HQ user approves: the number is allocated from the issuer's counter (row lock) in
    the same transaction, the notice is published, and applied at once when its time has come."""
    authorize(actor, APPROVE, notice.area_path)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            n = Notice.objects.select_for_update().get(pk=notice.pk)
            if n.status != NoticeStatus.PENDING_APPROVAL:
                raise ServiceError(_("该通告不在待审批状态。"), code="not_pending")
            if n.requested_by_id == getattr(actor, "pk", None):
                raise ServiceError(_("审批人不能是提交人本人，须由另一位指挥部人员审批。"), code="same_user")
            rs = rules.ruleset_get(n.ruleset_id)
            for change in n.changes.select_related("risk_area"):
                ra = RiskArea.objects.select_for_update().get(pk=change.risk_area_id)
                current = selectors.projected_level(ra) if ra.status == RiskAreaStatus.ACTIVE else ""
                stale = current != change.from_level or (
                    change.kind == ChangeKind.DESIGNATE and ra.status == RiskAreaStatus.ACTIVE)
                if not stale:
                    _change_spec(ra, change.kind, change.to_level, rs)
                if stale:
                    raise ServiceError(_("“%(name)s”的等级已变化，请重新拟定通告。") % {
                        "name": selectors.risk_area_display_name(ra)},
                                       code="stale")
            issuer = Issuer.objects.select_for_update().get(pk=n.issuer_id)
            n.number = issuer.next_number
            issuer.next_number += 1
            issuer.save(update_fields=["next_number"])
            n.status, n.approved_by, n.approved_at = NoticeStatus.PUBLISHED, actor, now
            n.published_on = timezone.localtime(now).date()
            n.save(update_fields=["number", "status", "approved_by", "approved_at", "published_on"])
            event_record(actor=actor, action="notice.publish", obj=n,
                         after={"number": n.number, "published_on": n.published_on, "status": n.status})
            if n.effective_at <= now:
                _notice_apply(n, actor=actor, now=now)
    except IntegrityError:
        raise ServiceError(_("编号冲突，请重试。"), code="number_conflict") from None
    public_cache_bump()
    return n


def _notice_apply(n: Notice, *, actor, now: dt.datetime) -> None:
    for change in n.changes.order_by("order", "id"):
        ra = RiskArea.objects.select_for_update().get(pk=change.risk_area_id)
        _apply(ra, kind=change.kind, to_level=change.to_level, effective_at=n.effective_at,
               measures=change.measures, notice=n, actor=actor, note=str(n))
    n.applied_at = now
    n.save(update_fields=["applied_at"])
    event_record(actor=actor, action="notice.apply", obj=n, after={"applied_at": now})


def notices_apply_due(*, now: dt.datetime | None = None) -> int:
    """Apply every published notice whose effective time has come (idempotent; the job calls it)."""
    now = now or timezone.now()
    applied = 0
    due = list(Notice.objects.filter(status=NoticeStatus.PUBLISHED, applied_at__isnull=True,
                                     effective_at__lte=now).order_by("effective_at", "id").values_list("pk", flat=True))
    for pk in due:
        with transaction.atomic():
            n = Notice.objects.select_for_update().get(pk=pk)
            if n.applied_at is not None:
                continue
            _notice_apply(n, actor=None, now=now)
            applied += 1
    if applied:
        public_cache_bump()
    return applied


def may_approve(actor, notice: Notice) -> bool:
    return (notice.status == NoticeStatus.PENDING_APPROVAL and notice.requested_by_id != actor.pk
            and can(actor, APPROVE, notice.area_path))
