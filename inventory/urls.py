from django.urls import path

from . import views

app_name = "inventory"
urlpatterns = [
    path("courses/<int:course_pk>/inventory/", views.inventory, name="inventory"),
    path("courses/<int:course_pk>/inventory/circle/", views.circle_print, name="circle"),
    path("inventory/people/<int:pk>/", views.person_edit, name="person_edit"),
    path("inventory/people/<int:pk>/remove/", views.person_remove, name="person_remove"),
    path("courses/<int:course_pk>/timeline/", views.timeline_page, name="timeline"),
    path("timeline/events/<int:pk>/remove/", views.event_remove, name="event_remove"),
    path("courses/<int:course_pk>/formulation/", views.formulation, name="formulation"),
    path("problem-areas/<int:pk>/", views.problem_area, name="problem_area"),
    path("problem-areas/<int:pk>/stage/", views.dispute_stage, name="dispute_stage"),
    path("problem-areas/<int:pk>/goals/", views.goal_add, name="goal_add"),
    path("goals/<int:pk>/", views.goal_update, name="goal_update"),
    path("sessions/<int:session_pk>/focus/", views.session_focus, name="session_focus"),
    path(
        "courses/<int:course_pk>/termination-review/",
        views.termination_review,
        name="termination_review",
    ),
    path("courses/<int:course_pk>/summary/", views.course_summary, name="course_summary"),
]
