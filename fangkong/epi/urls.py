from django.urls import path

from fangkong.epi import views

app_name = "epi"
urlpatterns = [
    path("", views.index, name="index"),
    path("cases/new/", views.case_new, name="case_new"),
    path("cases/<int:case_id>/", views.case_detail, name="case_detail"),
    path("cases/<int:case_id>/edit/", views.case_edit, name="case_edit"),
    path("cases/<int:case_id>/entries/", views.case_entry, name="case_entry"),
    path("cases/<int:case_id>/contacts/new/", views.contact_new, name="contact_new"),
    path("cases/<int:case_id>/suggest/", views.suggest, name="suggest"),
    path("cases/<int:case_id>/chain/", views.chain, name="chain"),
    path("cases/<int:case_id>/chain.xlsx", views.chain_export, name="chain_export"),
    path("suggestions/<int:suggestion_id>/decide/", views.suggestion_decide, name="suggestion_decide"),
    path("statuses/", views.statuses, name="statuses"),
    path("statuses/unsupported/", views.unsupported, name="unsupported"),
    path("persons/<int:person_id>/", views.person, name="person"),
    path("persons/<int:person_id>/request/", views.request_new, name="request_new"),
    path("requests/", views.requests_list, name="requests"),
    path("requests/<int:request_id>/decide/", views.request_decide, name="request_decide"),
    path("rulesets/", views.rulesets, name="rulesets"),
    path("rulesets/overrides/new/", views.override_new, name="override_new"),
    path("rulesets/overrides/<int:override_id>/decide/", views.override_decide, name="override_decide"),
    path("assist/", views.assist_index, name="assist_index"),
    path("assist/upload/", views.assist_upload, name="assist_upload"),
    path("assist/mine/", views.assist_mine, name="assist_mine"),
    path("assist/<int:list_id>/", views.assist_detail, name="assist_detail"),
    path("assist/<int:list_id>/return.xlsx", views.assist_return, name="assist_return"),
    path("assist/items/<int:item_id>/outcome/", views.assist_outcome, name="assist_outcome"),
    path("assist/items/<int:item_id>/resolve/", views.assist_resolve, name="assist_resolve"),
]
