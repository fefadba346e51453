from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ipt_clinic.accounts"
    label = "accounts"
    verbose_name = "Clinic accounts"

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects sign-in audit receivers
