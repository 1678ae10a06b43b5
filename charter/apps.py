from django.apps import AppConfig


class CharterConfig(AppConfig):
    name = "charter"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from advocacy.home import register_panel
        from charter.home import acceptance_panel

        register_panel("charter_acceptance", acceptance_panel, order=80)
