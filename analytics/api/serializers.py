"""Serializers of the analytics API: tracked links (read-only, the counters are kept by the click flusher), the KPI
figures of ``analytics.dashboard`` and the caller's background exports."""

from datetime import datetime, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from analytics.models import Export, ReferralEvent, TrackedLink

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


# --- KPI figures (``analytics.dashboard``), read-only ----------------------------------------------------------------

UNKNOWN = "Null when no network gave it for any share of the period: unknown, never 0."


def _partial(name: str) -> serializers.IntegerField:
    return serializers.IntegerField(allow_null=True, help_text=f"{name}. {UNKNOWN}")


# The schema's descriptions are for developers, in English like the rest of the schema.
class FiguresSerializer(serializers.Serializer[Any]):
    """Totals over a period, read from the daily rollups (``analytics.dashboard.Figures``)."""

    shares = serializers.IntegerField(help_text="Shares published.")
    clicks = serializers.IntegerField(help_text="Clicks on the shares' links, robots and previews excluded.")
    unique_clicks = serializers.IntegerField(help_text="Clicks counted once per visitor per link and day.")
    active_ambassadors = serializers.IntegerField(help_text="Members who shared at least once.")
    likes = _partial("Reactions")
    comments = _partial("Comments")
    reshares = _partial("Reshares")
    engagement = _partial("Reactions, comments and reshares together")
    impressions = _partial("Impressions")
    reach = _partial("Members reached")
    potential_reach = serializers.IntegerField(
        allow_null=True,
        help_text="An estimate: the members reached, extrapolated to the shares the network did not count them for.",
    )
    likes_known = serializers.IntegerField(help_text="Shares whose reactions the network gave.")
    comments_known = serializers.IntegerField(help_text="Shares whose comments the network gave.")
    reshares_known = serializers.IntegerField(help_text="Shares whose reshares the network gave.")
    engagement_known = serializers.IntegerField(help_text="Shares whose engagement the network gave.")
    impressions_known = serializers.IntegerField(help_text="Shares whose impressions the network gave.")
    reach_known = serializers.IntegerField(help_text="Shares whose reach the network gave.")


class NetworkFiguresSerializer(FiguresSerializer):
    network = serializers.CharField(help_text="linkedin or x.")


class PeriodSerializer(serializers.Serializer[Any]):
    start = serializers.DateField(help_text="First day, in the organisation's time zone.")
    end = serializers.DateField(help_text="Last day, included.")


class SummarySerializer(serializers.Serializer[Any]):
    period = PeriodSerializer()
    previous_period = PeriodSerializer(help_text="The period of the same length just before.")
    current = FiguresSerializer()
    previous = FiguresSerializer()
    by_network = NetworkFiguresSerializer(many=True, help_text="The period's figures per network.")


class BucketSerializer(serializers.Serializer[Any]):
    first_day = serializers.DateField(help_text="The bucket's first day (a Monday for weeks, the 1st for months).")
    by_network = NetworkFiguresSerializer(many=True)


class OverTimeSerializer(serializers.Serializer[Any]):
    period = PeriodSerializer()
    bucket_size = serializers.ChoiceField(
        choices=["day", "week", "month"],
        help_text="Days up to two months, weeks up to a year, months beyond.",
    )
    buckets = BucketSerializer(many=True, help_text="Every bucket of the period, quiet ones included.")


class FunnelSerializer(serializers.Serializer[Any]):
    invited = serializers.IntegerField(help_text="Invited, or joined without an invitation.")
    joined = serializers.IntegerField()
    charter = serializers.IntegerField(help_text="Had accepted the charter (still in force).")
    connected = serializers.IntegerField(help_text="Had connected a network account.")
    shared = serializers.IntegerField(help_text="Had shared at least once.")
    active = serializers.IntegerField(help_text="Had shared in the last 30 days.")


class NamedSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ProgrammeFunnelSerializer(serializers.Serializer[Any]):
    programme = NamedSerializer()
    funnel = FunnelSerializer()


class AdoptionSerializer(serializers.Serializer[Any]):
    period = PeriodSerializer()
    current = FunnelSerializer(help_text="At the end of the period.")
    previous = FunnelSerializer(help_text="At the end of the previous period.")
    by_programme = ProgrammeFunnelSerializer(many=True)


class TopicGapSerializer(serializers.Serializer[Any]):
    topic = NamedSerializer(allow_null=True, help_text="Null for the posts without a topic.")
    shares = serializers.IntegerField()
    unique_clicks = serializers.IntegerField()
    share_of_shares = serializers.FloatField(help_text="Percent of the shares.")
    share_of_clicks = serializers.FloatField(help_text="Percent of the unique clicks.")
    gap = serializers.FloatField(help_text="Points: positive when audiences click it more than it is shared.")


class TopicsSerializer(serializers.Serializer[Any]):
    period = PeriodSerializer()
    topics = TopicGapSerializer(many=True, help_text="Most shared first.")
    wanted = TopicGapSerializer(
        allow_null=True, help_text="The topic clicked most beyond its part of the shares (5 points at least)."
    )
    ignored = TopicGapSerializer(
        allow_null=True, help_text="The topic shared most beyond its part of the clicks (5 points at least)."
    )


class PostRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()


class TopPostSerializer(serializers.Serializer[Any]):
    post = PostRefSerializer()
    figures = FiguresSerializer()


class TopPostsSerializer(serializers.Serializer[Any]):
    period = PeriodSerializer()
    posts = TopPostSerializer(many=True, help_text="Most unique clicks first, then most shared; ten at most.")


class ProgrammeRowSerializer(serializers.Serializer[Any]):
    programme = NamedSerializer()
    members = serializers.IntegerField()
    figures = FiguresSerializer()


class ProgrammesSerializer(serializers.Serializer[Any]):
    period = PeriodSerializer()
    programmes = ProgrammeRowSerializer(many=True, help_text="Most unique clicks first.")


class MyFiguresSerializer(SummarySerializer):
    bucket_size = serializers.ChoiceField(choices=["day", "week", "month"])
    buckets = BucketSerializer(many=True)
    best_posts = TopPostSerializer(many=True, help_text="My five posts that brought the most unique clicks.")
    topics = TopicGapSerializer(many=True, help_text="My topics' parts of my shares and of my unique clicks.")


# --- Exports (``analytics.exports``), read-only ----------------------------------------------------------------------


class ExportSerializer(serializers.ModelSerializer[Export]):
    """A background export of the caller's: where it stands, and its file once it is ready."""

    format = serializers.CharField(source="file_format", read_only=True, help_text="csv or xlsx.")
    progress = serializers.IntegerField(
        source="percent", read_only=True, help_text="Percent of the rows written: 100 once ready, at most 99 before."
    )
    url = serializers.SerializerMethodField(help_text="This export in the API: poll it until it is ready or failed.")
    download_url = serializers.SerializerMethodField(
        help_text="The file, for the member who asked, with their session; null until it is ready, and once it expires."
    )

    class Meta:
        model = Export
        fields = [
            "id",
            "table",
            "format",
            "filters",
            "status",
            "progress",
            "rows_done",
            "rows_total",
            "created_at",
            "finished_at",
            "expires_at",
            "url",
            "download_url",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "table": {"help_text": "The table's key, as in the export's path."},
            "filters": {"help_text": "The period and filters asked with: start, end, programme, topic, network."},
            "rows_total": {"help_text": "The rows to write, counted when it was asked for."},
        }

    def _absolute(self, name: str, export: Export) -> str:
        # The URL's organisation from the context: ``export.organization`` would cost a query per row of a list.
        path = reverse(name, args=[self.context["organization"].slug, export.pk])
        return str(self.context["request"].build_absolute_uri(path))

    @extend_schema_field(serializers.URLField())
    def get_url(self, export: Export) -> str:
        return self._absolute("api-analytics-export", export)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download_url(self, export: Export) -> str | None:
        # As the download page: a file written, and not yet expired.
        if export.status != Export.Status.DONE or not export.stored_name or export.expires_at <= timezone.now():
            return None
        return self._absolute("analytics_export_download", export)
