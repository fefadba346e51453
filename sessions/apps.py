from django.apps import AppConfig


class TherapySessionsConfig(AppConfig):
    # The label "sessions" belongs to django.contrib.sessions.
    name = "sessions"
    label = "therapy_sessions"
    verbose_name = "IPT courses and sessions"

    def ready(self) -> None:
        from ipt_clinic import hooks

        from .handover import open_caseload_problems, open_course_problems

        # A therapist with open courses is not deactivated until their caseload is handed over.
        hooks.caseload_checks.register(open_caseload_problems)
        # A patient in treatment is not archived until their course is closed.
        hooks.archive_checks.register(open_course_problems)
