from django.urls import path

from fangkong.residents import views

app_name = "residents"
urlpatterns = [
    path("", views.index, name="index"),
    path("persons/new/", views.person_create, name="person_create"),
    path("persons/move/", views.person_move, name="person_move"),
    path("persons/<int:person_id>/", views.person_detail, name="person_detail"),
    path("persons/<int:person_id>/reveal/", views.person_reveal, name="person_reveal"),
    path("persons/<int:person_id>/edit/", views.person_edit, name="person_edit"),
    path("households/<int:household_id>/", views.household_detail, name="household_detail"),
    path("areas/<str:code>/households/new/", views.household_create, name="household_create"),
    path("buildings/<str:code>/", views.building, name="building"),
    path("care/", views.care_ledger, name="care_ledger"),
    path("export/", views.export, name="export"),
    path("import/", views.import_page, name="import"),
    path("import/template/", views.import_template, name="import_template"),
    path("import/<int:job_id>/", views.import_job, name="import_job"),
    path("import/<int:job_id>/confirm/", views.import_confirm, name="import_confirm"),
    path("import/<int:job_id>/errors/", views.import_errors, name="import_errors"),
    path("campaigns/", views.campaigns, name="campaigns"),
    path("campaigns/<int:campaign_id>/", views.campaign, name="campaign"),
    path("campaigns/<int:campaign_id>/households/<int:household_id>/", views.visit, name="visit"),
]
