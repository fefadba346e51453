from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Interpersonal inventory"

    def ready(self) -> None:
        from sessions import extensions

        from . import panels, services

        extensions.register_course_panel(panels.course_focus_panel)
        extensions.register_session_panel(panels.session_focus_panel)
        extensions.register_completion_check(services.termination_review_missing)
