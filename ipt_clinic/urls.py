from django.contrib import admin
from django.urls import include, path

from . import views
from .caseload import views as caseload_views

admin.site.site_header = "IPT Clinic operator"
admin.site.site_title = "IPT Clinic operator"

urlpatterns = [
    path("", views.home, name="home"),
    path("therapist/", views.therapist_home, name="therapist_home"),
    path("supervision/", caseload_views.dashboard, name="supervisor_home"),
    path("clinic/", views.clinic_admin_home, name="clinic_admin_home"),
    path("clinic/", include("ipt_clinic.caseload.clinic_urls")),
    path("", include("ipt_clinic.accounts.staff_urls")),
    path("accounts/", include("ipt_clinic.accounts.urls")),
    path("patients/", include("patients.urls")),
    path("", include("sessions.urls")),
    path("", include("inventory.urls")),
    path("supervision/", include("ipt_clinic.caseload.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
