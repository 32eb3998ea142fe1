from django.urls import path

from fangkong.audit import views

app_name = "audit"
urlpatterns = [
    path("events/", views.events, name="events"),
    path("access/", views.access, name="access"),
]
