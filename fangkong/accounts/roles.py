"""Roles and what each may do: the one permission table, assembled from every domain app.

Each app declares `GRANTS = {"<app>.<action>": {Role..., }}` in its `permissions.py`; this module
merges them. An action is always exercised *inside the subtree of an assignment whose role grants
it* — see `fangkong.core.scoping`.
"""

from __future__ import annotations

import functools

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    HQ = "hq", _("指挥部")
    STREET_ADMIN = "street_admin", _("街道/乡镇工作人员")
    COMMUNITY_ADMIN = "community_admin", _("社区/村工作人员")
    GRID_WORKER = "grid_worker", _("网格员")
    CADRE = "cadre", _("下沉干部")
    VOLUNTEER = "volunteer", _("志愿者")
    EPI = "epi", _("流调/疾控")
    ISOLATION_STAFF = "isolation_staff", _("隔离点工作人员")
    SAMPLER = "sampler", _("采样人员")
    LAB = "lab", _("检测机构")
    CHECKPOINT_STAFF = "checkpoint_staff", _("卡口工作人员")
    INSPECTOR = "inspector", _("督查组")


ALL_ROLES = frozenset(Role)

# Which roles a holder of a role may grant (always at or below their own area).
GRANTABLE: dict[str, frozenset[str]] = {
    Role.HQ: ALL_ROLES,
    Role.STREET_ADMIN: ALL_ROLES - {Role.HQ, Role.INSPECTOR},
    Role.COMMUNITY_ADMIN: frozenset(
        {Role.COMMUNITY_ADMIN, Role.GRID_WORKER, Role.CADRE, Role.VOLUNTEER}
    ),
}

# The lowest area level at which a role makes sense (a grid worker is never assigned a county).
ROLE_DESCRIPTIONS: dict[str, str] = {
    Role.HQ: _("辖区内全部数据；发布风险区通告；看板和日报；调度会任务"),
    Role.STREET_ADMIN: _("本街道/乡镇"),
    Role.COMMUNITY_ADMIN: _("本社区/村；维护台账"),
    Role.GRID_WORKER: _("本网格：敲门排查、随访电话、配送、核查"),
    Role.CADRE: _("分配给本人的任务和住户"),
    Role.VOLUNTEER: _("分配给本人的任务和住户"),
    Role.EPI: _("病例、密接、管控状态、防控方案；审批状态变更"),
    Role.ISOLATION_STAFF: _("本隔离点"),
    Role.SAMPLER: _("采样点、试管、采样；不能浏览居民台账"),
    Role.LAB: _("试管和检测结果"),
    Role.CHECKPOINT_STAFF: _("本卡口"),
    Role.INSPECTOR: _("辖区只读督查；问题与整改"),
}

# Grants of the foundation apps; domain apps add theirs in <app>/permissions.py.
CORE_GRANTS: dict[str, frozenset[str]] = {
    "areas.view": ALL_ROLES,
    "areas.manage": frozenset({Role.HQ, Role.STREET_ADMIN, Role.COMMUNITY_ADMIN}),
    "accounts.manage": frozenset({Role.HQ, Role.STREET_ADMIN, Role.COMMUNITY_ADMIN}),
    "accounts.view": frozenset({Role.HQ, Role.STREET_ADMIN, Role.COMMUNITY_ADMIN, Role.INSPECTOR}),
    "audit.view": frozenset({Role.HQ, Role.INSPECTOR}),
}


@functools.cache
def grants() -> dict[str, frozenset[str]]:
    table = dict(CORE_GRANTS)
    from fangkong.core.app_modules import app_modules

    for _config, module in app_modules("permissions"):
        for action, roles in module.GRANTS.items():
            if action in table:
                raise RuntimeError(f"permission {action} declared twice")
            table[action] = frozenset(roles)
    return table


def roles_for(action: str) -> frozenset[str]:
    """Roles that grant `action`. Unknown actions grant nothing (deny by default)."""
    try:
        return grants()[action]
    except KeyError:
        raise KeyError(f"unknown permission {action!r}; declare it in a permissions.py") from None
