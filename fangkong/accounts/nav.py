from django.utils.translation import gettext_noop as N_

from fangkong.core.nav import NavItem

NAV = [NavItem(N_("用户与角色"), "accounts:users", "users", "accounts.view", order=90)]
