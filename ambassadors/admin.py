"""Staff admin of connected accounts, shares and network pauses (platform staff only; the site runs every view
outside tenant scope). The sealed tokens are never shown: the form lists its fields explicitly, none of them a
token, and the health is read-only."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from advocacy.admin import site
from ambassadors.models import ProviderPause, Share, SocialConnection
from ambassadors.presentation import connection_health
from ambassadors.selectors import without_tokens

CONNECTION_FIELDS = (
    "organization",
    "membership",
    "provider",
    "provider_uid",
    "display_name",
    "username",
    "scopes",
    "metrics_granted",
    "status",
    "health",
    "access_expires_at",
    "refresh_expires_at",
    "token_version",
    "connected_at",
    "last_refreshed_at",
    "last_error_code",
    "last_error_at",
    "reconnect_notified_at",
    "expiry_warned_at",
    "next_publish_at",
    "rate_limited_until",
    "created_at",
)


@admin.register(SocialConnection, site=site)
class SocialConnectionAdmin(admin.ModelAdmin[SocialConnection]):
    list_display = ["__str__", "organization", "membership", "provider", "status", "access_expires_at"]
    list_filter = ["provider", "status"]
    list_select_related = ["organization", "membership__user"]
    search_fields = ["display_name", "username", "provider_uid"]
    fields = CONNECTION_FIELDS
    readonly_fields = CONNECTION_FIELDS

    @admin.display(description="health")
    def health(self, connection: SocialConnection) -> str:
        return connection_health(connection).message

    def get_queryset(self, request: HttpRequest) -> Any:
        # The health reads whether a refresh token exists from the annotation, not from a deferred token column.
        return without_tokens(super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Share, site=site)
class ShareAdmin(admin.ModelAdmin[Share]):
    list_display = ["pk", "organization", "membership", "network", "status", "scheduled_at", "published_at"]
    list_filter = ["network", "status"]
    list_select_related = ["organization", "membership__user"]
    raw_id_fields = ["organization", "membership", "post", "connection"]
    search_fields = ["external_id", "text"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ProviderPause, site=site)
class ProviderPauseAdmin(admin.ModelAdmin[ProviderPause]):
    """A network paused after an app-level fault. Deleting the pause lifts it, once the configuration is fixed."""

    list_display = ["provider", "kind", "paused_at", "detail"]
    readonly_fields = ["provider", "kind", "detail", "paused_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
