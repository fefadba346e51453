"""The clinic admin's pages under /clinic/ (the staff pages are in staff_urls.py)."""

from django.urls import path

from . import views

app_name = "clinic_admin"
urlpatterns = [
    path("settings/", views.clinic_settings, name="settings"),
    path("audit/", views.audit_report_page, name="audit"),
    path("audit/export/", views.audit_export, name="audit_export"),
    path("patients/", views.patient_roster, name="roster"),
    path("reminders/failed/", views.reminder_failures, name="reminder_failures"),
    path("reminders/<int:pk>/retry/", views.reminder_retry, name="reminder_retry"),
    path("staff/<int:pk>/handover/", views.caseload_handover, name="handover"),
]
