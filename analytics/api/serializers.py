"""Serializers of tracked links in the API: read-only, the counters are kept by the click flusher."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from analytics.models import TrackedLink


class TrackedLinkSerializer(serializers.ModelSerializer[TrackedLink]):
    url = serializers.CharField(read_only=True, help_text=_("The short link readers open."))
    unique_clicks = serializers.IntegerField(
        read_only=True, help_text=_("Clicks counted once per visitor per link and day.")
    )
    filtered_clicks = serializers.IntegerField(
        read_only=True,
        help_text=_("Robots, link previews, HEAD requests and prefetches: recorded, never counted as clicks."),
    )

    class Meta:
        model = TrackedLink
        fields = [
            "code",
            "url",
            "destination",
            "network",
            "clicks",
            "unique_clicks",
            "filtered_clicks",
            "last_clicked_at",
            "created_at",
        ]
        read_only_fields = fields
