from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.http import QueryDict
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_stubs_ext import StrOrPromise

from advocacy.models import Membership, Organization
from advocacy.query import QueryChoiceIdField, QueryDateField, QueryForm, QuerySelect
from analytics.dashboard import LONGEST_PERIOD, NETWORKS
from analytics.links import utm_template_errors
from analytics.models import (
    PRICED_NETWORKS,
    RATE_DECIMALS,
    RATE_DIGITS,
    Currency,
    EmvRates,
    ProgrammeGoal,
    ReferralEvent,
    TrackingSettings,
)
from content.models import Network, Post


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


RATE_ERRORS = {
    "invalid": _("Enter an amount, such as 4.50."),
    "min_value": _("A rate cannot be negative."),
}
# (network label, [(field suffix, label)]): one group of fields per network on the page.
RATE_LABELS = (
    ("cost_per_click", _("Cost per click")),
    ("cost_per_mille", _("Cost per 1,000 impressions")),
    ("value_per_reaction", _("Value per reaction")),
)


def _rate_field(label: StrOrPromise) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0"),
        max_digits=RATE_DIGITS,
        decimal_places=RATE_DECIMALS,
        # In the reader's format: "4,50" in French.
        localize=True,
        error_messages=RATE_ERRORS,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )


class EmvRatesForm(forms.Form):
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for network in PRICED_NETWORKS:
            for suffix, label in RATE_LABELS:
                self.fields[f"{network}_{suffix}"] = _rate_field(label)

    def network_groups(self) -> list[tuple[StrOrPromise, list[forms.BoundField]]]:
        """(network label, its fields) for each priced network, in the formula's order."""
        return [
            (Network(network).label, [self[f"{network}_{suffix}"] for suffix, _label in RATE_LABELS])
            for network in PRICED_NETWORKS
        ]

    def rates(self) -> dict[str, Decimal]:
        return {name: self.cleaned_data[name] for name in EmvRates.RATE_FIELDS}


TARGET_ERRORS = {
    "invalid": _("Enter a whole number, or leave it empty."),
    "min_value": _("Enter a whole number of 1 or more, or leave it empty."),
}


def _target_field(label: StrOrPromise, help_text: StrOrPromise) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=1,
        max_value=2_000_000_000,
        help_text=help_text,
        error_messages=TARGET_ERRORS,
    )


class ProgrammeGoalForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        coerce=int,
        choices=ProgrammeGoal.Quarter.choices,
        error_messages={"invalid_choice": _("Pick a quarter from 1 to 4.")},
    )
    active_ambassadors = _target_field(
        _("Active ambassadors"), _("Members of the programme who share at least once in the quarter.")
    )
    shares = _target_field(_("Shares"), _("Posts of the programme shared by its members."))
    unique_clicks = _target_field(_("Unique clicks"), _("Visitors who opened the shared links, once a day each."))
    referrals = _target_field(_("Referrals"), _("Applications and leads credited to the programme's ambassadors."))

    def targets(self) -> dict[str, int | None]:
        return {name: self.cleaned_data[name] for name in ProgrammeGoal.TARGETS}


class DashboardFilterForm(forms.Form):
    """The dashboard's period and filters, from the query string. No period given: the last 28 days up to today."""

    DEFAULT_DAYS = 28

    start = QueryDateField(label=pgettext_lazy("start of a period", "From"))
    end = QueryDateField(label=pgettext_lazy("end of a period", "To"))
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


class ReferralPeriodForm(QueryForm):
    """The referrals page's period, from the query string. Nothing given: the last 90 days up to today. A reversed
    period or one over two years shows a field error and the page keeps the default period."""

    DEFAULT_DAYS = 90

    # With a context: "From" alone is already translated as where a click comes from.
    start = QueryDateField(label=pgettext_lazy("start of a period", "From"))
    end = QueryDateField(label=pgettext_lazy("end of a period", "To"))

    def __init__(self, data: QueryDict | None = None, *, today: date) -> None:
        super().__init__(data)
        self.today = today

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        # The dashboard's wording: one sentence for one rule.
        if start and end and end < start:
            self.add_error(
                "end",
                _("The period ends before it starts: choose an end date after %(start)s.")
                % {"start": date_format(start, "SHORT_DATE_FORMAT")},
            )
        elif start and end and end - start >= LONGEST_PERIOD:
            self.add_error("start", _("A period covers two years at most: choose a later start or an earlier end."))
        return cleaned

    def period(self) -> tuple[date, date]:
        default_end = self.today
        default_start = default_end - timedelta(days=self.DEFAULT_DAYS - 1)
        if self.is_bound and not self.is_valid():
            return default_start, default_end
        end = self.value("end", default_end)
        start = self.value("start", end - timedelta(days=self.DEFAULT_DAYS - 1))
        if end - start >= LONGEST_PERIOD or end < start:
            return default_start, default_end
        return start, end


def _amount_field(label: Any, help_text: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=help_text,
        error_messages={
            "invalid": _("Enter an amount, such as 4500 or 4500.50."),
            "min_value": _("Enter an amount of zero or more."),
        },
    )


class ReferralSettingsForm(forms.Form):
    agency_fee = _amount_field(_("Agency fee per hire"), _("What a recruitment agency charges you for one hire."))
    programme_cost_per_month = _amount_field(
        _("Programme cost per month"), _("What the ambassador programme costs you each month, all included.")
    )
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        min_length=3,
        initial="EUR",
        help_text=_("Three letters, such as EUR, USD or GBP."),
        validators=[RegexValidator(r"^[A-Za-z]{3}$", _("Enter a three-letter currency code, such as EUR."))],
    )

    def clean_currency(self) -> str:
        return str(self.cleaned_data["currency"]).upper()


class MemberChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Membership) -> str:
        return obj.user.display_name


class ReferralEventForm(forms.Form):
    kind = forms.ChoiceField(label=_("What happened"), choices=ReferralEvent.Kind.choices)
    membership = MemberChoiceField(
        label=_("Ambassador credited"), queryset=Membership.objects.none(), empty_label=_("Choose a member")
    )
    post = forms.ModelChoiceField(
        label=_("Post"),
        required=False,
        queryset=Post.objects.none(),
        empty_label=_("No post: credit the ambassador only"),
    )
    occurred_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, organization: Organization, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        members = self.fields["membership"]
        posts = self.fields["post"]
        assert isinstance(members, forms.ModelChoiceField) and isinstance(posts, forms.ModelChoiceField)
        members.queryset = (
            Membership.objects.filter(organization=organization, status=Membership.Status.ACTIVE)
            .select_related("user")
            .order_by("user__full_name", "user__email")
        )
        # Campaigns first: job offers and lead campaigns are what referrals are usually about.
        posts.queryset = Post.objects.filter(organization=organization).order_by("-campaign", "-created_at")
        self.fields["occurred_on"].initial = today

    def clean_occurred_on(self) -> date:
        value: date = self.cleaned_data["occurred_on"]
        if value > self.today:
            raise ValidationError(_("The date cannot be in the future."))
        return value
