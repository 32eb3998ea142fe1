from django.utils.translation import gettext_noop as N_

from fangkong.core.nav import NavItem

NAV = [NavItem(N_("审计日志"), "audit:events", "history", "audit.view", order=95)]
