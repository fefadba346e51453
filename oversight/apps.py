from django.apps import AppConfig


class OversightConfig(AppConfig):
    """Supervision and clinic oversight: the top layer, reading every app below it; nothing
    imports it. Its label is the one it had when it lived in ipt_clinic/caseload, so that its
    tables and migrations keep their names."""

    name = "oversight"
    label = "caseload"
    verbose_name = "Supervision and clinic oversight"

    def ready(self) -> None:
        from ipt_clinic import hooks

        from . import panels, store

        hooks.course_changed.register(store.refresh)
        hooks.course_panels.register(panels.course_supervision_panel)
        hooks.session_panels.register(panels.session_review_panel)
