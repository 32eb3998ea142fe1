from django.urls import path

from fangkong.epi import views

app_name = "epi"
urlpatterns: list = []
