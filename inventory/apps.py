from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Interpersonal inventory"

    def ready(self) -> None:
        from ipt_clinic import hooks

        from . import panels, services

        hooks.course_panels.register(panels.course_focus_panel)
        hooks.session_panels.register(panels.session_focus_panel)
        hooks.workspace_parts.register(panels.session_focus_part)
        hooks.completion_parts.register(panels.goal_outcomes_part)
        hooks.completion_checks.register(services.termination_review_missing)
        hooks.sign_checks.register(services.focus_missing)
