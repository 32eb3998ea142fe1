from django.urls import path

from fangkong.risk_areas import views

app_name = "risk_areas"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("map/", views.area_map, name="map"),
    path("downgrades/", views.downgrades, name="downgrades"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/members/", views.member_add, name="member_add"),
    path("<int:pk>/members/<int:member_pk>/outline/", views.member_outline, name="member_outline"),
    path("<int:pk>/designate/", views.designate, name="designate"),
    path("notices/", views.notice_list, name="notice_list"),
    path("notices/new/", views.notice_new, name="notice_new"),
    path("notices/issuers/new/", views.issuer_create, name="issuer_create"),
    path("notices/<int:pk>/", views.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/edit/", views.notice_edit, name="notice_edit"),
    path("notices/<int:pk>/submit/", views.notice_submit, name="notice_submit"),
    path("notices/<int:pk>/approve/", views.notice_approve, name="notice_approve"),
    path("notices/<int:pk>/reject/", views.notice_reject, name="notice_reject"),
    path("notices/<int:pk>/<str:kind>/", views.notice_download, name="notice_download"),
]
