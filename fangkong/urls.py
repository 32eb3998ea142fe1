from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path

from fangkong.api import api
from fangkong.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("areas/", include("fangkong.areas.urls")),
    path("accounts/", include("fangkong.accounts.urls")),
    path("audit/", include("fangkong.audit.urls")),
    path("api/v1/", api.urls),
]
# Domain apps mount their pages under /<label>/ as they land.
for _app, _prefix in (
    ("fangkong.residents", "residents/"),
    ("fangkong.testing", "testing/"),
    ("fangkong.epi", "epi/"),
    ("fangkong.isolation", "isolation/"),
    ("fangkong.risk_areas", "risk-areas/"),
):
    if _app in settings.INSTALLED_APPS:
        urlpatterns.append(path(_prefix, include(f"{_app}.urls")))
if "fangkong.risk_areas" in settings.INSTALLED_APPS:
    urlpatterns.append(path("public/", include("fangkong.risk_areas.public_urls")))
