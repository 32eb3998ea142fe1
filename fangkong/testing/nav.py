from django.utils.translation import gettext_noop as N_

from fangkong.core.nav import NavItem

NAV = [
    NavItem(N_("核酸检测"), "testing:index", "test-pipe", "testing.view", order=30),
    NavItem(N_("采样"), "testing:sample", "barcode", "testing.sample", order=31),
    NavItem(N_("检测结果"), "testing:results_upload", "flask", "testing.lab", order=32),
]
