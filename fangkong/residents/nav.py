from django.utils.translation import gettext_noop as N_

from fangkong.core.nav import NavItem

NAV = [
    NavItem(N_("人口台账"), "residents:index", "users", "residents.view", order=20),
    NavItem(N_("服务台账"), "residents:care_ledger", "heart-handshake", "residents.view", order=21),
    NavItem(N_("敲门行动"), "residents:campaigns", "door", "residents.visit", order=22),
]
