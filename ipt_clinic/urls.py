from django.contrib import admin
from django.urls import include, path

from oversight import views as caseload_views

from . import views

admin.site.site_header = "IPT Clinic operator"
admin.site.site_title = "IPT Clinic operator"

urlpatterns = [
    path("", views.home, name="home"),
    path("therapist/", views.therapist_home, name="therapist_home"),
    path("supervision/", caseload_views.dashboard, name="supervisor_home"),
    path("clinic/", views.clinic_admin_home, name="clinic_admin_home"),
    path("clinic/", include("oversight.clinic_urls")),
    path("", include("ipt_clinic.accounts.staff_urls")),
    path("accounts/", include("ipt_clinic.accounts.urls")),
    path("patients/", include("patients.urls")),
    path("", include("sessions.urls")),
    path("", include("inventory.urls")),
    path("supervision/", include("oversight.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
