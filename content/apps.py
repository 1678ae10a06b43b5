from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "content"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from advocacy.home import register_panel
        from advocacy.media import register_media_rule
        from advocacy.navigation import register_count
        from content import history, home, selectors

        history.register()

        register_media_rule(
            "posts",
            lambda organization, membership, name: selectors.post_image_readable(
                organization=organization, membership=membership, name=name
            ),
        )
        register_count("approvals", selectors.approvals_waiting_for_request)
        register_panel("approvals", home.approvals_panel, order=50)
        register_panel("editor", home.editor_panel, order=60)
