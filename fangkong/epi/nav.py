from django.utils.translation import gettext_noop as N_

from fangkong.core.nav import NavItem

NAV = [
    NavItem(N_("病例与接触者"), "epi:index", "virus", "epi.view", order=40),
    NavItem(N_("管控状态"), "epi:statuses", "shield-lock", "epi.status_view", order=41),
    NavItem(N_("人工管控审批"), "epi:requests", "checks", "epi.approve", order=42),
    NavItem(N_("协查名单"), "epi:assist_index", "list-search", "epi.assist", order=43),
    NavItem(N_("我的协查任务"), "epi:assist_mine", "clipboard-check", "epi.assist_outcome", order=44),
    NavItem(N_("防控方案"), "epi:rulesets", "book", "epi.status_view", order=45),
]
