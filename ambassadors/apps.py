from django.apps import AppConfig


class AmbassadorsConfig(AppConfig):
    name = "ambassadors"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from advocacy.home import register_panel
        from advocacy.navigation import BELL_COUNT, register_count
        from ambassadors import history, home, receivers
        from ambassadors.services.notifications import unread_count_for_request

        history.register()

        receivers.connect()
        register_count(BELL_COUNT, unread_count_for_request)
        register_panel("notices", home.notices_panel, order=10)
        register_panel("setup", home.setup_panel, order=15)
        register_panel("next_step", home.next_step_panel, order=20)
        register_panel("posts_to_share", home.posts_panel, order=30)
        register_panel("shares_needing_member", home.shares_panel, order=40)
        register_panel("connections_health", home.connections_health_panel, order=90)
