from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdvocacyConfig(AppConfig):
    name = "advocacy"
    verbose_name = _("Relais core")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from advocacy import checks  # noqa: F401 - registers the deploy checks
        from advocacy.history_kinds import register as register_history
        from advocacy.home import members_panel, register_panel

        register_history()
        register_panel("members", members_panel, order=70)
