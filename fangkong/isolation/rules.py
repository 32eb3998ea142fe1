"""Pure decisions of the isolation app (no ORM). The control plan and the release decision themselves
come from `fangkong.epi.rules` (control_plan, release_decision): never duplicated here."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fangkong.epi import rules as epi_rules

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
ISOLATION_KINDS = {
    "centralized": ("centralized_isolation",),
    "home": ("home_isolation", "home_medical_observation", "stay_at_home"),
}
# A follow-up not done by this local time of its day is missed (then escalated).
SLOT_DEADLINES = {"am": dt.time(12, 0), "pm": dt.time(21, 0), "day": dt.time(23, 59)}
TRANSFER_GRACE_HOURS = 4
STAFF_PER_PERSONS = 15


def isolation_phase(plan: epi_rules.ControlPlan, mode: str) -> epi_rules.PlannedPhase:
    """The phase of the plan an isolation of `mode` covers (ValueError with a Chinese message if none)."""
    for ph in plan.phases:
        if ph.kind in ISOLATION_KINDS[mode]:
            return ph
    from django.utils.translation import gettext

    kinds = "、".join(p.kind_name for p in plan.phases) or gettext("无")
    word = gettext("集中隔离") if mode == "centralized" else gettext("居家隔离")
    raise ValueError(gettext("%(ruleset)s%(category)s的管控方式为%(kinds)s，不适用%(mode)s") % {
        "ruleset": plan.ruleset_short_name, "category": plan.category_name, "kinds": kinds, "mode": word})


def slot_deadline(due: dt.date, slot: str) -> dt.datetime:
    return dt.datetime.combine(due, SLOT_DEADLINES[slot], tzinfo=LOCAL_TZ)


def tasks_for_day(phase_start: dt.date, phase_end: dt.date | None, test_dates: list[str], day: dt.date):
    """(kind, slot, test_day) of the tasks an episode has on `day`: two follow-ups on every day of the
    phase and a test on each of the plan's test dates."""
    if day < phase_start or (phase_end is not None and day > phase_end):
        return []
    out = [("follow_up", "am", None), ("follow_up", "pm", None)]
    iso = day.isoformat()
    if iso in test_dates:
        out.append(("test", "day", (day - phase_start).days + 1))
    return out


def callers_needed(persons: int) -> int:
    """One staff member per about 15 people (at least one)."""
    return max(1, -(-persons // STAFF_PER_PERSONS))
