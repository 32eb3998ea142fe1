app_name = "risk_areas"
urlpatterns = []
