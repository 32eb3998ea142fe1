"""A notice model → the renderer's dataclasses (text, HTML, PDF, DOCX in `notice_render`)."""

from __future__ import annotations

from django.utils import timezone

from fangkong.epi import rules
from fangkong.risk_areas import notice_render as nr
from fangkong.risk_areas.choices import ChangeKind
from fangkong.risk_areas.models import Notice, NoticeChange
from fangkong.risk_areas.selectors import _load_chains, county_of, display_names


def _level_name(notice_rs: rules.RuleSet, area_rs_id: str, level: str) -> str:
    if level in notice_rs.levels:
        return rules.level_name(notice_rs, level)
    return rules.level_name(rules.ruleset_get(area_rs_id), level)


def _level(notice_rs: rules.RuleSet, area_rs_id: str, level: str) -> rules.Level:
    rs = notice_rs if level in notice_rs.levels else rules.ruleset_get(area_rs_id)
    return rs.levels[level]


def group_key(change: NoticeChange) -> tuple[str, str, str]:
    return (change.kind, change.from_level, change.to_level)


def group_heading(notice_rs: rules.RuleSet, change: NoticeChange) -> str:
    """"高风险区降为中风险区", "新增高风险区", "高风险区升为…", "解除高风险区"."""
    rs_id = change.risk_area.ruleset_id
    to = _level_name(notice_rs, rs_id, change.to_level) if change.to_level else ""
    frm = _level_name(notice_rs, rs_id, change.from_level) if change.from_level else ""
    if change.kind == ChangeKind.DESIGNATE:
        return f"新增{to}"
    if change.kind == ChangeKind.DOWNGRADE:
        return f"{frm}降为{to}"
    if change.kind == ChangeKind.UPGRADE:
        return f"{frm}升为{to}"
    return f"解除{frm}"


def default_measures(notice_rs: rules.RuleSet, change: NoticeChange) -> str:
    """The target level's measures phrase from the rule set (HQ may edit it)."""
    if not change.to_level:
        return ""
    rs = notice_rs if change.to_level in notice_rs.levels else rules.ruleset_get(change.risk_area.ruleset_id)
    downgraded_from = change.from_level if change.kind == ChangeKind.DOWNGRADE else None
    return rules.measures_text(rs, change.to_level, downgraded_from=downgraded_from)


def notice_groups(notice: Notice, changes: list[NoticeChange] | None = None) -> list[nr.NoticeGroup]:
    changes = changes if changes is not None else list(
        notice.changes.select_related("risk_area", "risk_area__county", "risk_area__area")
        .prefetch_related("risk_area__members__area"))
    notice_rs = rules.ruleset_get(notice.ruleset_id)
    by_code = _load_chains([c.risk_area.area for c in changes])
    names = display_names([c.risk_area for c in changes])
    grouped: dict[tuple[str, str, str], list[NoticeChange]] = {}
    for change in changes:
        grouped.setdefault(group_key(change), []).append(change)
    groups = []
    for key, items in grouped.items():
        first = items[0]
        members = []
        for c in items:
            county = c.risk_area.county or county_of(c.risk_area.area, by_code)
            members.append(nr.NoticeMember(county.name if county else "", names[c.risk_area_id]))
        measures_kind = _level(notice_rs, first.risk_area.ruleset_id, first.to_level).measures_kind \
            if first.to_level else ""
        groups.append(nr.NoticeGroup(
            kind="_".join(x or "none" for x in key), heading=group_heading(notice_rs, first), members=members,
            measures=first.measures if first.to_level else "", measures_kind=measures_kind,
        ))
    return groups


def notice_document(notice: Notice) -> nr.Notice:
    published_on = notice.published_on or timezone.localdate()
    return nr.Notice(
        issuer=notice.issuer.name, title=notice.title, number=notice.number or 0, basis=notice.basis,
        effective_at=notice.effective_at, groups=notice_groups(notice), published_on=published_on,
        preamble=notice.preamble or None,
    )


def notice_text(notice: Notice) -> str:
    return nr.render_text(notice_document(notice))


def notice_html(notice: Notice) -> str:
    return nr.render_html(notice_document(notice))


def notice_pdf(notice: Notice) -> bytes:
    return nr.render_pdf(notice_document(notice))


def notice_docx(notice: Notice) -> bytes:
    return nr.render_docx(notice_document(notice))


def notice_filename(notice: Notice, ext: str) -> str:
    num = f"第{notice.number}号" if notice.number else "草稿"
    return f"{notice.issuer.name}{notice.title}{num}.{ext}"
