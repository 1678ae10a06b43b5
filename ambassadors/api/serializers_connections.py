"""Serializers of the connections API: output only, and never a token field (security-and-reliability.md §2.7)."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ambassadors.models import SocialConnection
from ambassadors.presentation import connection_health


class ConnectionHealthSerializer(serializers.Serializer[Any]):
    state = serializers.ChoiceField(
        choices=["connected", "expiring", "needs_reconnect", "disconnected"], read_only=True
    )
    days_left = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text=_("Days until the member must reconnect; null when the access renews itself."),
    )
    message = serializers.CharField(read_only=True, help_text=_("The state in words, in the caller's language."))
    expires_at = serializers.DateTimeField(read_only=True, allow_null=True)


class ConnectionSerializer(serializers.ModelSerializer[SocialConnection]):
    """One of the caller's connected accounts. The fields are listed one by one: tokens are never among them."""

    health = serializers.SerializerMethodField()

    class Meta:
        model = SocialConnection
        fields = ["id", "provider", "provider_uid", "display_name", "username", "status", "connected_at", "health"]
        read_only_fields = fields

    @extend_schema_field(ConnectionHealthSerializer)
    def get_health(self, connection: SocialConnection) -> dict[str, Any]:
        health = connection_health(connection)
        return ConnectionHealthSerializer(health).data
