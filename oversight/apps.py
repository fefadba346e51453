from django.apps import AppConfig


class OversightConfig(AppConfig):
    """Supervision and clinic oversight: the top layer, reading every app below it; nothing
    imports it. Its label is the one it had when it lived in ipt_clinic/caseload, so that its
    tables and migrations keep their names."""

    name = "oversight"
    label = "caseload"
    verbose_name = "Supervision and clinic oversight"

    def ready(self) -> None:
        from sessions import extensions

        from . import panels

        extensions.register_course_panel(panels.course_supervision_panel)
        extensions.register_session_panel(panels.session_review_panel)
