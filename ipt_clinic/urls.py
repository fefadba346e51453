from django.contrib import admin
from django.urls import include, path

from ipt_clinic.accounts.views import invitation_accept
from oversight import views as supervision_views
from oversight.clinic import views as clinic_views

from . import views
from .health import ReadinessView

admin.site.site_header = "IPT Clinic operator"
admin.site.site_title = "IPT Clinic operator"

urlpatterns = [
    path("", views.home, name="home"),
    path("therapist/", views.therapist_home, name="therapist_home"),
    path("supervision/", supervision_views.dashboard, name="supervisor_home"),
    path("clinic/", clinic_views.home, name="clinic_admin_home"),
    path("clinic/", include("oversight.clinic.urls")),
    path("", include("oversight.clinic.staff_urls")),
    path("accounts/", include("ipt_clinic.accounts.urls")),
    # Public: the link in an invitation email, authorised by its signed token alone.
    path("join/<str:token>/", invitation_accept, name="invitation_accept"),
    path("patients/", include("patients.urls")),
    path("", include("sessions.urls")),
    path("", include("inventory.urls")),
    path("", include("risk.urls")),
    path("supervision/", include("oversight.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", ReadinessView.as_view(), name="readyz"),
    path("admin/", admin.site.urls),
]
