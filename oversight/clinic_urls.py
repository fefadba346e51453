"""Clinic admin pages of the caseload app: settings (with the flag thresholds), audit report."""

from django.urls import path

from . import clinic_views as views

app_name = "clinic_admin"
urlpatterns = [
    path("settings/", views.clinic_settings, name="settings"),
    path("audit/", views.audit_report_page, name="audit"),
    path("audit/export/", views.audit_export, name="audit_export"),
]
