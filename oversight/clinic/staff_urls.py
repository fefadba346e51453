"""The clinic admin's staff pages: people, roles, invitations, supervision links."""

from django.urls import path

from . import staff_views as views

app_name = "staff"
urlpatterns = [
    path("clinic/staff/", views.staff_list, name="list"),
    path("clinic/staff/invite/", views.staff_invite, name="invite"),
    path("clinic/staff/<int:pk>/", views.staff_detail, name="detail"),
    path("clinic/staff/<int:pk>/deactivate/", views.staff_deactivate, name="deactivate"),
    path("clinic/staff/<int:pk>/reactivate/", views.staff_reactivate, name="reactivate"),
    path(
        "clinic/invitations/<int:pk>/withdraw/",
        views.invitation_withdraw,
        name="invitation_withdraw",
    ),
    path("clinic/supervision/", views.supervision_list, name="supervisions"),
    path("clinic/supervision/<int:pk>/", views.supervision_edit, name="supervision_edit"),
    path("clinic/supervision/<int:pk>/end/", views.supervision_end, name="supervision_end"),
    path(
        "clinic/staff/<int:pk>/two-factor/reset/",
        views.two_factor_reset,
        name="two_factor_reset",
    ),
]
