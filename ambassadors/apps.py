from django.apps import AppConfig


class AmbassadorsConfig(AppConfig):
    name = "ambassadors"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ambassadors import history, receivers

        history.register()

        receivers.connect()
