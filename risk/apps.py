from django.apps import AppConfig


class RiskConfig(AppConfig):
    """The risk pathway: from a positive PHQ-9 item 9, or risk the therapist notices, to a
    documented review that closes it (IPT.md, "Risk"). Above sessions: it reads courses,
    sessions and measures, and takes part in their work through ipt_clinic.hooks."""

    name = "risk"
    verbose_name = "Risk pathway"

    def ready(self) -> None:
        from ipt_clinic import hooks

        from . import panels, services

        hooks.measure_recorded.register(services.episode_open_for_measure)
        hooks.sign_checks.register(services.assessment_missing)
        hooks.ending_checks.register(services.episode_still_open)
        hooks.course_panels.register(panels.course_risk_panel)
        hooks.session_panels.register(panels.session_risk_panel)
        hooks.course_banners.register(panels.course_risk_banner)
        hooks.course_badges.register(panels.risk_badges)
        hooks.session_banners.register(panels.session_risk_banner)
