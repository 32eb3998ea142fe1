from django.utils.translation import gettext_noop as N_

from fangkong.core.nav import NavItem

NAV = [NavItem(N_("辖区"), "areas:index", "sitemap", "areas.view", order=10)]
