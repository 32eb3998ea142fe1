from django.urls import path

from fangkong.risk_areas import public_views

app_name = "public"
urlpatterns = [
    path("", public_views.index, name="index"),
    path("notices/", public_views.notices, name="notices"),
    path("notices/<int:pk>/", public_views.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/<str:kind>/", public_views.notice_download, name="notice_download"),
]
