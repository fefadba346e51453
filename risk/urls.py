from django.urls import path

from . import views

app_name = "risk"
urlpatterns = [
    path("courses/<int:course_pk>/risk/open/", views.episode_open, name="open"),
    path("risk/<int:pk>/", views.episode_detail, name="episode"),
    path("risk/<int:pk>/assess/", views.assess, name="assess"),
    path("risk/<int:pk>/safety-plan/", views.safety_plan, name="safety_plan"),
    path("risk/<int:pk>/safety-plan/print/", views.safety_plan_print, name="safety_plan_print"),
    path("risk/<int:pk>/close/", views.episode_close, name="close"),
    path("risk/alerts/", views.alerts, name="alerts"),
    path("risk/alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="acknowledge"),
]
