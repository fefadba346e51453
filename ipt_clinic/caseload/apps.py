from django.apps import AppConfig


class CaseloadConfig(AppConfig):
    name = "ipt_clinic.caseload"
    label = "caseload"
    verbose_name = "Supervision and caseload review"

    def ready(self) -> None:
        from sessions import extensions

        from . import panels

        extensions.register_course_panel(panels.course_supervision_panel)
        extensions.register_session_panel(panels.session_review_panel)
