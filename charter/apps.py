from django.apps import AppConfig


class CharterConfig(AppConfig):
    name = "charter"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from advocacy.home import register_panel
        from charter import history
        from charter.home import acceptance_panel

        history.register()
        register_panel("charter_acceptance", acceptance_panel, order=80)
