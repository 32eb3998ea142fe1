from django.urls import path

app_name = "isolation"
urlpatterns = []
