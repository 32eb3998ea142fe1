from django.urls import path

from fangkong.isolation import views

app_name = "isolation"
urlpatterns = [
    path("", views.index, name="index"),
    path("capacity/", views.capacity, name="capacity"),
    path("sites/new/", views.site_new, name="site_new"),
    path("sites/<int:site_id>/", views.site_detail, name="site_detail"),
    path("sites/<int:site_id>/staff/", views.site_staff_add, name="site_staff_add"),
    path("sites/<int:site_id>/rooms/", views.site_rooms_add, name="site_rooms_add"),
    path("sites/<int:site_id>/calls/", views.call_list, name="call_list"),
    path("sites/<int:site_id>/calls/missing/", views.calls_missing, name="calls_missing"),
    path("work/", views.site_work, name="site_work"),
    path("episodes/", views.episodes, name="episodes"),
    path("episodes/<int:episode_id>/", views.episode_detail, name="episode_detail"),
    path("episodes/<int:episode_id>/<str:action>/", views.episode_action, name="episode_action"),
    path("admit/", views.admit, name="admit"),
    path("tasks/<int:task_id>/", views.task_record, name="task_record"),
    path("needs/<int:need_id>/done/", views.need_done, name="need_done"),
    path("escalations/", views.escalations, name="escalations"),
    path("escalations/<int:escalation_id>/resolve/", views.escalation_resolve, name="escalation_resolve"),
    path("guardian-templates/", views.guardian_templates, name="guardian_templates"),
    path("my/", views.my, name="my"),
]
