from django.urls import path

from fangkong.testing import views

app_name = "testing"
urlpatterns = [
    path("", views.index, name="index"),
    path("rounds/new/", views.round_create, name="round_create"),
    path("rounds/<int:round_id>/", views.round_detail, name="round_detail"),
    path("rounds/<int:round_id>/untested/", views.untested, name="untested"),
    path("rounds/<int:round_id>/recalls/", views.recalls, name="recalls"),
    path("rounds/<int:round_id>/export/report/", views.export_report, name="export_report"),
    path("rounds/<int:round_id>/export/untested/", views.export_untested, name="export_untested"),
    path("rounds/<int:round_id>/export/recalls/", views.export_recalls, name="export_recalls"),
    path("sites/", views.sites, name="sites"),
    path("sites/new/", views.site_create, name="site_create"),
    path("sample/", views.sample, name="sample"),
    path("sample/tube/", views.sample_tube, name="sample_tube"),
    path("sample/close/", views.sample_close, name="sample_close"),
    path("results/", views.results_upload, name="results_upload"),
]
