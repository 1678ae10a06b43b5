"""Serializers of tracked links in the API: read-only, the counters are kept by the click flusher."""

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from analytics.models import ReferralEvent, TrackedLink

FUTURE_LEEWAY = timedelta(minutes=5)


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


class ReferralWebhookSerializer(serializers.Serializer[None]):
    """The body the careers site or the CRM posts to the referral webhook."""

    event = serializers.ChoiceField(choices=ReferralEvent.Kind.choices)
    referral_code = serializers.CharField(max_length=16)
    occurred_at = serializers.DateTimeField(required=False)
    post = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    link = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    def validate_occurred_at(self, value: datetime) -> datetime:
        # A sender's clock may run a little ahead; an event days ahead is a mistake.
        if value > timezone.now() + FUTURE_LEEWAY:
            raise serializers.ValidationError(_("The event cannot have happened in the future."))
        return value
