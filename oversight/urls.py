from django.urls import path

from . import views

app_name = "caseload"
urlpatterns = [
    path("courses/<int:pk>/supervision-notes/", views.note_add, name="note_add"),
    path("courses/<int:pk>/reviewed/", views.course_reviewed, name="course_reviewed"),
    path("sessions/<int:pk>/note-review/", views.note_review, name="note_review"),
    path("sessions/<int:pk>/fidelity/", views.fidelity, name="fidelity"),
]
