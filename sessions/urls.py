from django.urls import path

from . import views

app_name = "sessions"
urlpatterns = [
    path("patients/<int:patient_pk>/courses/new/", views.course_open, name="course_open"),
    path("courses/<int:pk>/", views.course_detail, name="course"),
    path("courses/<int:pk>/contract/", views.course_contract, name="course_contract"),
    path("courses/<int:pk>/close/", views.course_close, name="course_close"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    path("sessions/<int:pk>/workspace/", views.session_workspace, name="session_workspace"),
    path("sessions/<int:pk>/workspace/draft/", views.workspace_draft, name="workspace_draft"),
    path("sessions/<int:pk>/move/", views.session_reschedule, name="session_reschedule"),
    path("sessions/<int:pk>/attendance/", views.session_attendance, name="session_attendance"),
    path("sessions/<int:pk>/note/", views.session_note, name="session_note"),
    path(
        "sessions/<int:pk>/private-note/", views.session_private_note, name="session_private_note"
    ),
    path("sessions/<int:pk>/sign/", views.session_sign, name="session_sign"),
    path("sessions/<int:pk>/amend/", views.session_amend, name="session_amend"),
    path("sessions/<int:pk>/measures/<str:kind>/", views.session_measure, name="session_measure"),
    # Public: the patient's one-click opt-out, authorised by the signed token alone.
    path("reminders/stop/<str:token>/", views.reminder_opt_out, name="reminder_opt_out"),
]
