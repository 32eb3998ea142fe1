from django.utils.translation import gettext_noop as N_

from fangkong.core.nav import NavItem

NAV = [NavItem(N_("风险区域"), "risk_areas:index", "map-pin-exclamation", "risk_areas.view", order=50)]
