from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from advocacy.models import Organization, Programme
from advocacy.query import QueryChoiceIdField, QueryDateField, QuerySelect
from analytics.dashboard import LONGEST_PERIOD, NETWORKS, Filters, Period
from analytics.links import utm_template_errors
from analytics.models import TrackingSettings
from content.models import Topic


class TrackingSettingsForm(forms.Form):
    utm_template = forms.CharField(
        label=_("Tracking parameters"),
        required=False,
        max_length=TrackingSettings._meta.get_field("utm_template").max_length,
        help_text=TrackingSettings._meta.get_field("utm_template").help_text,
    )

    def clean_utm_template(self) -> str:
        template: str = self.cleaned_data["utm_template"].strip()
        errors = utm_template_errors(template)
        if errors:
            raise ValidationError(errors)
        return template


class WeeklySummaryForm(forms.Form):
    enabled = forms.BooleanField(
        label=_("E-mail me the figures every Monday morning"),
        required=False,
        help_text=_("Last week's shares, clicks, engagement and active ambassadors against the week before."),
    )


class DashboardFilterForm(forms.Form):
    """The dashboard's period and filters, from the query string. No period given: the last 28 days up to today."""

    DEFAULT_DAYS = 28

    start = QueryDateField(label=_("From"))
    end = QueryDateField(label=_("To"))
    programme = QueryChoiceIdField(label=_("Programme"), empty_label=_("All programmes"))
    topic = QueryChoiceIdField(label=_("Topic"), empty_label=_("All topics"))
    network = forms.ChoiceField(
        label=_("Network"),
        required=False,
        choices=[("", _("All networks")), *((network.value, network.label) for network in NETWORKS)],
        widget=QuerySelect,
    )

    def __init__(
        self,
        data: QueryDict,
        *,
        today: date,
        programmes: list[Programme],
        topics: list[Topic],
    ) -> None:
        super().__init__(data)
        self.today = today
        self.programmes = {programme.pk: programme for programme in programmes}
        self.topics = {topic.pk: topic for topic in topics}
        programme_field, topic_field = self.fields["programme"], self.fields["topic"]
        assert isinstance(programme_field, QueryChoiceIdField) and isinstance(topic_field, QueryChoiceIdField)
        programme_field.set_choices([(programme.pk, programme.name) for programme in programmes])
        topic_field.set_choices([(topic.pk, topic.name) for topic in topics])
        # A filter with nothing to choose from is left out.
        if not programmes:
            del self.fields["programme"]
        if not topics:
            del self.fields["topic"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        end = cleaned.get("end") or self.today
        start = cleaned.get("start") or end - timedelta(days=self.DEFAULT_DAYS - 1)
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        if end < start:
            self.add_error(
                "end",
                _("The period ends before it starts: choose an end date after %(start)s.")
                % {"start": date_format(start, "SHORT_DATE_FORMAT")},
            )
        elif end - start >= LONGEST_PERIOD:
            self.add_error("start", _("A period covers two years at most: choose a later start or an earlier end."))
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def filters(self) -> Filters:
        """The valid form's period and filters, the programme and topic as rows of the organisation."""
        cleaned = self.cleaned_data
        return Filters(
            period=Period(cleaned["start"], cleaned["end"]),
            programme=self.programmes.get(cleaned.get("programme") or 0),
            topic=self.topics.get(cleaned.get("topic") or 0),
            network=cleaned.get("network") or "",
        )


def dashboard_filter_form(
    data: QueryDict, *, organization: Organization, by_programme_and_topic: bool = True
) -> DashboardFilterForm:
    """The filter form of a KPI page or endpoint, bound to ``data``, "today" in the organisation's time zone and its
    programmes and topics to choose from (two queries; none without ``by_programme_and_topic``)."""
    today = timezone.localtime(timezone.now(), ZoneInfo(organization.time_zone)).date()
    programmes: list[Programme] = []
    topics: list[Topic] = []
    if by_programme_and_topic:
        programmes = list(Programme.objects.filter(organization=organization).order_by("name"))
        topics = list(Topic.objects.filter(organization=organization).order_by("name"))
    return DashboardFilterForm(data, today=today, programmes=programmes, topics=topics)
