from django.utils.translation import gettext_noop as N_

from fangkong.core.nav import NavItem

NAV = [
    NavItem(N_("隔离管控"), "isolation:index", "building-hospital", "isolation.view", order=50),
    NavItem(N_("隔离点工作"), "isolation:site_work", "home-shield", "isolation.site_work", order=51),
    NavItem(N_("我的随访"), "isolation:my", "phone-call", "isolation.follow_up", order=52),
]
