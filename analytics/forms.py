from datetime import date, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from advocacy.query import QueryChoiceIdField, QueryDateField, QuerySelect
from analytics.dashboard import LONGEST_PERIOD, NETWORKS
from analytics.exports import EVERYTHING, TABLES
from analytics.links import utm_template_errors
from analytics.models import Export, TrackingSettings


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
        programmes: list[tuple[int, str]],
        topics: list[tuple[int, str]],
    ) -> None:
        super().__init__(data)
        self.today = today
        programme_field, topic_field = self.fields["programme"], self.fields["topic"]
        assert isinstance(programme_field, QueryChoiceIdField) and isinstance(topic_field, QueryChoiceIdField)
        programme_field.set_choices(programmes)
        topic_field.set_choices(topics)
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


class ExportForm(forms.Form):
    """Which table of the dashboard to export, and as what (no format: XLSX)."""

    table = forms.ChoiceField(
        label=_("Table"),
        choices=[(EVERYTHING, _("Every table")), *((key, label) for key, (label, _maker) in TABLES.items())],
    )
    format = forms.ChoiceField(label=_("Format"), required=False, choices=Export.Format.choices)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["format"] = cleaned.get("format") or Export.Format.XLSX
        if cleaned.get("table") == EVERYTHING and cleaned["format"] == Export.Format.CSV and "table" not in self.errors:
            self.add_error("format", _("A CSV file holds one table: choose a table, or XLSX for every table."))
        return cleaned
