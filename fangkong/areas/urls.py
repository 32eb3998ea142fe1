from django.urls import path

from fangkong.areas import views

app_name = "areas"
urlpatterns = [
    path("", views.index, name="index"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/children/", views.children, name="children"),
    path("<str:code>/new/", views.create, name="create"),
    path("<str:code>/rename/", views.rename, name="rename"),
    path("<str:code>/move/", views.move, name="move"),
    path("<str:code>/retire/", views.retire, name="retire"),
    path("<str:code>/aliases/", views.alias_add, name="alias_add"),
    path("<str:code>/aliases/<int:alias_id>/delete/", views.alias_remove, name="alias_remove"),
]
