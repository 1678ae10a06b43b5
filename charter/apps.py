from django.apps import AppConfig


class CharterConfig(AppConfig):
    name = "charter"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from charter import history

        history.register()
